-- +goose Up

-- object_text, the portal's full-text index, keeps neither a copy of the
-- text (content = '': the name and description are in objects.raw;
-- contentless_delete lets object_text_gone delete rows) nor where in a
-- column each word is (detail = column: the portal's search asks for words
-- and prefixes in any order, never for phrases or NEAR, and ranks by bm25
-- over columns). Writing the index costs about half as much, and the
-- single writer is what bounds ingest.
DROP TABLE object_text;
CREATE VIRTUAL TABLE object_text USING fts5 (name, description,
	content = '', contentless_delete = 1, detail = column,
	tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO object_text (rowid, name, description)
	SELECT pk, coalesce(json_extract(CAST(raw AS TEXT), '$.name'), ''), coalesce(json_extract(CAST(raw AS TEXT), '$.description'), '')
	FROM objects
	WHERE json_valid(CAST(raw AS TEXT))
	  AND (json_type(CAST(raw AS TEXT), '$.name') = 'text' OR json_type(CAST(raw AS TEXT), '$.description') = 'text');

-- +goose Down
DROP TABLE object_text;
CREATE VIRTUAL TABLE object_text USING fts5 (name, description, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO object_text (rowid, name, description)
	SELECT pk, coalesce(json_extract(CAST(raw AS TEXT), '$.name'), ''), coalesce(json_extract(CAST(raw AS TEXT), '$.description'), '')
	FROM objects
	WHERE json_valid(CAST(raw AS TEXT))
	  AND (json_type(CAST(raw AS TEXT), '$.name') = 'text' OR json_type(CAST(raw AS TEXT), '$.description') = 'text');
