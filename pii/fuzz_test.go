package pii

import (
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/tearline/tearline/stix"
)

// FuzzScanText checks that ScanText never panics, returns sorted,
// non-overlapping spans inside the text, the same ones every time, and on
// valid UTF-8 spans that begin and end on character boundaries. Seeds are
// in testdata/fuzz/FuzzScanText.
func FuzzScanText(f *testing.F) {
	f.Add("Contact jane.roe@bank.de, +44 20 7946 0958, SSN 123-45-6789")
	f.Fuzz(func(t *testing.T, text string) {
		spans := ScanText(text)
		checkSpans(t, text, spans)
		if again := ScanText(text); !slices.Equal(spans, again) {
			t.Fatalf("ScanText is not deterministic: %v then %v", spans, again)
		}
		if utf8.ValidString(text) {
			for _, sp := range spans {
				if !utf8.RuneStart(text[sp.Start]) || sp.End < len(text) && !utf8.RuneStart(text[sp.End]) {
					t.Fatalf("span %+v cuts a character of %q", sp, text)
				}
			}
		}
	})
}

// FuzzScanObject checks that ScanObject never panics and that, on an object
// stix.ParseValue accepts, every finding lies in the string its path names,
// Redact succeeds, its copy is well-formed JSON, and it is valid STIX when
// the input is. Seeds are in testdata/fuzz/FuzzScanObject.
func FuzzScanObject(f *testing.F) {
	f.Add([]byte(`{"type":"indicator","description":"mary.major@bank.com","pattern":"[email-addr:value = 'a.b@c.de']","pattern_type":"stix"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, opts := range []Options{{}, {FlagIdentifiers: true}} {
			fs, err := ScanObject(raw, opts)
			if err != nil {
				if fs != nil {
					t.Fatal("findings with an error")
				}
				continue
			}
			v, perr := stix.ParseValue(raw)
			if perr != nil {
				continue // duplicate names or invalid UTF-8: paths may be ambiguous
			}
			for _, fd := range fs {
				findingText(t, v, fd)
			}
			out, recs, err := Redact(raw, fs)
			if err != nil {
				t.Fatalf("Redact of ScanObject's findings failed: %v", err)
			}
			if len(recs) != len(fs) {
				t.Fatalf("%d records for %d findings", len(recs), len(fs))
			}
			if _, err := stix.ParseValue(out); err != nil {
				t.Fatalf("redacted copy is not JSON: %v\n%s", err, out)
			}
		}
	})
}
