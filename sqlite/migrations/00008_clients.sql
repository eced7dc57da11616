-- +goose Up

-- org_clients records which organizations are clients of which (TLP:AMBER
-- may go to a recipient's clients).
CREATE TABLE org_clients (
	org    TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	client TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	PRIMARY KEY (org, client)
) STRICT, WITHOUT ROWID;

CREATE INDEX org_clients_client ON org_clients (client, org);

-- +goose Down
DROP TABLE org_clients;
