package main

import (
	"fmt"
	"runtime"
	"syscall"
	"time"

	"github.com/tearline/tearline/match"
	"github.com/tearline/tearline/match/matchtest"
	"github.com/tearline/tearline/stix/pattern"
)

// matchOptions are the sizes of the match workload.
type matchOptions struct {
	indicators int // equality indicators
	compound   int // compound patterns
	events     int // lines per event set
	seed       uint64
}

// rusageThread is Linux's RUSAGE_THREAD: the CPU time of the calling
// thread only.
const rusageThread = 1

// threadCPU returns the CPU time the calling thread has used.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs fn on one locked OS thread and returns its wall and thread
// CPU time; per-core rates divide by the CPU time, so that other work on
// the machine does not count.
func measure(fn func()) (wall, cpu time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, t0 := threadCPU(), time.Now()
	fn()
	return time.Since(t0), threadCPU() - c0
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// runMatch measures the matcher: compiling equality indicators, matching
// Suricata EVE lines and one-value lines against them, and matching
// observations against compound patterns.
func runMatch(o matchOptions) error {
	fmt.Printf("== match: %d equality indicators, %d compound patterns, %d events per set, GOMAXPROCS %d, %s\n",
		o.indicators, o.compound, o.events, runtime.GOMAXPROCS(0), runtime.Version())
	vals := matchtest.Values(o.indicators, o.seed)
	pats := make([]string, len(vals))
	for i, v := range vals {
		pats[i] = v.Pattern()
	}
	ids := make([]string, len(vals))
	for i := range ids {
		ids[i] = matchtest.ID(i)
	}
	h0 := heapInUse()
	var idx *match.Index
	var compileErr error
	wall, cpu := measure(func() {
		b := match.NewBuilder(match.Options{})
		for i, s := range pats {
			p, err := pattern.Parse(s)
			if err != nil {
				compileErr = err
				return
			}
			if err := b.Add(match.Indicator{ID: ids[i], Pattern: p}); err != nil {
				compileErr = err
				return
			}
		}
		idx = b.Build()
	})
	if compileErr != nil {
		return compileErr
	}
	h1 := heapInUse()
	// The patterns and ids are inputs, held across both measurements.
	runtime.KeepAlive(pats)
	runtime.KeepAlive(ids)
	pats, ids = nil, nil
	st := idx.Stats()
	fmt.Printf("compile (parse + index): %d indicators in %.2f s wall, %.2f s CPU (%.0f indicators/s); %d keys, %d exact\n",
		st.Indicators, wall.Seconds(), cpu.Seconds(), float64(st.Indicators)/wall.Seconds(), st.Keys, st.Exact)
	fmt.Printf("index memory: %.1f MB, %.0f bytes per indicator (Go heap after GC)\n", float64(h1-h0)/1e6, float64(h1-h0)/float64(st.Indicators))

	sur, _ := match.BuiltinMapping("suricata")
	single, err := match.ParseMapping([]byte(`{"name":"single","time":["ts"],"fields":{"ip":["ipv4-addr@a:value"]}}`))
	if err != nil {
		return err
	}
	for _, set := range []struct {
		name  string
		lines [][]byte
		m     *match.Mapping
	}{
		{"suricata EVE lines (dns, http, tls, fileinfo, flow; 1% hits)", matchtest.SuricataLines(o.events, o.seed+1, vals, 100), sur},
		{"one-value lines {ts, ip} (1% hits)", matchtest.SingleLines(o.events, o.seed+2, vals, 100), single},
	} {
		if err := matchLines(idx, set.name, set.lines, set.m); err != nil {
			return err
		}
	}
	// One-value look-ups of already decoded observations.
	obs := make([]match.Observation, 100000)
	for i := range obs {
		v := vals[(i*7919)%len(vals)]
		if i%100 != 0 {
			v.Value = fmt.Sprintf("192.0.%d.%d", i/256%256, i%256)
		}
		obs[i] = match.Observation{Objects: []match.Object{{Type: "ipv4-addr", Props: []match.Prop{{Key: "value", Value: match.String(v.Value)}}}}}
	}
	mt := idx.NewMatcher()
	const rounds = 20
	wall, cpu = measure(func() {
		for range rounds {
			for i := range obs {
				mt.Match(&obs[i])
			}
		}
	})
	n := float64(rounds * len(obs))
	fmt.Printf("  look-up of decoded one-address observations: %.0f/s per core (%.0f ns CPU each), %.0f/s wall\n", n/cpu.Seconds(), float64(cpu.Nanoseconds())/n, n/wall.Seconds())
	idx, vals = nil, nil
	return runCompound(o)
}

// matchLines decodes and matches lines (in memory) on one thread, with a
// LineMatcher: the way tearline match reads logs.
func matchLines(idx *match.Index, name string, lines [][]byte, m *match.Mapping) error {
	lm := idx.NewLineMatcher(nil, m)
	matches, bytes := 0, 0
	for _, l := range lines {
		bytes += len(l)
	}
	var bad string
	const rounds = 5
	wall, cpu := measure(func() {
		for range rounds {
			for _, l := range lines {
				ms, reason := lm.Match(l)
				if reason != "" {
					bad = reason
					return
				}
				matches += len(ms)
			}
		}
	})
	if bad != "" {
		return fmt.Errorf("match: a generated line was skipped: %s", bad)
	}
	n := float64(rounds * len(lines))
	scanned, decoded := lm.Counts()
	fmt.Printf("  %s: %.0f events/s per core (%.0f ns CPU each, %.0f MB/s), %.0f/s wall; %d matches, %.0f bytes per line; %d lines scanned, %d decoded in full\n",
		name, n/cpu.Seconds(), float64(cpu.Nanoseconds())/n, float64(rounds*bytes)/cpu.Seconds()/1e6, n/wall.Seconds(), matches, float64(bytes)/float64(len(lines)), scanned, decoded)
	return nil
}

// runCompound compiles compound patterns (observation operators and
// qualifiers over equality, CIDR, LIKE and MATCHES comparisons) and
// matches Suricata lines, one in ten carrying values of the patterns.
func runCompound(o matchOptions) error {
	vals := matchtest.Values(4*o.compound, o.seed+10)
	b := match.NewBuilder(match.Options{})
	kinds := map[int][]matchtest.Value{}
	for _, v := range vals {
		kinds[v.Kind] = append(kinds[v.Kind], v)
	}
	pick := func(k, i int) matchtest.Value { l := kinds[k]; return l[i%len(l)] }
	for i := range o.compound {
		ip, dom, url, hash := pick(matchtest.IPv4, i), pick(matchtest.Domain, i), pick(matchtest.URL, i), pick(matchtest.Hash, i)
		var s string
		switch i % 6 {
		case 0:
			s = fmt.Sprintf("([domain-name:value = '%s'] FOLLOWEDBY [ipv4-addr:value = '%s']) WITHIN 300 SECONDS", dom.Value, ip.Value)
		case 1:
			s = fmt.Sprintf("[network-traffic:dst_ref.value = '%s'] REPEATS 3 TIMES WITHIN 3600 SECONDS", ip.Value)
		case 2:
			s = fmt.Sprintf("[domain-name:value = '%s'] AND [url:value = '%s']", dom.Value, url.Value)
		case 3:
			s = fmt.Sprintf("%s AND [network-traffic:dst_ref.value ISSUBSET '%s/24' AND network-traffic:dst_port = 443]", hash.Pattern(), ip.Value)
		case 4:
			s = fmt.Sprintf("([domain-name:value LIKE '%%%s'] FOLLOWEDBY [url:value MATCHES '^http://%s/']) WITHIN 600 SECONDS", dom.Value, dom.Value)
		default:
			s = fmt.Sprintf("[ipv4-addr:value = '%s' OR domain-name:value = '%s'] START t'2024-01-01T00:00:00Z' STOP t'2025-01-01T00:00:00Z'", ip.Value, dom.Value)
		}
		p, err := pattern.Parse(s)
		if err != nil {
			return fmt.Errorf("compound pattern %s: %w", s, err)
		}
		if err := b.Add(match.Indicator{ID: matchtest.ID(i), Pattern: p}); err != nil {
			return err
		}
	}
	idx := b.Build()
	lines := matchtest.SuricataLines(o.events, o.seed+11, vals, 10)
	sur, _ := match.BuiltinMapping("suricata")
	d := match.NewLineDecoder(nil, sur)
	obs := make([]match.Observation, 0, len(lines))
	for _, l := range lines {
		ob, reason := d.Decode(l)
		if reason != "" {
			return fmt.Errorf("match: a generated line was skipped: %s", reason)
		}
		// Keep a copy: the decoder reuses its memory.
		c := *ob
		c.Objects = cloneObjects(ob.Objects)
		obs = append(obs, c)
	}
	st := idx.Stats()
	fmt.Printf("compound: %d patterns (%d observation expressions, %d anchored exactly), observations decoded beforehand, 10%% carrying pattern values\n", st.Indicators, st.Leaves, st.Exact)
	mt := idx.NewMatcher()
	matches := 0
	wall, cpu := measure(func() {
		for i := range obs {
			matches += len(mt.Match(&obs[i]))
		}
	})
	n := float64(len(obs))
	fmt.Printf("  %.0f observations/s per core (%.0f ns CPU each), %.0f/s wall; %d matches\n", n/cpu.Seconds(), float64(cpu.Nanoseconds())/n, n/wall.Seconds(), matches)
	return nil
}

// cloneObjects deep-copies objects out of a decoder's reused memory.
func cloneObjects(objs []match.Object) []match.Object {
	out := make([]match.Object, len(objs))
	for i, o := range objs {
		out[i] = match.Object{Type: o.Type, ID: o.ID, Props: cloneProps(o.Props)}
	}
	return out
}

func cloneProps(ps []match.Prop) []match.Prop {
	out := make([]match.Prop, len(ps))
	for i, p := range ps {
		v := p.Value
		v.Str = string([]byte(v.Str))
		v.Sub = cloneProps(v.Sub)
		out[i] = match.Prop{Key: string([]byte(p.Key)), Value: v}
	}
	return out
}
