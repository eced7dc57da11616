package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
)

// goMigrations are the migrations written in Go, applied with the SQL ones
// in the order of their numbers.
var goMigrations = []*goose.Migration{submissionObjectsIDH}

// submissionObjectsIDH is migration 20. submission_objects finds the
// submissions of an object by idh, the 64-bit hash of its id (see objects in
// migration 00001), and becomes a rowid table, so that an entry of that
// index is the hash and a row key: a few bytes. Before, the table had no
// rowid and was indexed by the object id text, each entry carrying the id
// and the submission id. Ids are random, so every new entry landed on a page
// of its own, and the commit of a 1,000-object submission wrote most of that
// index: a tenth of the single writer's time in TAXII ingest. A Go
// migration, since SQL cannot compute the hash of the rows already stored.
var submissionObjectsIDH = goose.NewGoMigration(20,
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		if err := execAll(ctx, tx,
			`CREATE TABLE submission_objects_new (
				submission TEXT    NOT NULL,
				idx        INTEGER NOT NULL,
				object     TEXT    NOT NULL,
				idh        INTEGER NOT NULL
			) STRICT`,
		); err != nil {
			return err
		}
		if err := copySubmissionObjects(ctx, tx); err != nil {
			return err
		}
		return execAll(ctx, tx,
			`DROP TABLE submission_objects`,
			`ALTER TABLE submission_objects_new RENAME TO submission_objects`,
			`CREATE UNIQUE INDEX submission_objects_key ON submission_objects (submission, idx)`,
			`CREATE INDEX submission_objects_idh ON submission_objects (idh)`,
		)
	}},
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		return execAll(ctx, tx,
			`CREATE TABLE submission_objects_old (
				submission TEXT    NOT NULL,
				idx        INTEGER NOT NULL,
				object     TEXT    NOT NULL,
				PRIMARY KEY (submission, idx)
			) STRICT, WITHOUT ROWID`,
			`INSERT INTO submission_objects_old (submission, idx, object) SELECT submission, idx, object FROM submission_objects`,
			`DROP TABLE submission_objects`,
			`ALTER TABLE submission_objects_old RENAME TO submission_objects`,
			`CREATE INDEX submission_objects_object ON submission_objects (object)`,
		)
	}},
)

// execAll runs statements in order.
func execAll(ctx context.Context, tx *sql.Tx, stmts ...string) error {
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// copySubmissionObjects copies the rows of submission_objects into
// submission_objects_new with their idh.
func copySubmissionObjects(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT submission, idx, object FROM submission_objects ORDER BY submission, idx`)
	if err != nil {
		return err
	}
	type row struct {
		submission string
		idx        int64
		object     string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.submission, &r.idx, &r.object); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO submission_objects_new (submission, idx, object, idh) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range all {
		if _, err := st.ExecContext(ctx, r.submission, r.idx, r.object, idHash(r.object)); err != nil {
			return fmt.Errorf("submission %s object %d: %w", r.submission, r.idx, err)
		}
	}
	return nil
}
