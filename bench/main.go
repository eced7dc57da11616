// Command bench measures Tearline's throughput on real STIX data and the
// TAXII server's ingest, paging and polling over HTTP.
//
//	go run ./bench                      # validate, import, post, poll
//	go run ./bench -workload import -file ../shared/data/attack/enterprise-attack-18.1.json
//	go run ./bench -workload all-taxii  # post, page (1M objects), poll
//
// Workloads (-workload takes a name, a comma-separated list or a set):
//
//	validate validate a bundle without storing (objects/s).
//	import  import a bundle into a fresh embedded store (objects/s, MB/s,
//	        wall time, peak resident memory), then export it and check that
//	        every object comes back byte-identical.
//	post    POST generated indicators in envelopes to a TAXII server started
//	        in-process on 127.0.0.1, from concurrent clients that each wait
//	        for the status to be complete (objects/s, envelope latency).
//	page    fill a large collection through the store, then drain it over
//	        TAXII GET objects following next (page latency, drain time,
//	        heap and RSS during the drain).
//	poll    GET objects with added_after at the latest date_added, which
//	        returns nothing (latency).
//	pii     scan every object of the bundle, then generated indicators, for
//	        personal data with pii.ScanObject (objects/s, MB/s). Run only
//	        when named.
//	match   compile -match-indicators (1,000,000) equality indicators, then
//	        decode and match Suricata EVE lines and one-value lines held in
//	        memory, and match observations against -match-compound (10,000)
//	        compound patterns: compile time, bytes per indicator, events/s
//	        per core (thread CPU time). Run only when named.
//	lookup  fill the observable index with -lookup-values synthetic values
//	        (IPs, domains, hashes) linked to stored indicators, report its
//	        size against the raw value bytes, then time lookups through the
//	        store and over HTTP (GET /api/v1/observables). Run only when
//	        named.
//	dissem  -dissem-subs (1000) webhook subscriptions on a receiver on
//	        127.0.0.1 while -dissem-rate (1000) objects/s are posted: the
//	        time from each object's acceptance (its add committed) to the
//	        webhook request carrying it; then -dissem-streams (500) event
//	        streams reading every object posted at -dissem-stream-rate.
//	        Run alone: -workload dissem.
//	load    -load-clients (200) concurrent clients mixing polls, pages,
//	        manifests, lookups by id and posts for -duration (30s; the
//	        documented run is 10m) against a server with serve's limits
//	        and ledger: latency percentiles, deliberate 429s, errors, memory
//	        over time. Run alone: -workload load.
//
// Sets: all (the default) is validate, import, post and poll; taxii is post
// and poll; all-taxii is post, page and poll. validate and import run -runs
// times and report every run and the best; the TAXII workloads run
// -taxii-runs times. See README.md for the targets and results.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/stix"
)

