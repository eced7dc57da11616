package pattern_test

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/stix/pattern"
)

// FuzzParse checks, on any input, that Parse either fails with an *Error
// pointing into the input or returns a pattern whose canonical form parses
// back to an equal pattern; and that the object definitions only ever
// reject more, never accept what Parse rejects or parse differently.
func FuzzParse(f *testing.F) {
	for _, tc := range specExamples {
		f.Add(tc.pattern)
	}
	for _, tc := range malformed {
		f.Add(tc.in)
	}
	checked := pattern.Parser{Schema: stix.PatternSchema}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := pattern.Parse(s)
		q, cerr := checked.Parse(s)
		if err != nil {
			var pe *pattern.Error
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error %v is a %T", s, err, err)
			}
			if pe.Column < 1 || pe.Column > utf8.RuneCountInString(s)+1 || pe.Msg == "" {
				t.Fatalf("%q: bad error %+v", s, pe)
			}
			if cerr == nil {
				t.Fatalf("%q: accepted with the object definitions, rejected without: %v", s, err)
			}
			return
		}
		roundTrip(t, p)
		if cerr == nil {
			if diff := cmp.Diff(p, q); diff != "" {
				t.Fatalf("%q: the object definitions change the tree:\n%s", s, diff)
			}
		}
	})
}
