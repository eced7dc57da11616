// Command bench measures Tearline's throughput on real STIX data.
//
//	go run ./bench                      # all workloads, default data
//	go run ./bench -workload import -file ../shared/data/attack/enterprise-attack-18.1.json
//
// Workloads:
//
//	import  import a bundle into a fresh embedded store (objects/s, MB/s,
//	        wall time, peak resident memory), then export it and check that
//	        every object comes back byte-identical.
//	validate validate a bundle without storing (objects/s).
//
// Each workload runs -runs times; the report gives every run and the best.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
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
		workload = flag.String("workload", "all", "import, validate or all")
		runs     = flag.Int("runs", 3, "runs per workload")
	)
	flag.Parse()
	data, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n(the data lives in ../shared/data beside the repository)\n", err)
		os.Exit(2)
	}
	fmt.Printf("file %s: %.1f MB, GOMAXPROCS %d, %s\n", *file, float64(len(data))/1e6, runtime.GOMAXPROCS(0), runtime.Version())
	ctx := context.Background()
	for _, w := range []string{"validate", "import"} {
		if *workload != "all" && *workload != w {
			continue
		}
		best := time.Duration(1<<63 - 1)
		var objects int
		for i := range *runs {
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
				fmt.Fprintf(os.Stderr, "bench: %s: %v\n", w, err)
				os.Exit(1)
			}
			objects = n
			best = min(best, d)
			fmt.Printf("%-8s run %d: %d objects in %v: %.0f objects/s, %.1f MB/s\n", w, i+1, n, d.Round(time.Millisecond),
				float64(n)/d.Seconds(), float64(len(data))/1e6/d.Seconds())
		}
		fmt.Printf("%-8s best: %v, %.0f objects/s\n", w, best.Round(time.Millisecond), float64(objects)/best.Seconds())
	}
	fmt.Printf("peak resident memory: %.0f MB (includes the %.0f MB input held in memory)\n", peakRSSMB(), float64(len(data))/1e6)
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
