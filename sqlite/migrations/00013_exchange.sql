-- +goose Up

-- submissions are the triage records of partners' TAXII submissions
-- (tearline.Submission), kept after their statuses expire. Times are
-- microseconds since the epoch; acknowledged and first_feedback are 0
-- until they happen.
CREATE TABLE submissions (
	id             TEXT    PRIMARY KEY,
	org            TEXT    NOT NULL,
	collection     TEXT    NOT NULL,
	received       INTEGER NOT NULL,
	available      INTEGER NOT NULL,
	state          TEXT    NOT NULL,
	acknowledged   INTEGER NOT NULL DEFAULT 0,
	first_feedback INTEGER NOT NULL DEFAULT 0,
	updated        INTEGER NOT NULL,
	updated_by     TEXT    NOT NULL DEFAULT '',
	note           TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX submissions_received ON submissions (received);
CREATE INDEX submissions_org ON submissions (org, received);

-- submission_objects are the ids of the objects each submission stored,
-- in envelope order (idx).
CREATE TABLE submission_objects (
	submission TEXT    NOT NULL,
	idx        INTEGER NOT NULL,
	object     TEXT    NOT NULL,
	PRIMARY KEY (submission, idx)
) STRICT, WITHOUT ROWID;
CREATE INDEX submission_objects_object ON submission_objects (object);

-- feedback are the references of sightings, opinions, notes and
-- language-content objects to the objects they are about.
CREATE TABLE feedback (
	object  TEXT    NOT NULL,
	ref     TEXT    NOT NULL,
	type    TEXT    NOT NULL,
	org     TEXT    NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY (object, ref)
) STRICT, WITHOUT ROWID;
CREATE INDEX feedback_ref ON feedback (ref);
CREATE INDEX feedback_created ON feedback (created);

-- org_activity counts each organization's reads per UTC day (day is the
-- day's midnight in microseconds).
CREATE TABLE org_activity (
	org      TEXT    NOT NULL,
	day      INTEGER NOT NULL,
	requests INTEGER NOT NULL,
	objects  INTEGER NOT NULL,
	PRIMARY KEY (day, org)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE org_activity;
DROP TABLE feedback;
DROP TABLE submission_objects;
DROP TABLE submissions;
