-- +goose Up

-- portal_signin_failures counts failed sign-ins to the portal by key (a
-- client address or a user name), so that the limit holds across
-- restarts and every process over the data directory. A count lasts
-- from its first failure (since) to ends, microseconds since the epoch.
CREATE TABLE portal_signin_failures (
	key   TEXT    PRIMARY KEY,
	n     INTEGER NOT NULL,
	since INTEGER NOT NULL,
	ends  INTEGER NOT NULL
) STRICT;

CREATE INDEX portal_signin_failures_ends ON portal_signin_failures (ends);

-- +goose Down
DROP TABLE portal_signin_failures;
