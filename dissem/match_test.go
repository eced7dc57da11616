package dissem

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

// world is a small set of objects: a victim identity in the energy
// sector, a location, a malware family, an intrusion set, an attack
// pattern, indicators, relationships between them and a sighting.
var world = []string{
	`{"type":"identity","id":"identity--00000000-0000-4000-8000-00000000000e","name":"Energy Co","identity_class":"organization","sectors":["energy"]}`,
	`{"type":"location","id":"location--00000000-0000-4000-8000-0000000000de","country":"de"}`,
	`{"type":"malware","id":"malware--00000000-0000-4000-8000-000000000001","name":"Emotet","aliases":["Geodo"],"is_family":true}`,
	`{"type":"intrusion-set","id":"intrusion-set--00000000-0000-4000-8000-000000000002","name":"APT-X","aliases":["Fancy Test"]}`,
	`{"type":"attack-pattern","id":"attack-pattern--00000000-0000-4000-8000-000000000003","name":"Spearphishing Attachment",
		"external_references":[{"source_name":"mitre-attack","external_id":"T1566.001"}],
		"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"initial-access"}]}`,
	`{"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000004","name":"Emotet C2","pattern_type":"stix",
		"pattern":"[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'c2.example.com']","confidence":80,
		"labels":["Botnet"],"created_by_ref":"identity--00000000-0000-4000-8000-0000000000a1"}`,
	`{"type":"indicator","id":"indicator--00000000-0000-4000-8000-000000000005","name":"Invoice lure","pattern_type":"stix",
		"pattern":"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']","confidence":20}`,
	`{"type":"relationship","id":"relationship--00000000-0000-4000-8000-000000000011","relationship_type":"targets",
		"source_ref":"malware--00000000-0000-4000-8000-000000000001","target_ref":"identity--00000000-0000-4000-8000-00000000000e"}`,
	`{"type":"relationship","id":"relationship--00000000-0000-4000-8000-000000000012","relationship_type":"targets",
		"source_ref":"intrusion-set--00000000-0000-4000-8000-000000000002","target_ref":"location--00000000-0000-4000-8000-0000000000de"}`,
	`{"type":"relationship","id":"relationship--00000000-0000-4000-8000-000000000013","relationship_type":"indicates",
		"source_ref":"indicator--00000000-0000-4000-8000-000000000004","target_ref":"malware--00000000-0000-4000-8000-000000000001"}`,
	`{"type":"relationship","id":"relationship--00000000-0000-4000-8000-000000000014","relationship_type":"uses",
		"source_ref":"malware--00000000-0000-4000-8000-000000000001","target_ref":"attack-pattern--00000000-0000-4000-8000-000000000003"}`,
	// A relationship the subject may not see (see hidden).
	`{"type":"relationship","id":"relationship--00000000-0000-4000-8000-000000000015","relationship_type":"indicates",
		"source_ref":"indicator--00000000-0000-4000-8000-000000000005","target_ref":"intrusion-set--00000000-0000-4000-8000-000000000002"}`,
	`{"type":"sighting","id":"sighting--00000000-0000-4000-8000-000000000006","sighting_of_ref":"indicator--00000000-0000-4000-8000-000000000004",
		"created_by_ref":"identity--00000000-0000-4000-8000-0000000000b2"}`,
	`{"type":"ipv4-addr","id":"ipv4-addr--00000000-0000-5000-8000-000000000007","value":"198.51.100.7"}`,
	`{"type":"report","id":"report--00000000-0000-4000-8000-000000000008","name":"Weekly","object_refs":["intrusion-set--00000000-0000-4000-8000-000000000002"]}`,
}

// hidden is the relationship the test subjects may not know.
const hidden = "relationship--00000000-0000-4000-8000-000000000015"

// short names objects by type and last id digits, as in the table.
func short(id string) string {
	typ, rest, _ := strings.Cut(id, "--")
	return typ + ":" + strings.TrimLeft(rest[len(rest)-2:], "0")
}

