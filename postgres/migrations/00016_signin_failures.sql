-- +goose Up

-- portal_signin_failures counts failed sign-ins to the portal by key (a
-- client address or a user name), so that the limit holds whichever node
-- a sign-in lands on. A count lasts from its first failure (since) to
-- ends.
CREATE TABLE portal_signin_failures (
	key   text COLLATE "C" NOT NULL PRIMARY KEY,
	n     integer NOT NULL,
	since timestamptz NOT NULL,
	ends  timestamptz NOT NULL
);

CREATE INDEX portal_signin_failures_ends ON portal_signin_failures (ends);

-- +goose Down
DROP TABLE portal_signin_failures;
