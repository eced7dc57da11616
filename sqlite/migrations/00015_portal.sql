-- +goose Up

-- portal_users are the people who sign in to the analyst portal (/ui/)
-- with a name and a password; each belongs to one organization with one
-- role, as an API key does. password is an encoded argon2id hash.
CREATE TABLE portal_users (
	name     TEXT    PRIMARY KEY,
	org      TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	role     TEXT    NOT NULL,
	password TEXT    NOT NULL,
	created  INTEGER NOT NULL -- microseconds since the epoch
) STRICT;

-- portal_sessions are signed-in browser sessions, keyed by the SHA-256 of
-- the session id the cookie holds (the id itself is never stored). A
-- session is a user's (user set) or an API key's (key_id set).
CREATE TABLE portal_sessions (
	id_hash BLOB    PRIMARY KEY,
	user    TEXT    NOT NULL, -- "" for a key's session
	key_id  TEXT    NOT NULL, -- "" for a user's session
	org     TEXT    NOT NULL,
	role    TEXT    NOT NULL,
	csrf    TEXT    NOT NULL,
	since   INTEGER NOT NULL,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
) STRICT;

CREATE INDEX portal_sessions_user ON portal_sessions (user) WHERE user <> '';
CREATE INDEX portal_sessions_expires ON portal_sessions (expires);

-- portal_visits remembers each principal's last visit, for the dashboard's
-- "since your last visit".
CREATE TABLE portal_visits (
	principal TEXT    PRIMARY KEY,
	last      INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE portal_visits;
DROP TABLE portal_sessions;
DROP TABLE portal_users;
