package match_test

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/match"
	"github.com/tearline/tearline/match/matchtest"
	"github.com/tearline/tearline/stix/pattern"
)

// equalityPatterns are patterns the fast path of LineMatcher serves:
// equalities (and IN, OR) on every kind of value the built-in mappings
// fill, some of them in compound patterns, with the values of the test
// logs in other spellings.
var equalityPatterns = []string{
	"[domain-name:value = 'EVIL.example.com']",
	"[domain-name:value IN ('bad.example.net', 'cdn.example.net')]",
	"[domain-name:value = 'xn--exmple-cua.com']",
	"[ipv4-addr:value = '198.51.100.7']",
	"[ipv4-addr:value = '198.51.100.7/32']", // the same key: two leaves under it
	"[ipv4-addr:value = '10.0.0.5' OR domain-name:value = 'x.example']",
	"[ipv6-addr:value = '2001:DB8:dead::1']",
	"[url:value = 'http://evil.example.com/payload.exe?x=1']",
	"[url:value = 'HTTP://Evil.Example.com:80/payload.exe?x=1']",
	"[url:value = 'http://evil.example.com/p%C3%A4yload.exe?x=1']",
	"[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']",
	"[file:hashes.SHA256 = '275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F']",
	"[file:hashes.'SHA-1' = '3395856ce81f2b7382dee72602f798b642f14140']",
	"[file:name = '/payload.exe']",
	"[file:size = 68]",
	"[x509-certificate:hashes.'SHA-1' = '3e4f8b0c2a112233445566778899aabbccddeeff']",
	"[x509-certificate:subject = 'CN=bad.example.net']",
	"[network-traffic:dst_port = 4444]",
	"[network-traffic:src_byte_count = 1200]",
	"[network-traffic:protocols[*] = 'http']",
	"[network-traffic:extensions.'http-request-ext'.request_method = 'GET']",
	"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'curl/8.0']",
	"[email-addr:value = 'a@example.com']",
	"[domain-name:value = 'evil.example.com'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.7'] WITHIN 60 SECONDS",
	"[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f'] REPEATS 2 TIMES",
	"[ipv4-addr:value = '10.0.0.5'] START t'2024-03-01T10:00:02Z' STOP t'2024-03-01T10:00:05Z'",
}

