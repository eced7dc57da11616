-- +goose Up

-- portal_users are the people who sign in to the analyst portal (/ui/)
-- with a name and a password; each belongs to one organization with one
-- role, as an API key does. password is an encoded argon2id hash.
CREATE TABLE portal_users (
	name     text COLLATE "C" NOT NULL PRIMARY KEY,
	org      text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	role     text NOT NULL,
	password text NOT NULL,
	created  timestamptz NOT NULL
);

-- portal_sessions are signed-in browser sessions, keyed by the SHA-256 of
-- the session id the cookie holds (the id itself is never stored). A
-- session is a user's (user_name set) or an API key's (key_id set).
CREATE TABLE portal_sessions (
	id_hash   bytea NOT NULL PRIMARY KEY,
	user_name text COLLATE "C" NOT NULL, -- '' for a key's session
	key_id    text COLLATE "C" NOT NULL, -- '' for a user's session
	org       text COLLATE "C" NOT NULL,
	role      text NOT NULL,
	csrf      text NOT NULL,
	since     timestamptz,
	created   timestamptz NOT NULL,
	expires   timestamptz NOT NULL
);

CREATE INDEX portal_sessions_user ON portal_sessions (user_name) WHERE user_name <> '';
CREATE INDEX portal_sessions_expires ON portal_sessions (expires);

-- portal_visits remembers each principal's last visit, for the dashboard's
-- "since your last visit".
CREATE TABLE portal_visits (
	principal text COLLATE "C" NOT NULL PRIMARY KEY,
	last      timestamptz NOT NULL
);

-- +goose Down
DROP TABLE portal_visits;
DROP TABLE portal_sessions;
DROP TABLE portal_users;
