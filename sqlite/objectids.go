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
// order), and empties recent. The INSERT ends the transaction on a
// conflict (OR ROLLBACK), so SQLite keeps no statement journal for it: a
// plain INSERT … SELECT copied each page of main it changed into that
// journal, which took 11 of the 12.5 s that the observable index's merges
// cost in a 1,000,000-object post, and one INSERT per row, as merges
// were written until session 13, cost twice as much as this one.
func merge(tx *sql.Tx, recent, main string, cols ...string) error {
	list := strings.Join(cols, ", ")
	if _, err := tx.Exec(`INSERT OR ROLLBACK INTO ` + main + ` (` + list + `) SELECT ` + list + ` FROM ` + recent + ` ORDER BY ` + list); err != nil {
		return err
	}
	_, err := tx.Exec(`DELETE FROM ` + recent)
	return err
}
