package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/tearline/tearline"
)

var _ tearline.SignInFailures = (*DB)(nil)

// FailSignIn implements tearline.SignInFailures in one statement, which
// every node's failures go through: concurrent failures of one key each
// count.
func (db *DB) FailSignIn(ctx context.Context, keys []string, t time.Time, window time.Duration) (err error) {
	defer wrap(&err, "count a failed sign-in")
	// Distinct and in one order, so that two nodes counting the same keys
	// wait for each other instead of deadlocking.
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	// An ended count starts again at one.
	_, err = db.pool.Exec(ctx, `INSERT INTO portal_signin_failures (key, n, since, ends)
		SELECT k, 1, $2, $3 FROM unnest($1::text[]) AS k
		ON CONFLICT (key) DO UPDATE SET
			n = CASE WHEN portal_signin_failures.ends <= excluded.since THEN 1 ELSE portal_signin_failures.n + 1 END,
			since = CASE WHEN portal_signin_failures.ends <= excluded.since THEN excluded.since ELSE portal_signin_failures.since END,
			ends = CASE WHEN portal_signin_failures.ends <= excluded.since THEN excluded.ends ELSE portal_signin_failures.ends END`,
		keys, stored(t), stored(t.Add(window)))
	return err
}

// SignInFailures implements tearline.SignInFailures.
func (db *DB) SignInFailures(ctx context.Context, keys []string, t time.Time) (n int, err error) {
	defer wrap(&err, "read failed sign-ins")
	err = db.pool.QueryRow(ctx, `SELECT coalesce(max(n), 0) FROM portal_signin_failures WHERE key = ANY($1) AND ends > $2`,
		keys, stored(t)).Scan(&n)
	return n, err
}

// DeleteSignInFailuresBefore implements tearline.SignInFailures.
func (db *DB) DeleteSignInFailuresBefore(ctx context.Context, t time.Time) (_ int, err error) {
	defer wrap(&err, "delete ended sign-in failure counts")
	tag, err := db.pool.Exec(ctx, `DELETE FROM portal_signin_failures WHERE ends < $1`, stored(t))
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}
