-- +goose Up

-- submission_objects finds the submissions of a stored object through the
-- row key of one of its versions (object_pk: the latest when the
-- submission was recorded), and by idh only for the rows whose object was
-- not stored (object_pk 0). Object ids are random, so the entries of the
-- index by idh landed all over it, and the commit of a 1,000-object
-- submission rewrote most of its pages: posting 1,000,000 indicators spent
-- a tenth of the process's CPU recording submissions. A new version takes
-- the highest row key, so its entry is appended; a lookup by id goes
-- through the objects' own index of ids.
ALTER TABLE submission_objects ADD COLUMN object_pk INTEGER NOT NULL DEFAULT 0;
UPDATE submission_objects SET object_pk = coalesce((SELECT max(o.pk) FROM objects o
	WHERE o.idh = submission_objects.idh AND o.id = submission_objects.object), 0);
DROP INDEX submission_objects_idh;
CREATE INDEX submission_objects_pk ON submission_objects (object_pk) WHERE object_pk <> 0;
CREATE INDEX submission_objects_unstored ON submission_objects (idh) WHERE object_pk = 0;

-- +goose Down
DROP INDEX submission_objects_unstored;
DROP INDEX submission_objects_pk;
ALTER TABLE submission_objects DROP COLUMN object_pk;
CREATE INDEX submission_objects_idh ON submission_objects (idh);