func main() {
	var (
		file     = flag.String("file", "../shared/data/attack/enterprise-attack-18.1.json", "STIX bundle to use")
		workload = flag.String("workload", "all", "workloads: validate, import, post, page, poll, pii, lookup, a comma-separated list, or all, taxii, all-taxii")
		runs     = flag.Int("runs", 3, "runs of validate and import")
		topts    taxiiOptions
		lopts    lookupOptions
	)
	flag.IntVar(&topts.runs, "taxii-runs", 1, "runs of the TAXII workloads")
	flag.Uint64Var(&topts.seed, "seed", 1, "seed of the generated indicators")
	flag.IntVar(&topts.postObjects, "post-objects", 100000, "indicators the post workload sends")
	flag.IntVar(&topts.envelope, "envelope", 1000, "objects per envelope in the post workload")
	flag.IntVar(&topts.clients, "clients", 2, "concurrent clients of the post workload")
	flag.IntVar(&topts.pageObjects, "page-objects", 1000000, "objects in the page workload's collection")
	flag.IntVar(&topts.pageLimit, "page-limit", 1000, "limit of each page request")
	flag.IntVar(&topts.polls, "polls", 2000, "requests of the poll workload")
	flag.IntVar(&topts.pollObjects, "poll-objects", 100000, "collection size of the poll workload when it runs without post or page")
	flag.IntVar(&lopts.values, "lookup-values", 1000000, "values in the lookup workload's observable index (-lookup-values 10000000 for issue 5's target)")
	flag.IntVar(&lopts.perObj, "lookup-per-object", 100, "values carried by each stored indicator in the lookup workload")
	flag.IntVar(&lopts.lookups, "lookups", 2000, "lookups of the lookup workload, through the store and again over HTTP")
	flag.StringVar(&lopts.dir, "lookup-dir", "", "lookup workload: a data directory kept between runs; a run fills it only if no earlier run filled it with the same values")
	flag.StringVar(&topts.profileDir, "profile", "", "write a CPU profile of each TAXII workload's measured phase to this directory")
	flag.BoolVar(&traceProfiles, "trace", false, "with -profile, also write an execution trace of each measured phase (it slows the run)")
	mopts := matchOptions{}
	flag.IntVar(&mopts.indicators, "match-indicators", 1000000, "equality indicators of the match workload")
	flag.IntVar(&mopts.compound, "match-compound", 10000, "compound patterns of the match workload")
	flag.IntVar(&mopts.events, "match-events", 200000, "events of each event set of the match workload")
	flag.Parse()
	if *workload == "load" {
		if err := runLoad(context.Background(), loadOpts, topts.seed); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("peak resident memory of the process: %.0f MB\n", peakRSSMB())
		return
	}
	if *workload == "dissem" {
		if err := runDissem(context.Background(), dissemOpts); err != nil {
			fmt.Fprintf(os.Stderr, "bench: dissem: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("peak resident memory of the process: %.0f MB\n", peakRSSMB())
		return
	}
	if fedOpts.serve != "" {
		if err := serveHub(context.Background(), fedOpts.serve, topts.profileDir); err != nil {
			fmt.Fprintf(os.Stderr, "bench: hub process: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if *workload == "federation" {
		if err := runFederation(context.Background(), fedOpts, topts.seed, topts.profileDir); err != nil {
			fmt.Fprintf(os.Stderr, "bench: federation: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("peak resident memory of the process: %.0f MB\n", peakRSSMB())
		return
	}
	selected, err := workloads(*workload)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	if topts.runs < 1 || topts.postObjects < 1 || topts.envelope < 1 || topts.clients < 1 || topts.pageObjects < 1 ||
		topts.pageLimit < 1 || topts.polls < 1 || topts.pollObjects < 1 || lopts.values < 1 || lopts.perObj < 1 || lopts.lookups < 1 {
		fmt.Fprintln(os.Stderr, "bench: -taxii-runs and the TAXII sizes must be positive")
		os.Exit(2)
	}
	ctx := context.Background()
	if selected["validate"] || selected["import"] {
		if err := runBundle(ctx, *file, *runs, selected); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
	}
	if selected["post"] || selected["page"] || selected["poll"] {
		if err := runTAXII(ctx, selected, topts); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
	}
	if selected["lookup"] {
		lopts.seed = topts.seed
		if err := runLookup(ctx, lopts); err != nil {
			fmt.Fprintf(os.Stderr, "bench: lookup: %v\n", err)
			os.Exit(1)
		}
	}
	if selected["pii"] {
		if err := runPII(*file, *runs, topts.seed); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			os.Exit(1)
		}
	}
	if selected["match"] {
		mopts.seed = topts.seed
		if err := runMatch(mopts); err != nil {
			fmt.Fprintf(os.Stderr, "bench: match: %v\n", err)
			os.Exit(1)
		}
	}
	fmt.Printf("peak resident memory of the process: %.0f MB\n", peakRSSMB())
}

// workloads parses the -workload flag.
func workloads(s string) (map[string]bool, error) {
	sets := map[string][]string{
		"all":       {"validate", "import", "post", "poll"},
		"taxii":     {"post", "poll"},
		"all-taxii": {"post", "page", "poll"},
	}
	out := map[string]bool{}
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		switch {
		case sets[w] != nil:
			for _, x := range sets[w] {
				out[x] = true
			}
		case w == "validate" || w == "import" || w == "post" || w == "page" || w == "poll" || w == "pii" || w == "lookup" || w == "match":
			out[w] = true
		default:
			return nil, fmt.Errorf("unknown workload %q: use validate, import, post, page, poll, pii, lookup, match, all, taxii or all-taxii", w)
		}
	}
	return out, nil
}

// runBundle runs the selected bundle workloads (validate, import) on file.
func runBundle(ctx context.Context, file string, runs int, selected map[string]bool) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%w\n(the data lives in ../shared/data beside the repository)", err)
	}
	fmt.Printf("file %s: %.1f MB, GOMAXPROCS %d, %s\n", file, float64(len(data))/1e6, runtime.GOMAXPROCS(0), runtime.Version())
	for _, w := range []string{"validate", "import"} {
		if !selected[w] {
			continue
		}
		best := time.Duration(1<<63 - 1)
		var objects int
		for i := range runs {
			var d time.Duration
			var n int
			var err error
			switch w {
			case "validate":
				d, n, err = benchValidate(data)
			case "import":
				d, n, err = benchImport(ctx, data)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", w, err)
			}
			objects = n
			best = min(best, d)
			fmt.Printf("%-8s run %d: %d objects in %v: %.0f objects/s, %.1f MB/s\n", w, i+1, n, d.Round(time.Millisecond),
				float64(n)/d.Seconds(), float64(len(data))/1e6/d.Seconds())
		}
		fmt.Printf("%-8s best: %v, %.0f objects/s\n", w, best.Round(time.Millisecond), float64(objects)/best.Seconds())
	}
	fmt.Printf("peak resident memory so far: %.0f MB (includes the %.0f MB input held in memory)\n", peakRSSMB(), float64(len(data))/1e6)
	return nil
}

// benchValidate validates the bundle without storing it.
func benchValidate(data []byte) (time.Duration, int, error) {
	start := time.Now()
	n := 0
	_, err := stix.ReadBundle(bytes.NewReader(data), func(r *stix.Result) error {
		if r.Object == nil {
			return fmt.Errorf("%s invalid: %v", r.Path, r.Issues)
		}
		n++
		return nil
	})
	return time.Since(start), n, err
}

// benchImport imports into a fresh store (timed), then exports and checks
// every object byte for byte (not timed).
func benchImport(ctx context.Context, data []byte) (time.Duration, int, error) {
	dir, err := os.MkdirTemp("", "tearline-bench-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	col := &tearline.Collection{Alias: "bench", Title: "bench"}
	if err := db.CreateCollection(ctx, col); err != nil {
		return 0, 0, err
	}
	rep, err := ingest.Bundle(ctx, db, col.ID, bytes.NewReader(data), ingest.Options{})
	if err != nil {
		return 0, 0, err
	}
	d := time.Since(start)
	if rep.Invalid > 0 || rep.Conflicts > 0 || rep.Added != rep.Objects {
		return 0, 0, fmt.Errorf("import report: %+v", rep)
	}
	return d, rep.Objects, verifyExport(ctx, db, col.ID, data)
}

// verifyExport checks that every object of the input is stored byte-identical.
func verifyExport(ctx context.Context, db tearline.Store, col string, data []byte) error {
	want := map[string][]byte{}
	if _, err := stix.ReadBundle(bytes.NewReader(data), func(r *stix.Result) error {
		want[r.Object.ID+"|"+r.Object.VersionKey()] = r.Raw
		return nil
	}); err != nil {
		return err
	}
	q := tearline.ObjectQuery{CollectionID: col, Versions: []string{tearline.VersionAll}, Limit: 5000}
	n := 0
	for {
		page, err := db.QueryObjects(ctx, q)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			if !bytes.Equal(want[e.ID+"|"+e.VersionKey()], e.Raw) {
				return fmt.Errorf("object %s differs after the round trip", e.ID)
			}
			n++
		}
		if !page.More {
			break
		}
		q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
	}
	if n != len(want) {
		return fmt.Errorf("exported %d objects, imported %d", n, len(want))
	}
	return nil
}

// peakRSSMB returns the process's peak resident set size in MB.
func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
