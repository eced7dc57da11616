package score

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

func TestAnalyze(t *testing.T) {
	t.Parallel()
	ts := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	long := `"description": "A loader observed in phishing campaigns against the energy sector; it fetches its second stage over HTTPS and persists as a service.",`
	tests := []struct {
		name string
		raw  string
		want Facts
	}{
		{"bare indicator", `{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '1.2.3.4']"}`,
			Facts{Type: "indicator", ID: "indicator--1", Stated: -1}},
		{"rich indicator", `{"type": "indicator", "id": "indicator--2", "created_by_ref": "identity--a", "confidence": 85,
			"kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}], ` + long + `
			"valid_until": "2027-01-01T00:00:00Z", "external_references": [{"source_name": "x"}],
			"indicator_types": ["malicious-activity"], "x_custom": {"confidence": 3, "revoked": true}}`,
			Facts{Type: "indicator", ID: "indicator--2", CreatedBy: "identity--a", Stated: 85,
				Features: KillChain | LongDescription | ExternalReferences | Labels, ValidUntil: ts("2027-01-01T00:00:00Z")}},
		{"empty lists and short text", `{"type":"malware","id":"malware--1","kill_chain_phases":[ ],"labels":[],"description":"RAT","confidence":0}`,
			Facts{Type: "malware", ID: "malware--1", Stated: 0, Features: ShortDescription}},
		{"blank description", `{"type":"malware","id":"malware--1","description":"  "}`,
			Facts{Type: "malware", ID: "malware--1", Stated: -1}},
		{"revoked", `{"type":"indicator","id":"indicator--3","revoked":true}`,
			Facts{Type: "indicator", ID: "indicator--3", Stated: -1, Revoked: true}},
		{"sighting", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"indicator--1","last_seen":"2026-05-01T10:00:00.5Z","first_seen":"2026-04-01T00:00:00Z"}`,
			Facts{Type: "sighting", ID: "sighting--1", Stated: -1, Links: []tearline.ScoreLink{
				{Target: "indicator--1", Source: "sighting--1", Kind: tearline.LinkSighting, Time: ts("2026-05-01T10:00:00.5Z")}}}},
		{"sighting without last_seen", `{"type":"sighting","id":"sighting--1","sighting_of_ref":"indicator--1","modified":"2026-05-02T00:00:00Z"}`,
			Facts{Type: "sighting", ID: "sighting--1", Stated: -1, Links: []tearline.ScoreLink{
				{Target: "indicator--1", Source: "sighting--1", Kind: tearline.LinkSighting, Time: ts("2026-05-02T00:00:00Z")}}}},
		{"false-positive sighting", `{"type":"sighting","id":"sighting--2","sighting_of_ref":"indicator--1","x_tearline_false_positive":true}`,
			Facts{Type: "sighting", ID: "sighting--2", Stated: -1, Links: []tearline.ScoreLink{
				{Target: "indicator--1", Source: "sighting--2", Kind: tearline.LinkFalsePositive}}}},
		{"not a false positive", `{"type":"sighting","id":"sighting--2","sighting_of_ref":"indicator--1","x_tearline_false_positive":false}`,
			Facts{Type: "sighting", ID: "sighting--2", Stated: -1, Links: []tearline.ScoreLink{
				{Target: "indicator--1", Source: "sighting--2", Kind: tearline.LinkSighting}}}},
		{"revoked sighting", `{"type":"sighting","id":"sighting--3","sighting_of_ref":"indicator--1","revoked":true}`,
			Facts{Type: "sighting", ID: "sighting--3", Stated: -1, Revoked: true, Links: []tearline.ScoreLink{
				{Target: "indicator--1", Source: "sighting--3"}}}},
		{"disagreeing opinion", `{"type":"opinion","id":"opinion--1","opinion":"strongly-disagree","object_refs":["indicator--1","indicator--2"]}`,
			Facts{Type: "opinion", ID: "opinion--1", Stated: -1, Links: []tearline.ScoreLink{
				{Target: "indicator--1", Source: "opinion--1", Kind: tearline.LinkFalsePositive},
				{Target: "indicator--2", Source: "opinion--1", Kind: tearline.LinkFalsePositive}}}},
		{"agreeing opinion", `{"type":"opinion","id":"opinion--2","opinion":"agree","object_refs":["indicator--1"]}`,
			Facts{Type: "opinion", ID: "opinion--2", Stated: -1, Links: []tearline.ScoreLink{
				{Target: "indicator--1", Source: "opinion--2"}}}},
		{"indicates malware", `{"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--9"}`,
			Facts{Type: "relationship", ID: "relationship--1", Stated: -1, Links: []tearline.ScoreLink{
				{Target: "indicator--1", Source: "relationship--1", Kind: tearline.LinkRelated, Related: "malware"}}}},
		{"intrusion set uses attack pattern", `{"type":"relationship","id":"relationship--2","relationship_type":"uses","source_ref":"intrusion-set--1","target_ref":"attack-pattern--2"}`,
			Facts{Type: "relationship", ID: "relationship--2", Stated: -1, Links: []tearline.ScoreLink{
				{Target: "intrusion-set--1", Source: "relationship--2", Kind: tearline.LinkRelated, Related: "attack-pattern"},
				{Target: "attack-pattern--2", Source: "relationship--2", Kind: tearline.LinkRelated, Related: "intrusion-set"}}}},
		{"related to no context type", `{"type":"relationship","id":"relationship--3","source_ref":"indicator--1","target_ref":"infrastructure--2"}`,
			Facts{Type: "relationship", ID: "relationship--3", Stated: -1}},
	}
	for _, tt := range tests {
		got, err := Analyze([]byte(tt.raw))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(&tt.want, got); diff != "" {
			t.Errorf("%s: Analyze (-want +got):\n%s", tt.name, diff)
		}
	}
	for _, bad := range []string{``, `[]`, `"x"`, `{"type":`, `{"type":"x",}`} {
		if f, err := Analyze([]byte(bad)); err == nil {
			t.Errorf("Analyze(%q) = %+v, want an error", bad, f)
		}
	}
}

// TestAnalyzeATTACK reads every object of the ATT&CK bundle: none fails,
// and the context features found are plausible.
func TestAnalyzeATTACK(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "attack", "enterprise-attack-18.1.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("ATT&CK data not available: %v", err)
	}
	var bundle struct {
		Objects []jsonRaw `json:"objects"`
	}
	if err := unmarshal(data, &bundle); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, raw := range bundle.Objects {
		f, err := Analyze(raw)
		if err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		if f.Type == "attack-pattern" && f.Features&KillChain != 0 {
			counts["attack-pattern with kill chain"]++
		}
		if f.Type == "relationship" {
			counts["relationship links"] += len(f.Links)
		}
	}
	if counts["attack-pattern with kill chain"] < 500 || counts["relationship links"] < 10000 {
		t.Errorf("unexpected counts over ATT&CK: %v", counts)
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		`{"type":"indicator","id":"indicator--1","confidence":85,"kill_chain_phases":[{}],"description":"x","valid_until":"2027-01-01T00:00:00Z"}`,
		`{"type":"sighting","id":"sighting--1","sighting_of_ref":"indicator--1","x_tearline_false_positive":true,"last_seen":"2026-05-01T00:00:00Z"}`,
		`{"type":"opinion","id":"opinion--1","opinion":"disagree","object_refs":["indicator--1"]}`,
		`{"type":"relationship","id":"relationship--1","source_ref":"indicator--1","target_ref":"malware--1"}`,
		`{"confidence": 1e400, "revoked": "yes", "object_refs": [1, 2]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		facts, err := Analyze(raw)
		if err != nil {
			return
		}
		if facts.Stated < -1 || facts.Stated > 100 {
			t.Fatalf("Stated = %d", facts.Stated)
		}
		if c := Context(facts.Features); c < 0 || c > 100 {
			t.Fatalf("Context = %d", c)
		}
		for _, l := range facts.Links {
			if l.Target == "" || l.Source != facts.ID {
				t.Fatalf("link %+v of object %q", l, facts.ID)
			}
		}
	})
}
