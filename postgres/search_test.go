package postgres

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

// TestSearchIndex checks the full-text index of SearchText: the search is
// served by object_search's GIN index (when the planner is kept from a
// scan, as on a large table), an object whose text holds a \u0000 escape
// is stored (and not indexed), every stored version with a name or
// description has its row, and deleting the versions removes their rows.
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
	if n := count(); n != 2 {
		t.Errorf("object_search holds %d rows of the four objects, want 2 (the named and the described)", n)
	}
	hits, err := db.SearchText(ctx, "qakbot", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 {
		t.Errorf("search qakbot: %v, want the malware and the campaign", hits)
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
