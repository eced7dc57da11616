package pattern_test

import (
	"testing"

	"github.com/tearline/tearline/stix/pattern"
)

// tableSchema resolves the object paths it lists, written as FormatPath
// writes them, and rejects others at their last step; x- types resolve to
// anything.
type tableSchema map[string]pattern.Resolution

func (s tableSchema) Resolve(typ string, path []pattern.Step) pattern.Resolution {
	if typ[0] == 'x' {
		return pattern.Resolution{}
	}
	if typ != "t" {
		return pattern.Resolution{Bad: -1, Problem: "no type " + typ}
	}
	p := pattern.FormatPath(typ, path)
	if r, ok := s[p]; ok {
		return r
	}
	return pattern.Resolution{Bad: len(path) - 1, Problem: "no path " + p}
}

// TestSchema checks how a Parser uses its Schema: the column of the step a
// Schema rejects, paths that end on lists, objects and dictionaries, and
// the address versions of ISSUBSET.
func TestSchema(t *testing.T) {
	t.Parallel()
	schema := tableSchema{
		"t:s":       {Kind: pattern.PropString, Types: []string{"t"}},
		"t:l":       {Kind: pattern.PropList, Types: []string{"t"}},
		"t:l[*]":    {Kind: pattern.PropString, Types: []string{"t"}},
		"t:o":       {Kind: pattern.PropObject, Types: []string{"t"}},
		"t:d":       {Kind: pattern.PropDictionary, Types: []string{"t"}},
		"t:r.value": {Kind: pattern.PropString, Types: []string{"ipv4-addr", "domain-name"}},
		"t:n.value": {Kind: pattern.PropString, Types: []string{"domain-name"}},
	}
	p := pattern.Parser{Schema: schema}
	tests := []struct{ in, err string }{
		{"[t:s = 'x']", ""},
		{"[t:s.zz = 1]", "pattern: column 6: no path t:s.zz"},
		{"[t:s = 1] AND [t:l[0].a = 1]", "pattern: column 23: no path t:l[0].a"},
		{"[t:s = 1] AND [t:l[0] = 1]", "pattern: column 19: no path t:l[0]"},
		{"[q:s = 1]", "pattern: column 2: no type q"},
		{"[t:l = 'x']", "pattern: column 2: t:l is a list: compare its items with [*] or an index such as [0]"},
		{"[t:l[*] = 'x' AND EXISTS t:l]", ""},
		{"[t:o = 1]", "pattern: column 2: t:o is an object: compare one of its properties, or test it with EXISTS"},
		{"[EXISTS t:o]", ""},
		{"[t:d = 1]", "pattern: column 2: t:d is a dictionary: compare one of its values by key, such as t:d.key, or test it with EXISTS"},
		{"[t:r.value ISSUBSET '10.0.0.0/8']", ""},
		{"[t:r.value ISSUBSET '2001:db8::/32']", "pattern: column 21: '2001:db8::/32' is an IPv6 address or block, but t:r.value holds IPv4 addresses"},
		{"[t:n.value ISSUPERSET '10.0.0.1']", "pattern: column 2: ISSUPERSET compares IP addresses: its left side must be the value of an ipv4-addr or ipv6-addr object, such as ipv4-addr:value or network-traffic:dst_ref.value, not t:n.value"},
		{"[x-t:value ISSUBSET '10.0.0.0/8' OR x-t:value ISSUBSET '::1']", ""},
		{"[x-t:a.b[0].value ISSUBSET '::/0']", ""},
	}
	for _, tc := range tests {
		_, err := p.Parse(tc.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tc.in, got, tc.err)
		}
	}
}