// buildIndex compiles patterns, and generated equality indicators for
// vals; the indicator of pattern 3 is valid only from 10:00:03.
func buildIndex(t testing.TB, patterns []string, vals []matchtest.Value) *match.Index {
	t.Helper()
	b := match.NewBuilder(match.Options{})
	for i, p := range patterns {
		pat, err := pattern.Parse(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		ind := match.Indicator{ID: fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i+1), Pattern: pat}
		if i == 3 {
			ind.ValidFrom = time.Date(2024, 3, 1, 10, 0, 3, 0, time.UTC)
		}
		if err := b.Add(ind); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range vals {
		pat, err := pattern.Parse(v.Pattern())
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(match.Indicator{ID: matchtest.ID(i), Pattern: pat}); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// readLines returns the lines of a test log.
func readLines(t testing.TB, file string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
}

// A rewrite turns a line into another shape.
type rewrite struct {
	re   *regexp.Regexp
	with string
}

func rw(re, with string) rewrite { return rewrite{regexp.MustCompile(re), with} }

// rewrites make lines of odd shapes out of good ones: escapes, missing
// and repeated fields, values of other JSON types, nesting, invalid JSON.
var rewrites = []rewrite{
	rw(`/`, `\/`),
	rw(`e`, `\u0065`),
	rw(`\.`, `\u002E`),
	rw(`(:"[^"]*)a`, `$1\u00e4`),
	rw(`(:"[^"]*)a`, `$1\ud83d\ude00`),
	rw(`(:"[^"]*)o`, "$1\xff"),
	rw(`(:"[^"]*)o`, "$1\x01"),
	rw(`(:"[^"]*)m`, `$1\q`),
	rw(`example`, `EXAMPLE`),
	rw(`\.com"`, `.com."`),
	rw(`"timestamp":"[^"]*",`, ``),
	rw(`"event_type":"[^"]*",`, ``),
	rw(`"event_type":"[^"]*"`, `"event_type":"stats"`),
	rw(`"event_type":"[^"]*"`, `"event_type":["dns"]`),
	rw(`"_path":"[^"]*"`, `"_path":"weird"`),
	rw(`"src_ip":"[^"]*"`, `"src_ip":42`),
	rw(`"src_ip":"[^"]*"`, `"src_ip":null`),
	rw(`"src_ip":"[^"]*"`, `"src_ip":["198.51.100.7"]`),
	rw(`"src_ip":"[^"]*"`, `"src_ip":{"a":"198.51.100.7"}`),
	rw(`"src_ip":"[^"]*"`, `"src_ip":true`),
	rw(`"src_ip":("[^"]*")`, `"src_ip":$1,"src_ip":"198.51.100.7"`),
	rw(`"dest_ip":("[^"]*")`, `"dest_ip":"198.51.100.7","dest_ip":$1`),
	rw(`"id.orig_h":("[^"]*")`, `"id.orig_h":$1,"id":{"orig_h":"198.51.100.7"}`),
	rw(`"dest_port":\d+`, `"dest_port":"4444"`),
	rw(`"dest_port":\d+`, `"dest_port":4444.0`),
	rw(`"dest_port":\d+`, `"dest_port":1e400`),
	rw(`"dest_port":\d+`, `"dest_port":-0`),
	rw(`"dest_port":\d+`, `"dest_port":012`),
	rw(`"flow_id":\d+`, `"flow_id":123456789012345678901234`),
	rw(`"rrname":"[^"]*"`, `"rrname":["evil.example.com"]`),
	rw(`"hostname":"[^"]*"`, `"hostname":7`),
	rw(`"md5":"[^"]*"`, `"md5":null`),
	rw(`"dns":\{`, `"dns":{"deep":{"a":[[[{"b":1}]]]},`),
	rw(`"http":\{`, `"http":{"hostname":"bad.example.net",`),
	rw(`"timestamp":"`, `"timestamp":"x`),
	rw(`"ts":`, `"ts":"`),
	rw(`":`, `" : `),
	rw(`,"`, ` ,	"`),
	rw(`\}$`, `} x`),
	rw(`\}$`, ``),
	rw(`\}\}$`, `}`),
	rw(`^\{`, `[{`),
}

// variants returns line and its rewrites.
func variants(line []byte) [][]byte {
	out := [][]byte{line}
	for _, r := range rewrites {
		if v := r.re.ReplaceAll(line, []byte(r.with)); !bytes.Equal(v, line) {
			out = append(out, v)
		}
	}
	return out
}

// result is what one line gave: the reason it was skipped, or its
// matches.
type result struct {
	Reason  string
	Matches []match.Match
}

// fullPath decodes and matches lines with a LineDecoder and a Matcher.
func fullPath(idx *match.Index, m *match.Mapping, lines [][]byte) []result {
	d := match.NewLineDecoder(nil, m)
	mt := idx.NewMatcher()
	out := make([]result, len(lines))
	for i, l := range lines {
		obs, reason := d.Decode(l)
		if reason != "" {
			out[i].Reason = reason
			continue
		}
		out[i].Matches = cloneMatches(mt.Match(obs))
	}
	return out
}

// linePath matches lines with a LineMatcher.
func linePath(lm *match.LineMatcher, lines [][]byte) []result {
	out := make([]result, len(lines))
	for i, l := range lines {
		ms, reason := lm.Match(l)
		out[i] = result{Reason: reason, Matches: cloneMatches(ms)}
	}
	return out
}

func cloneMatches(ms []match.Match) []match.Match {
	if len(ms) == 0 {
		return nil
	}
	out := make([]match.Match, len(ms))
	for i, m := range ms {
		m.Observations = append([]match.ObsRef(nil), m.Observations...)
		out[i] = m
	}
	return out
}

// TestLineMatcherSameAsFull checks that LineMatcher's scan gives what
// decoding and matching in full give — the same matches in the same
// order, the same lines skipped for the same reasons — for the test logs,
// odd lines, generated Suricata lines and every rewrite of them, against
// indexes the fast path serves and one it does not.
func TestLineMatcherSameAsFull(t *testing.T) {
	t.Parallel()
	vals := matchtest.Values(3000, 7)
	eqIdx := buildIndex(t, equalityPatterns, vals)
	likeIdx := buildIndex(t, append([]string{"[domain-name:value LIKE '%.example.net']"}, equalityPatterns...), vals)
	var sur, zeek [][]byte
	for _, l := range readLines(t, "testdata/suricata.jsonl") {
		sur = append(sur, variants(l)...)
	}
	for _, l := range readLines(t, "testdata/eve-odd.jsonl") {
		sur = append(sur, variants(l)...)
	}
	for _, l := range matchtest.SuricataLines(500, 9, vals, 5) {
		sur = append(sur, variants(l)...)
	}
	for _, l := range readLines(t, "testdata/zeek.jsonl") {
		zeek = append(zeek, variants(l)...)
	}
	zeek = append(zeek, sur...)
	sur = append(sur, zeek[:len(zeek)-len(sur)]...)
	surM, _ := match.BuiltinMapping("suricata")
	zeekM, _ := match.BuiltinMapping("zeek")
	for _, tc := range []struct {
		name     string
		idx      *match.Index
		m        *match.Mapping
		lines    [][]byte
		scanning bool
	}{
		{"suricata", eqIdx, surM, sur, true},
		{"zeek", eqIdx, zeekM, zeek, true},
		{"suricata, LIKE pattern", likeIdx, surM, sur, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			want := fullPath(tc.idx, tc.m, tc.lines)
			lm := tc.idx.NewLineMatcher(nil, tc.m)
			got := linePath(lm, tc.lines)
			for i := range want {
				if diff := cmp.Diff(want[i], got[i]); diff != "" {
					t.Errorf("line %q (-full +LineMatcher):\n%s", tc.lines[i], diff)
				}
			}
			scanned, decoded := lm.Counts()
			accepted, matched := 0, 0
			for _, r := range want {
				if r.Reason == "" {
					accepted++
				}
				if len(r.Matches) > 0 {
					matched++
				}
			}
			t.Logf("%d lines: %d accepted, %d with matches; %d scanned, %d decoded", len(tc.lines), accepted, matched, scanned, decoded)
			if scanned+decoded != len(tc.lines) {
				t.Errorf("Counts() = %d, %d for %d lines", scanned, decoded, len(tc.lines))
			}
			switch {
			case !tc.scanning && scanned > 0:
				t.Errorf("%d lines scanned against an index with a LIKE pattern", scanned)
			case tc.scanning && scanned < accepted/2:
				t.Errorf("only %d of %d accepted lines scanned", scanned, accepted)
			}
			if matched < 50 {
				t.Errorf("only %d lines matched: the test does not exercise the look-ups", matched)
			}
		})
	}
}

// TestLineMatcherMappings checks custom mappings: one the fast path
// serves, and ones whose objects it leaves to the full decoder (two fields
// filling one property; a link's property in a pattern path).
func TestLineMatcherMappings(t *testing.T) {
	t.Parallel()
	idx := buildIndex(t, []string{
		"[ipv4-addr:value = '198.51.100.7']",
		"[domain-name:value = 'evil.example.com']",
		"[network-traffic:peer.value = '10.0.0.5']",
	}, nil)
	lines := [][]byte{
		[]byte(`{"ts":1709287200,"ip":"198.51.100.7"}`),
		[]byte(`{"ts":1709287200,"ip":"198.51.100.7","name":"evil.example.com","other":"10.0.0.5"}`),
		[]byte(`{"ts":1709287200,"ip":"10.0.0.5","other":"198.51.100.7"}`),
		[]byte(`{"ts":1709287200,"ip":"10.0.0.5","ip":"198.51.100.7"}`),
		[]byte(`{"ts":1709287200,"hosts":[{"ip":"198.51.100.7"},{"ip":"10.0.0.5"}]}`),
		[]byte(`{"ts":1709287200,"hosts":[{"ip":"198.51.100.7"}]}`),
		[]byte(`{"ts":1709287200,"ip":7}`),
		[]byte(`{"ts":1709287200}`),
	}
	for _, tc := range []struct {
		name, mapping string
		scanning      bool
	}{
		{"plain", `{"time":["ts"],"fields":{"ip":["ipv4-addr@a:value"],"name":["domain-name@d:value"],"hosts[].ip":["ipv4-addr@h[]:value"]}}`, true},
		{"two fields, one property", `{"time":["ts"],"fields":{"ip":["ipv4-addr@a:value"],"other":["ipv4-addr@a:value"]}}`, false},
		{"list items of one slot", `{"time":["ts"],"fields":{"hosts[].ip":["ipv4-addr@a:value"]}}`, true},
		{"link", `{"time":["ts"],"fields":{"ip":["ipv4-addr@a:value"],"other":["ipv4-addr@b:value"],"name":["network-traffic@n:x"]},"links":["n:peer=b"]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := match.ParseMapping([]byte(tc.mapping))
			if err != nil {
				t.Fatal(err)
			}
			want := fullPath(idx, m, lines)
			lm := idx.NewLineMatcher(nil, m)
			got := linePath(lm, lines)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-full +LineMatcher):\n%s", diff)
			}
			if scanned, _ := lm.Counts(); (scanned > 0) != tc.scanning {
				t.Errorf("%d lines scanned, want scanning %v", scanned, tc.scanning)
			}
		})
	}
}

// FuzzLineMatcher checks that LineMatcher gives what decoding and
// matching in full give, for any line (twice, for the patterns that
// repeat), with both built-in mappings.
func FuzzLineMatcher(f *testing.F) {
	seedLines(f, "testdata/suricata.jsonl")
	seedLines(f, "testdata/zeek.jsonl")
	seedLines(f, "testdata/eve-odd.jsonl")
	idx := buildIndex(f, equalityPatterns, nil)
	maps := []*match.Mapping{}
	for _, n := range []string{"suricata", "zeek"} {
		m, _ := match.BuiltinMapping(n)
		maps = append(maps, m)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		lines := [][]byte{line, line}
		for _, m := range maps {
			want := fullPath(idx, m, lines)
			got := linePath(idx.NewLineMatcher(nil, m), lines)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: line %q (-full +LineMatcher):\n%s", m.Name, line, diff)
			}
		}
	})
}

// TestLineMatcherNext reads the test logs through LineMatcher.Next and
// through LineDecoder.Next with a Matcher: the same observations (line
// numbers and times), matches and skip counts.
func TestLineMatcherNext(t *testing.T) {
	t.Parallel()
	idx := buildIndex(t, equalityPatterns, nil)
	for _, tc := range []struct{ file, mapping string }{
		{"testdata/suricata.jsonl", "suricata"},
		{"testdata/eve-odd.jsonl", "suricata"},
		{"testdata/zeek.jsonl", "zeek"},
	} {
		data, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		data = append([]byte("\n  \n"), data...) // blank lines count in line numbers
		m, _ := match.BuiltinMapping(tc.mapping)
		type seen struct {
			Line    int
			First   time.Time
			Matches []match.Match
		}
		var want, got []seen
		d := match.NewLineDecoder(bytes.NewReader(data), m)
		mt := idx.NewMatcher()
		for {
			obs, err := d.Next()
			if err != nil {
				break
			}
			want = append(want, seen{obs.Line, obs.First, cloneMatches(mt.Match(obs))})
		}
		lm := idx.NewLineMatcher(bytes.NewReader(data), m)
		for {
			obs, ms, err := lm.Next()
			if err != nil {
				break
			}
			got = append(got, seen{obs.Line, obs.First, cloneMatches(ms)})
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-LineDecoder +LineMatcher):\n%s", tc.file, diff)
		}
		if diff := cmp.Diff(d.Skips().Counts(), lm.Skips().Counts()); diff != "" {
			t.Errorf("%s: skips (-LineDecoder +LineMatcher):\n%s", tc.file, diff)
		}
		if scanned, _ := lm.Counts(); scanned == 0 {
			t.Errorf("%s: no line scanned", tc.file)
		}
	}
}
