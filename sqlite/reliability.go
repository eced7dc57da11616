package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/tearline/tearline"
)

var _ tearline.Reliabilities = (*DB)(nil)

// checkReliability returns EINVALID for a value outside 0-100 or a grade
// other than A-F.
func checkReliability(r *tearline.Reliability) error {
	if r.Value < 0 || r.Value > 100 {
		return tearline.Errorf(tearline.EINVALID, "reliability %d is outside 0-100", r.Value)
	}
	switch r.Grade {
	case "", "A", "B", "C", "D", "E", "F":
		return nil
	}
	return tearline.Errorf(tearline.EINVALID, "reliability grade %q is not one of A to F", r.Grade)
}

// SetReliability implements tearline.Reliabilities.
func (db *DB) SetReliability(ctx context.Context, r *tearline.Reliability) (err error) {
	defer wrap(&err, "set the reliability of %q", r.OrgID)
	if err := checkReliability(r); err != nil {
		return err
	}
	updated := time.Now().UTC().Truncate(time.Microsecond)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := orgExists(tx, r.OrgID); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO org_reliability (org, grade, value, updated) VALUES (?, ?, ?, ?)
			ON CONFLICT (org) DO UPDATE SET grade = excluded.grade, value = excluded.value, updated = excluded.updated`,
			r.OrgID, r.Grade, r.Value, micros(updated))
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
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM org_reliability WHERE org = ?`, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "organization %s has no reliability set", orgID)
		}
		return nil
	})
}

// Reliabilities implements tearline.Reliabilities.
func (db *DB) Reliabilities(ctx context.Context) (_ []*tearline.Reliability, err error) {
	defer wrap(&err, "list reliabilities")
	rows, err := db.r.QueryContext(ctx, `SELECT org, grade, value, updated FROM org_reliability ORDER BY org`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*tearline.Reliability
	for rows.Next() {
		var (
			r       tearline.Reliability
			updated int64
		)
		if err := rows.Scan(&r.OrgID, &r.Grade, &r.Value, &updated); err != nil {
			return nil, err
		}
		r.Updated = fromMicros(updated)
		out = append(out, &r)
	}
	return out, rows.Err()
}
