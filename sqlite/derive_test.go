package sqlite

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// TestDeriveText checks that the text validation read of an object gives
// the index what parsing its bytes again gives, and that bytes replaced
// after validation are read again.
func TestDeriveText(t *testing.T) {
	t.Parallel()
	const head = `"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","is_family":false`
	for _, members := range []string{
		`"name":"Emotet","description":"Banking trojan"`,
		`"name":"Emotet"`,
		`"description":"only a description"`,
		`"name":"caf\u00e9 \"q\" \ud83d\ude00","description":"line\nbreak\ttab"`,
		`"name":"","description":""`,
		``,
		`"name":"Emotet","x_description":"not the description","x_name":{"name":"nested"}`,
	} {
		body := head
		if members != "" {
			body += "," + members
		}
		raw := []byte("{" + body + "}")
		o, issues := stix.ValidateObject(raw, "")
		if o == nil {
			t.Fatalf("%s: %v", raw, issues)
		}
		if o.TextOf() == nil {
			t.Fatalf("%s: validation read no text", raw)
		}
		got := derive(o)
		want := derive(&tearline.Object{Type: o.Type, Raw: raw})
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(derived{})); diff != "" {
			t.Errorf("%s (-parsed +validated):\n%s", raw, diff)
		}
	}

	// Bytes replaced since validation (as redaction does) are read again.
	raw := []byte(fmt.Sprintf(`{%s,"name":"call +1 202 555 0143"}`, head))
	o, issues := stix.ValidateObject(raw, "")
	if o == nil {
		t.Fatal(issues)
	}
	o.Raw = []byte(fmt.Sprintf(`{%s,"name":"call [REDACTED:phone]"}`, head))
	if o.TextOf() != nil {
		t.Fatal("the text of replaced bytes still counts")
	}
	if d := derive(o); d.name != "call [REDACTED:phone]" {
		t.Errorf("after the bytes were replaced the index reads %q", d.name)
	}
}
