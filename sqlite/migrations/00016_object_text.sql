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

-- object_refs indexes what objects refer to (the portal lists the
-- relationships, sightings, opinions, notes, reports and groupings that
-- name an object): the ids in source_ref, target_ref, sighting_of_ref and
-- object_refs, by the referring version's row key in objects.
CREATE TABLE object_refs (
	ref    TEXT    NOT NULL,
	object INTEGER NOT NULL,
	PRIMARY KEY (ref, object)
) STRICT, WITHOUT ROWID;

CREATE INDEX object_refs_object ON object_refs (object);

INSERT OR IGNORE INTO object_refs (ref, object)
	SELECT r.value, o.pk FROM objects o, json_each(CAST(o.raw AS TEXT), '$.object_refs') r
	WHERE o.type IN ('relationship', 'sighting', 'opinion', 'note', 'report', 'grouping') AND json_valid(CAST(o.raw AS TEXT)) AND r.type = 'text';
INSERT OR IGNORE INTO object_refs (ref, object)
	SELECT json_extract(CAST(o.raw AS TEXT), '$.' || k.name), o.pk
	FROM objects o, (SELECT 'source_ref' AS name UNION ALL SELECT 'target_ref' UNION ALL SELECT 'sighting_of_ref') k
	WHERE o.type IN ('relationship', 'sighting') AND json_valid(CAST(o.raw AS TEXT))
	  AND json_type(CAST(o.raw AS TEXT), '$.' || k.name) = 'text';

-- +goose StatementBegin
CREATE TRIGGER object_refs_added AFTER INSERT ON objects
WHEN NEW.type IN ('relationship', 'sighting', 'opinion', 'note', 'report', 'grouping') AND json_valid(CAST(NEW.raw AS TEXT))
BEGIN
	INSERT OR IGNORE INTO object_refs (ref, object)
		SELECT value, NEW.pk FROM json_each(CAST(NEW.raw AS TEXT), '$.object_refs') WHERE type = 'text';
	INSERT OR IGNORE INTO object_refs (ref, object)
		SELECT json_extract(CAST(NEW.raw AS TEXT), '$.' || k.name), NEW.pk
		FROM (SELECT 'source_ref' AS name UNION ALL SELECT 'target_ref' UNION ALL SELECT 'sighting_of_ref') k
		WHERE json_type(CAST(NEW.raw AS TEXT), '$.' || k.name) = 'text';
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER object_refs_gone AFTER DELETE ON objects BEGIN
	DELETE FROM object_refs WHERE object = OLD.pk;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER object_refs_gone;
DROP TRIGGER object_refs_added;
DROP TABLE object_refs;
DROP TRIGGER object_text_gone;
DROP TRIGGER object_text_added;
DROP TABLE object_text;
