-- +goose Up

-- submissions are the triage records of partners' TAXII submissions
-- (tearline.Submission), kept after their statuses expire;
-- acknowledged and first_feedback are NULL until they happen.
CREATE TABLE submissions (
	id             text COLLATE "C" NOT NULL PRIMARY KEY,
	org            text COLLATE "C" NOT NULL,
	collection     text COLLATE "C" NOT NULL,
	received       timestamptz NOT NULL,
	available      timestamptz NOT NULL,
	state          text NOT NULL,
	acknowledged   timestamptz,
	first_feedback timestamptz,
	updated        timestamptz NOT NULL,
	updated_by     text NOT NULL DEFAULT '',
	note           text NOT NULL DEFAULT ''
);
CREATE INDEX submissions_received ON submissions (received);
CREATE INDEX submissions_org ON submissions (org, received);

-- submission_objects are the ids of the objects each submission stored,
-- in envelope order (idx).
CREATE TABLE submission_objects (
	submission text COLLATE "C" NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
	idx        integer NOT NULL,
	object     text COLLATE "C" NOT NULL,
	PRIMARY KEY (submission, idx)
);
CREATE INDEX submission_objects_object ON submission_objects (object);

-- feedback are the references of sightings, opinions, notes and
-- language-content objects to the objects they are about.
CREATE TABLE feedback (
	object  text COLLATE "C" NOT NULL,
	ref     text COLLATE "C" NOT NULL,
	type    text NOT NULL,
	org     text COLLATE "C" NOT NULL,
	created timestamptz NOT NULL,
	PRIMARY KEY (object, ref)
);
CREATE INDEX feedback_ref ON feedback (ref);
CREATE INDEX feedback_created ON feedback (created);

-- org_activity counts each organization's reads per UTC day.
CREATE TABLE org_activity (
	org      text COLLATE "C" NOT NULL,
	day      timestamptz NOT NULL,
	requests bigint NOT NULL,
	objects  bigint NOT NULL,
	PRIMARY KEY (day, org)
);

-- +goose Down
DROP TABLE org_activity;
DROP TABLE feedback;
DROP TABLE submission_objects;
DROP TABLE submissions;
