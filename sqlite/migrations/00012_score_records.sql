-- +goose Up

-- object_scores keeps, beside the scores that queries read, the rest of a
-- score record as one JSON text (sqlite/scores.go, scoreData): a
-- submission writes a record per object version, and four bound values
-- per row cost a quarter of sixteen. Records are recomputed from the
-- objects and their links when asked for, so the old ones are dropped.
DROP TRIGGER object_scores_gone;
DROP TABLE object_scores;

CREATE TABLE object_scores (
	object     INTEGER PRIMARY KEY,
	confidence INTEGER NOT NULL,
	context    INTEGER NOT NULL,
	record     TEXT    NOT NULL
) STRICT;

-- +goose StatementBegin
CREATE TRIGGER object_scores_gone AFTER DELETE ON objects BEGIN
	DELETE FROM object_scores WHERE object = OLD.pk;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER object_scores_gone;
DROP TABLE object_scores;
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
-- +goose StatementBegin
CREATE TRIGGER object_scores_gone AFTER DELETE ON objects BEGIN
	DELETE FROM object_scores WHERE object = OLD.pk;
END;
-- +goose StatementEnd
