package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/observable"
)

// lookupOptions size the lookup workload.
type lookupOptions struct {
	values  int // distinct values in the index
	perObj  int // values carried by each stored indicator
	lookups int // lookups of each kind (store, HTTP)
	seed    uint64
	// dir, when set, is a data directory kept between runs: a run fills
	// it unless a previous run filled it with the same values, so that
	// the lookups of a large index can be measured again, or later on a
	// quiet machine, without the fill.
	dir string
}

// targetLookupP99 is issue 5's target for a lookup with 10 million values.
const targetLookupP99 = 10 * time.Millisecond

// lookupValue returns synthetic value i of the lookup workload, distinct
// for every i: 40% IPv4 addresses, 30% domain names, 10% each SHA-256,
// MD5 and SHA-1 hashes.
func lookupValue(seed uint64, i int) observable.Observable {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(i))
	switch i % 10 {
	case 0, 1, 2, 3:
		// An odd multiplier permutes 32-bit numbers: distinct addresses.
		n := uint32(i/10*4+i%10)*2654435761 + uint32(seed)
		return observable.Observable{Kind: observable.IPv4,
			Value: fmt.Sprintf("%d.%d.%d.%d", n>>24, n>>16&255, n>>8&255, n&255)}
	case 4, 5, 6:
		r := sha1.Sum(b[:])
		name := syllables[r[0]%byte(len(syllables))] + syllables[r[1]%byte(len(syllables))]
		return observable.Observable{Kind: observable.Domain,
			Value: name + "-" + strconv.FormatInt(int64(i), 36) + "." + tlds[int(r[2])%len(tlds)]}
	case 7:
		h := sha256.Sum256(b[:])
		return observable.Observable{Kind: observable.SHA256, Value: hex.EncodeToString(h[:])}
	case 8:
		h := md5.Sum(b[:])
		return observable.Observable{Kind: observable.MD5, Value: hex.EncodeToString(h[:])}
	}
	h := sha1.Sum(b[:])
	return observable.Observable{Kind: observable.SHA1, Value: hex.EncodeToString(h[:])}
}

// runLookup fills an index of opts.values values on a fresh server's store,
// reports its size against the raw value bytes, and measures lookups
// through the store and over HTTP.
func runLookup(ctx context.Context, opts lookupOptions) error {
	fmt.Printf("lookup: %d values, %d per stored indicator, GOMAXPROCS %d\n", opts.values, opts.perObj, runtime.GOMAXPROCS(0))
	e, err := startEnvIn(ctx, opts.dir)
	if err != nil {
		return err
	}
	defer e.close()
	filled := ""
	if opts.dir != "" {
		filled = filepath.Join(opts.dir, fmt.Sprintf("lookup-filled-%d-%d-%d", opts.values, opts.perObj, opts.seed))
	}
	g := newIndicatorGen(opts.seed)
	orgs, err := e.db.Organizations(ctx)
	if err != nil {
		return err
	}
	sources := []string{orgs[0].ID, "identity--00000000-0000-4000-8000-000000000002", "identity--00000000-0000-4000-8000-000000000003"}

	// Fill: the indicators through the store, then the values in batches
	// as ingest records them; or a fill a previous run left in opts.dir.
	nobj := (opts.values + opts.perObj - 1) / opts.perObj
	var raw int64
	if _, err := os.Stat(filled); filled != "" && err == nil {
		for i := range opts.values {
			raw += int64(len(lookupValue(opts.seed, i).Value))
		}
		fmt.Printf("  the index in %s was filled by an earlier run\n", opts.dir)
	} else {
		if raw, err = fillLookup(ctx, e, opts, g, nobj, sources); err != nil {
			return err
		}
		if filled != "" {
			if err := os.WriteFile(filled, nil, 0o600); err != nil {
				return err
			}
		}
	}

	sizes, err := e.db.ObservableIndexSize(ctx)
	if err != nil {
		return err
	}
	var values, all int64
	fmt.Printf("  raw value bytes (sum of the normalized values' lengths): %d (%.1f per value)\n", raw, float64(raw)/float64(opts.values))
	for _, s := range sizes {
		if s.Pages == 0 {
			continue
		}
		fill := 0.0
		if s.Bytes > 0 {
			fill = 100 * float64(s.Payload) / float64(s.Bytes)
		}
		fmt.Printf("  %-36s %9d pages %13d bytes (%.2fx raw, %.1f B/value; payload %.0f%% of pages)\n", s.Name, s.Pages, s.Bytes,
			float64(s.Bytes)/float64(raw), float64(s.Bytes)/float64(opts.values), fill)
		all += s.Bytes
		if s.Name == "observables" || s.Name == "observables_recent" {
			values += s.Bytes
		}
	}
	fmt.Printf("  value table: %.2fx the raw value bytes (target <= 1.5x: %s); whole index with sources and links: %.2fx (%.1f B/value)\n",
		float64(values)/float64(raw), verdict(float64(values) <= 1.5*float64(raw)), float64(all)/float64(raw), float64(all)/float64(opts.values))

	// Lookups of random stored values, one in ten of a value never stored.
	pick := func(j int) observable.Observable {
		i := int((uint64(j)*0x9E3779B97F4A7C15 + opts.seed) % uint64(opts.values))
		if j%10 == 9 {
			return lookupValue(opts.seed+1, i) // not stored
		}
		return lookupValue(opts.seed, i)
	}
	var store latencies
	cpu := startCPU()
	for j := range opts.lookups {
		v := pick(j)
		t := time.Now()
		en, err := e.db.LookupObservable(ctx, v.Kind.String(), v.Value, 100)
		store = append(store, time.Since(t))
		switch {
		case j%10 == 9 && tearline.ErrorCode(err) != tearline.ENOTFOUND:
			return fmt.Errorf("lookup of unstored %v: %v", v, err)
		case j%10 != 9 && (err != nil || len(en.Objects) != 1 || len(en.Sources) != 1):
			return fmt.Errorf("lookup of %v: %+v, %v", v, en, err)
		}
	}
	fmt.Printf("  store lookups (LookupObservable, %d, 10%% misses): %s; %v\n", len(store), store.summary(), cpu.stop())
	var web latencies
	var buf bytes.Buffer
	cpu = startCPU()
	for j := range opts.lookups {
		v := pick(j)
		want := http.StatusOK
		if j%10 == 9 {
			want = http.StatusNotFound
		}
		u := e.base + "/api/v1/observables?" + url.Values{"value": {v.Value}, "kind": {v.Kind.String()}}.Encode()
		t := time.Now()
		if _, err := e.do(http.MethodGet, u, nil, want, &buf); err != nil {
			return err
		}
		web = append(web, time.Since(t))
		if want == http.StatusOK && !bytes.Contains(buf.Bytes(), []byte(`"objects":[{"id"`)) {
			return fmt.Errorf("lookup of %v over HTTP lists no object: %s", v, buf.Bytes())
		}
	}
	fmt.Printf("  HTTP lookups (GET /api/v1/observables, %d sequential, 10%% misses): %s; %v\n", len(web), web.summary(), cpu.stop())
	fmt.Printf("  p99 < %v: store %s, HTTP %s\n", targetLookupP99, verdict(store.pct(99) < targetLookupP99), verdict(web.pct(99) < targetLookupP99))
	return nil
}

