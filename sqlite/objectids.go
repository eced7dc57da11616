package sqlite

import "database/sql"

// recentObjectIDs is how many object versions gather in
// object_ids_recent before their keys are merged into object_ids
// (migration 27). A merge writes up to one page of object_ids per key
// merged, once for all of them; object_ids_recent stays a few hundred
// kilobytes.
const recentObjectIDs = 16384

// mergeObjectIDs moves the keys of object_ids_recent into object_ids and
// records upto, the highest row key assigned, as merged.
func mergeObjectIDs(tx *sql.Tx, upto int64) error {
	if err := merge(tx, "object_ids_recent", "object_ids", "idh, pk"); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE object_ids_merged SET upto = ?`, upto)
	return err
}

// merge moves the rows of table recent into table main, whose two columns
// are cols, in the order of recent's primary key, and empties recent. One
// INSERT per row: SQLite journals a statement that inserts several rows
// into a STRICT table, a copy of each page it changes, and that journal
// took 11 of the 12.5 s that the observable index's merges cost in a
// 1,000,000-object post.
func merge(tx *sql.Tx, recent, main, cols string) error {
	rows, err := tx.Query(`SELECT ` + cols + ` FROM ` + recent + ` ORDER BY ` + cols)
	if err != nil {
		return err
	}
	var pairs [][2]any
	for rows.Next() {
		var p [2]any
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			rows.Close()
			return err
		}
		pairs = append(pairs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	err = execRows(tx, `INSERT INTO `+main+` (`+cols+`) VALUES `, `(?, ?)`, ``, len(pairs), func(args []any, i int) []any {
		return append(args, pairs[i][0], pairs[i][1])
	})
	if err != nil {
		return err
	}
	_, err = tx.Exec(`DELETE FROM ` + recent)
	return err
}
