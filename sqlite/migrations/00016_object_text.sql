-- +goose Up

-- object_text is the full-text index of the portal's search: the name and
-- description of every stored object version that has one, keyed by the
-- version's row key in objects. The unicode61 tokenizer folds case and
-- removes diacritics. Triggers keep it in step with objects, so no store
-- code path can forget it.
CREATE VIRTUAL TABLE object_text USING fts5 (name, description, tokenize = 'unicode61 remove_diacritics 2');

INSERT INTO object_text (rowid, name, description)
	SELECT pk, coalesce(json_extract(CAST(raw AS TEXT), '$.name'), ''), coalesce(json_extract(CAST(raw AS TEXT), '$.description'), '')
	FROM objects
	WHERE json_valid(CAST(raw AS TEXT))
	  AND (json_type(CAST(raw AS TEXT), '$.name') = 'text' OR json_type(CAST(raw AS TEXT), '$.description') = 'text');

-- +goose StatementBegin
CREATE TRIGGER object_text_added AFTER INSERT ON objects
WHEN json_valid(CAST(NEW.raw AS TEXT))
 AND (json_type(CAST(NEW.raw AS TEXT), '$.name') = 'text' OR json_type(CAST(NEW.raw AS TEXT), '$.description') = 'text')
BEGIN
	INSERT INTO object_text (rowid, name, description) VALUES (NEW.pk,
		coalesce(json_extract(CAST(NEW.raw AS TEXT), '$.name'), ''),
		coalesce(json_extract(CAST(NEW.raw AS TEXT), '$.description'), ''));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER object_text_gone AFTER DELETE ON objects BEGIN
	DELETE FROM object_text WHERE rowid = OLD.pk;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER object_text_gone;
DROP TRIGGER object_text_added;
DROP TABLE object_text;
