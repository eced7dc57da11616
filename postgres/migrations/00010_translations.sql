-- +goose Up

-- translation_requests are organizations' requests for translations of
-- objects (tearline.TranslationRequest); answered is NULL while the
-- request is open.
CREATE TABLE translation_requests (
	id            text COLLATE "C" NOT NULL PRIMARY KEY,
	object        text COLLATE "C" NOT NULL,
	language      text NOT NULL,
	note          text NOT NULL,
	requester_org text COLLATE "C" NOT NULL,
	requester_key text NOT NULL,
	note_id       text NOT NULL,
	state         text NOT NULL,
	created       timestamptz NOT NULL,
	answer        text NOT NULL DEFAULT '',
	answered_by   text NOT NULL DEFAULT '',
	answered      timestamptz
);
CREATE INDEX translation_requests_state ON translation_requests (state, created);

-- +goose Down
DROP TABLE translation_requests;
