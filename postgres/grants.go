package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

// SetGrant creates or changes an organization's access to a collection, or
// removes it when g has neither Read nor Write. ENOTFOUND for an unknown
// organization or collection (by id), even when removing.
func (db *DB) SetGrant(ctx context.Context, g tearline.Grant) (err error) {
	defer wrap(&err, "set grant of %q on %q", g.OrgID, g.CollectionID)
	return db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT 1 FROM collections WHERE id = $1`, g.CollectionID).Scan(new(int))
		if errors.Is(err, pgx.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no collection %q", g.CollectionID)
		} else if err != nil {
			return err
		}
		if err := orgExists(ctx, tx, g.OrgID); err != nil {
			return err
		}
		if !g.Read && !g.Write {
			_, err = tx.Exec(ctx, `DELETE FROM grants WHERE collection = $1 AND org = $2`, g.CollectionID, g.OrgID)
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO grants (collection, org, can_read, can_write) VALUES ($1, $2, $3, $4)
			ON CONFLICT (collection, org) DO UPDATE SET can_read = excluded.can_read, can_write = excluded.can_write`,
			g.CollectionID, g.OrgID, g.Read, g.Write)
		return err
	})
}

// Grants returns the grants on a collection, ordered by organization id. An
// unknown collection has no grants.
func (db *DB) Grants(ctx context.Context, collectionID string) (_ []tearline.Grant, err error) {
	defer wrap(&err, "list grants on %q", collectionID)
	rows, err := db.pool.Query(ctx, `SELECT collection, org, can_read, can_write
		FROM grants WHERE collection = $1 ORDER BY org`, collectionID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanGrant)
}

// OrgGrants returns the grants of an organization by collection id. An
// unknown organization has none; the map is never nil.
func (db *DB) OrgGrants(ctx context.Context, orgID string) (_ map[string]tearline.Grant, err error) {
	defer wrap(&err, "list grants of %q", orgID)
	rows, err := db.pool.Query(ctx, `SELECT collection, org, can_read, can_write FROM grants WHERE org = $1`, orgID)
	if err != nil {
		return nil, err
	}
	gs, err := collect(rows, scanGrant)
	if err != nil {
		return nil, err
	}
	m := make(map[string]tearline.Grant, len(gs))
	for _, g := range gs {
		m[g.CollectionID] = g
	}
	return m, nil
}

// scanGrant reads a row of collection, org, can_read and can_write.
func scanGrant(row pgx.CollectableRow) (tearline.Grant, error) {
	var g tearline.Grant
	err := row.Scan(&g.CollectionID, &g.OrgID, &g.Read, &g.Write)
	return g, err
}
