package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

var _ tearline.WarningLists = (*DB)(nil)

// AddWarningEntries implements tearline.WarningLists.
func (db *DB) AddWarningEntries(ctx context.Context, entries []tearline.WarningEntry) (n int, err error) {
	defer wrap(&err, "add %d warning-list entries", len(entries))
	for i, e := range entries {
		if !tearline.ValidListName(e.List) {
			return 0, tearline.Errorf(tearline.EINVALID, "entry %d: list name %q: use 1-64 lower-case letters, digits, '-' or '_'", i, e.List)
		}
		if e.Value == "" {
			return 0, tearline.Errorf(tearline.EINVALID, "entry %d has no value", i)
		}
	}
	added := now()
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		n = 0
		seen := map[[2]string]bool{}
		for i := range entries {
			e := &entries[i]
			if seen[[2]string{e.List, e.Value}] {
				continue
			}
			seen[[2]string{e.List, e.Value}] = true
			var (
				at    time.Time
				fresh bool
			)
			// xmax is 0 for a row this statement inserted.
			err := tx.QueryRow(ctx, `INSERT INTO warning_entries (list, value, comment, added) VALUES ($1, $2, $3, $4)
				ON CONFLICT (list, value) DO UPDATE SET comment = excluded.comment
				RETURNING added, xmax = 0`, e.List, e.Value, e.Comment, added).Scan(&at, &fresh)
			if err != nil {
				return err
			}
			if fresh {
				n++
			}
			e.Added = at.UTC()
		}
		return nil
	})
	return n, err
}

// RemoveWarningEntries implements tearline.WarningLists.
func (db *DB) RemoveWarningEntries(ctx context.Context, list string, values []string) (n int, err error) {
	defer wrap(&err, "remove %d entries from warning list %q", len(values), list)
	tag, err := db.pool.Exec(ctx, `DELETE FROM warning_entries WHERE list = $1 AND value = ANY($2)`, list, values)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// WarningEntries implements tearline.WarningLists.
func (db *DB) WarningEntries(ctx context.Context, list string) (_ []tearline.WarningEntry, err error) {
	defer wrap(&err, "list warning-list entries")
	rows, err := db.pool.Query(ctx, `SELECT list, value, comment, added FROM warning_entries
		WHERE $1 = '' OR list = $1 ORDER BY list, value`, list)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (tearline.WarningEntry, error) {
		var e tearline.WarningEntry
		err := row.Scan(&e.List, &e.Value, &e.Comment, &e.Added)
		e.Added = e.Added.UTC()
		return e, err
	})
}
