-- +goose Up

-- Federation, as in the sqlite store. peers are the remote TAXII servers
-- this server federates with; org is the organization of this server that
-- stands for the peer (one peer per organization). The credentials are
-- what this server presents to the peer: the database must be as private
-- as the sqlite data directory. crosswalk is a JSON array of
-- {"remote", "local"} marking-definition ids, kept as written.
CREATE TABLE peers (
	id        text COLLATE "C" NOT NULL PRIMARY KEY,
	name      text COLLATE "C" NOT NULL UNIQUE,
	org       text COLLATE "C" NOT NULL UNIQUE REFERENCES organizations (id),
	url       text NOT NULL,
	token     text NOT NULL,
	username  text NOT NULL,
	password  text NOT NULL,
	cert_file text NOT NULL,
	key_file  text NOT NULL,
	ca_file   text NOT NULL,
	ceiling   text NOT NULL,
	one_way   boolean NOT NULL,
	crosswalk text NOT NULL,
	created   timestamptz NOT NULL
);

-- peer_links are the pull and push links, each with its durable state:
-- the cursor the next run starts from, the outcome of the last runs and
-- the running totals. interval is in milliseconds; last_run and
-- last_success are NULL before the first run.
CREATE TABLE peer_links (
	id                text COLLATE "C" NOT NULL PRIMARY KEY,
	peer              text COLLATE "C" NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
	direction         text NOT NULL,
	collection        text COLLATE "C" NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	remote_collection text NOT NULL,
	interval_ms       bigint NOT NULL,
	products_only     boolean NOT NULL,
	created           timestamptz NOT NULL,
	cursor            text NOT NULL DEFAULT '',
	last_run          timestamptz,
	last_success      timestamptz,
	last_error        text NOT NULL DEFAULT '',
	failures          integer NOT NULL DEFAULT 0,
	objects           bigint NOT NULL DEFAULT 0,
	refused           bigint NOT NULL DEFAULT 0,
	held              bigint NOT NULL DEFAULT 0,
	withheld          bigint NOT NULL DEFAULT 0
);

CREATE INDEX peer_links_peer ON peer_links (peer, created);
CREATE INDEX peer_links_collection ON peer_links (collection);

-- provenance records which peer (and which of its collections, '' for a
-- push by the peer) each object version came from. It is history: it
-- outlives peers, collections and the versions themselves, so it has no
-- foreign keys.
CREATE TABLE provenance (
	object            text COLLATE "C" NOT NULL,
	version           text COLLATE "C" NOT NULL,
	peer              text COLLATE "C" NOT NULL,
	remote_collection text COLLATE "C" NOT NULL,
	added             timestamptz NOT NULL,
	PRIMARY KEY (object, version, peer, remote_collection)
);

-- held are objects from peers held for review because of markings this
-- server does not know; raw is the object as the peer sent it.
CREATE TABLE held (
	id                text COLLATE "C" NOT NULL PRIMARY KEY,
	peer              text COLLATE "C" NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
	link              text COLLATE "C" NOT NULL,
	collection        text COLLATE "C" NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	remote_collection text NOT NULL,
	object            text COLLATE "C" NOT NULL,
	version           text COLLATE "C" NOT NULL,
	reason            text NOT NULL,
	created           timestamptz NOT NULL,
	raw               bytea NOT NULL,
	UNIQUE (peer, collection, object, version)
);

CREATE INDEX held_peer ON held (peer, created);
CREATE INDEX held_collection ON held (collection);

-- +goose Down
DROP TABLE held;
DROP TABLE provenance;
DROP TABLE peer_links;
DROP TABLE peers;
