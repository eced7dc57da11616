-- +goose Up

-- The full-text index moves to the derived file (derived.db, see
-- textindex.go), which has a writer of its own; its indexer rebuilds it
-- there from the stored objects. The main file keeps what the indexer
-- needs: the row keys of deleted versions whose rows it must remove
-- (text_gone), the highest row key ever deleted (pk_floor), below which
-- no new version gets a row key, so that an index row never names another
-- version, and a random key that ties a derived file to this database.
DROP TRIGGER object_text_gone;
DROP TABLE object_text;
CREATE TABLE text_gone (
	pk INTEGER PRIMARY KEY
) STRICT;
CREATE TABLE pk_floor (
	floor INTEGER NOT NULL
) STRICT;
INSERT INTO pk_floor (floor) VALUES (0);
CREATE TABLE derived_key (
	key BLOB NOT NULL
) STRICT;
INSERT INTO derived_key (key) VALUES (randomblob(16));

-- +goose StatementBegin
CREATE TRIGGER object_text_gone AFTER DELETE ON objects BEGIN
	INSERT OR IGNORE INTO text_gone (pk) VALUES (OLD.pk);
	UPDATE pk_floor SET floor = max(floor, OLD.pk);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER object_text_gone;
DROP TABLE text_gone;
DROP TABLE pk_floor;
DROP TABLE derived_key;
CREATE VIRTUAL TABLE object_text USING fts5 (name, description,
	content = '', contentless_delete = 1, detail = column,
	tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO object_text (rowid, name, description)
	SELECT pk, coalesce(json_extract(CAST(raw AS TEXT), '$.name'), ''), coalesce(json_extract(CAST(raw AS TEXT), '$.description'), '')
	FROM objects
	WHERE json_valid(CAST(raw AS TEXT))
	  AND (json_type(CAST(raw AS TEXT), '$.name') = 'text' OR json_type(CAST(raw AS TEXT), '$.description') = 'text');
-- +goose StatementBegin
CREATE TRIGGER object_text_gone AFTER DELETE ON objects BEGIN
	DELETE FROM object_text WHERE rowid = OLD.pk;
END;
-- +goose StatementEnd
