package postgres

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
	"github.com/tearline/tearline/postgres/pgtest"
)

// scaleAppName is the application_name of BenchmarkScale's connections, by
// which pg_stat_activity finds their server processes (to renice them on a
// shared machine, for instance).
const scaleAppName = "tearline-scale"

// BenchmarkScale loads TEARLINE_BENCH_OBJECTS (e.g. 1000000) objects into
// one collection from two stores at once (two nodes), each object with one
// observable value recorded through RecordObservables as ingest records
// them, then measures, on the loaded collection, pages of 1000 with
// added_after at random places (all versions and last versions), polls for
// news after the latest entry, lookups of one object by id and lookups of
// observable values. It reports ingest objects/s by tenth of the fill,
// latencies, and the size of the tables per object. Without the variable
// it is skipped. Run it with -benchtime 1x.
//
// TEARLINE_BENCH_SHAPE chooses the objects: "attack" (the default), the
// objects of ATT&CK Enterprise, each copy with a new id (2 KB on average),
// or "indicator", generated feed indicators of about 1 KB whose pattern
// holds the object's observable value.
//
// With TEARLINE_BENCH_SCHEMA set, the data is kept in that schema (created
// when absent, never dropped) and reused by later runs: a run fills only
// the objects that the schema lacks, so a 1M schema grows into a 10M one
// and a loaded schema is measured again without a fill. Object i is the
// same in every run, so an interrupted fill is resumed where it stopped.
func BenchmarkScale(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("TEARLINE_BENCH_OBJECTS"))
	if n <= 0 {
		b.Skip("TEARLINE_BENCH_OBJECTS is not set")
	}
	shape := cmp.Or(os.Getenv("TEARLINE_BENCH_SHAPE"), "attack")
	var object func(i int) *tearline.Object
	switch shape {
	case "attack":
		attack := readAttack(b)
		object = func(i int) *tearline.Object {
			src := attack[i%len(attack)]
			o := *src
			o.ID = src.Type + "--" + scaleUUID(i)
			o.Raw = bytes.ReplaceAll(src.Raw, []byte(src.ID), []byte(o.ID))
			return &o
		}
	case "indicator":
		object = scaleIndicator
	default:
		b.Fatalf("TEARLINE_BENCH_SHAPE=%q: want attack or indicator", shape)
	}
	ctx := context.Background()
	url := scaleURL(b)
	nodes := []*DB{openURL(b, url), openURL(b, url)}
	db := nodes[0]
	c := scaleCollection(b, db)

	const batch = 1000
	var have int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM collection_objects
		WHERE collection = (SELECT pk FROM collections WHERE id = $1)`, c.ID).Scan(&have)
	if err != nil {
		b.Fatal(err)
	}
	// Batches are handed out in order and at most one per node is in
	// flight, so the objects stored are all of [0, have) but for at most
	// that many batches below have; storing an object again is a no-op.
	from := max(0, have-len(nodes)*batch)
	from -= from % batch
	b.Logf("schema holds %d objects of %d (%s); load average %s", have, n, shape, loadAverage())
	for range b.N {
		if have >= n {
			b.Logf("no fill: measuring the stored objects")
			break
		}
		scaleFill(b, nodes, c, object, from, n, batch)
	}
	if b.Failed() {
		return
	}
	start := time.Now()
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("ANALYZE: %v", time.Since(start).Round(time.Millisecond))
	objBytes, obsBytes := scaleSizes(b, db)
	b.ReportMetric(float64(objBytes)/float64(n), "stored-bytes/object")
	b.ReportMetric(float64(obsBytes)/float64(n), "observable-bytes/value")
	rows, err := db.pool.Query(ctx, `SELECT relname, pg_total_relation_size(oid) FROM pg_class
		WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace
		AND relname IN ('objects', 'collection_objects', 'object_search', 'observables', 'observable_sources', 'observable_objects', 'observable_versions', 'observable_orgs')
		ORDER BY 1`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var (
			name string
			size int64
		)
		if err := rows.Scan(&name, &size); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s with its indexes and TOAST: %d MB, %.0f B/object", name, size>>20, float64(size)/float64(n))
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	scaleMeasure(b, db, c, object, n)
}

// scaleFill stores objects [from, n) from the nodes at once, in batches,
// recording each object's observable value after its batch, and logs the
// rate and the stored size at every tenth of n.
func scaleFill(b *testing.B, nodes []*DB, c *tearline.Collection, object func(int) *tearline.Object, from, n, batch int) {
	ctx := context.Background()
	sources := []string{"identity--00000000-0000-4000-8000-000000000001", "identity--00000000-0000-4000-8000-000000000002", ""}
	var (
		next          atomic.Int64
		wg            sync.WaitGroup
		progress      sync.Mutex
		done          = from
		mark          = time.Now()
		markDone      = from
		tenth         = max(1, n/10)
		nextTenth     = (from/tenth + 1) * tenth
		addTime, obsT time.Duration
	)
	next.Store(int64(from))
	b.Logf("filling objects %d to %d from %d nodes; load average %s", from, n, len(nodes), loadAverage())
	start := mark
	for _, node := range nodes {
		wg.Go(func() {
			objs := make([]*tearline.Object, 0, batch)
			refs := make([]tearline.ObservableRef, 0, batch)
			for !b.Failed() {
				first := int(next.Add(int64(batch))) - batch
				if first >= n {
					return
				}
				objs, refs = objs[:0], refs[:0]
				for i := first; i < min(first+batch, n); i++ {
					o := object(i)
					objs = append(objs, o)
					kind, value := benchValue(i)
					refs = append(refs, tearline.ObservableRef{Kind: kind, Value: value, ObjectID: o.ID, Version: o.Version,
						Source: sources[i%3], Time: o.Version})
				}
				t := time.Now()
				if _, err := node.AddObjects(ctx, c.ID, objs); err != nil {
					b.Error(err)
					return
				}
				added := time.Now()
				if err := node.RecordObservables(ctx, refs); err != nil {
					b.Error(err)
					return
				}
				recorded := time.Now()
				progress.Lock()
				addTime += added.Sub(t)
				obsT += recorded.Sub(added)
				done += len(objs)
				if done >= nextTenth || done == n {
					objBytes, obsBytes := scaleSizes(b, node)
					b.Logf("%d objects: %.0f objects/s since %d; stored %.0f B/object, observables %.0f B/value; load average %s",
						done, float64(done-markDone)/time.Since(mark).Seconds(), markDone,
						float64(objBytes)/float64(done), float64(obsBytes)/float64(done), loadAverage())
					mark, markDone = time.Now(), done
					for nextTenth <= done {
						nextTenth += tenth
					}
				}
				progress.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.ReportMetric(float64(n-from)/elapsed.Seconds(), "ingest-objects/s")
	b.Logf("filled %d objects in %v: AddObjects %v, RecordObservables %v (summed over the nodes)",
		n-from, elapsed.Round(time.Second), addTime.Round(time.Second), obsT.Round(time.Second))
}

// scaleMeasure runs the read workloads on the loaded collection and
// reports their latencies.
func scaleMeasure(b *testing.B, db *DB, c *tearline.Collection, object func(int) *tearline.Object, n int) {
	ctx := context.Background()
	b.Logf("measuring; load average %s", loadAverage())
	// Cursors at random places: a sample of about 4,000 rows from random
	// pages (SYSTEM reads only the chosen pages), of which 300 are drawn.
	pct := min(100, 400_000/float64(n))
	rows, err := db.pool.Query(ctx, `SELECT date_added FROM collection_objects TABLESAMPLE SYSTEM (`+
		strconv.FormatFloat(pct, 'f', 4, 64)+`) WHERE collection = (SELECT pk FROM collections WHERE id = $1)`, c.ID)
	if err != nil {
		b.Fatal(err)
	}
	var sample []time.Time
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			b.Fatal(err)
		}
		sample = append(sample, t)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	if len(sample) == 0 {
		b.Fatal("no cursors sampled")
	}
	rnd := rand.New(rand.NewPCG(uint64(n), 3))
	var pages, lastPages, polls, lookups, observables []time.Duration
	// The process's CPU time per operation, which the machine's load
	// does not inflate as it does the wall-clock latencies.
	cpu := func(what string, ops int, since time.Duration) {
		b.ReportMetric(float64(processCPU()-since)/float64(ops)/float64(time.Millisecond), "client-cpu-ms/"+what)
	}
	t0 := processCPU()
	for range 300 {
		t := sample[rnd.IntN(len(sample))]
		for _, versions := range []string{tearline.VersionAll, tearline.VersionLast} {
			start := time.Now()
			page, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, AddedAfter: t, Limit: 1000, Versions: []string{versions}})
			if err != nil {
				b.Fatal(err)
			}
			if versions == tearline.VersionAll {
				pages = append(pages, time.Since(start))
			} else {
				lastPages = append(lastPages, time.Since(start))
			}
			if len(page.Entries) == 0 {
				b.Fatalf("no entries after %v", t)
			}
		}
	}
	cpu("page", 600, t0)
	b.Logf("pages done; load average %s", loadAverage())
	// The server's planning and execution time of pages at other random
	// places, apart from the client's and the server's waits for a CPU
	// (EXPLAIN ANALYZE adds the cost of its timing).
	var server []time.Duration
	for range 100 {
		t := sample[rnd.IntN(len(sample))]
		sql, args := objectQuery(tearline.ObjectQuery{CollectionID: c.ID, AddedAfter: t, Limit: 1000}, normalize.VersionFilter{All: true})
		var plan []map[string]any
		if err := db.pool.QueryRow(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) `+sql, args...).Scan(&plan); err != nil {
			b.Fatal(err)
		}
		ms := plan[0]["Execution Time"].(float64) + plan[0]["Planning Time"].(float64)
		server = append(server, time.Duration(ms*float64(time.Millisecond)))
	}
	var latest time.Time
	if err := db.pool.QueryRow(ctx, `SELECT last_added FROM collections WHERE id = $1`, c.ID).Scan(&latest); err != nil {
		b.Fatal(err)
	}
	t0 = processCPU()
	for range 300 {
		start := time.Now()
		if _, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, AddedAfter: latest, Limit: 1000}); err != nil {
			b.Fatal(err)
		}
		polls = append(polls, time.Since(start))
	}
	cpu("poll", 300, t0)
	t0 = processCPU()
	for i := range 1000 {
		k := rnd.IntN(n)
		start := time.Now()
		page, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, IDs: []string{object(k).ID}})
		if err != nil {
			b.Fatal(err)
		}
		lookups = append(lookups, time.Since(start))
		if len(page.Entries) != 1 {
			b.Fatalf("lookup %d: %d entries", i, len(page.Entries))
		}
	}
	cpu("lookup", 1000, t0)
	t0 = processCPU()
	for range 2000 {
		kind, value := benchValue(rnd.IntN(n))
		start := time.Now()
		e, err := db.LookupObservable(ctx, kind, value, 100)
		observables = append(observables, time.Since(start))
		if err != nil || len(e.Objects) != 1 {
			b.Fatalf("lookup %s %s: %+v, %v", kind, value, e, err)
		}
	}
	cpu("observable", 2000, t0)
	b.Logf("done; load average %s", loadAverage())
	reportLatency(b, pages, "page")
	reportLatency(b, server, "page-server")
	reportLatency(b, lastPages, "page-last")
	reportLatency(b, polls, "poll")
	reportLatency(b, lookups, "lookup")
	reportLatency(b, observables, "observable")
}

