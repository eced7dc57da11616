package marking

import (
	"bytes"
	"testing"

	"github.com/tearline/tearline/stix"
)

// fuzzRecipients are the recipients every fuzzed object is decided for.
var fuzzRecipients = []*Recipient{
	{},
	{OrgID: "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Member: true},
	{OrgID: "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Member: true, CollectionReader: true, Country: "US", Clearance: "SECRET", Communities: []string{"FVEY"}},
}

// FuzzDecide checks that the access decision never panics on any stored
// bytes, that a whole object goes out unchanged, and that every redacted
// copy is valid STIX no larger than the original.
func FuzzDecide(f *testing.F) {
	f.Add([]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","description":"x","object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"granular_markings":[{"marking_ref":"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1","selectors":["description"]}]}`))
	f.Add([]byte(`{"type":"report","id":"report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","object_refs":["a--b"],"granular_markings":[{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["object_refs.[0]"]}]}`))
	f.Add([]byte(`[]`))
	p, err := NewPolicy(NewDefinitions(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, r := range fuzzRecipients {
			res := p.Decide(r, raw)
			switch res.Decision {
			case Whole:
				if !bytes.Equal(res.Raw, raw) {
					t.Fatalf("whole decision changed the bytes")
				}
			case Redacted:
				if len(res.Raw) > len(raw) {
					t.Fatalf("redacted copy larger than the original")
				}
				if _, issues := stix.ValidateObject(res.Raw, ""); issues.HasErrors() {
					t.Fatalf("redacted copy is invalid: %v\n%s", issues.Errors(), res.Raw)
				}
			case Withhold:
				if res.Raw != nil {
					t.Fatalf("withheld decision carries bytes")
				}
			}
		}
	})
}

// FuzzParseDefinition checks that marking definitions of any shape parse or
// fail cleanly.
func FuzzParseDefinition(f *testing.F) {
	f.Add([]byte(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:GREEN","definition":{"tlp":"green"}}`))
	f.Add([]byte(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2017-01-20T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d := NewDefinitions()
		if def, err := ParseDefinition(raw); err == nil && def == nil {
			t.Fatal("nil definition without error")
		}
		_ = d.Add(raw)
	})
}
