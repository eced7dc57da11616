-- +goose Up

-- Tear-line products: objects derived from marked ones at a lower marking,
-- drafts until a second analyst approves or rejects them. Times are
-- microseconds since the Unix epoch; decided is 0 for a draft.
CREATE TABLE products (
	id              TEXT PRIMARY KEY,
	source_id       TEXT NOT NULL,
	source_version  TEXT NOT NULL,
	collection      TEXT NOT NULL,
	raw             BLOB NOT NULL,
	author_org      TEXT NOT NULL,
	author_key      TEXT NOT NULL,
	status          TEXT NOT NULL,
	approver_key    TEXT NOT NULL DEFAULT '',
	relationship_id TEXT NOT NULL DEFAULT '',
	created         INTEGER NOT NULL,
	decided         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX products_collection_status ON products (collection, status, created);

-- +goose Down
DROP TABLE products;
