-- +goose Up

-- The organization profile the access decision reads: clearance is a
-- classification level name ('' for none); communities, contacts and
-- languages are JSON arrays (contacts of objects with name, role, email,
-- phone, hours, languages, pgp_key).
ALTER TABLE organizations ADD COLUMN clearance   TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN communities TEXT NOT NULL DEFAULT '[]';
ALTER TABLE organizations ADD COLUMN contacts    TEXT NOT NULL DEFAULT '[]';
ALTER TABLE organizations ADD COLUMN languages   TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE organizations DROP COLUMN languages;
ALTER TABLE organizations DROP COLUMN contacts;
ALTER TABLE organizations DROP COLUMN communities;
ALTER TABLE organizations DROP COLUMN clearance;
