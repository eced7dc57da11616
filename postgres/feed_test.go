package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres/pgtest"
	"github.com/tearline/tearline/storetest"
)

func TestFeed(t *testing.T) {
	storetest.RunFeed(t, func(t *testing.T) storetest.FeedStore { return openTest(t) })
}

// tail reads the feed after cursor to its end, failing t on an entry seen
// twice, and returns the new cursor.
func tail(t *testing.T, db *DB, cursor int64, seen map[string]int64) int64 {
	t.Helper()
	for {
		page, err := db.ReadFeed(context.Background(), tearline.FeedQuery{After: cursor, Limit: 11})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			k := e.CollectionID + "/" + e.ID + "@" + e.VersionKey()
			if prev, ok := seen[k]; ok {
				t.Fatalf("%s read twice, at seq %d and %d", k, prev, e.Seq)
			}
			seen[k] = e.Seq
		}
		if page.Last == cursor {
			return cursor
		}
		cursor = page.Last
	}
}

// TestFeedNodes has three stores on one database, as three nodes, add to
// three collections at once while a fourth tails the feed from its cursor
// as a delivery does: at the end the reader has seen every added version
// once.
func TestFeedNodes(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	nodes := []*DB{openURL(t, url), openURL(t, url), openURL(t, url)}
	reader := openURL(t, url)
	ctx := t.Context()
	var cols []string
	for _, alias := range []string{"a", "b", "c"} {
		c := &tearline.Collection{Alias: alias}
		if err := nodes[0].CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c.ID)
	}
	const (
		batches = 30
		size    = 5
	)
	var (
		mu   sync.Mutex
		want = map[string]bool{}
		wg   sync.WaitGroup
	)
	done := make(chan struct{})
	for w, db := range nodes {
		wg.Go(func() {
			for b := range batches {
				col := cols[(w+b)%len(cols)]
				var objs []*tearline.Object
				for i := range size {
					objs = append(objs, object("indicator", (w*batches+b)*size+i, "2020-01-01T00:00:00Z", fmt.Sprint(w)))
				}
				if _, err := db.AddObjects(context.Background(), col, objs); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, o := range objs {
					want[col+"/"+o.ID+"@"+o.VersionKey()] = true
				}
				mu.Unlock()
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int64{}
	var cursor int64
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		cursor = tail(t, reader, cursor, seen)
	}
	tail(t, reader, cursor, seen)
	if len(want) != len(nodes)*batches*size {
		t.Fatalf("the writers added %d versions, want %d", len(want), len(nodes)*batches*size)
	}
	for k := range want {
		if _, ok := seen[k]; !ok {
			t.Errorf("the tailing reader missed %s", k)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("the reader saw %d entries for %d versions", len(seen), len(want))
	}
}

// TestFeedLateCommit is the interleaving a number drawn inside the
// writing transaction would get wrong: a transaction records its
// membership first (drawing the smaller pending id) but commits after
// another node's add was numbered and read. The late one must still be
// read, after what was read already.
func TestFeedLateCommit(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	node, reader := openURL(t, url), openURL(t, url)
	ctx := t.Context()
	slow, fast := &tearline.Collection{Alias: "slow"}, &tearline.Collection{Alias: "fast"}
	for _, c := range []*tearline.Collection{slow, fast} {
		if err := node.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	late := object("indicator", 1, "2020-01-01T00:00:00Z", "late")
	// What AddObjects writes, held open.
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO objects (id, version, type, spec_version, revoked, hash, raw) VALUES ($1, $2, 'indicator', '2.1', false, '\x00', $3)`,
			[]any{late.ID, versionKey(late.Version), late.Raw}},
		{`SELECT pk FROM collections WHERE id = $1 FOR UPDATE`, []any{slow.ID}},
		{`INSERT INTO collection_objects (collection, date_added, id, version, type, spec_version, is_first, is_last)
			VALUES ((SELECT pk FROM collections WHERE id = $1), clock_timestamp(), $2, $3, 'indicator', '2.1', true, true)`,
			[]any{slow.ID, late.ID, versionKey(late.Version)}},
		{`INSERT INTO feed_pending (collection, date_added)
			SELECT collection, date_added FROM collection_objects WHERE id = $1`, []any{late.ID}},
	} {
		if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if _, err := node.AddObjects(ctx, fast.ID, []*tearline.Object{object("indicator", 2, "2020-01-01T00:00:00Z", "fast")}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int64{}
	cursor := tail(t, reader, 0, seen)
	if len(seen) != 1 {
		t.Fatalf("before the late commit the reader saw %v, want the fast entry only", seen)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// No node adds anything more: the reader numbers the pending row.
	tail(t, reader, cursor, seen)
	k := slow.ID + "/" + late.ID + "@" + versionKey(late.Version)
	if seq, ok := seen[k]; !ok {
		t.Fatalf("the late entry was skipped; the reader saw %v", seen)
	} else if seq <= cursor {
		t.Fatalf("the late entry got seq %d, not after the %d already read", seq, cursor)
	}
}

// TestFeedVacuum checks that the sequencer vacuums feed_pending every so
// many deleted rows when it is told to (as it is when the server's
// autovacuum is off), and never when it is not.
func TestFeedVacuum(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		every int64
		want  bool
	}{{"every 250 rows", 250, true}, {"autovacuum on", 0, false}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := openTest(t)
			db.vacuum.every = tt.every
			c := &tearline.Collection{Alias: "vacuum"}
			if err := db.CreateCollection(ctx, c); err != nil {
				t.Fatal(err)
			}
			for b := range 10 {
				var objs []*tearline.Object
				for i := range 100 {
					objs = append(objs, testObject(fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", b*100+i), "2020-01-01T00:00:00Z", `{}`))
				}
				if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
					t.Fatal(err)
				}
			}
			db.vacuum.close()
			var n int64
			err := db.pool.QueryRow(ctx, `SELECT vacuum_count FROM pg_stat_user_tables
				WHERE relid = 'feed_pending'::regclass`).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if got := n > 0; got != tt.want {
				t.Errorf("feed_pending vacuumed %d times; want some: %v", n, tt.want)
			}
		})
	}
}
