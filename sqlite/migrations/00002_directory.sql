-- +goose Up

-- organizations are the participants. id is the id of the STIX identity that
-- stands for the organization. The directory is small, so the tables below
-- refer to it by that text id rather than by an integer row key.
CREATE TABLE organizations (
	id      TEXT    NOT NULL PRIMARY KEY,
	name    TEXT    NOT NULL UNIQUE,
	type    TEXT    NOT NULL,
	country TEXT    NOT NULL, -- ISO 3166-1 alpha-2 or ''
	sectors TEXT    NOT NULL, -- JSON array of strings
	created INTEGER NOT NULL  -- microseconds since the epoch
) STRICT;

-- api_keys are the API tokens of organizations: id is the public part of a
-- token, hash the hash of its secret. revoked is NULL while the key is valid.
CREATE TABLE api_keys (
	id          TEXT    NOT NULL PRIMARY KEY,
	org         TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	role        TEXT    NOT NULL,
	description TEXT    NOT NULL,
	hash        BLOB    NOT NULL,
	created     INTEGER NOT NULL, -- microseconds since the epoch
	revoked     INTEGER           -- microseconds since the epoch; NULL while valid
) STRICT;

CREATE INDEX api_keys_org ON api_keys (org, created);

-- certificates bind TLS client certificates, by the lower-case hex SHA-256
-- of their DER encoding, to organizations.
CREATE TABLE certificates (
	fingerprint TEXT    NOT NULL PRIMARY KEY,
	org         TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	role        TEXT    NOT NULL,
	subject     TEXT    NOT NULL,
	created     INTEGER NOT NULL -- microseconds since the epoch
) STRICT;

CREATE INDEX certificates_org ON certificates (org);

-- grants give organizations access to collections. A grant with neither
-- right is deleted rather than stored. grants_org answers "which collections
-- may this organization read" without scanning.
CREATE TABLE grants (
	collection TEXT    NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	org        TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	can_read   INTEGER NOT NULL,
	can_write  INTEGER NOT NULL,
	PRIMARY KEY (collection, org)
) STRICT, WITHOUT ROWID;

CREATE INDEX grants_org ON grants (org, collection);

-- statuses are the TAXII status resources of submissions. They are records:
-- they outlive the collection and the organization they name, so they have
-- no foreign keys, and they expire by request_time. details is a JSON object
-- {"successes": [...], "failures": [...], "pendings": [...]}. body holds the
-- submitted envelope until the submission is processed, then NULL; it is
-- last so that reading the other columns never walks its overflow pages.
CREATE TABLE statuses (
	id           TEXT    NOT NULL PRIMARY KEY,
	api_root     TEXT    NOT NULL,
	collection   TEXT    NOT NULL,
	org          TEXT    NOT NULL,
	status       TEXT    NOT NULL,
	request_time INTEGER NOT NULL, -- microseconds since the epoch
	total_count  INTEGER NOT NULL,
	details      TEXT    NOT NULL,
	body         BLOB
) STRICT;

CREATE INDEX statuses_request_time ON statuses (request_time);
CREATE INDEX statuses_pending ON statuses (request_time, id) WHERE body IS NOT NULL;

-- +goose Down
DROP TABLE statuses;
DROP TABLE grants;
DROP TABLE certificates;
DROP TABLE api_keys;
DROP TABLE organizations;