// fillLookup stores the lookup workload's indicators through the store,
// then records their values in batches as ingest does, and returns the
// raw bytes of the values.
func fillLookup(ctx context.Context, e *taxiiEnv, opts lookupOptions, g *indicatorGen, nobj int, sources []string) (int64, error) {
	start, cpu := time.Now(), startCPU()
	objs := make([]*tearline.Object, 0, 5000)
	for i := 0; i < nobj; i++ {
		objs = append(objs, g.indicator(i))
		if len(objs) == cap(objs) || i == nobj-1 {
			if _, err := e.db.AddObjects(ctx, e.col.ID, objs); err != nil {
				return 0, err
			}
			objs = objs[:0]
		}
	}
	objTime := time.Since(start)
	const batch = 10000
	refs := make([]tearline.ObservableRef, 0, batch)
	var raw int64
	t0 := time.Now()
	for i := 0; i < opts.values; i++ {
		v := lookupValue(opts.seed, i)
		raw += int64(len(v.Value))
		o := g.indicator(i % nobj)
		refs = append(refs, tearline.ObservableRef{Kind: v.Kind.String(), Value: v.Value, ObjectID: o.ID, Version: o.Version,
			Source: sources[i%len(sources)], Time: t0.Add(time.Duration(i) * time.Millisecond)})
		if len(refs) == batch || i == opts.values-1 {
			if err := e.db.RecordObservables(ctx, refs); err != nil {
				return 0, err
			}
			refs = refs[:0]
		}
		if (i+1)%(opts.values/10+1) == 0 {
			fmt.Printf("  %d values recorded, %.0f values/s\n", i+1, float64(i+1)/time.Since(t0).Seconds())
		}
	}
	recTime := time.Since(t0)
	fmt.Printf("  filled in %v (%d indicators in %v; %d values in %v, %.0f values/s); %v\n", time.Since(start).Round(time.Millisecond),
		nobj, objTime.Round(time.Millisecond), opts.values, recTime.Round(time.Millisecond), float64(opts.values)/recTime.Seconds(), cpu.stop())
	return raw, nil
}
