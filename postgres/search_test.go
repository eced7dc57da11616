package postgres

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/tearline/tearline"
)

// TestSearchIndex checks the full-text index of SearchText: the search is
// served by object_search's GIN index (when the planner is kept from a
// scan, as on a large table), an object whose name holds a \u0000 escape
// is indexed with a space in its place, every stored version with a name
// or description has its row, and deleting the versions removes their
// rows.
func TestSearchIndex(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	c := &tearline.Collection{Alias: "search-" + uuid.NewString()[:8]}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	v := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	mk := func(typ, props string) *tearline.Object {
		id := typ + "--" + uuid.NewString()
		raw := fmt.Appendf(nil, `{"type":%q,"spec_version":"2.1","id":%q,"created":"2025-05-01T00:00:00.000Z","modified":"2025-05-01T00:00:00.000Z"%s}`, typ, id, props)
		return &tearline.Object{ID: id, Type: typ, SpecVersion: "2.1", Version: v, Created: v, Raw: raw}
	}
	named := mk("malware", `,"name":"Qakbot","is_family":true`)
	described := mk("campaign", `,"name":7,"description":"Qakbot lures"`)
	nul := mk("tool", `,"name":"Nul\u0000tool"`)
	unnamed := mk("ipv4-addr", `,"value":"198.51.100.9"`)
	res, err := db.AddObjects(ctx, c.ID, []*tearline.Object{named, described, nul, unnamed})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Status != tearline.Added {
			t.Fatalf("object %d: %v", i, r.Status)
		}
	}
	count := func() int {
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM object_search WHERE id = ANY($1)`,
			[]string{named.ID, described.ID, nul.ID, unnamed.ID}).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 3 {
		t.Errorf("object_search holds %d rows of the four objects, want 3 (all but the address)", n)
	}
	hits, err := db.SearchText(ctx, "qakbot", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 {
		t.Errorf("search qakbot: %v, want the malware and the campaign", hits)
	}
	for _, q := range []string{"nul", "tool"} {
		if hits, err := db.SearchText(ctx, q, 10); err != nil {
			t.Fatal(err)
		} else if len(hits) != 1 || hits[0].ID != nul.ID {
			t.Errorf("search %s: %v, want the tool named Nul\\u0000tool", q, hits)
		}
	}
	// The plan: the GIN index serves the match.
	var plan []string
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `EXPLAIN SELECT id, version FROM object_search, to_tsquery('simple', 'qakbot:*') q
			WHERE doc @@ q ORDER BY ts_rank(doc, q) DESC, id LIMIT 10`)
		if err != nil {
			return err
		}
		plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "object_search_doc") {
		t.Errorf("the search does not use the GIN index:\n%s", strings.Join(plan, "\n"))
	}
	// Deleting the versions deletes their rows.
	if err := db.DeleteCollection(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("object_search holds %d rows of deleted objects", n)
	}
}

// TestSearchNulMigration checks migration 00019: a version whose name holds
// a \u0000 escape, left out of object_search before it, is indexed by it,
// and its Down step leaves it out again.
func TestSearchNulMigration(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys)
	if err != nil {
		t.Fatal(err)
	}
	c := &tearline.Collection{Alias: "nul-" + uuid.NewString()[:8]}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	v := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	id := "tool--" + uuid.NewString()
	raw := fmt.Appendf(nil, `{"type":"tool","spec_version":"2.1","id":%q,"created":"2025-05-01T00:00:00.000Z","modified":"2025-05-01T00:00:00.000Z","name":"Nul\u0000tool"}`, id)
	if _, err := db.AddObjects(ctx, c.ID, []*tearline.Object{{ID: id, Type: "tool", SpecVersion: "2.1", Version: v, Created: v, Raw: raw}}); err != nil {
		t.Fatal(err)
	}
	indexed := func() bool {
		t.Helper()
		var n int
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM object_search WHERE id = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if _, err := p.DownTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	if indexed() {
		t.Fatal("after the Down step of migration 00019 the version is still indexed")
	}
	if _, err := p.UpTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	if !indexed() {
		t.Error("migration 00019 did not index the version")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
}
