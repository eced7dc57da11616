package stix_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"github.com/tearline/tearline/stix"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; the f.Add seeds below
// are the hand-made edge cases that must always run.

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `""`, `0`, `-0.0e-0`, `null`, `true`, `{"a":[1,{"b":null}],"c":"\u00e9\ud83d\ude00"}`,
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `["\ud800"]`, `["\udc00\ud800"]`, "[\"\xff\"]", "\xef\xbb\xbf{}",
		strings.Repeat("[", 65) + strings.Repeat("]", 65), `{"a":1} `, `{"a":1}x`, `01`, `1.`, `"\u00"`, `"\/\b"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := stix.ParseValue(data)
		if err != nil {
			var se *stix.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T, not a *SyntaxError", err, err)
			}
			if se.Offset < 0 || se.Offset > int64(len(data)) || se.Msg == "" {
				t.Fatalf("bad error %+v for %d bytes", se, len(data))
			}
			// Only strictness beyond the grammar may reject what a strict
			// JSON decoder accepts: nesting, nothing else.
			if jsontext.Value(data).IsValid() && jsonDepth(data) <= stix.MaxDepth {
				t.Fatalf("ParseValue rejects valid JSON %q: %v", data, err)
			}
			return
		}
		if !json.Valid(data) || !jsontext.Value(data).IsValid() {
			t.Fatalf("ParseValue accepts invalid JSON %q", data)
		}
		// The tree holds what encoding/json decodes, and member order and
		// number text are as in the input.
		var want any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if got := toAny(v); !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseValue(%q) = %#v, encoding/json decodes %#v", data, got, want)
		}
		checkStrings(t, v)
	})
}

// jsonDepth returns the deepest nesting of arrays and objects in valid JSON.
func jsonDepth(data []byte) int {
	d := jsontext.NewDecoder(bytes.NewReader(data))
	deepest := 0
	for {
		if _, err := d.ReadToken(); err != nil {
			return deepest
		}
		deepest = max(deepest, d.StackDepth())
	}
}

// toAny converts a Value to what encoding/json decodes with UseNumber.
func toAny(v stix.Value) any {
	switch v.Kind {
	case stix.Null:
		return nil
	case stix.Bool:
		return v.Bool
	case stix.Number:
		return json.Number(v.Str)
	case stix.String:
		return v.Str
	case stix.Array:
		out := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			out[i] = toAny(e)
		}
		return out
	}
	out := make(map[string]any, len(v.Members))
	for _, m := range v.Members {
		out[m.Name] = toAny(m.Value)
	}
	return out
}

// checkStrings checks that every string and name in v is valid UTF-8.
func checkStrings(t *testing.T, v stix.Value) {
	if !utf8.ValidString(v.Str) {
		t.Fatalf("invalid UTF-8 in %q", v.Str)
	}
	for _, m := range v.Members {
		if !utf8.ValidString(m.Name) {
			t.Fatalf("invalid UTF-8 in name %q", m.Name)
		}
		checkStrings(t, m.Value)
	}
	for _, e := range v.Elems {
		checkStrings(t, e)
	}
}

func FuzzValidateObject(f *testing.F) {
	f.Add([]byte(indicator))
	f.Add([]byte(xobj(1, `, "x_list": [1, "a", {"b": null}]`)))
	f.Add([]byte(`{"type":"x-a","id":"x-a--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","granular_markings":[{"lang":"en","selectors":["id","x_l.[0]"]}],"x_l":[1]}`))
	f.Add([]byte(`{"type":"ipv4-addr","value":"10.0.0.1"}`))
	f.Add([]byte(`"a string"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "objects[7]"
		obj, issues := stix.ValidateObject(data, path)
		if (obj == nil) != issues.HasErrors() {
			t.Fatalf("object %v with issues %v", obj, issues)
		}
		for _, is := range issues {
			if is.Rule == "" || is.Message == "" || !strings.HasPrefix(is.Path, path) {
				t.Fatalf("malformed issue %+v", is)
			}
		}
		if obj == nil {
			return
		}
		if len(obj.Raw) != len(data) || len(data) > 0 && &obj.Raw[0] != &data[0] {
			t.Fatal("Object.Raw is not the input")
		}
		v, err := stix.ParseValue(data)
		if err != nil {
			t.Fatalf("accepted an object ParseValue rejects: %v", err)
		}
		if obj.Type != v.GetString("type") || !stix.ValidTypeName(obj.Type) {
			t.Fatalf("object type %q from %q", obj.Type, v.GetString("type"))
		}
		if typ, _, err := stix.ParseID(obj.ID); err != nil || typ != obj.Type || obj.ID != v.GetString("id") {
			t.Fatalf("object id %q of type %q: %v", obj.ID, obj.Type, err)
		}
	})
}

