-- +goose Up

-- translation_requests are organizations' requests for translations of
-- objects (tearline.TranslationRequest). Times are microseconds since the
-- epoch; answered is 0 while the request is open.
CREATE TABLE translation_requests (
	id            TEXT    PRIMARY KEY,
	object        TEXT    NOT NULL,
	language      TEXT    NOT NULL,
	note          TEXT    NOT NULL,
	requester_org TEXT    NOT NULL,
	requester_key TEXT    NOT NULL,
	note_id       TEXT    NOT NULL,
	state         TEXT    NOT NULL,
	created       INTEGER NOT NULL,
	answer        TEXT    NOT NULL DEFAULT '',
	answered_by   TEXT    NOT NULL DEFAULT '',
	answered      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX translation_requests_state ON translation_requests (state, created);

-- +goose Down
DROP TABLE translation_requests;
