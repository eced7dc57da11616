package marking

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// oasisObjects reads the objects of an OASIS example bundle, skipping the
// test when the examples are not present.
func oasisObjects(t *testing.T, name string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile("../../shared/data/oasis-examples/" + name)
	if err != nil {
		t.Skipf("OASIS example %s not present: %v", name, err)
	}
	var bundle struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, o := range bundle.Objects {
		var h struct{ ID string }
		json.Unmarshal(o, &h)
		out[h.ID] = o
	}
	return out
}

func TestOASISGranularMarkings(t *testing.T) {
	t.Parallel()
	objs := oasisObjects(t, "using-granular-markings.json")
	p := mustPolicy(t)
	ind := objs["indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1"]
	ta := objs["threat-actor--8b6297fe-cae7-47c6-9256-5584b417849c"]
	const gotham = "identity--b38dfe21-7477-40d1-aa90-5c8671ce51ca"
	type want struct {
		d       Decision
		absent  []string // substrings that must not be in the copy
		present []string
	}
	tests := []struct {
		name string
		r    Recipient
		ind  want
		ta   Decision
	}{
		// The indicator has no object marking: the unmarked default
		// (AMBER+STRICT) lets only collection readers have it.
		{"member", Recipient{OrgID: orgB, Member: true}, want{d: Withhold}, Withhold},
		{"reader", Recipient{OrgID: orgB, Member: true, CollectionReader: true},
			want{d: Redacted, absent: []string{"The Joker", "5e57c739", `"description"`},
				present: []string{`"indicator_types.[1]"`, "attribution", "Fake email address"}}, Withhold},
		{"named", Recipient{OrgID: orgB, CollectionReader: true}, want{d: Redacted}, Withhold},
		{"originator", Recipient{OrgID: gotham}, want{d: Whole}, Whole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := p.Decide(&tt.r, ind)
			if res.Decision != tt.ind.d {
				t.Fatalf("indicator: %v (%s), want %v", res.Decision, res.Reason, tt.ind.d)
			}
			if res.Decision == Redacted {
				validCopy(t, res.Raw)
				for _, s := range tt.ind.absent {
					if strings.Contains(string(res.Raw), s) {
						t.Errorf("copy holds %q:\n%s", s, res.Raw)
					}
				}
				for _, s := range tt.ind.present {
					if !strings.Contains(string(res.Raw), s) {
						t.Errorf("copy lacks %q:\n%s", s, res.Raw)
					}
				}
			}
			if got := p.Decide(&tt.r, ta); got.Decision != tt.ta {
				t.Errorf("threat actor: %v (%s), want %v", got.Decision, got.Reason, tt.ta)
			}
		})
	}
	// With a GREEN default, a member sees the indicator without the AMBER
	// and RED parts; renumbered selectors still select what they did.
	green, _ := NewPolicy(nil, Options{Unmarked: Green})
	res := green.Decide(&Recipient{OrgID: orgB, Member: true}, ind)
	if res.Decision != Redacted {
		t.Fatalf("member under GREEN default: %v (%s)", res.Decision, res.Reason)
	}
	validCopy(t, res.Raw)
	var got map[string]any
	json.Unmarshal(res.Raw, &got)
	if it := got["indicator_types"].([]any); len(it) != 1 || it[0] != "malicious-activity" {
		t.Errorf("indicator_types = %v", it)
	}
	gm := got["granular_markings"].([]any)
	if len(gm) != 1 || !strings.Contains(string(res.Raw), `"indicator_types.[0]"`) || strings.Contains(string(res.Raw), "f88d31f6") {
		t.Errorf("granular markings of the copy:\n%s", res.Raw)
	}
	if res.Removed != 2 {
		t.Errorf("Removed = %d, want 2", res.Removed)
	}
}

func TestOASISMarkingDefinitions(t *testing.T) {
	t.Parallel()
	objs := oasisObjects(t, "using-marking-definitions.json")
	d := NewDefinitions()
	for id, raw := range objs {
		if strings.HasPrefix(id, "marking-definition--") {
			if err := d.Add(raw); err != nil {
				t.Fatalf("Add %s: %v", id, err)
			}
		}
	}
	p, _ := NewPolicy(d, Options{})
	ind := objs["indicator--33fe3b22-0201-47cf-85d0-97c02164528d"]
	if def := d.Lookup("marking-definition--d81f86b9-975b-4c0b-875e-810c5ad45a4f"); def == nil || def.Statement != "Copyright (c) Stark Industries 2017." {
		t.Fatalf("statement definition: %+v", def)
	}
	for _, tt := range []struct {
		r    Recipient
		want Decision
	}{
		{Recipient{OrgID: orgB, Member: true}, Withhold},
		{Recipient{OrgID: orgB, ClientOf: true}, Whole},
		{Recipient{OrgID: orgB, CollectionReader: true}, Whole},
	} {
		if got := p.Decide(&tt.r, ind); got.Decision != tt.want || got.TLP != Amber {
			t.Errorf("%+v: %v %v (%s), want %v at AMBER", tt.r, got.Decision, got.TLP, got.Reason, tt.want)
		}
	}
	if err := p.Check(&Recipient{OrgID: orgB}, ind); err != nil {
		t.Errorf("Check: %v", err)
	}
	if err := NewDefinitionsCheck(objs); err != nil {
		t.Error(err)
	}
}

