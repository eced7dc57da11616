-- +goose Up

-- object_scores is the server's scoring of object versions
-- (tearline.ScoreRecord, package score), keyed by the version's row key in
-- objects: new versions take increasing keys, so their records are
-- appended. Times are microseconds since the epoch (valid_until 0 when
-- absent), half_life is in seconds, features and related are
-- score.Features bits, warnings a JSON array of tearline.WarningHit (NULL
-- when none). Scores are metadata beside the objects, never in them.
CREATE TABLE object_scores (
	object          INTEGER PRIMARY KEY,
	org             TEXT    NOT NULL,
	stated          INTEGER NOT NULL,
	features        INTEGER NOT NULL,
	related         INTEGER NOT NULL,
	half_life       INTEGER NOT NULL,
	reference       INTEGER NOT NULL,
	valid_until     INTEGER NOT NULL,
	revoked         INTEGER NOT NULL,
	sources         INTEGER NOT NULL,
	sightings       INTEGER NOT NULL,
	false_positives INTEGER NOT NULL,
	warnings        TEXT,
	confidence      INTEGER NOT NULL,
	context         INTEGER NOT NULL,
	computed        INTEGER NOT NULL
) STRICT;

-- A removed version takes its record with it, so that a row key reused by
-- a later version never inherits it.
-- +goose StatementBegin
CREATE TRIGGER object_scores_gone AFTER DELETE ON objects BEGIN
	DELETE FROM object_scores WHERE object = OLD.pk;
END;
-- +goose StatementEnd

-- score_links are what sightings, opinions and relationships (source)
-- say about the scores of other objects (target), by object id: the
-- target may arrive after them. time is a sighting's last_seen
-- (microseconds; 0 when none).
CREATE TABLE score_links (
	target  TEXT    NOT NULL,
	source  TEXT    NOT NULL,
	kind    TEXT    NOT NULL,
	related TEXT    NOT NULL,
	time    INTEGER NOT NULL,
	PRIMARY KEY (target, source)
) STRICT, WITHOUT ROWID;

-- org_reliability is the admin-set reliability of organizations as
-- sources, apart from their profile. grade is A-F or '' for a number.
CREATE TABLE org_reliability (
	org     TEXT    NOT NULL PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
	grade   TEXT    NOT NULL,
	value   INTEGER NOT NULL,
	updated INTEGER NOT NULL
) STRICT;

-- warning_entries are the values of the admin warning lists (package
-- warnlist normalizes them); the built-in lists are in the code.
CREATE TABLE warning_entries (
	list    TEXT    NOT NULL,
	value   TEXT    NOT NULL,
	comment TEXT    NOT NULL,
	added   INTEGER NOT NULL,
	PRIMARY KEY (list, value)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE warning_entries;
DROP TABLE org_reliability;
DROP TABLE score_links;
DROP TRIGGER object_scores_gone;
DROP TABLE object_scores;
