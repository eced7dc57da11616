package sqlite

import (
	"context"
	"database/sql"
	"time"

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
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		seen := map[[2]string]bool{}
		for i := range entries {
			e := &entries[i]
			if seen[[2]string{e.List, e.Value}] {
				continue
			}
			seen[[2]string{e.List, e.Value}] = true
			var added int64
			err := tx.QueryRow(`INSERT INTO warning_entries (list, value, comment, added) VALUES (?, ?, ?, ?)
				ON CONFLICT (list, value) DO UPDATE SET comment = excluded.comment RETURNING added`,
				e.List, e.Value, e.Comment, micros(now)).Scan(&added)
			if err != nil {
				return err
			}
			if added == micros(now) {
				n++
			}
			e.Added = fromMicros(added)
		}
		return nil
	})
	return n, err
}

// RemoveWarningEntries implements tearline.WarningLists.
func (db *DB) RemoveWarningEntries(ctx context.Context, list string, values []string) (n int, err error) {
	defer wrap(&err, "remove %d entries from warning list %q", len(values), list)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		for _, v := range values {
			res, err := tx.Exec(`DELETE FROM warning_entries WHERE list = ? AND value = ?`, list, v)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	return n, err
}

// WarningEntries implements tearline.WarningLists.
func (db *DB) WarningEntries(ctx context.Context, list string) (_ []tearline.WarningEntry, err error) {
	defer wrap(&err, "list warning-list entries")
	rows, err := db.r.QueryContext(ctx, `SELECT list, value, comment, added FROM warning_entries
		WHERE ?1 = '' OR list = ?1 ORDER BY list, value`, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tearline.WarningEntry
	for rows.Next() {
		var (
			e     tearline.WarningEntry
			added int64
		)
		if err := rows.Scan(&e.List, &e.Value, &e.Comment, &added); err != nil {
			return nil, err
		}
		e.Added = fromMicros(added)
		out = append(out, e)
	}
	return out, rows.Err()
}
