package federation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tearline/tearline"
)

// FuzzCrosswalk scans arbitrary objects for their marking references and
// maps every referenced id to a local one and back: each reference span
// must hold its id as a JSON string, a well-formed object must stay
// well-formed, and mapping back must give the input again when its ids
// were written plainly.
func FuzzCrosswalk(f *testing.F) {
	for _, s := range []string{
		`{"type":"indicator","id":"indicator--1","object_marking_refs":["marking-definition--a","marking-definition--b"],"granular_markings":[{"marking_ref":"marking-definition--a","selectors":["name"]},{"lang":"en","selectors":["x"]}]}`,
		`{"object_marking_refs": [ "marking-definition--\u0061" ], "object_marking_refs":[1,{"x":2}]}`,
		`{"granular_markings":[{"marking_ref":5},{"marking_ref":"m"},"x",[]],"type":"x"}`,
		`{"type":"marking-definition","id":"marking-definition--a","definition_type":"statement","definition":{"statement":"x"}}`,
		`{"a":[[[[{}]]]],"object_marking_refs":"not a list"}`,
		`[1]`, `{"object_marking_refs":["a"]} trailing`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fl, err := scan(raw)
		if err != nil {
			return
		}
		plain := true
		for _, r := range fl.refs {
			if r.start < 0 || r.end > len(raw) || r.start >= r.end || raw[r.start] != '"' || raw[r.end-1] != '"' {
				t.Fatalf("reference span [%d:%d] of %q is not a string token", r.start, r.end, raw)
			}
			var s string
			if err := json.Unmarshal(raw[r.start:r.end], &s); err == nil && s != r.id {
				t.Fatalf("reference %q reads %q", raw[r.start:r.end], r.id)
			}
			plain = plain && string(raw[r.start:r.end]) == `"`+r.id+`"`
		}
		var table []tearline.MarkingMap
		for i, id := range fl.markingIDs() {
			table = append(table, tearline.MarkingMap{Remote: id, Local: fmt.Sprintf("marking-definition--00000000-0000-4000-8000-%012d", i)})
		}
		cw := NewCrosswalk(table)
		out := cw.inbound(raw, &fl)
		if json.Valid(raw) && !json.Valid(out) {
			t.Fatalf("mapping made %q malformed: %q", raw, out)
		}
		for _, r := range fl.refs {
			if string(out[r.start:r.end]) != `"`+r.id+`"` {
				t.Fatalf("updated span [%d:%d] of %q does not hold %q", r.start, r.end, out, r.id)
			}
		}
		back := cw.outbound(out, &fl)
		if plain && !bytes.Equal(back, raw) {
			t.Fatalf("mapped back\n%q\ninto\n%q", raw, back)
		}
	})
}
