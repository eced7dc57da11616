-- +goose Up

-- collections are the TAXII collections. last_added is the highest
-- date_added ever assigned in the collection (microseconds since the epoch);
-- AddObjects assigns max(now, last_added+1) so date_added is unique and
-- strictly increasing within a collection.
CREATE TABLE collections (
	pk          INTEGER PRIMARY KEY,
	id          TEXT    NOT NULL UNIQUE,
	alias       TEXT    NOT NULL UNIQUE,
	title       TEXT    NOT NULL,
	description TEXT    NOT NULL,
	media_types TEXT    NOT NULL, -- JSON array of strings
	api_root    TEXT    NOT NULL, -- "" for the default API root
	created     INTEGER NOT NULL, -- microseconds since the epoch
	last_added  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- objects holds every version of every object once, whatever the number of
-- collections it is in. version is tearline.VersionLayout text, so it orders
-- lexically; hash is the SHA-256 of raw, to tell a duplicate from a conflict
-- without comparing the bytes. raw is last so that reading the other columns
-- never walks its overflow pages.
--
-- Ids are random (UUIDs): an index keyed by id takes its inserts all over
-- its pages, and a commit writes one page per new entry until it has
-- written them all, a cost that grows with the store. So ids are indexed by
-- idh, a 64-bit FNV-1a hash of the id, whose entries are a sixth of the
-- size of (id, version) ones; queries compare id after idh. (id, version) is
-- unique by construction: the single writer adds a version only after
-- looking up the stored versions of its id.
CREATE TABLE objects (
	pk           INTEGER PRIMARY KEY,
	idh          INTEGER NOT NULL,
	id           TEXT    NOT NULL,
	version      TEXT    NOT NULL,
	type         TEXT    NOT NULL,
	spec_version TEXT    NOT NULL,
	created      TEXT,              -- VersionLayout; NULL when absent
	revoked      INTEGER NOT NULL,
	hash         BLOB    NOT NULL,
	raw          BLOB    NOT NULL
) STRICT;

CREATE INDEX objects_idh ON objects (idh);

-- collection_objects is the membership of object versions in collections,
-- clustered by (collection, date_added), the order of every TAXII listing.
-- id, type, spec_version and version are copied from objects so that filters
-- are answered from this table. is_first and is_last flag the earliest and
-- the latest version of the id within the collection. object is the row key
-- of the version in objects. It has no foreign key: the code deletes an
-- object version only once no membership names it. A version is found in a
-- collection by that row key, not by id: the key grows with each new
-- version, so collection_objects_object is appended to, unlike an index
-- keyed by id (see objects).
CREATE TABLE collection_objects (
	collection   INTEGER NOT NULL REFERENCES collections (pk) ON DELETE CASCADE,
	date_added   INTEGER NOT NULL, -- microseconds since the epoch
	object       INTEGER NOT NULL,
	id           TEXT    NOT NULL,
	type         TEXT    NOT NULL,
	spec_version TEXT    NOT NULL,
	version      TEXT    NOT NULL,
	is_first     INTEGER NOT NULL,
	is_last      INTEGER NOT NULL,
	PRIMARY KEY (collection, date_added)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX collection_objects_object ON collection_objects (object, collection);
CREATE INDEX collection_objects_type ON collection_objects (collection, type, date_added);
CREATE INDEX collection_objects_last ON collection_objects (collection, date_added) WHERE is_last = 1;
CREATE INDEX collection_objects_first ON collection_objects (collection, date_added) WHERE is_first = 1;

-- +goose Down
DROP TABLE collection_objects;
DROP TABLE objects;
DROP TABLE collections;
