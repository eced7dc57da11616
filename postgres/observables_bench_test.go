package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tearline/tearline"
)

// benchValue returns distinct value i: 40% IPv4 addresses, 30% domain
// names, 30% SHA-256 digests.
func benchValue(i int) (kind, value string) {
	switch i % 10 {
	case 0, 1, 2, 3:
		n := uint32(i) * 2654435761
		return "ipv4", fmt.Sprintf("%d.%d.%d.%d", n>>24, n>>16&255, n>>8&255, n&255)
	case 4, 5, 6:
		return "domain", "host-" + strconv.FormatInt(int64(i), 36) + ".example"
	}
	h := sha256.Sum256([]byte(strconv.Itoa(i)))
	return "sha256", hex.EncodeToString(h[:])
}

// BenchmarkLookupObservable fills the observable index with
// $TEARLINE_BENCH_OBSERVABLES values (default 100,000), one stored
// indicator per 100 values and three sources, recorded in batches of
// 10,000 as ingest records them, then looks up random stored values (at
// most 100 objects each) and reports the latency percentiles, the fill
// rate and the size of the index's tables and indexes per value.
func BenchmarkLookupObservable(b *testing.B) {
	n := 100_000
	if s := os.Getenv("TEARLINE_BENCH_OBSERVABLES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	db := openTest(b)
	c := &tearline.Collection{Alias: "bench", Title: "bench"}
	if err := db.CreateCollection(ctx, c); err != nil {
		b.Fatal(err)
	}
	version := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	nobj := (n + 99) / 100
	ids := make([]string, nobj)
	var objs []*tearline.Object
	for i := range nobj {
		ids[i] = fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i)
		objs = append(objs, &tearline.Object{ID: ids[i], Type: "indicator", SpecVersion: "2.1", Version: version,
			Raw: []byte(`{"type":"indicator","id":"` + ids[i] + `"}`)})
		if len(objs) == 5000 || i == nobj-1 {
			if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
				b.Fatal(err)
			}
			objs = objs[:0]
		}
	}
	sources := []string{"identity--00000000-0000-4000-8000-000000000001", "identity--00000000-0000-4000-8000-000000000002", ""}
	start := time.Now()
	var refs []tearline.ObservableRef
	var raw int64
	for i := range n {
		kind, value := benchValue(i)
		raw += int64(len(value))
		refs = append(refs, tearline.ObservableRef{Kind: kind, Value: value, ObjectID: ids[i%nobj], Version: version,
			Source: sources[i%3], Time: version.Add(time.Duration(i) * time.Second)})
		if len(refs) == 10_000 || i == n-1 {
			if err := db.RecordObservables(ctx, refs); err != nil {
				b.Fatal(err)
			}
			refs = refs[:0]
		}
	}
	fill := time.Since(start)
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var size int64
	err := db.pool.QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
		WHERE c.relname IN ('observables', 'observable_orgs', 'observable_sources', 'observable_versions', 'observable_objects')
		AND c.relnamespace = current_schema()::regnamespace`).Scan(&size)
	if err != nil {
		b.Fatal(err)
	}
	var valueTable int64
	if err := db.pool.QueryRow(ctx, `SELECT pg_total_relation_size('observables')`).Scan(&valueTable); err != nil {
		b.Fatal(err)
	}
	rows, err := db.pool.Query(ctx, `SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c
		WHERE c.relname LIKE 'observable%' AND c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace ORDER BY 1`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var (
			name  string
			bytes int64
		)
		if err := rows.Scan(&name, &bytes); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s with its indexes: %d bytes, %.1f B/value, %.2fx raw", name, bytes, float64(bytes)/float64(n), float64(bytes)/float64(raw))
	}
	rows.Close()
	rnd := rand.New(rand.NewPCG(1, 2))
	// The server's own time for the two statements of a lookup, apart
	// from the client's scheduling on a loaded machine.
	var exec []float64
	for range 300 {
		kind, value := benchValue(rnd.IntN(n))
		key, err := observableKey(nil, kind, value)
		if err != nil {
			b.Fatal(err)
		}
		total := 0.0
		for _, q := range []struct {
			sql  string
			args []any
		}{{observableSourcesSQL, []any{key}}, {observableObjectsSQL, []any{key, 101}}} {
			var plan []map[string]any
			if err := db.pool.QueryRow(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) `+q.sql, q.args...).Scan(&plan); err != nil {
				b.Fatal(err)
			}
			total += plan[0]["Execution Time"].(float64) + plan[0]["Planning Time"].(float64)
		}
		exec = append(exec, total)
	}
	slices.Sort(exec)
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		kind, value := benchValue(rnd.IntN(n))
		t := time.Now()
		e, err := db.LookupObservable(ctx, kind, value, 100)
		lat = append(lat, time.Since(t))
		if err != nil || len(e.Objects) != 1 {
			b.Fatalf("lookup %s %s: %+v, %v", kind, value, e, err)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p int) float64 { return float64(lat[(len(lat)-1)*p/100].Microseconds()) / 1000 }
	// After ResetTimer, which drops the metrics reported before it.
	b.ReportMetric(exec[len(exec)/2], "server-p50-ms")
	b.ReportMetric(exec[len(exec)*99/100], "server-p99-ms")
	b.ReportMetric(pct(50), "p50-ms")
	b.ReportMetric(pct(99), "p99-ms")
	b.ReportMetric(float64(n)/fill.Seconds(), "filled-values/s")
	b.ReportMetric(float64(size)/float64(n), "index-B/value")
	b.ReportMetric(float64(valueTable)/float64(raw), "value-table-x-raw")
}