// build observes every object into a graph, as the feed reader does, and
// returns the items with their facts, and the creators of the objects.
func build(t *testing.T, objs []string) []*Item { return buildOf(t, objs, nil) }

// buildOf is build computing the facts of the objects whose type keep
// accepts only (all when keep is nil).
func buildOf(t *testing.T, objs []string, keep func(typ string) bool) []*Item {
	t.Helper()
	g := NewGraph()
	var entries []*tearline.FeedEntry
	for i, raw := range objs {
		var head struct{ Type, ID string }
		if err := json.Unmarshal([]byte(raw), &head); err != nil {
			t.Fatalf("object %d: %v", i, err)
		}
		e := &tearline.FeedEntry{Seq: int64(i + 1), CollectionID: "c", Entry: tearline.Entry{Object: tearline.Object{
			ID: head.ID, Type: head.Type, Version: time.Unix(1700000000, 0), Raw: []byte(raw)}}}
		if keep == nil || keep(head.Type) {
			entries = append(entries, e)
		}
		if isContext(head.Type) {
			g.observe(e, readFields(e.Raw))
		}
	}
	creators := map[string]string{}
	var items []*Item
	for _, e := range entries {
		f := readFields(e.Raw)
		creators[f.ID] = f.CreatedByRef
		items = append(items, &Item{FeedEntry: e, facts: g.facts(e.Raw, f)})
	}
	for _, it := range items {
		for _, ref := range it.facts.Refs {
			if c := creators[ref]; c != "" {
				it.facts.RefCreators = append(it.facts.RefCreators, c)
			}
		}
	}
	return items
}

func TestMatch(t *testing.T) {
	t.Parallel()
	items := build(t, world)
	orgA := &tearline.Organization{ID: "identity--00000000-0000-4000-8000-0000000000a1", Sectors: []string{"energy"}, Country: "FR"}
	orgB := &tearline.Organization{ID: "identity--00000000-0000-4000-8000-0000000000b2", Country: "DEU"}
	blind := func(n *Node) bool { return n.ID != hidden }
	seeing := func(*Node) bool { return true }
	for _, tc := range []struct {
		filter string
		org    *tearline.Organization
		sees   func(*Node) bool
		want   []string
	}{
		{`{"types":["indicator"]}`, orgA, blind, []string{"indicator:4", "indicator:5"}},
		{`{"sectors":["energy"]}`, orgA, blind, []string{"identity:e", "malware:1", "attack-pattern:3", "indicator:4", "relationship:11",
			"relationship:13", "relationship:14"}},
		{`{"countries":["DEU"]}`, orgA, blind, []string{"location:de", "intrusion-set:2", "relationship:12", "relationship:15", "report:8"}},
		// The indicator's link to the intrusion set is a relationship the
		// subject may not see: it matches only for one who may.
		{`{"countries":["DE"], "types":["indicator"]}`, orgA, blind, nil},
		{`{"countries":["DE"], "types":["indicator"]}`, orgA, seeing, []string{"indicator:5"}},
		// A location targeted by the intrusion set is about it too; the hidden
		// relationship matches on its own ends (and is then withheld whole
		// by the access decision).
		{`{"threat_actors":["fancy test"]}`, orgA, blind, []string{"intrusion-set:2", "location:de", "relationship:12", "relationship:15", "report:8"}},
		{`{"threat_actors":["intrusion-set--00000000-0000-4000-8000-000000000002"]}`, orgA, seeing,
			[]string{"intrusion-set:2", "indicator:5", "location:de", "relationship:12", "relationship:15", "report:8"}},
		{`{"techniques":["T1566"]}`, orgA, blind, []string{"malware:1", "attack-pattern:3", "relationship:14"}},
		{`{"techniques":["T1566.002"]}`, orgA, blind, nil},
		{`{"tactics":["initial-access"]}`, orgA, blind, []string{"malware:1", "attack-pattern:3", "relationship:14"}},
		{`{"malware":["GEODO"]}`, orgA, blind, []string{"identity:e", "malware:1", "attack-pattern:3", "indicator:4",
			"relationship:11", "relationship:13", "relationship:14"}},
		{`{"observable_types":["domain-name"]}`, orgA, blind, []string{"indicator:4"}},
		{`{"observable_types":["ipv4-addr"]}`, orgA, blind, []string{"indicator:4", "ipv4-addr:7"}},
		{`{"min_confidence":50}`, orgA, blind, []string{"indicator:4"}},
		{`{"labels":["botnet"]}`, orgA, blind, []string{"indicator:4"}},
		{`{"text":["invoice", "weekly"]}`, orgA, blind, []string{"indicator:5", "report:8"}},
		{`{"collections":["other"]}`, orgA, blind, nil},
		// The sector feed: orgA is in the energy sector and created the
		// sighted indicator; orgB is in Germany.
		{DefaultFilterJSON, orgA, blind, []string{"identity:e", "malware:1", "attack-pattern:3", "indicator:4", "relationship:11",
			"relationship:13", "relationship:14", "sighting:6"}},
		{DefaultFilterJSON, orgB, blind, []string{"location:de", "intrusion-set:2", "relationship:12", "relationship:15", "report:8"}},
		{`{"any":[{"types":["sighting"]},{"malware":["emotet"],"types":["indicator"]}]}`, orgB, blind, []string{"indicator:4", "sighting:6"}},
	} {
		f, err := Parse([]byte(tc.filter))
		if err != nil {
			t.Fatal(err)
		}
		s := &Subject{Org: tc.org, Visible: tc.sees}
		var got []string
		for _, it := range items {
			if f.Match(it.FeedEntry, it.facts, s) {
				got = append(got, short(it.ID))
			}
		}
		slices.Sort(got)
		slices.Sort(tc.want)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s for %s (-want +got):\n%s", tc.filter, short(tc.org.ID), diff)
		}
	}
}

