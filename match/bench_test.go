package match_test

import (
	"sync"
	"testing"

	"github.com/tearline/tearline/match"
	"github.com/tearline/tearline/match/matchtest"
	"github.com/tearline/tearline/stix/pattern"
)

// benchIndex compiles n generated equality indicators.
func benchIndex(tb testing.TB, n int) (*match.Index, []matchtest.Value) {
	vals := matchtest.Values(n, 1)
	b := match.NewBuilder(match.Options{})
	for i, v := range vals {
		p, err := pattern.Parse(v.Pattern())
		if err != nil {
			tb.Fatal(err)
		}
		if err := b.Add(match.Indicator{ID: matchtest.ID(i), Pattern: p}); err != nil {
			tb.Fatal(err)
		}
	}
	return b.Build(), vals
}

var (
	bigOnce sync.Once
	bigIdx  *match.Index
	bigVals []matchtest.Value
)

func bigIndex(b *testing.B) (*match.Index, []matchtest.Value) {
	bigOnce.Do(func() { bigIdx, bigVals = benchIndex(b, 100000) })
	return bigIdx, bigVals
}

// BenchmarkCompile compiles 10,000 equality indicators per iteration,
// parsing included.
func BenchmarkCompile(b *testing.B) {
	vals := matchtest.Values(10000, 2)
	pats := make([]string, len(vals))
	for i, v := range vals {
		pats[i] = v.Pattern()
	}
	b.ReportAllocs()
	for b.Loop() {
		bl := match.NewBuilder(match.Options{})
		for i, s := range pats {
			p, _ := pattern.Parse(s)
			bl.Add(match.Indicator{ID: matchtest.ID(i), Pattern: p})
		}
		bl.Build()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pats)), "ns/indicator")
}

// BenchmarkSuricata decodes and matches Suricata EVE lines (1% hits)
// against 100,000 equality indicators.
func BenchmarkSuricata(b *testing.B) {
	idx, vals := bigIndex(b)
	lines := matchtest.SuricataLines(10000, 3, vals, 100)
	m, _ := match.BuiltinMapping("suricata")
	d := match.NewLineDecoder(nil, m)
	d.Only(idx)
	mt := idx.NewMatcher()
	b.ReportAllocs()
	b.SetBytes(int64(len(lines[0])))
	i := 0
	loopCPU(b, func() {
		obs, reason := d.Decode(lines[i%len(lines)])
		if reason != "" {
			b.Fatal(reason)
		}
		mt.Match(obs)
		i++
	})
}

// BenchmarkDecodeSuricata only decodes.
func BenchmarkDecodeSuricata(b *testing.B) {
	lines := matchtest.SuricataLines(10000, 3, nil, 0)
	m, _ := match.BuiltinMapping("suricata")
	d := match.NewLineDecoder(nil, m)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Decode(lines[i%len(lines)])
		i++
	}
}

// BenchmarkSingleValue decodes and matches lines of one address each.
func BenchmarkSingleValue(b *testing.B) {
	idx, vals := bigIndex(b)
	lines := matchtest.SingleLines(10000, 4, vals, 100)
	m, err := match.ParseMapping([]byte(`{"time":["ts"],"fields":{"ip":["ipv4-addr@a:value"]}}`))
	if err != nil {
		b.Fatal(err)
	}
	d := match.NewLineDecoder(nil, m)
	mt := idx.NewMatcher()
	b.ReportAllocs()
	i := 0
	loopCPU(b, func() {
		obs, _ := d.Decode(lines[i%len(lines)])
		mt.Match(obs)
		i++
	})
}

// BenchmarkLookup matches an observation of one address, already decoded.
func BenchmarkLookup(b *testing.B) {
	idx, _ := bigIndex(b)
	obs := &match.Observation{Objects: []match.Object{{Type: "ipv4-addr", Props: []match.Prop{{Key: "value", Value: match.String("192.0.2.77")}}}}}
	mt := idx.NewMatcher()
	b.ReportAllocs()
	for b.Loop() {
		mt.Match(obs)
	}
}

// BenchmarkLineMatcherSuricata matches Suricata EVE lines (1% hits)
// against 100,000 equality indicators with a LineMatcher, which scans
// them without building objects.
func BenchmarkLineMatcherSuricata(b *testing.B) {
	idx, vals := bigIndex(b)
	lines := matchtest.SuricataLines(10000, 3, vals, 100)
	m, _ := match.BuiltinMapping("suricata")
	lm := idx.NewLineMatcher(nil, m)
	b.ReportAllocs()
	b.SetBytes(int64(len(lines[0])))
	i := 0
	loopCPU(b, func() {
		if _, reason := lm.Match(lines[i%len(lines)]); reason != "" {
			b.Fatal(reason)
		}
		i++
	})
	if _, decoded := lm.Counts(); decoded > 0 {
		b.Fatalf("%d lines decoded in full", decoded)
	}
}

// BenchmarkLineMatcherSingle matches lines of one address each with a
// LineMatcher.
func BenchmarkLineMatcherSingle(b *testing.B) {
	idx, vals := bigIndex(b)
	lines := matchtest.SingleLines(10000, 4, vals, 100)
	m, err := match.ParseMapping([]byte(`{"time":["ts"],"fields":{"ip":["ipv4-addr@a:value"]}}`))
	if err != nil {
		b.Fatal(err)
	}
	lm := idx.NewLineMatcher(nil, m)
	b.ReportAllocs()
	i := 0
	loopCPU(b, func() {
		lm.Match(lines[i%len(lines)])
		i++
	})
}
