-- +goose Up

-- The observable index. observables holds each distinct normalized value
-- once, keyed by its compact encoding (observable.AppendKey: a kind byte,
-- then 4 bytes for an IPv4 address, the binary digest of a hash, a
-- domain packed three characters to two bytes, ...), with a small
-- integer id that the other tables use. Without a rowid the key is the
-- table, so each value costs its key, its id and a few bytes of cell.
CREATE TABLE observables (
	key BLOB    NOT NULL PRIMARY KEY,
	id  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- observable_next holds the next observable id (one row).
CREATE TABLE observable_next (next INTEGER NOT NULL) STRICT;
INSERT INTO observable_next VALUES (1);

-- observable_orgs interns the sources' identity ids; '' is the
-- unattributed source (an operator's import).
CREATE TABLE observable_orgs (
	pk INTEGER PRIMARY KEY,
	id TEXT    NOT NULL UNIQUE
) STRICT;

-- observable_sources is, per value and source, when the source first and
-- last submitted it (seconds since the epoch). New values take increasing
-- ids, so their rows are appended.
CREATE TABLE observable_sources (
	observable INTEGER NOT NULL,
	org        INTEGER NOT NULL,
	first      INTEGER NOT NULL,
	last       INTEGER NOT NULL,
	PRIMARY KEY (observable, org)
) STRICT, WITHOUT ROWID;

-- observable_objects links values to the stored object versions (objects
-- row keys) that carry them, per submitting source. It is clustered by
-- object, which new versions append to and which the trigger below
-- deletes by; observable_objects_value answers lookups.
CREATE TABLE observable_objects (
	object     INTEGER NOT NULL,
	observable INTEGER NOT NULL,
	org        INTEGER NOT NULL,
	PRIMARY KEY (object, observable, org)
) STRICT, WITHOUT ROWID;

CREATE INDEX observable_objects_value ON observable_objects (observable, object);

-- An object version removed from the store takes its links with it, so
-- that a row key reused by a later version never inherits them. The
-- sources' first/last times stay: they record submissions.
-- +goose StatementBegin
CREATE TRIGGER observable_objects_gone AFTER DELETE ON objects BEGIN
	DELETE FROM observable_objects WHERE object = OLD.pk;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER observable_objects_gone;
DROP TABLE observable_objects;
DROP TABLE observable_sources;
DROP TABLE observable_orgs;
DROP TABLE observable_next;
DROP TABLE observables;
