-- +goose Up

-- Object ids are found through object_keys, not an index on objects: the
-- (idh, pk) pairs of the versions stored since the last merge are in
-- object_ids_recent, the others in object_ids (sqlite/objectids.go,
-- recentObjectIDs). Ids are random: a 1,000-object batch inserting into
-- the index objects_idh changed a page of it for nearly every object, and
-- the commit wrote them all; at 100,000 objects that index took a fifth
-- of the pages written to the WAL, and more as the store grew. The few
-- pages of object_ids_recent take those inserts instead, and a merge,
-- once enough have gathered, changes each page of object_ids at most once
-- for all of them. object_ids_merged.upto is the highest row key at the
-- last merge: the versions above it are the recent ones.
CREATE TABLE object_ids (
	idh INTEGER NOT NULL,
	pk  INTEGER NOT NULL,
	PRIMARY KEY (idh, pk)
) STRICT, WITHOUT ROWID;
CREATE TABLE object_ids_recent (
	idh INTEGER NOT NULL,
	pk  INTEGER NOT NULL,
	PRIMARY KEY (idh, pk)
) STRICT, WITHOUT ROWID;
CREATE TABLE object_ids_merged (upto INTEGER NOT NULL) STRICT;
INSERT INTO object_ids (idh, pk) SELECT idh, pk FROM objects ORDER BY idh, pk;
INSERT INTO object_ids_merged (upto) SELECT coalesce(max(pk), 0) FROM objects;
DROP INDEX objects_idh;

-- object_keys is where queries find versions by id hash: both tables.
CREATE VIEW object_keys AS
	SELECT idh, pk FROM object_ids UNION ALL SELECT idh, pk FROM object_ids_recent;

-- AddObjects adds the keys of the versions it stores, a copy from
-- PostgreSQL those it copied (sqlite.FillDerived): a trigger on insert
-- would make SQLite keep a statement journal for every row of objects.
-- A deleted version takes its key with it.
-- +goose StatementBegin
CREATE TRIGGER object_ids_gone AFTER DELETE ON objects BEGIN
	DELETE FROM object_ids_recent WHERE idh = OLD.idh AND pk = OLD.pk;
	DELETE FROM object_ids WHERE idh = OLD.idh AND pk = OLD.pk;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER object_ids_gone;
DROP VIEW object_keys;
CREATE INDEX objects_idh ON objects (idh);
DROP TABLE object_ids_merged;
DROP TABLE object_ids_recent;
DROP TABLE object_ids;
