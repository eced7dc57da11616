-- +goose Up

-- provenance_recent holds the provenance records added since the last
-- merge into provenance (sqlite/provenance.go, recentProvenance). The
-- records are keyed by the hash of their object's id, which is random: a
-- pull storing 1,000 objects changed a page of provenance for nearly
-- every record, and the commit wrote them all (at 1,000,000 records,
-- some 1,000 pages of 16 KiB for 1,000 objects, by the table's size).
-- The few pages of provenance_recent take them instead, and a merge, once
-- enough have gathered, changes each page of provenance at most once for
-- all of them. A record is in one of the two tables, never both; readers
-- read both.
CREATE TABLE provenance_recent (
	idh               INTEGER NOT NULL,
	version           TEXT    NOT NULL,
	peer              TEXT    NOT NULL,
	remote_collection TEXT    NOT NULL,
	object            TEXT    NOT NULL,
	added             INTEGER NOT NULL,
	PRIMARY KEY (idh, version, peer, remote_collection, object)
) STRICT, WITHOUT ROWID;

-- +goose Down
INSERT INTO provenance (idh, version, peer, remote_collection, object, added)
	SELECT idh, version, peer, remote_collection, object, added FROM provenance_recent ORDER BY idh, version, peer, remote_collection, object;
DROP TABLE provenance_recent;
