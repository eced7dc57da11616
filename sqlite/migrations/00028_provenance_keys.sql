-- +goose Up

-- provenance was keyed by the hash of its object's id, which is random: a
-- pull storing 1,000 objects changed a page of it for nearly every record
-- (rows of some 180 bytes), and the commit wrote them all; at 1,000,000
-- records recording provenance took a sixth of the pull's CPU. Its rows
-- are now appended in the order they are recorded (seq), and found by id
-- hash through two narrow tables as object versions are (migration 27):
-- provenance_keys_recent holds the (idh, seq) keys recorded since the
-- last merge, provenance_keys the others (sqlite/provenance.go,
-- recentProvenance). The view provenance_by_id reads both.
CREATE TABLE provenance_rows (
	seq               INTEGER PRIMARY KEY,
	idh               INTEGER NOT NULL,
	version           TEXT    NOT NULL,
	peer              TEXT    NOT NULL,
	remote_collection TEXT    NOT NULL,
	object            TEXT    NOT NULL,
	added             INTEGER NOT NULL
) STRICT;
INSERT INTO provenance_rows (idh, version, peer, remote_collection, object, added)
	SELECT idh, version, peer, remote_collection, object, added FROM provenance ORDER BY added, idh, version, peer, remote_collection, object;
DROP TABLE provenance;
ALTER TABLE provenance_rows RENAME TO provenance;
CREATE TABLE provenance_keys (
	idh INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (idh, seq)
) STRICT, WITHOUT ROWID;
CREATE TABLE provenance_keys_recent (
	idh INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	PRIMARY KEY (idh, seq)
) STRICT, WITHOUT ROWID;
INSERT INTO provenance_keys (idh, seq) SELECT idh, seq FROM provenance ORDER BY idh, seq;
CREATE VIEW provenance_by_id AS
	SELECT idh, seq FROM provenance_keys UNION ALL SELECT idh, seq FROM provenance_keys_recent;

-- +goose Down
DROP VIEW provenance_by_id;
CREATE TABLE provenance_keyed (
	idh               INTEGER NOT NULL,
	version           TEXT    NOT NULL,
	peer              TEXT    NOT NULL,
	remote_collection TEXT    NOT NULL,
	object            TEXT    NOT NULL,
	added             INTEGER NOT NULL,
	PRIMARY KEY (idh, version, peer, remote_collection, object)
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO provenance_keyed (idh, version, peer, remote_collection, object, added)
	SELECT idh, version, peer, remote_collection, object, added FROM provenance ORDER BY seq;
DROP TABLE provenance_keys_recent;
DROP TABLE provenance_keys;
DROP TABLE provenance;
ALTER TABLE provenance_keyed RENAME TO provenance;
