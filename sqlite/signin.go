package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/tearline/tearline"
)

var _ tearline.SignInFailures = (*DB)(nil)

// FailSignIn implements tearline.SignInFailures.
func (db *DB) FailSignIn(ctx context.Context, keys []string, t time.Time, window time.Duration) (err error) {
	defer wrap(&err, "count a failed sign-in")
	now, ends := micros(t), micros(t.Add(window))
	keys = slices.Compact(slices.Sorted(slices.Values(keys))) // a key given twice counts once
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			// An ended count starts again at one.
			if _, err := tx.Exec(`INSERT INTO portal_signin_failures (key, n, since, ends) VALUES (?, 1, ?, ?)
				ON CONFLICT (key) DO UPDATE SET
					n = CASE WHEN ends <= excluded.since THEN 1 ELSE n + 1 END,
					since = CASE WHEN ends <= excluded.since THEN excluded.since ELSE since END,
					ends = CASE WHEN ends <= excluded.since THEN excluded.ends ELSE ends END`, k, now, ends); err != nil {
				return err
			}
		}
		return nil
	})
}

// SignInFailures implements tearline.SignInFailures.
func (db *DB) SignInFailures(ctx context.Context, keys []string, t time.Time) (n int, err error) {
	defer wrap(&err, "read failed sign-ins")
	if len(keys) == 0 {
		return 0, nil
	}
	args := []any{micros(t)}
	for _, k := range keys {
		args = append(args, k)
	}
	err = db.r.QueryRowContext(ctx, `SELECT coalesce(max(n), 0) FROM portal_signin_failures
		WHERE ends > ? AND key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...).Scan(&n)
	return n, err
}

// DeleteSignInFailuresBefore implements tearline.SignInFailures.
func (db *DB) DeleteSignInFailuresBefore(ctx context.Context, t time.Time) (n int, err error) {
	defer wrap(&err, "delete ended sign-in failure counts")
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM portal_signin_failures WHERE ends < ?`, micros(t))
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		n = int(k)
		return err
	})
	return n, err
}
