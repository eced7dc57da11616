-- +goose Up

-- A submission's objects are the rows of submission_objects whose rowids
-- run from objects_first to objects_last (0 and 0 for none), in idx
-- order: RecordSubmission writes them one after the other in its
-- transaction. The range replaces the index keyed by the submission's
-- text id, which cost the single writer a B-tree insert of some 50 bytes
-- per submitted object. The table is rewritten in (submission, idx) order
-- first, so that every submission's rows are contiguous whatever wrote
-- them (a copy from PostgreSQL wrote them in no particular order).
ALTER TABLE submissions ADD COLUMN objects_first INTEGER NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN objects_last INTEGER NOT NULL DEFAULT 0;
CREATE TABLE submission_objects_ordered (
	submission TEXT    NOT NULL,
	idx        INTEGER NOT NULL,
	object     TEXT    NOT NULL,
	idh        INTEGER NOT NULL
) STRICT;
INSERT INTO submission_objects_ordered (submission, idx, object, idh)
	SELECT submission, idx, object, idh FROM submission_objects ORDER BY submission, idx;
DROP TABLE submission_objects;
ALTER TABLE submission_objects_ordered RENAME TO submission_objects;
CREATE INDEX submission_objects_idh ON submission_objects (idh);
UPDATE submissions SET objects_first = r.f, objects_last = r.l
	FROM (SELECT submission, min(rowid) AS f, max(rowid) AS l FROM submission_objects GROUP BY submission) AS r
	WHERE r.submission = submissions.id;

-- +goose Down
CREATE UNIQUE INDEX submission_objects_key ON submission_objects (submission, idx);
ALTER TABLE submissions DROP COLUMN objects_last;
ALTER TABLE submissions DROP COLUMN objects_first;