// NewDefinitionsCheck checks that without the statement definition the
// indicator is withheld and refused.
func NewDefinitionsCheck(objs map[string][]byte) error {
	p, _ := NewPolicy(nil, Options{})
	ind := objs["indicator--33fe3b22-0201-47cf-85d0-97c02164528d"]
	if got := p.Decide(&Recipient{OrgID: orgB, CollectionReader: true}, ind); got.Decision != Withhold {
		return errorString("indicator with an unknown statement marking was not withheld")
	}
	if p.Check(&Recipient{OrgID: orgB}, ind) == nil {
		return errorString("indicator with an unknown marking accepted")
	}
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestRedaction(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t)
	member := &Recipient{OrgID: orgB, Member: true}
	gm := func(entries ...any) map[string]any {
		return map[string]any{"object_marking_refs": []string{TLP2Green}, "granular_markings": entries}
	}
	e := func(ref string, sel ...string) map[string]any {
		return map[string]any{"marking_ref": ref, "selectors": sel}
	}
	tests := []struct {
		name    string
		extra   map[string]any
		want    Decision
		absent  []string
		present []string
	}{
		{"all-pass", gm(e(TLP2Green, "name")), Whole, nil, nil},
		{"lang-never-restricts", gm(map[string]any{"lang": "en", "selectors": []string{"description"}}), Whole, nil, nil},
		{"property", gm(e(TLP2Red, "description")), Redacted, []string{"phishing", TLP2Red, `"description"`}, []string{"bad ip"}},
		{"list-item-renumbered", gm(e(TLP2Red, "labels.[0]"), e(TLP2Green, "labels.[2]", "labels.[1]")), Redacted,
			[]string{`"one"`, "labels.[2]", TLP2Red}, []string{`"labels.[1]"`, `"labels.[0]"`, `"two"`, `"three"`}},
		{"whole-list", gm(e(TLP2Red, "labels.[0]", "labels.[1]", "labels.[2]"), e(TLP2Green, "labels.[1]")), Redacted,
			[]string{`"labels"`, "granular_markings"}, nil},
		{"required", gm(e(TLP2Red, "pattern")), Withhold, nil, nil},
		{"required-id", gm(e(TLP2Red, "id")), Withhold, nil, nil},
		{"markings-themselves", gm(e(TLP2Red, "object_marking_refs")), Withhold, nil, nil},
		{"unresolved", gm(e(TLP2Green, "nope")), Withhold, nil, nil},
		{"unknown-ref", gm(e("marking-definition--9a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0009", "name")), Withhold, nil, nil},
		{"nested", map[string]any{"object_marking_refs": []string{TLP2Green},
			"external_references": []any{map[string]any{"source_name": "a", "url": "https://a.example/secret", "description": "kept"}},
			"granular_markings":   []any{e(TLP2Red, "external_references.[0].url")}}, Redacted, []string{"secret"}, []string{"kept"}},
		{"nested-leaves-invalid", map[string]any{"object_marking_refs": []string{TLP2Green},
			"external_references": []any{map[string]any{"source_name": "a", "url": "https://a.example/secret"}},
			"granular_markings":   []any{e(TLP2Red, "external_references.[0].url")}}, Withhold, nil, nil},
	}
	for _, tt := range tests {
		raw := indicator(t, tt.extra)
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := p.Decide(member, raw)
			if res.Decision != tt.want {
				t.Fatalf("Decide = %v (%s), want %v\n%s", res.Decision, res.Reason, tt.want, raw)
			}
			if res.Decision != Redacted {
				return
			}
			validCopy(t, res.Raw)
			for _, s := range tt.absent {
				if strings.Contains(string(res.Raw), s) {
					t.Errorf("copy holds %q:\n%s", s, res.Raw)
				}
			}
			for _, s := range tt.present {
				if !strings.Contains(string(res.Raw), s) {
					t.Errorf("copy lacks %q:\n%s", s, res.Raw)
				}
			}
		})
	}
}

// TestRedactionKeepsBytes checks that the copy keeps the stored text of the
// kept members: odd spacing, escapes and number spelling survive.
func TestRedactionKeepsBytes(t *testing.T) {
	t.Parallel()
	raw := []byte(`{ "type":"indicator","spec_version" : "2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
	"created":"2024-01-02T03:04:05.000Z","modified":"2024-01-02T03:04:05.000Z",
	"name":"caf\u00e9",   "description":"hidden",
	"pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2024-01-02T03:04:05Z",
	"x_score":  1.50,
	"granular_markings":[{"marking_ref":"` + TLP2Red + `","selectors":["description"]}],
	"object_marking_refs":["` + TLP2Green + `"] }`)
	p := mustPolicy(t)
	res := p.Decide(&Recipient{OrgID: orgB, Member: true}, raw)
	if res.Decision != Redacted {
		t.Fatalf("%v (%s)", res.Decision, res.Reason)
	}
	want := `{ "type":"indicator","spec_version" : "2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
	"created":"2024-01-02T03:04:05.000Z","modified":"2024-01-02T03:04:05.000Z",
	"name":"caf\u00e9",
	"pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2024-01-02T03:04:05Z",
	"x_score":  1.50,
	"object_marking_refs":["` + TLP2Green + `"] }`
	if string(res.Raw) != want {
		t.Errorf("copy:\n%s\nwant:\n%s", res.Raw, want)
	}
}