// TestMatchAttack derives techniques through the real ATT&CK
// relationships: the intrusion sets that use a technique match it. Under
// the race detector, which makes decoding 50 MB slow, it reads the ICS
// matrix instead of Enterprise.
func TestMatchAttack(t *testing.T) {
	t.Parallel()
	tc := struct {
		file, technique, group string
		atLeast                int
	}{"enterprise-attack-18.1.json", "T1566", "APT28", 20} // Spearphishing
	if raceEnabled {
		tc = struct {
			file, technique, group string
			atLeast                int
		}{"ics-attack-18.1.json", "T0865", "ALLANITE", 4} // Spearphishing Attachment
	}
	data, err := os.ReadFile("../../shared/data/attack/" + tc.file)
	if err != nil {
		t.Skipf("ATT&CK data not available: %v", err)
	}
	var b struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	var objs []string
	for _, o := range b.Objects {
		objs = append(objs, string(o))
	}
	items := buildOf(t, objs, func(typ string) bool { return typ == "intrusion-set" })
	f, err := Parse([]byte(`{"types":["intrusion-set"],"techniques":["` + tc.technique + `"]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := &Subject{Org: &tearline.Organization{ID: "identity--x"}, Visible: func(*Node) bool { return true }}
	var names []string
	for _, it := range items {
		if f.Match(it.FeedEntry, it.facts, s) {
			var o struct{ Name string }
			json.Unmarshal(it.Raw, &o)
			names = append(names, o.Name)
		}
	}
	if !slices.Contains(names, tc.group) || len(names) < tc.atLeast {
		t.Errorf("%s: intrusion sets using %s: %d, %v", tc.file, tc.technique, len(names), names)
	}
	t.Logf("%s: %d intrusion sets use %s or a sub-technique", tc.file, len(names), tc.technique)
}
