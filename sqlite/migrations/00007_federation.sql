-- +goose Up

-- peers are the remote TAXII servers this server federates with. org is
-- the organization of this server that stands for the peer (one peer per
-- organization). The credentials are what this server presents to the
-- peer; the data directory is private to the server (mode 0700).
-- crosswalk is a JSON array of {"remote", "local"} marking-definition ids.
CREATE TABLE peers (
	id        TEXT    NOT NULL PRIMARY KEY,
	name      TEXT    NOT NULL UNIQUE,
	org       TEXT    NOT NULL UNIQUE REFERENCES organizations (id),
	url       TEXT    NOT NULL,
	token     TEXT    NOT NULL,
	username  TEXT    NOT NULL,
	password  TEXT    NOT NULL,
	cert_file TEXT    NOT NULL,
	key_file  TEXT    NOT NULL,
	ca_file   TEXT    NOT NULL,
	ceiling   TEXT    NOT NULL,
	one_way   INTEGER NOT NULL,
	crosswalk TEXT    NOT NULL,
	created   INTEGER NOT NULL -- microseconds since the epoch
) STRICT;

-- peer_links are the pull and push links, each with its durable state:
-- the cursor the next run starts from, the outcome of the last runs and
-- the running totals. interval is in milliseconds; times in microseconds
-- since the epoch, 0 for never.
CREATE TABLE peer_links (
	id                TEXT    NOT NULL PRIMARY KEY,
	peer              TEXT    NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
	direction         TEXT    NOT NULL,
	collection        TEXT    NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	remote_collection TEXT    NOT NULL,
	interval          INTEGER NOT NULL,
	products_only     INTEGER NOT NULL,
	created           INTEGER NOT NULL,
	cursor            TEXT    NOT NULL DEFAULT '',
	last_run          INTEGER NOT NULL DEFAULT 0,
	last_success      INTEGER NOT NULL DEFAULT 0,
	last_error        TEXT    NOT NULL DEFAULT '',
	failures          INTEGER NOT NULL DEFAULT 0,
	objects           INTEGER NOT NULL DEFAULT 0,
	refused           INTEGER NOT NULL DEFAULT 0,
	held              INTEGER NOT NULL DEFAULT 0,
	withheld          INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX peer_links_peer ON peer_links (peer, created);

-- provenance records which peer (and which of its collections, '' for a
-- push by the peer) each object version came from. It is history: it
-- outlives peers, collections and the versions themselves. As in objects,
-- the key starts with idh, the 64-bit FNV-1a hash of the object id, so
-- that the index takes short integer keys; object is compared after it.
CREATE TABLE provenance (
	idh               INTEGER NOT NULL,
	version           TEXT    NOT NULL,
	peer              TEXT    NOT NULL,
	remote_collection TEXT    NOT NULL,
	object            TEXT    NOT NULL,
	added             INTEGER NOT NULL,
	PRIMARY KEY (idh, version, peer, remote_collection, object)
) STRICT, WITHOUT ROWID;

-- held are objects from peers held for review because of markings this
-- server does not know; raw is the object as the peer sent it, last so
-- that listing the other columns never reads its overflow pages.
CREATE TABLE held (
	id                TEXT    NOT NULL PRIMARY KEY,
	peer              TEXT    NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
	link              TEXT    NOT NULL,
	collection        TEXT    NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	remote_collection TEXT    NOT NULL,
	object            TEXT    NOT NULL,
	version           TEXT    NOT NULL,
	reason            TEXT    NOT NULL,
	created           INTEGER NOT NULL,
	raw               BLOB    NOT NULL,
	UNIQUE (peer, collection, object, version)
) STRICT;

CREATE INDEX held_peer ON held (peer, created);

-- +goose Down
DROP TABLE held;
DROP TABLE provenance;
DROP TABLE peer_links;
DROP TABLE peers;
