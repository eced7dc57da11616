-- +goose Up

-- The change feed. Several nodes write to the database at once, each
-- collection under its own row lock, so a sequence number taken inside
-- AddObjects could commit after a larger one that a reader has already
-- passed. Numbers are therefore given after commit, by one sequencer at a
-- time: AddObjects records its memberships in feed_pending, in its own
-- transaction; a sequencer then locks the feed_head row, moves every
-- committed pending row into feed with the next numbers (in pending id
-- order, which within a collection is date_added order: ids are drawn
-- after the collection's lock is taken), advances the head and commits.
-- Sequencer transactions commit one after another in number order, so a
-- reader's snapshot always holds a prefix of the numbers: nothing can
-- appear later below a number already read. Any node runs the sequencer
-- after each of its adds, and readers run it when rows are pending (a node
-- that failed between the two leaves nothing behind for long).
CREATE TABLE feed_pending (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	collection bigint NOT NULL,
	date_added timestamptz NOT NULL
);

-- feed rows name a membership by (collection, date_added); a row whose
-- membership was deleted no longer joins and readers skip it. time never
-- decreases with seq and strictly increases for rows the sequencer gives.
CREATE TABLE feed (
	seq        bigint PRIMARY KEY,
	time       timestamptz NOT NULL,
	collection bigint NOT NULL,
	date_added timestamptz NOT NULL
);

CREATE INDEX feed_time ON feed (time);

CREATE TABLE feed_head (
	one  integer PRIMARY KEY CHECK (one = 1),
	seq  bigint NOT NULL,
	time timestamptz
);

-- Memberships stored before the feed existed enter it in date_added order.
INSERT INTO feed (seq, time, collection, date_added)
	SELECT row_number() OVER (ORDER BY date_added, collection), date_added, collection, date_added
	FROM collection_objects;
INSERT INTO feed_head (one, seq, time) SELECT 1, coalesce(max(seq), 0), max(time) FROM feed;

-- subscriptions are what organizations asked to receive from the feed;
-- cursor is the last feed seq the webhook has dealt with.
CREATE TABLE subscriptions (
	id             text COLLATE "C" NOT NULL PRIMARY KEY,
	org            text COLLATE "C" NOT NULL REFERENCES organizations (id),
	name           text NOT NULL,
	filter         text NOT NULL,
	webhook_url    text NOT NULL,
	webhook_secret text NOT NULL,
	cursor         bigint NOT NULL,
	created        timestamptz NOT NULL
);

CREATE INDEX subscriptions_org ON subscriptions (org, created);

-- dead_letters are webhook deliveries that failed every attempt, by the
-- feed sequence numbers they covered.
CREATE TABLE dead_letters (
	id           text COLLATE "C" NOT NULL PRIMARY KEY,
	subscription text COLLATE "C" NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
	first_seq    bigint NOT NULL,
	last_seq     bigint NOT NULL,
	objects      integer NOT NULL,
	attempts     integer NOT NULL,
	last_error   text NOT NULL,
	created      timestamptz NOT NULL,
	updated      timestamptz NOT NULL
);

CREATE INDEX dead_letters_subscription ON dead_letters (subscription, created);

-- +goose Down
DROP TABLE dead_letters;
DROP TABLE subscriptions;
DROP TABLE feed_head;
DROP TABLE feed;
DROP TABLE feed_pending;
