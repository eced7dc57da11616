-- +goose Up

-- A name or description holding U+0000 (the JSON escape \u0000), which
-- PostgreSQL's text cannot hold, is indexed with a space in its place, as
-- the SQLite store's tokenizer reads it, instead of not at all. The adder
-- does the same in Go (postgres/add.go, addSearch). The versions passed
-- over before are indexed here; only they hold the escape.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION object_search_doc(raw bytea) RETURNS tsvector LANGUAGE plpgsql STABLE AS $$
DECLARE
	t text := convert_from(raw, 'UTF8');
	j jsonb;
	name text;
	description text;
BEGIN
	IF strpos(t, '"name"') = 0 AND strpos(t, '"description"') = 0 THEN
		RETURN NULL;
	END IF;
	j := replace(t, '\u0000', '\u0020')::jsonb;
	IF jsonb_typeof(j->'name') = 'string' THEN
		name := j->>'name';
	END IF;
	IF jsonb_typeof(j->'description') = 'string' THEN
		description := j->>'description';
	END IF;
	IF name IS NULL AND description IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, ''));
END;
$$;
-- +goose StatementEnd

INSERT INTO object_search (id, version, doc)
	SELECT id, version, d FROM (SELECT id, version, object_search_doc(raw) AS d FROM objects
		WHERE position(convert_to('\u0000', 'UTF8') IN raw) > 0) o
	WHERE d IS NOT NULL
	ON CONFLICT DO NOTHING;

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION object_search_doc(raw bytea) RETURNS tsvector LANGUAGE plpgsql STABLE AS $$
DECLARE
	t text := convert_from(raw, 'UTF8');
	j jsonb;
	name text;
	description text;
BEGIN
	IF strpos(t, '"name"') = 0 AND strpos(t, '"description"') = 0 OR strpos(t, '\u0000') > 0 THEN
		RETURN NULL;
	END IF;
	j := t::jsonb;
	IF jsonb_typeof(j->'name') = 'string' THEN
		name := j->>'name';
	END IF;
	IF jsonb_typeof(j->'description') = 'string' THEN
		description := j->>'description';
	END IF;
	IF name IS NULL AND description IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, ''));
END;
$$;
-- +goose StatementEnd
DELETE FROM object_search s USING objects o
	WHERE o.id = s.id AND o.version = s.version AND position(convert_to('\u0000', 'UTF8') IN o.raw) > 0;
