package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

var _ tearline.Reliabilities = (*DB)(nil)

// SetReliability implements tearline.Reliabilities.
func (db *DB) SetReliability(ctx context.Context, r *tearline.Reliability) (err error) {
	defer wrap(&err, "set the reliability of %q", r.OrgID)
	if r.Value < 0 || r.Value > 100 {
		return tearline.Errorf(tearline.EINVALID, "reliability %d is outside 0-100", r.Value)
	}
	switch r.Grade {
	case "", "A", "B", "C", "D", "E", "F":
	default:
		return tearline.Errorf(tearline.EINVALID, "reliability grade %q is not one of A to F", r.Grade)
	}
	updated := now()
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if err := orgExists(ctx, tx, r.OrgID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO org_reliability (org, grade, value, updated) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org) DO UPDATE SET grade = excluded.grade, value = excluded.value, updated = excluded.updated`,
			r.OrgID, r.Grade, r.Value, updated)
		return err
	})
	if err == nil {
		r.Updated = updated
	}
	return err
}

// ClearReliability implements tearline.Reliabilities.
func (db *DB) ClearReliability(ctx context.Context, orgID string) (err error) {
	defer wrap(&err, "clear the reliability of %q", orgID)
	tag, err := db.pool.Exec(ctx, `DELETE FROM org_reliability WHERE org = $1`, orgID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tearline.Errorf(tearline.ENOTFOUND, "organization %s has no reliability set", orgID)
	}
	return nil
}

// Reliabilities implements tearline.Reliabilities.
func (db *DB) Reliabilities(ctx context.Context) (_ []*tearline.Reliability, err error) {
	defer wrap(&err, "list reliabilities")
	rows, err := db.pool.Query(ctx, `SELECT org, grade, value, updated FROM org_reliability ORDER BY org`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Reliability, error) {
		var (
			r       tearline.Reliability
			updated time.Time
		)
		err := row.Scan(&r.OrgID, &r.Grade, &r.Value, &updated)
		r.Updated = updated.UTC()
		return &r, err
	})
}
