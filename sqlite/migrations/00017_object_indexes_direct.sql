-- +goose Up

-- AddObjects writes the rows of the portal's indexes object_text and
-- object_refs itself (sqlite/derived.go): these triggers ran a program,
-- and JSON functions over the raw bytes, for every row inserted into
-- objects, which cost ingest more than writing the rows from Go.
-- Deletions still go through object_text_gone and object_refs_gone.
DROP TRIGGER object_text_added;
DROP TRIGGER object_refs_added;

-- +goose Down
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
