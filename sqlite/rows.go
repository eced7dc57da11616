package sqlite

import (
	"database/sql"
	"strings"
)

// rowsPerStatement is the number of rows of each multi-row INSERT that
// execRows runs. Keep rowsPerStatement times the parameters of a row far
// below SQLite's limit of 32766.
//
// A statement that writes several rows keeps a statement journal when it
// may fail part way and has to undo only itself: a copy, in memory, of
// each page it changes for the first time. SQLite keeps none when the
// statement's conflicts end the whole transaction (OR ROLLBACK) or are
// resolved without failing (OR IGNORE, OR REPLACE). A foreign key checked
// immediately still needs one. Without the journal, 32 rows per statement
// cost a third less than one per statement into a table with a random-key
// index, and 64 rows 40% less into an appended table (bench/README.md,
// session 13). With it, and 64 rows, the copying once cost a tenth of the
// ingest's CPU (subjournalPage).
const rowsPerStatement = 32

// execRows inserts n rows: prefix, one params group per row, then suffix
// (an ON CONFLICT clause), rowsPerStatement rows per statement and the
// rest one per statement, each statement prepared once. appendRow appends
// the values of row i to args. The statement must name its conflict
// resolution (OR ROLLBACK, OR IGNORE or OR REPLACE, also beside an
// upsert) so that SQLite keeps no statement journal; see
// rowsPerStatement.
func execRows(tx *sql.Tx, prefix, params, suffix string, n int, appendRow func(args []any, i int) []any) error {
	var full, one *sql.Stmt
	defer func() {
		for _, st := range []*sql.Stmt{full, one} {
			if st != nil {
				st.Close()
			}
		}
	}()
	args := make([]any, 0, rowsPerStatement*strings.Count(params, "?"))
	for i := 0; i < n; {
		rows := rowsPerStatement
		if n-i < rows {
			rows = 1
		}
		st := &full
		if rows == 1 {
			st = &one
		}
		if *st == nil {
			var err error
			if *st, err = tx.Prepare(multiRow(prefix, params, rows) + suffix); err != nil {
				return err
			}
		}
		args = args[:0]
		for j := range rows {
			args = appendRow(args, i+j)
		}
		if _, err := (*st).Exec(args...); err != nil {
			return err
		}
		i += rows
	}
	return nil
}

// multiRow returns the text of an INSERT of n rows.
func multiRow(prefix, params string, n int) string {
	var b strings.Builder
	b.Grow(len(prefix) + n*(len(params)+2))
	b.WriteString(prefix)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(params)
	}
	return b.String()
}
