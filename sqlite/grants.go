package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tearline/tearline"
)

// SetGrant creates or changes an organization's access to a collection, or
// removes it when g has neither Read nor Write. ENOTFOUND for an unknown
// organization or collection (by id), even when removing.
func (db *DB) SetGrant(ctx context.Context, g tearline.Grant) (err error) {
	defer wrap(&err, "set grant of %q on %q", g.OrgID, g.CollectionID)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRow(`SELECT 1 FROM collections WHERE id = ?`, g.CollectionID).Scan(new(int))
		if errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no collection %q", g.CollectionID)
		} else if err != nil {
			return err
		}
		if err := orgExists(tx, g.OrgID); err != nil {
			return err
		}
		if !g.Read && !g.Write {
			_, err = tx.Exec(`DELETE FROM grants WHERE collection = ? AND org = ?`, g.CollectionID, g.OrgID)
			return err
		}
		_, err = tx.Exec(`INSERT INTO grants (collection, org, can_read, can_write) VALUES (?, ?, ?, ?)
			ON CONFLICT (collection, org) DO UPDATE SET can_read = excluded.can_read, can_write = excluded.can_write`,
			g.CollectionID, g.OrgID, g.Read, g.Write)
		return err
	})
}

// Grants returns the grants on a collection, ordered by organization id. An
// unknown collection has no grants.
func (db *DB) Grants(ctx context.Context, collectionID string) (_ []tearline.Grant, err error) {
	defer wrap(&err, "list grants on %q", collectionID)
	rows, err := db.r.QueryContext(ctx, `SELECT collection, org, can_read, can_write
		FROM grants WHERE collection = ? ORDER BY org`, collectionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gs []tearline.Grant
	for rows.Next() {
		var g tearline.Grant
		if err := rows.Scan(&g.CollectionID, &g.OrgID, &g.Read, &g.Write); err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, rows.Err()
}

// OrgGrants returns the grants of an organization by collection id. An
// unknown organization has none; the map is never nil. It is one lookup in
// an index on the organization, cheap enough to call on every request that
// lists or opens collections.
func (db *DB) OrgGrants(ctx context.Context, orgID string) (_ map[string]tearline.Grant, err error) {
	defer wrap(&err, "list grants of %q", orgID)
	rows, err := db.read(ctx, `SELECT collection, org, can_read, can_write
		FROM grants WHERE org = ?`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	gs := make(map[string]tearline.Grant)
	for rows.Next() {
		var g tearline.Grant
		if err := rows.Scan(&g.CollectionID, &g.OrgID, &g.Read, &g.Write); err != nil {
			return nil, err
		}
		gs[g.CollectionID] = g
	}
	return gs, rows.Err()
}
