package postgres

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
	"github.com/tearline/tearline/postgres/pgtest"
)

// TestQueryPlans checks with EXPLAIN, on a collection of 6,000 entries,
// that the lookups of AddObjects use indexes, with statistics or without,
// and that, with statistics, each kind of page is read through the index
// that gives date_added order for its filter, and stops at the limit
// without sorting.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	c := &tearline.Collection{Alias: "plans"}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	var objs []*tearline.Object
	for i := range 3000 {
		id := fmt.Sprintf("%s--%08x-0000-4000-8000-000000000000", []string{"indicator", "malware", "relationship"}[i%3], i)
		objs = append(objs, testObject(id, "2020-01-01T00:00:00Z", `{}`), testObject(id, "2021-01-01T00:00:00Z", `{}`))
	}
	if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
		t.Fatal(err)
	}
	explain := func(t *testing.T, sql string, args ...any) string {
		t.Helper()
		rows, err := db.pool.Query(ctx, "EXPLAIN "+sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
	// The lookups of AddObjects go through the indexes with statistics
	// or without (autovacuum may be off, or behind a bulk load).
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = objs[2*i].ID
	}
	checkLookups := func(t *testing.T) {
		for _, l := range []struct {
			name, sql string
			args      []any
		}{
			{"objects", lookupObjectsSQL, []any{ids}},
			{"members", lookupMembersSQL, []any{c.ID, ids}},
		} {
			plan := explain(t, l.sql, l.args...)
			if !strings.Contains(plan, "Index") || strings.Contains(plan, "Seq Scan on collection_objects") || strings.Contains(plan, "Seq Scan on objects") {
				t.Errorf("lookup of %s does not use an index:\n%s", l.name, plan)
			}
		}
	}
	after := time.Now().Add(-time.Hour)
	tests := []struct {
		name string
		q    tearline.ObjectQuery
		want string // the index of collection_objects read
		sort bool
	}{
		{"default page", tearline.ObjectQuery{Limit: 100, AddedAfter: after}, "collection_objects_last", false},
		{"first", tearline.ObjectQuery{Versions: []string{tearline.VersionFirst}, Limit: 100}, "collection_objects_first", false},
		{"all", tearline.ObjectQuery{Versions: []string{tearline.VersionAll}, Limit: 100, AddedAfter: after}, "collection_objects_pkey", false},
		{"first and last", tearline.ObjectQuery{Versions: []string{tearline.VersionFirst, tearline.VersionLast}, Limit: 100}, "collection_objects_pkey", false},
		{"type", tearline.ObjectQuery{Types: []string{"malware"}, Limit: 100, AddedAfter: after}, "collection_objects_type", false},
		{"ids", tearline.ObjectQuery{IDs: []string{objs[0].ID, objs[1001].ID}, Versions: []string{tearline.VersionAll}}, "collection_objects_version", true},
	}
	checkPages := func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.q.CollectionID = c.ID
				vf, err := normalize.Versions(tt.q.Versions, tearline.VersionLast)
				if err != nil {
					t.Fatal(err)
				}
				sql, args := objectQuery(tt.q, vf)
				plan := explain(t, sql, args...)
				if !strings.Contains(plan, "using "+tt.want+" on collection_objects") && !strings.Contains(plan, "Bitmap Index Scan on "+tt.want) {
					t.Errorf("plan does not read %s:\n%s", tt.want, plan)
				}
				if strings.Contains(plan, "Seq Scan on collection_objects") || strings.Contains(plan, "Seq Scan on objects") {
					t.Errorf("plan scans a table:\n%s", plan)
				}
				if got := strings.Contains(plan, "Sort Key"); got != tt.sort {
					t.Errorf("plan sorts: %v, want %v:\n%s", got, tt.sort, plan)
				}
			})
		}
	}
	// The lookups of AddObjects keep their plan without statistics
	// (autovacuum may be off, or behind a bulk load). Pages need them:
	// without, the planner may read all of a collection after the cursor
	// and sort it (see Open).
	t.Run("no statistics", checkLookups)
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	t.Run("analyzed", func(t *testing.T) {
		checkLookups(t)
		checkPages(t)
	})
}

// TestSerialPlans checks that pages are planned without parallel workers
// unless the database URL asks for them: with parallel plans made as cheap
// as they can be, a page of a store opened plainly has no Gather, and one
// of a store whose URL sets max_parallel_workers_per_gather has.
func TestSerialPlans(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.URL(t)
	db := openURL(t, url)
	c := &tearline.Collection{Alias: "serial"}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	var objs []*tearline.Object
	for i := range 2000 {
		objs = append(objs, testObject(fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i), "2020-01-01T00:00:00Z", `{}`))
	}
	if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
		t.Fatal(err)
	}
	vf, err := normalize.Versions(nil, tearline.VersionAll)
	if err != nil {
		t.Fatal(err)
	}
	page, args := objectQuery(tearline.ObjectQuery{CollectionID: c.ID, AddedAfter: time.Unix(1, 0), Limit: 1000}, vf)
	tests := []struct {
		name   string
		db     *DB
		gather bool
	}{
		{"default", db, false},
		{"asked for", openURL(t, pgtest.WithParam(url, "max_parallel_workers_per_gather", "2")), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every connection of the pool, not only the first.
			var conns []*pgxpool.Conn
			defer func() {
				for _, c := range conns {
					c.Release()
				}
			}()
			for range 3 {
				conn, err := tt.db.pool.Acquire(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, conn)
				tx, err := conn.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback(ctx)
				_, err = tx.Exec(ctx, `SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0;
					SET LOCAL min_parallel_index_scan_size = 0; SET LOCAL min_parallel_table_scan_size = 0`)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := tx.Query(ctx, "EXPLAIN "+page, args...)
				if err != nil {
					t.Fatal(err)
				}
				lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					t.Fatal(err)
				}
				plan := strings.Join(lines, "\n")
				if got := strings.Contains(plan, "Gather"); got != tt.gather {
					t.Fatalf("Gather in the plan: %v, want %v:\n%s", got, tt.gather, plan)
				}
			}
		})
	}
}
