-- +goose Up

-- A feed row is a run of n entries: entry k (0 <= k < n) has sequence
-- number seq + k and time time + k, and names the membership added to
-- the collection at date_added + k. AddObjects assigns a batch's
-- date_added values and times one microsecond apart, so one row holds a
-- whole batch rather than one row (and two index entries) per object.
-- The rows written before are runs of one.
ALTER TABLE feed ADD COLUMN n INTEGER NOT NULL DEFAULT 1 CHECK (n >= 1);

-- +goose Down
CREATE TABLE feed_entries (
	seq        INTEGER PRIMARY KEY,
	time       INTEGER NOT NULL,
	collection INTEGER NOT NULL REFERENCES collections (pk) ON DELETE CASCADE,
	date_added INTEGER NOT NULL
) STRICT;
INSERT INTO feed_entries (seq, time, collection, date_added)
	WITH RECURSIVE e (seq, time, collection, date_added, left) AS (
		SELECT seq, time, collection, date_added, n - 1 FROM feed
		UNION ALL
		SELECT seq + 1, time + 1, collection, date_added + 1, left - 1 FROM e WHERE left > 0)
	SELECT seq, time, collection, date_added FROM e;
DROP TABLE feed;
ALTER TABLE feed_entries RENAME TO feed;
CREATE INDEX feed_collection ON feed (collection, date_added);
CREATE INDEX feed_time ON feed (time);
