package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// TestExecRows inserts counts around the statement size and reads every
// row back in order.
func TestExecRows(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	if _, err := db.w.Exec(`CREATE TABLE rows_test (n INTEGER NOT NULL, k INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, rowsPerStatement - 1, rowsPerStatement, rowsPerStatement + 1, 2*rowsPerStatement + 5, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			err := db.writeTx(ctx, func(tx *sql.Tx) error {
				return execRows(tx, `INSERT OR ROLLBACK INTO rows_test (n, k, v) VALUES `, `(?, ?, ?)`, ``, n, func(args []any, i int) []any {
					return append(args, n, n*10000+i, fmt.Sprint("v", i))
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := db.r.Query(`SELECT k, v FROM rows_test WHERE n = ? ORDER BY k`, n)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			i := 0
			for rows.Next() {
				var (
					k int
					v string
				)
				if err := rows.Scan(&k, &v); err != nil {
					t.Fatal(err)
				}
				if k != n*10000+i || v != fmt.Sprint("v", i) {
					t.Fatalf("row %d is (%d, %q)", i, k, v)
				}
				i++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if i != n {
				t.Fatalf("%d rows stored, want %d", i, n)
			}
		})
	}
}

// TestExecRowsConflict checks that a conflict in the middle of a
// multi-row statement ends the whole transaction: neither the statement's
// other rows nor the transaction's earlier writes are kept, and the
// writer goes on.
func TestExecRowsConflict(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	if _, err := db.w.Exec(`CREATE TABLE rows_test (k INTEGER PRIMARY KEY, v TEXT NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(`INSERT INTO rows_test (k, v) VALUES (5, 'kept')`); err != nil {
		t.Fatal(err)
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO rows_test (k, v) VALUES (1000, 'earlier')`); err != nil {
			return err
		}
		// Row 5 of the first statement conflicts.
		return execRows(tx, `INSERT OR ROLLBACK INTO rows_test (k, v) VALUES `, `(?, ?)`, ``, 2*rowsPerStatement, func(args []any, i int) []any {
			return append(args, i, "new")
		})
	})
	if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Fatalf("got %v, want a UNIQUE constraint error", err)
	}
	var n int
	var v string
	if err := db.r.QueryRow(`SELECT count(*), group_concat(v) FROM rows_test`).Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != 1 || v != "kept" {
		t.Fatalf("after the conflict the table holds %d rows (%s), want only the one kept", n, v)
	}
	if err := db.writeTx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO rows_test (k, v) VALUES (6, 'after')`)
		return err
	}); err != nil {
		t.Fatalf("the writer does not go on after the conflict: %v", err)
	}
}
