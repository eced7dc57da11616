package sqlite

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"
)

// TestSubmissionObjectsMigration takes a store back before migration 20,
// stores submission rows in the old shape, and migrates again: every row
// keeps its content and gets the idh of its object, and lookups by object
// use the new index.
func TestSubmissionObjectsMigration(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.w, fsys, goose.WithAllowOutofOrder(true),
		goose.WithGoMigrations(goMigrations...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 19); err != nil {
		t.Fatalf("down to 19: %v", err)
	}
	objs := []string{"indicator--0d2a7e4c-7ea8-4c3c-8d0e-3f3a0a1e2b11", "malware--5b7f1c1e-2b4c-4f0e-9b57-0d8e6f8a9c22"}
	for i, o := range objs {
		if _, err := db.w.Exec(`INSERT INTO submission_objects (submission, idx, object) VALUES ('s1', ?, ?)`, i, o); err != nil {
			t.Fatalf("old shape: %v", err)
		}
	}
	if err := db.migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	for i, o := range objs {
		var got string
		var idx int
		err := db.r.QueryRow(`SELECT submission, idx FROM submission_objects WHERE idh = ? AND object = ?`, idHash(o), o).Scan(&got, &idx)
		if err != nil || got != "s1" || idx != i {
			t.Errorf("object %s: submission %q idx %d, %v; want s1 %d", o, got, idx, err, i)
		}
	}
	var plan string
	rows, err := db.r.Query(`EXPLAIN QUERY PLAN SELECT submission FROM submission_objects WHERE idh = ? AND object = ?`, idHash(objs[0]), objs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "\n"
	}
	if want := "USING INDEX submission_objects_idh"; !strings.Contains(plan, want) {
		t.Errorf("plan %q lacks %q", plan, want)
	}
	if _, err := db.w.Exec(`INSERT INTO submission_objects (submission, idx, object, idh) VALUES ('s1', 0, 'x', 1)`); err == nil {
		t.Error("a repeated (submission, idx) was accepted")
	}
}
