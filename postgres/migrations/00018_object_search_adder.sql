-- +goose Up

-- The adder writes object_search's rows itself, from the text that
-- validation already read, in one statement per batch: the row trigger
-- parsed every new object's JSON again in PL/pgSQL and was 40% of a
-- backend's CPU during ingest. object_search_doc stays for bulk fills
-- (tearline migrate) and for the Down step.
DROP TRIGGER object_search_added ON objects;
DROP FUNCTION object_search_add();

-- +goose Down
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
