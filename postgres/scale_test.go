package postgres

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres/pgtest"
)

// BenchmarkScale loads TEARLINE_BENCH_OBJECTS (e.g. 1000000) ATT&CK-like
// objects into one collection from two stores at once (two nodes), then
// measures, on the loaded collection, pages of 1000 with added_after at
// random places, polls for news after the latest entry, and lookups of one
// object by id. It reports ingest objects/s, latencies and the size of the
// tables. Without the variable it is skipped. Run it with -benchtime 1x.
//
// The objects are those of ATT&CK Enterprise, each copy with a new id, so
// they have ATT&CK's sizes and shapes (2 KB on average).
func BenchmarkScale(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("TEARLINE_BENCH_OBJECTS"))
	if n <= 0 {
		b.Skip("TEARLINE_BENCH_OBJECTS is not set")
	}
	attack := readAttack(b)
	ctx := context.Background()
	url := pgtest.URL(b)
	db, c := benchStore(b, url)
	nodes := []*DB{db, openURL(b, url)}
	const batch = 1000
	id := func(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }
	generate := func(from int) []*tearline.Object {
		objs := make([]*tearline.Object, 0, batch)
		for i := from; i < min(from+batch, n); i++ {
			src := attack[i%len(attack)]
			o := *src
			o.ID = src.Type + "--" + id(i)
			o.Raw = bytes.ReplaceAll(src.Raw, []byte(src.ID), []byte(o.ID))
			objs = append(objs, &o)
		}
		return objs
	}

	for range b.N {
		var (
			next     atomic.Int64
			wg       sync.WaitGroup
			progress sync.Mutex
			done     int
			mark     = time.Now()
		)
		start := mark
		for _, node := range nodes {
			wg.Go(func() {
				for {
					from := int(next.Add(batch)) - batch
					if from >= n {
						return
					}
					objs := generate(from)
					if _, err := node.AddObjects(ctx, c.ID, objs); err != nil {
						b.Error(err)
						return
					}
					progress.Lock()
					done += len(objs)
					if done%(n/10) < batch {
						b.Logf("%d objects: last tenth at %.0f objects/s", done, float64(n/10)/time.Since(mark).Seconds())
						mark = time.Now()
					}
					progress.Unlock()
				}
			})
		}
		wg.Wait()
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "ingest-objects/s")
	}
	if b.Failed() {
		return
	}
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var size int64
	if err := db.pool.QueryRow(ctx, `SELECT pg_total_relation_size('objects') + pg_total_relation_size('collection_objects')`).Scan(&size); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(size)/float64(n), "stored-bytes/object")

	rows, err := db.pool.Query(ctx, `SELECT date_added FROM collection_objects TABLESAMPLE SYSTEM (1) LIMIT 200`)
	if err != nil {
		b.Fatal(err)
	}
	var cursors []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			b.Fatal(err)
		}
		cursors = append(cursors, t)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	var pages, lastPages, polls, lookups []time.Duration
	for _, t := range cursors {
		for _, versions := range []string{tearline.VersionAll, tearline.VersionLast} {
			start := time.Now()
			page, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, AddedAfter: t, Limit: 1000, Versions: []string{versions}})
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Entries) == 0 {
				b.Fatalf("no entries after %v", t)
			}
			if versions == tearline.VersionAll {
				pages = append(pages, time.Since(start))
			} else {
				lastPages = append(lastPages, time.Since(start))
			}
		}
	}
	var latest time.Time
	if err := db.pool.QueryRow(ctx, `SELECT last_added FROM collections WHERE id = $1`, c.ID).Scan(&latest); err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		start := time.Now()
		if _, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, AddedAfter: latest, Limit: 1000}); err != nil {
			b.Fatal(err)
		}
		polls = append(polls, time.Since(start))
		k := rand.IntN(n)
		start = time.Now()
		page, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, IDs: []string{attack[k%len(attack)].Type + "--" + id(k)}})
		if err != nil {
			b.Fatal(err)
		}
		lookups = append(lookups, time.Since(start))
		if len(page.Entries) != 1 {
			b.Fatalf("lookup %d: %d entries", i, len(page.Entries))
		}
	}
	reportLatency(b, pages, "page")
	reportLatency(b, lastPages, "page-last")
	reportLatency(b, polls, "poll")
	reportLatency(b, lookups, "lookup")
}