// scaleURL returns the URL of the benchmark's schema: a new one dropped at
// the end, or TEARLINE_BENCH_SCHEMA, created when absent and kept.
func scaleURL(b *testing.B) string {
	schema := os.Getenv("TEARLINE_BENCH_SCHEMA")
	if schema == "" {
		return pgtest.WithParam(pgtest.URL(b), "application_name", scaleAppName)
	}
	base := os.Getenv(pgtest.EnvURL)
	if base == "" {
		b.Skipf("%s is not set", pgtest.EnvURL)
	}
	if strings.Trim(schema, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		b.Fatalf("TEARLINE_BENCH_SCHEMA=%q: use lower-case letters, digits and _", schema)
	}
	db := openURL(b, pgtest.WithParam(base, "application_name", scaleAppName))
	if _, err := db.pool.Exec(context.Background(), `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
		b.Fatal(err)
	}
	return pgtest.WithParam(pgtest.WithParam(base, "search_path", schema), "application_name", scaleAppName)
}

// scaleCollection returns the collection "scale", created when absent.
func scaleCollection(b *testing.B, db *DB) *tearline.Collection {
	ctx := context.Background()
	cs, err := db.Collections(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cs {
		if c.Alias == "scale" {
			return c
		}
	}
	c := &tearline.Collection{Alias: "scale", Title: "scale"}
	if err := db.CreateCollection(ctx, c); err != nil {
		b.Fatal(err)
	}
	return c
}

// scaleSizes returns the bytes of the objects, their memberships and
// full-text index, and of the observable index, with their indexes and
// TOAST.
func scaleSizes(b *testing.B, db *DB) (objects, observables int64) {
	err := db.pool.QueryRow(context.Background(), `SELECT
		coalesce(sum(pg_total_relation_size(oid)) FILTER (WHERE relname IN ('objects', 'collection_objects', 'object_search')), 0),
		coalesce(sum(pg_total_relation_size(oid)) FILTER (WHERE relname LIKE 'observable%'), 0)
		FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace`).Scan(&objects, &observables)
	if err != nil {
		b.Error(err)
	}
	return objects, observables
}

// loadAverage returns the machine's 1, 5 and 15 minute load averages, or
// "?" where /proc/loadavg is not readable.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// processCPU returns the user and system CPU time of the process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scaleUUID returns the UUID of object i.
func scaleUUID(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }

// Parts of the generated indicators, chosen by the object's number.
var (
	scaleEpoch    = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	scaleFamilies = []string{"Emotet", "QakBot", "IcedID", "AgentTesla", "FormBook", "RedLine Stealer", "Cobalt Strike",
		"AsyncRAT", "Remcos", "LockBit", "Lumma Stealer", "SmokeLoader", "DarkGate"}
	scaleCampaigns = []string{"an invoice-themed phishing wave", "a fake browser update campaign",
		"malvertising on search results", "exploitation of exposed VPN appliances", "a trojanized installer campaign"}
	scaleSectors = []string{"financial services", "healthcare", "energy", "government", "manufacturing", "education"}
	scalePhases  = []string{"command-and-control", "initial-access", "execution", "exfiltration", "delivery"}
	scaleTLP     = []string{"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
		"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"}
)

// scaleIndicator returns indicator i: about 1 KB of feed-like STIX whose
// pattern holds benchValue(i), created 3 s after indicator i-1.
func scaleIndicator(i int) *tearline.Object {
	kind, value := benchValue(i)
	var pattern, name string
	switch kind {
	case "ipv4":
		pattern, name = "[ipv4-addr:value = '"+value+"']", "C2 server "+value
	case "domain":
		pattern, name = "[domain-name:value = '"+value+"']", "Phishing domain "+value
	default:
		pattern, name = "[file:hashes.'SHA-256' = '"+value+"']", "Malicious file "+value[:16]
	}
	r := rand.New(rand.NewPCG(uint64(i), 7))
	created := scaleEpoch.Add(time.Duration(i) * 3 * time.Second)
	modified := created.Add(time.Duration(r.IntN(86400)) * time.Second)
	family := scaleFamilies[r.IntN(len(scaleFamilies))]
	ts := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	id := "indicator--" + scaleUUID(i)
	raw := fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"%s",`+
		`"created_by_ref":"identity--%08x-7a1e-4c2b-9d3f-5e6a7b8c9d0e","created":"%s","modified":"%s",`+
		`"name":"%s","description":"%s infrastructure seen in %s aimed at %s; first reported by a partner feed and confirmed by sandbox detonation of %d samples.",`+
		`"indicator_types":["malicious-activity"],"pattern":"%s","pattern_type":"stix","pattern_version":"2.1",`+
		`"valid_from":"%s","valid_until":"%s","labels":["%s","%s"],`+
		`"kill_chain_phases":[{"kill_chain_name":"lockheed-martin-cyber-kill-chain","phase_name":"%s"}],"confidence":%d,`+
		`"object_marking_refs":["%s"],"external_references":[{"source_name":"threatfox","url":"https://threatfox.example/ioc/%d/","external_id":"TF-%d"}]}`,
		id, i%8, ts(created), ts(modified), name, family, scaleCampaigns[r.IntN(len(scaleCampaigns))],
		scaleSectors[r.IntN(len(scaleSectors))], 1+r.IntN(40), pattern,
		ts(created), ts(created.Add(90*24*time.Hour)), strings.ToLower(strings.ReplaceAll(family, " ", "-")), kind,
		scalePhases[r.IntN(len(scalePhases))], 50+r.IntN(50), scaleTLP[r.IntN(len(scaleTLP))], 1_000_000+i, 1_000_000+i)
	return &tearline.Object{ID: id, Type: "indicator", SpecVersion: "2.1", Version: modified.Truncate(time.Millisecond),
		Created: created, Raw: raw}
}
