-- +goose Up

-- object_search is the full-text index of the portal's search: a tsvector
-- ("simple" configuration: lower-cased words, no stemming) of the name and
-- description of every stored object version that has one, with a GIN
-- index, so that a search reads the index instead of parsing every stored
-- object. A trigger on objects keeps it, so that every path that stores
-- objects (AddObjects' COPY, tearline migrate's copy) fills it, and the
-- foreign key removes a version's row with the version. This is the one
-- trigger of the schema: a PostgreSQL-compatible database without row
-- triggers would need the adder to insert these rows itself.
CREATE TABLE object_search (
	id      text COLLATE "C" NOT NULL,
	version text COLLATE "C" NOT NULL,
	doc     tsvector NOT NULL,
	PRIMARY KEY (id, version),
	FOREIGN KEY (id, version) REFERENCES objects (id, version) ON DELETE CASCADE
);

CREATE INDEX object_search_doc ON object_search USING gin (doc);

-- object_search_doc returns the tsvector of a stored object's name and
-- description, or NULL when it has neither. Objects that cannot have them
-- are passed over without parsing (no "name" or "description" key in the
-- text), and so is text holding a \u0000 escape, which PostgreSQL's text
-- cannot hold.
-- +goose StatementBegin
CREATE FUNCTION object_search_doc(raw bytea) RETURNS tsvector LANGUAGE plpgsql STABLE AS $$
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

-- +goose StatementBegin
CREATE FUNCTION object_search_add() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d tsvector := object_search_doc(NEW.raw);
BEGIN
	IF d IS NOT NULL THEN
		INSERT INTO object_search (id, version, doc) VALUES (NEW.id, NEW.version, d) ON CONFLICT DO NOTHING;
	END IF;
	RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER object_search_added AFTER INSERT ON objects FOR EACH ROW EXECUTE FUNCTION object_search_add();

INSERT INTO object_search (id, version, doc)
	SELECT id, version, d FROM (SELECT id, version, object_search_doc(raw) AS d FROM objects) o WHERE d IS NOT NULL;

-- +goose Down
DROP TRIGGER object_search_added ON objects;
DROP FUNCTION object_search_add();
DROP FUNCTION object_search_doc(bytea);
DROP TABLE object_search;
