package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tearline/tearline/pii"
	"github.com/tearline/tearline/stix"
)

// piiGenerated is how many generated indicators the pii workload scans
// after the bundle.
const piiGenerated = 100000

// runPII scans every object of the bundle in file with pii.ScanObject
// (identifiers flagged, as the strictest policy would) runs times and
// reports objects/s, MB/s of object JSON and the findings by kind; then the
// same for generated indicators, the objects TAXII clients send most. The
// objects are read and generated before the clock starts.
func runPII(file string, runs int, seed uint64) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%w\n(the data lives in ../shared/data beside the repository)", err)
	}
	var objs [][]byte
	if _, err := stix.ReadBundle(bytes.NewReader(data), func(r *stix.Result) error {
		objs = append(objs, bytes.Clone(r.Raw))
		return nil
	}); err != nil {
		return err
	}
	fmt.Printf("pii: file %s: %d objects, GOMAXPROCS %d, %s\n", file, len(objs), runtime.GOMAXPROCS(0), runtime.Version())
	if err := scanObjects("ATT&CK", objs, runs); err != nil {
		return err
	}
	g := newIndicatorGen(seed)
	gen := make([][]byte, piiGenerated)
	for i := range gen {
		gen[i] = g.indicator(i).Raw
	}
	return scanObjects("generated indicators", gen, runs)
}

// scanObjects scans objs runs times and prints each run and the best.
func scanObjects(what string, objs [][]byte, runs int) error {
	size := 0
	for _, o := range objs {
		size += len(o)
	}
	opts := pii.Options{FlagIdentifiers: true}
	best := time.Duration(1<<63 - 1)
	bestCPU := best
	for run := 1; run <= runs; run++ {
		kinds := map[pii.Kind]int{}
		c := startCPU()
		for _, o := range objs {
			fs, err := pii.ScanObject(o, opts)
			if err != nil {
				return fmt.Errorf("pii: %w", err)
			}
			for _, f := range fs {
				kinds[f.Kind]++
			}
		}
		u := c.stop()
		best, bestCPU = min(best, u.wall), min(bestCPU, u.cpu)
		fmt.Printf("pii %s run %d: %d objects (%.1f MB) in %v: %.0f objects/s, %.1f MB/s, %.2f µs/object; %.2f µs of CPU/object; findings %s; %s\n",
			what, run, len(objs), float64(size)/1e6, u.wall.Round(time.Millisecond), float64(len(objs))/u.wall.Seconds(),
			float64(size)/1e6/u.wall.Seconds(), float64(u.wall.Nanoseconds())/1e3/float64(len(objs)),
			float64(u.cpu.Nanoseconds())/1e3/float64(len(objs)), kindCounts(kinds), u)
	}
	// The machine is shared: CPU time per object says what the scan costs
	// whatever else runs; wall time says what this run got.
	fmt.Printf("pii %s best: %v, %.0f objects/s, %.1f MB/s; least CPU %v, %.0f objects per CPU second, %.1f MB per CPU second\n",
		what, best.Round(time.Millisecond), float64(len(objs))/best.Seconds(), float64(size)/1e6/best.Seconds(),
		bestCPU.Round(time.Millisecond), float64(len(objs))/bestCPU.Seconds(), float64(size)/1e6/bestCPU.Seconds())
	return nil
}

// kindCounts formats findings by kind, in the order of the kinds.
func kindCounts(kinds map[pii.Kind]int) string {
	var parts []string
	for _, k := range pii.Kinds() {
		if n := kinds[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
