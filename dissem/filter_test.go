package dissem

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
)

func TestParse(t *testing.T) {
	t.Parallel()
	conf := 60
	for _, tc := range []struct {
		in   string
		want *Filter
	}{
		{`{}`, &Filter{}},
		{`{"types": ["indicator", "x-acme-widget", "indicator"]}`, &Filter{Types: []string{"indicator", "x-acme-widget"}}},
		{`{"countries": ["usa", "DE"], "techniques": ["t1566", "T1059.001"], "tactics": ["Initial-Access"]}`,
			&Filter{Countries: []string{"US", "DE"}, Techniques: []string{"T1566", "T1059.001"}, Tactics: []string{"initial-access"}}},
		{`{"malware": ["Emotet", "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"], "threat_actors": [" APT28 "]}`,
			&Filter{Malware: []string{"emotet", "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}, ThreatActors: []string{"apt28"}}},
		{`{"malware": [" Malware--31B940D4-6F7F-459A-80EA-9C1F17B5891B"]}`,
			&Filter{Malware: []string{"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}}},
		{`{"min_confidence": 60, "max_tlp": "TLP:AMBER", "labels": ["Phishing"], "text": [" Invoice "]}`,
			&Filter{MinConfidence: &conf, MaxTLP: "amber", ceiling: marking.Amber, Labels: []string{"phishing"}, Text: []string{"invoice"}}},
		{DefaultFilterJSON, &Filter{Any: []*Filter{{Profile: true}, {Feedback: true}}}},
	} {
		got, err := Parse([]byte(tc.in))
		if err != nil {
			t.Errorf("Parse(%s): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Filter{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Parse(%s) (-want +got):\n%s", tc.in, diff)
		}
		// The normalized form parses back to the same filter.
		again, err := Parse([]byte(got.String()))
		if err != nil || !cmp.Equal(got, again, cmp.AllowUnexported(Filter{}), cmpopts.EquateEmpty()) {
			t.Errorf("Parse(%s).String() = %s does not parse back the same: %v", tc.in, got, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	deep := `{"any":[{"any":[{"any":[{"any":[{"any":[{}]}]}]}]}]}`
	for _, tc := range []struct{ in, want string }{
		{``, `filter: empty`},
		{`[]`, `filter: not a JSON object`},
		{`{"types": "indicator"}`, `filter.types: want a list of strings`},
		{`{"types": []}`, `filter.types: empty`},
		{`{"malware": ["mQe--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]}`, `filter.malware[0]: "mQe--31b940d4-6f7f-459a-80ea-9c1f17b5891b" is not the id of a malware`},
		{`{"types": ["indicator", "indicatr"]}`, `filter.types[1]: "indicatr" is not a STIX 2.1 object type`},
		{`{"types": [1]}`, `filter.types[0]: want a string, not 1`},
		{`{"observable_types": ["indicator"]}`, `filter.observable_types[0]: "indicator" is not a cyber-observable type`},
		{`{"sectors": ["banking"]}`, `filter.sectors[0]: "banking" is not an industry-sector-ov value`},
		{`{"countries": ["XX"]}`, `filter.countries[0]: "XX" is not an ISO 3166-1`},
		{`{"techniques": ["T15"]}`, `filter.techniques[0]: "T15" is not an ATT&CK technique id`},
		{`{"tactics": ["initial access"]}`, `filter.tactics[0]: "initial access" is not a kill chain phase name`},
		{`{"malware": ["intrusion-set--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]}`, `filter.malware[0]: "intrusion-set--31b940d4-6f7f-459a-80ea-9c1f17b5891b" is not the id of a malware`},
		{`{"min_confidence": 101}`, `filter.min_confidence: want an integer from 0 to 100, not 101`},
		{`{"min_confidence": 5.5}`, `filter.min_confidence: want an integer from 0 to 100`},
		{`{"max_tlp": "purple"}`, `filter.max_tlp: "purple" is not a TLP level`},
		{`{"any": [{"max_tlp": "red"}]}`, `filter.any[0].max_tlp: a ceiling for the whole subscription`},
		{`{"any": [{"types": ["indicator"]}, {"sectors": ["energy", "bank"]}]}`, `filter.any[1].sectors[1]: "bank" is not an industry-sector-ov value`},
		{`{"any": []}`, `filter.any: empty`},
		{`{"profile": "yes"}`, `filter.profile: want true or false`},
		{`{"sector": ["energy"]}`, `filter.sector: not a filter criterion`},
		{`{"types": ["indicator"], "types": ["malware"]}`, `filter.types: given twice`},
		{`{"text": [""]}`, `filter.text[0]: empty`},
		{`{"text": ["` + strings.Repeat("a", 201) + `"]}`, `filter.text[0]: longer than 200 bytes`},
		{deep, `filter.any[0].any[0].any[0].any[0].any[0]: "any" nested more than 4 deep`},
	} {
		_, err := Parse([]byte(tc.in))
		if tearline.ErrorCode(err) != tearline.EINVALID || !strings.Contains(tearline.ErrorMessage(err), tc.want) {
			t.Errorf("Parse(%.60s) = %v, want EINVALID with %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, DefaultFilterJSON, `{"types":["indicator"],"any":[{"sectors":["energy"]},{"countries":["US"]}]}`,
		`{"techniques":["T1566"],"max_tlp":"amber","min_confidence":50}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(data)
		if err != nil {
			if tearline.ErrorCode(err) != tearline.EINVALID {
				t.Fatalf("Parse error %v is not EINVALID", err)
			}
			return
		}
		again, err := Parse([]byte(got.String()))
		if err != nil {
			t.Fatalf("Parse(%q).String() = %s does not parse: %v", data, got, err)
		}
		if !cmp.Equal(got, again, cmp.AllowUnexported(Filter{}), cmpopts.EquateEmpty()) {
			t.Fatalf("round trip of %q changed the filter: %s vs %s", data, got, again)
		}
	})
}
