-- +goose Up

-- feed is the change feed: one row per object version added to a
-- collection, appended by AddObjects in the transaction that adds the
-- membership, which (collection, date_added) names. The single writer
-- assigns seq from feed_head, so commit order is seq order and a number is
-- never given twice, even after the rows holding the highest ones were
-- deleted; time is max(now, last time + 1), in microseconds since the
-- epoch. A row whose membership was deleted no longer joins and readers
-- skip it; deleting the collection deletes its rows.
CREATE TABLE feed (
	seq        INTEGER PRIMARY KEY,
	time       INTEGER NOT NULL,
	collection INTEGER NOT NULL REFERENCES collections (pk) ON DELETE CASCADE,
	date_added INTEGER NOT NULL
) STRICT;

CREATE INDEX feed_collection ON feed (collection, date_added);
CREATE INDEX feed_time ON feed (time);

-- feed_head is the last sequence number and time assigned.
CREATE TABLE feed_head (
	one  INTEGER PRIMARY KEY CHECK (one = 1),
	seq  INTEGER NOT NULL,
	time INTEGER NOT NULL
) STRICT;

-- Memberships stored before the feed existed enter it in date_added order.
INSERT INTO feed (seq, time, collection, date_added)
	SELECT row_number() OVER (ORDER BY date_added, collection), date_added, collection, date_added
	FROM collection_objects;
INSERT INTO feed_head (one, seq, time)
	SELECT 1, coalesce(max(seq), 0), coalesce(max(time), 0) FROM feed;

-- subscriptions are what organizations asked to receive from the feed.
-- filter is the JSON text of the filter; cursor is the last feed seq the
-- webhook has dealt with. Times are microseconds since the epoch.
CREATE TABLE subscriptions (
	id             TEXT    NOT NULL PRIMARY KEY,
	org            TEXT    NOT NULL REFERENCES organizations (id),
	name           TEXT    NOT NULL,
	filter         TEXT    NOT NULL,
	webhook_url    TEXT    NOT NULL,
	webhook_secret TEXT    NOT NULL,
	cursor         INTEGER NOT NULL,
	created        INTEGER NOT NULL
) STRICT;

CREATE INDEX subscriptions_org ON subscriptions (org, created);

-- dead_letters are webhook deliveries that failed every attempt, by the
-- feed sequence numbers they covered.
CREATE TABLE dead_letters (
	id           TEXT    NOT NULL PRIMARY KEY,
	subscription TEXT    NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
	first_seq    INTEGER NOT NULL,
	last_seq     INTEGER NOT NULL,
	objects      INTEGER NOT NULL,
	attempts     INTEGER NOT NULL,
	last_error   TEXT    NOT NULL,
	created      INTEGER NOT NULL,
	updated      INTEGER NOT NULL
) STRICT;

CREATE INDEX dead_letters_subscription ON dead_letters (subscription, created);

-- +goose Down
DROP TABLE dead_letters;
DROP TABLE subscriptions;
DROP TABLE feed_head;
DROP TABLE feed;