func FuzzReadBundle(f *testing.F) {
	f.Add([]byte(bundleOf(xobj(0, ""), xobj(0, ""), xobj(0, `, "x_a": 1`))))
	f.Add([]byte(`{"objects": [1, "a", [], {}, null], "type": "bundle", "id": "` + testBundleID + `", "x": {"objects": []}}`))
	f.Add([]byte(`{"type": "bundle", "objects": [{"x": "]}\\"]}"}]}`))
	f.Add([]byte(`{"type": "bundle", "objects": {"a": [1]}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(r io.Reader) (string, []string) {
			var results []string
			bundleIssues, err := stix.ReadBundle(r, func(res *stix.Result) error {
				if res.Index != len(results) {
					t.Fatalf("result %d has index %d", len(results), res.Index)
				}
				results = append(results, fmt.Sprintf("%s %q %v", res.Path, res.Raw, res.Issues))
				return nil
			})
			var se *stix.SyntaxError
			if err != nil && !errors.As(err, &se) {
				t.Fatalf("ReadBundle error %v is a %T, not a *SyntaxError", err, err)
			}
			if se != nil && (se.Offset < 0 || se.Offset > int64(len(data))) {
				t.Fatalf("error offset %d beyond the %d-byte input", se.Offset, len(data))
			}
			return fmt.Sprint(bundleIssues, err), results
		}
		// A hang is a bug too: fail with the input rather than stall the
		// fuzzer (which would save nothing).
		watchdog := time.AfterFunc(20*time.Second, func() {
			panic(fmt.Sprintf("ReadBundle still running after 20s on %q", data))
		})
		defer watchdog.Stop()
		end, got := read(bytes.NewReader(data))
		// Buffer refills at every byte must not change anything.
		end1, got1 := read(iotest.OneByteReader(bytes.NewReader(data)))
		if end != end1 || !reflect.DeepEqual(got, got1) {
			t.Fatalf("one byte at a time:\n%s\n%q\nall at once:\n%s\n%q", end1, got1, end, got)
		}
		// On valid JSON the framing must agree with a full parse.
		v, err := stix.ParseValue(data)
		if err != nil || v.Kind != stix.Object {
			return
		}
		if strings.Contains(end, "invalid JSON") {
			t.Fatalf("ReadBundle reports a syntax error in valid JSON: %s", end)
		}
		if objs := v.Get("objects"); objs != nil && objs.Kind == stix.Array && len(objs.Elems) != len(got) {
			t.Fatalf("%d results for %d objects", len(got), len(objs.Elems))
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{
		"2016-05-12T08:17:27.000Z", "2016-05-12T08:17:27Z", "2016-12-31T23:59:60.999Z", "2016-02-30T00:00:00Z",
		"0000-01-01T00:00:00.0000000000001Z", "2016-05-12T08:17:27+01:00", "2016-05-12T08:17:27.Z", "9999-12-31T23:59:59Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, frac, err := stix.ParseTimestamp(s)
		if err != nil {
			return
		}
		if ts.Location() != time.UTC || frac < 0 {
			t.Fatalf("ParseTimestamp(%q) = %v, %d", s, ts, frac)
		}
		if want := 20 + frac + min(frac, 1); len(s) != want {
			t.Fatalf("ParseTimestamp(%q) accepted %d bytes for %d fractional digits", s, len(s), frac)
		}
		// The time re-formats and parses back to itself.
		back, _, err := stix.ParseTimestamp(ts.Format(time.RFC3339Nano))
		if ts.Year() <= 9999 && (err != nil || !back.Equal(ts)) {
			t.Fatalf("ParseTimestamp(%q) = %v, which formats to %q and parses back to %v, %v", s, ts, ts.Format(time.RFC3339Nano), back, err)
		}
		// The standard library agrees, but for leap seconds and digits
		// past nanoseconds.
		if s[17:19] != "60" && frac <= 9 {
			std, err := time.Parse(time.RFC3339Nano, s)
			if err != nil || !std.Equal(ts) {
				t.Fatalf("ParseTimestamp(%q) = %v; time.Parse says %v, %v", s, ts, std, err)
			}
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "x-mitre-tactic--2558fd61-8c75-4730-94c4-11926db2a263",
		"file--5A27D487-C542-5F97-A131-A8866B477B46", "a--b--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "--", "",
		"abc--00000000-0000-0000-0000-000000000000", "abc--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, ver, err := stix.ParseID(s)
		i := strings.LastIndex(s, "--")
		if i < 0 {
			if err == nil {
				t.Fatalf("ParseID(%q) accepts an id without \"--\"", s)
			}
			return
		}
		u, uerr := uuid.Parse(s[i+2:])
		// google/uuid also takes braced, URN and unhyphenated forms: only
		// the canonical 36-character form counts.
		canonical := uerr == nil && len(s)-i-2 == 36 && u.Variant() == uuid.RFC4122 && u.Version() >= 1 && u.Version() <= 8
		if err != nil {
			if canonical && stix.ValidTypeName(s[:i]) {
				t.Fatalf("ParseID(%q) rejects a valid id: %v", s, err)
			}
			return
		}
		if !canonical || typ != s[:i] || !stix.ValidTypeName(typ) || ver != int(u.Version()) {
			t.Fatalf("ParseID(%q) = %q, %d; uuid %v version %d variant %v", s, typ, ver, uerr, u.Version(), u.Variant())
		}
	})
}
