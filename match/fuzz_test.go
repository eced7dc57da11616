package match_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/tearline/tearline/match"
	"github.com/tearline/tearline/stix/pattern"
)

// fuzzIndex is a small index of every kind of anchor, to match fuzzed
// events against.
func fuzzIndex(t testing.TB) *match.Index {
	b := match.NewBuilder(match.Options{})
	for i, p := range []string{
		"[ipv4-addr:value = '10.0.0.5']",
		"[domain-name:value LIKE '%example%']",
		"[network-traffic:dst_ref.value ISSUBSET '192.0.2.0/24']",
		"[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f'] FOLLOWEDBY [url:value MATCHES 'exe']",
		"[network-traffic:dst_port > 1000] REPEATS 2 TIMES WITHIN 60 SECONDS",
	} {
		pat, err := pattern.Parse(p)
		if err != nil {
			t.Fatal(err)
		}
		id := "indicator--00000000-0000-4000-8000-00000000000" + string(rune('1'+i))
		if err := b.Add(match.Indicator{ID: id, Pattern: pat}); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// seedLines adds the lines of a test log as seeds.
func seedLines(f *testing.F, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(l)
	}
}

// FuzzLineDecoder decodes any line with both built-in mappings: it never
// panics, a line it accepts is valid JSON, its objects print as valid
// JSON, and matching them never panics.
func FuzzLineDecoder(f *testing.F) {
	seedLines(f, "testdata/suricata.jsonl")
	seedLines(f, "testdata/zeek.jsonl")
	idx := fuzzIndex(f)
	maps := []*match.Mapping{}
	for _, n := range []string{"suricata", "zeek"} {
		m, _ := match.BuiltinMapping(n)
		maps = append(maps, m)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, m := range maps {
			d := match.NewLineDecoder(nil, m)
			obs, reason := d.Decode(line)
			if reason != "" {
				continue
			}
			if !json.Valid(line) {
				t.Fatalf("accepted invalid JSON %q", line)
			}
			if out := obs.ObjectsJSON(); !json.Valid(out) {
				t.Fatalf("objects of %q print as invalid JSON %s", line, out)
			}
			idx.NewMatcher().Match(obs)
		}
	})
}

// FuzzReadSTIX reads any input as STIX observed-data: it never panics,
// what it accepts is valid JSON, and matching the observations never
// panics.
func FuzzReadSTIX(f *testing.F) {
	f.Add([]byte(`{"type":"bundle","id":"bundle--1","objects":[` + od(0, `{"0":{"type":"ipv4-addr","value":"10.0.0.5"},"1":{"type":"network-traffic","dst_ref":"0"}}`) + `]}`))
	f.Add([]byte(`{"type":"observed-data","id":"observed-data--1","first_observed":"2020-01-01T00:00:00Z","last_observed":"2020-01-01T00:00:00Z","object_refs":["ipv4-addr--1","domain-name--2"]}
{"type":"ipv4-addr","id":"ipv4-addr--1","value":"192.0.2.1"}
{"type":"domain-name","id":"domain-name--2","value":"www.example.com","resolves_to_refs":["ipv4-addr--1"]}`))
	if data, err := os.ReadFile("testdata/observed-data.json"); err == nil {
		f.Add(data)
	}
	idx := fuzzIndex(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var skips match.Skips
		obs, err := match.ReadSTIX(data, &skips)
		if err != nil {
			return
		}
		if len(bytes.TrimSpace(data)) > 0 && !json.Valid(data) && !validLines(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		m := idx.NewMatcher()
		for i := range obs {
			m.Match(&obs[i])
		}
	})
}

// validLines reports whether data is a sequence of valid JSON values.
func validLines(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false
		}
	}
	return true
}
