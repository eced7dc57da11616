-- +goose Up

-- Requests for a wider release of originator-controlled object versions,
-- decided once by the originator. Times are microseconds since the Unix
-- epoch; decided is 0 while requested.
CREATE TABLE releases (
	id                TEXT PRIMARY KEY,
	object_id         TEXT NOT NULL,
	version           TEXT NOT NULL,
	source_collection TEXT NOT NULL,
	collection        TEXT NOT NULL,
	requester_org     TEXT NOT NULL,
	requester_key     TEXT NOT NULL,
	originator_org    TEXT NOT NULL,
	justification     TEXT NOT NULL,
	status            TEXT NOT NULL,
	decider_key       TEXT NOT NULL DEFAULT '',
	reason            TEXT NOT NULL DEFAULT '',
	created           INTEGER NOT NULL,
	decided           INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX releases_requester ON releases (requester_org, created);
CREATE INDEX releases_originator ON releases (originator_org, created);

-- +goose Down
DROP TABLE releases;
