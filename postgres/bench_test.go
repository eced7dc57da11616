package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres/pgtest"
)

// attackFile is the MITRE ATT&CK Enterprise bundle in the shared data
// directory beside the repository.
const attackFile = "../../shared/data/attack/enterprise-attack-18.1.json"

// readAttack returns the objects of the ATT&CK bundle with their exact
// bytes and the envelope fields AddObjects needs. It validates nothing: it
// stands in for the stix package in store benchmarks.
func readAttack(tb testing.TB) []*tearline.Object {
	tb.Helper()
	data, err := os.ReadFile(attackFile)
	if os.IsNotExist(err) {
		tb.Skipf("benchmark data %s is absent: %v", attackFile, err)
	} else if err != nil {
		tb.Fatal(err)
	}
	var bundle struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(data, &bundle); err != nil {
		tb.Fatal(err)
	}
	objs := make([]*tearline.Object, len(bundle.Objects))
	for i, raw := range bundle.Objects {
		var env struct {
			ID          string    `json:"id"`
			Type        string    `json:"type"`
			SpecVersion string    `json:"spec_version"`
			Created     time.Time `json:"created"`
			Modified    time.Time `json:"modified"`
			Revoked     bool      `json:"revoked"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			tb.Fatal(err)
		}
		version := env.Modified
		if version.IsZero() {
			version = env.Created
		}
		objs[i] = &tearline.Object{ID: env.ID, Type: env.Type, SpecVersion: env.SpecVersion,
			Version: version, Created: env.Created, Revoked: env.Revoked, Raw: raw}
	}
	return objs
}

// benchStore opens a store in a new schema, closed at the end of the
// benchmark, with a collection.
func benchStore(b *testing.B, url string) (*DB, *tearline.Collection) {
	b.Helper()
	db := openURL(b, url)
	c := &tearline.Collection{Alias: "attack"}
	if err := db.CreateCollection(context.Background(), c); err != nil {
		b.Fatal(err)
	}
	return db, c
}

// BenchmarkAddObjects imports MITRE ATT&CK Enterprise (24,772 objects,
// 50.7 MB) into a new collection in batches, as the ingest pipeline does,
// and reports objects/s for the store alone (no JSON parsing or
// validation). With nodes=2, two stores on the database (two server nodes)
// write alternate batches into the same collection at once.
func BenchmarkAddObjects(b *testing.B) {
	objs := readAttack(b)
	size := 0
	for _, o := range objs {
		size += len(o.Raw)
	}
	for _, tt := range []struct{ batch, nodes int }{{100, 1}, {1000, 1}, {5000, 1}, {1000, 2}} {
		b.Run(fmt.Sprintf("batch=%d/nodes=%d", tt.batch, tt.nodes), func(b *testing.B) {
			ctx := context.Background()
			b.SetBytes(int64(size))
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				url := pgtest.URL(b)
				db, c := benchStore(b, url)
				dbs := []*DB{db}
				for len(dbs) < tt.nodes {
					dbs = append(dbs, openURL(b, url))
				}
				b.StartTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for n, db := range dbs {
					wg.Go(func() {
						for i := n * tt.batch; i < len(objs); i += tt.nodes * tt.batch {
							res, err := db.AddObjects(ctx, c.ID, objs[i:min(i+tt.batch, len(objs))])
							if err != nil {
								b.Error(err)
								return
							}
							for _, r := range res {
								if r.Status != tearline.Added {
									b.Errorf("status %v, want added", r.Status)
									return
								}
							}
						}
					})
				}
				wg.Wait()
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(len(objs)*b.N)/elapsed.Seconds(), "objects/s")
		})
	}
}

// BenchmarkReAddObjects adds ATT&CK to a store that already holds it: every
// object is a duplicate, the common case of a periodic re-import.
func BenchmarkReAddObjects(b *testing.B) {
	objs := readAttack(b)
	ctx := context.Background()
	db, c := benchStore(b, pgtest.URL(b))
	if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		for i := 0; i < len(objs); i += 1000 {
			if _, err := db.AddObjects(ctx, c.ID, objs[i:min(i+1000, len(objs))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(objs)*b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkQueryObjects pages through ATT&CK 1000 entries at a time with
// added_after, as a TAXII client fetching the whole collection does, and
// reports the latency of a page: mean, median and 99th percentile.
func BenchmarkQueryObjects(b *testing.B) {
	objs := readAttack(b)
	ctx := context.Background()
	db, c := benchStore(b, pgtest.URL(b))
	if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
		b.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		versions []string
		noRaw    bool
	}{{"last", nil, false}, {"all", []string{tearline.VersionAll}, false}, {"last/noraw", nil, true}} {
		b.Run(tt.name, func(b *testing.B) {
			var pages []time.Duration
			for range b.N {
				q := tearline.ObjectQuery{CollectionID: c.ID, Limit: 1000, NoRaw: tt.noRaw, Versions: tt.versions}
				for {
					start := time.Now()
					page, err := db.QueryObjects(ctx, q)
					if err != nil {
						b.Fatal(err)
					}
					pages = append(pages, time.Since(start))
					if !page.More {
						break
					}
					q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
				}
			}
			reportLatency(b, pages, "page")
		})
	}
}

// BenchmarkPoll asks for what was added after the latest entry (an empty
// answer), the request of a client polling for news.
func BenchmarkPoll(b *testing.B) {
	objs := readAttack(b)
	ctx := context.Background()
	db, c := benchStore(b, pgtest.URL(b))
	res, err := db.AddObjects(ctx, c.ID, objs)
	if err != nil {
		b.Fatal(err)
	}
	latest := res[len(res)-1].DateAdded
	var polls []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		page, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, Limit: 1000, AddedAfter: latest})
		if err != nil {
			b.Fatal(err)
		}
		if len(page.Entries) != 0 {
			b.Fatalf("%d entries after the latest", len(page.Entries))
		}
		polls = append(polls, time.Since(start))
	}
	reportLatency(b, polls, "poll")
}

// reportLatency reports the mean, median and 99th percentile of ds in
// milliseconds.
func reportLatency(b *testing.B, ds []time.Duration, what string) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(sum/time.Duration(len(ds))), "ms/"+what)
	b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms/"+what)
	b.ReportMetric(ms(ds[len(ds)*99/100]), "p99-ms/"+what)
}
