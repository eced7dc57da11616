package sqlite

import (
	"context"
	"database/sql"

	"github.com/tearline/tearline"
)

var _ tearline.Clients = (*DB)(nil)

// SetClient records (on) or removes client as a client of org. ENOTFOUND
// for an unknown organization; EINVALID when they are the same.
func (db *DB) SetClient(ctx context.Context, orgID, clientID string, on bool) (err error) {
	defer wrap(&err, "set %q as client of %q", clientID, orgID)
	if orgID == clientID {
		return tearline.Errorf(tearline.EINVALID, "an organization cannot be its own client")
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		for _, id := range []string{orgID, clientID} {
			if err := orgExists(tx, id); err != nil {
				return err
			}
		}
		q := `INSERT INTO org_clients (org, client) VALUES (?, ?) ON CONFLICT DO NOTHING`
		if !on {
			q = `DELETE FROM org_clients WHERE org = ? AND client = ?`
		}
		_, err := tx.Exec(q, orgID, clientID)
		return err
	})
}

// ClientOf returns the organizations client is a client of, sorted.
func (db *DB) ClientOf(ctx context.Context, clientID string) (_ []string, err error) {
	defer wrap(&err, "list organizations %q is a client of", clientID)
	rows, err := db.r.QueryContext(ctx, `SELECT org FROM org_clients WHERE client = ? ORDER BY org`, clientID)
	if err != nil {
		return nil, err
	}
	return scanColumn[string](rows)
}

// ClientsOf returns the clients of org, sorted.
func (db *DB) ClientsOf(ctx context.Context, orgID string) (_ []string, err error) {
	defer wrap(&err, "list clients of %q", orgID)
	rows, err := db.r.QueryContext(ctx, `SELECT client FROM org_clients WHERE org = ? ORDER BY client`, orgID)
	if err != nil {
		return nil, err
	}
	return scanColumn[string](rows)
}
