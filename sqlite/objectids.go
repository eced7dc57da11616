package sqlite

import (
	"database/sql"
	"strings"
)

// recentObjectIDs is how many object versions gather in
// object_ids_recent before their keys are merged into object_ids
// (migration 27). A merge writes up to one page of object_ids per key
// merged, once for all of them; object_ids_recent stays a few hundred
// kilobytes.
const recentObjectIDs = 16384

// mergeObjectIDs moves the keys of object_ids_recent into object_ids and
// records upto, the highest row key assigned, as merged.
func mergeObjectIDs(tx *sql.Tx, upto int64) error {
	if err := merge(tx, "object_ids_recent", "object_ids", "idh", "pk"); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE object_ids_merged SET upto = ?`, upto)
	return err
}

// merge moves the rows of table recent into table main, whose columns
// are cols, in the order of recent's primary key (its columns, in that
// order), and empties recent. One INSERT per row: SQLite journals a
// statement that inserts several rows into a STRICT table, a copy of each
// page it changes, and that journal took 11 of the 12.5 s that the
// observable index's merges cost in a 1,000,000-object post.
func merge(tx *sql.Tx, recent, main string, cols ...string) error {
	list := strings.Join(cols, ", ")
	rows, err := tx.Query(`SELECT ` + list + ` FROM ` + recent + ` ORDER BY ` + list)
	if err != nil {
		return err
	}
	var all [][]any
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return err
		}
		all = append(all, row)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	params := "(?" + strings.Repeat(", ?", len(cols)-1) + ")"
	err = execRows(tx, `INSERT INTO `+main+` (`+list+`) VALUES `, params, ``, len(all), func(args []any, i int) []any {
		return append(args, all[i]...)
	})
	if err != nil {
		return err
	}
	_, err = tx.Exec(`DELETE FROM ` + recent)
	return err
}
