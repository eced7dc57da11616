-- +goose Up

-- observables_recent holds the values added to the observable index since
-- the last merge into observables (sqlite/observables.go, recentValues).
-- Value keys are random: a 1,000-object batch inserting its new values
-- into observables itself changed a page of that table for nearly every
-- value, and the commit wrote them all (at 1,000,000 values, some 1,000
-- pages of 16 KiB for 1,000 objects, by the table's size). The few pages
-- of observables_recent take them instead, and a merge, once enough have
-- gathered, changes each page of observables at most once for all of
-- them. Lookups read both tables.
-- observable_next.merged is the next id at the last merge: the values
-- with ids from merged up are the recent ones.
CREATE TABLE observables_recent (
	key BLOB    NOT NULL PRIMARY KEY,
	id  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
ALTER TABLE observable_next ADD COLUMN merged INTEGER NOT NULL DEFAULT 0;
UPDATE observable_next SET merged = next;

-- +goose Down
INSERT INTO observables (key, id) SELECT key, id FROM observables_recent ORDER BY key;
ALTER TABLE observable_next DROP COLUMN merged;
DROP TABLE observables_recent;
