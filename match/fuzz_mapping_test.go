package match_test

import (
	"encoding/json"
	"testing"

	"github.com/tearline/tearline/match"
)

// FuzzParseMapping parses any custom mapping (the file of "tearline match
// --mapping") and decodes an event line with it: neither may panic, a
// mapping that parses has a time field and fields, and the objects of an
// accepted line print as valid JSON and match without panicking.
func FuzzParseMapping(f *testing.F) {
	for _, s := range [][2]string{
		{`{"name":"proxy","time":["ts"],"fields":{"client":["ipv4-addr@src:value"],"dest.host":["domain-name@host:value"],"request":["url@url:value"],"hash":["file@f:hashes.SHA-256"]},"links":["network-traffic@flow:src_ref=src"]}`,
			`{"ts":"2026-01-02T03:04:05Z","client":"10.0.0.5","dest":{"host":"www.example.com"},"request":"http://www.example.com/a.exe","hash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}`},
		{`{"time":["t","@timestamp"],"select":"kind","accept":["dns"],"fields":{"q":["domain-name@d:value"]}}`,
			`{"@timestamp":1767225600,"kind":"dns","q":"evil.example"}`},
		{`{"time":["ts"],"fields":{"ip":["ipv4-addr@a:value"]}}`, `{"ts":"x","ip":["10.0.0.5","192.0.2.1"]}`},
		{`{"time":[],"fields":{}}`, `{}`},
		{`{"time":["ts"],"fields":{"a":["@:"]},"links":[":="]}`, `[]`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	idx := fuzzIndex(f)
	f.Fuzz(func(t *testing.T, mapping, line []byte) {
		m, err := match.ParseMapping(mapping)
		if err != nil {
			return
		}
		if m == nil || len(m.Time) == 0 || len(m.Fields) == 0 {
			t.Fatalf("ParseMapping(%q) = %+v without error", mapping, m)
		}
		obs, reason := match.NewLineDecoder(nil, m).Decode(line)
		if reason != "" {
			return
		}
		if out := obs.ObjectsJSON(); !json.Valid(out) {
			t.Fatalf("objects of %q under %q print as invalid JSON %s", line, mapping, out)
		}
		idx.NewMatcher().Match(obs)
	})
}
