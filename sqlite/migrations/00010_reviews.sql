-- +goose Up

-- collection_pii is the privacy policy of a collection (tearline.PIIPolicy);
-- a collection without a row has the policy "none".
CREATE TABLE collection_pii (
	collection       INTEGER PRIMARY KEY REFERENCES collections (pk) ON DELETE CASCADE,
	action           TEXT    NOT NULL,
	flag_identifiers INTEGER NOT NULL
) STRICT;

-- reviews is the review queue: objects held by a review policy, kept with
-- their decision as records (they outlive the collection and the
-- submission status they name). hold_key makes holding idempotent: the
-- status id and index of a TAXII submission, else the collection, object
-- id, version and digest. findings is a JSON array of tearline.PIIFinding.
-- Times are microseconds since the epoch; decided and finished are 0
-- until they happen.
CREATE TABLE reviews (
	id            TEXT    PRIMARY KEY,
	hold_key      TEXT    NOT NULL UNIQUE,
	collection    TEXT    NOT NULL,
	status_id     TEXT    NOT NULL,
	idx           INTEGER NOT NULL,
	object_id     TEXT    NOT NULL,
	version       TEXT    NOT NULL,
	raw           BLOB    NOT NULL,
	digest        BLOB    NOT NULL,
	findings      TEXT    NOT NULL,
	submitter_org TEXT    NOT NULL,
	submitter_key TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	decision      TEXT    NOT NULL DEFAULT '',
	approved      BLOB,
	reason        TEXT    NOT NULL DEFAULT '',
	decider_key   TEXT    NOT NULL DEFAULT '',
	created       INTEGER NOT NULL,
	decided       INTEGER NOT NULL DEFAULT 0,
	finished      INTEGER NOT NULL DEFAULT 0,
	stored        INTEGER NOT NULL DEFAULT 0,
	result        TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX reviews_collection ON reviews (collection, status, created);
CREATE INDEX reviews_status_id ON reviews (status_id) WHERE status_id <> '';

-- submission_keys records the API key of a TAXII submission processed in
-- the background, whose status does not name it.
CREATE TABLE submission_keys (
	status_id TEXT    PRIMARY KEY,
	key_id    TEXT    NOT NULL,
	created   INTEGER NOT NULL
) STRICT;

CREATE INDEX submission_keys_created ON submission_keys (created);

-- +goose Down
DROP TABLE submission_keys;
DROP TABLE reviews;
DROP TABLE collection_pii;
