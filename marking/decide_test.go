package marking

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

func TestTearlineExtensionID(t *testing.T) {
	t.Parallel()
	u := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/tearline/tearline/marking#extension"))
	if got := "extension-definition--" + u.String(); got != TearlineExtension {
		t.Fatalf("TearlineExtension = %s, want %s", TearlineExtension, got)
	}
}

// relations lists one recipient per relation, with the highest TLP level
// each must receive.
var relations = []struct {
	name string
	r    Recipient
	max  TLP // NoTLP: nothing
}{
	{"anonymous", Recipient{}, NoTLP},
	{"anonymous-allowed", Recipient{AnonymousRead: true}, Clear},
	{"served", Recipient{OrgID: orgB}, Clear},
	{"member", Recipient{OrgID: orgB, Member: true}, Green},
	{"peer-green", Recipient{OrgID: orgB, Peer: true, Ceiling: Green, CollectionReader: true}, Green},
	{"peer-clear", Recipient{OrgID: orgB, Peer: true, Ceiling: Clear, CollectionReader: true}, Clear},
	{"client", Recipient{OrgID: orgB, Member: true, ClientOf: true}, Amber},
	{"reader", Recipient{OrgID: orgB, Member: true, CollectionReader: true}, AmberStrict},
	{"originator", Recipient{OrgID: orgA}, Red},
}

func TestTLPByRelation(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t)
	ids := map[string]TLP{
		TLP1White: Clear, TLP1Green: Green, TLP1Amber: Amber, TLP1Red: Red,
		TLP2Clear: Clear, TLP2Green: Green, TLP2Amber: Amber, TLP2AmberStrict: AmberStrict, TLP2Red: Red,
	}
	for id, level := range ids {
		raw := indicator(t, map[string]any{"object_marking_refs": []string{id}})
		for _, rel := range relations {
			t.Run(level.String()+"/"+id[len(id)-4:]+"/"+rel.name, func(t *testing.T) {
				t.Parallel()
				r := rel.r
				res := p.Decide(&r, raw)
				want := Withhold
				if level <= rel.max && rel.max != NoTLP {
					want = Whole
				}
				if res.Decision != want {
					t.Fatalf("Decide = %v (%s), want %v", res.Decision, res.Reason, want)
				}
				if res.TLP != level {
					t.Errorf("TLP = %v, want %v", res.TLP, level)
				}
				if want == Whole && string(res.Raw) != string(raw) {
					t.Error("whole object is not the stored bytes")
				}
			})
		}
	}
}

func TestRedNamed(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t)
	raw := indicator(t, map[string]any{"object_marking_refs": []string{TLP2Red}, "x_tearline_distribution": []string{orgB}})
	tests := []struct {
		name string
		r    Recipient
		want Decision
	}{
		{"named", Recipient{OrgID: orgB}, Whole},
		{"named-peer-below-red", Recipient{OrgID: orgB, Peer: true, Ceiling: Amber}, Withhold},
		{"named-peer-red", Recipient{OrgID: orgB, Peer: true, Ceiling: Red}, Whole},
		{"other-reader", Recipient{OrgID: "identity--0d6ae59c-8a4e-4c1f-9a53-5a1c1f0e0a03", CollectionReader: true}, Withhold},
		{"anonymous", Recipient{AnonymousRead: true}, Withhold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := p.Decide(&tt.r, raw); got.Decision != tt.want {
				t.Fatalf("Decide = %v (%s), want %v", got.Decision, got.Reason, tt.want)
			}
		})
	}
}

func TestStrictestWins(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t)
	raw := indicator(t, map[string]any{"object_marking_refs": []string{TLP2Green, TLP1Amber, TLP2AmberStrict}})
	member := &Recipient{OrgID: orgB, Member: true, ClientOf: true}
	if got := p.Decide(member, raw); got.Decision != Withhold || got.TLP != AmberStrict {
		t.Fatalf("client: %v %v, want withhold at AMBER+STRICT", got.Decision, got.TLP)
	}
	reader := &Recipient{OrgID: orgB, CollectionReader: true}
	if got := p.Decide(reader, raw); got.Decision != Whole {
		t.Fatalf("reader: %v (%s)", got.Decision, got.Reason)
	}
}

func TestUnmarkedDefault(t *testing.T) {
	t.Parallel()
	raw := indicator(t, nil)
	p := mustPolicy(t)
	if got := p.Decide(&Recipient{OrgID: orgB, Member: true}, raw); got.Decision != Withhold {
		t.Errorf("member got unmarked object under the AMBER+STRICT default: %v", got.Decision)
	}
	if got := p.Decide(&Recipient{OrgID: orgB, CollectionReader: true}, raw); got.Decision != Whole {
		t.Errorf("reader: %v", got.Decision)
	}
	green, err := NewPolicy(nil, Options{Unmarked: Green})
	if err != nil {
		t.Fatal(err)
	}
	if got := green.Decide(&Recipient{OrgID: orgB, Member: true}, raw); got.Decision != Whole || got.TLP != Green {
		t.Errorf("member under GREEN default: %v %v", got.Decision, got.TLP)
	}
	// Marking definitions go to everyone who reads.
	if got := p.Decide(&Recipient{AnonymousRead: true}, markingDef(t, "marking-definition--11111111-1111-4111-8111-111111111111", map[string]any{"classification": "SECRET"})); got.Decision != Whole {
		t.Errorf("marking definition withheld: %s", got.Reason)
	}
}

const (
	mdSecret    = "marking-definition--0a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0001"
	mdRelFVEY   = "marking-definition--0a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0002"
	mdSecretRel = "marking-definition--0a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0003"
	mdORCON     = "marking-definition--0a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0004"
	mdCUI       = "marking-definition--0a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0005"
	mdStatement = "marking-definition--0a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0006"
	mdUnknown   = "marking-definition--0a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0007"
)

func classPolicy(t testing.TB) *Policy {
	return mustPolicy(t,
		markingDef(t, mdSecret, map[string]any{"classification": "secret"}),
		markingDef(t, mdRelFVEY, map[string]any{"rel_to": []string{"USA", "GBR", "FVEY"}}),
		markingDef(t, mdSecretRel, map[string]any{"classification": "SECRET", "rel_to": []string{"usa", "can"}}),
		markingDef(t, mdORCON, map[string]any{"orcon": true}),
		markingDef(t, mdCUI, map[string]any{"classification": "CUI"}),
		[]byte(`{"type":"marking-definition","spec_version":"2.1","id":"`+mdStatement+`","created":"2024-01-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright Example"}}`),
		[]byte(`{"type":"marking-definition","spec_version":"2.1","id":"`+mdUnknown+`","created":"2024-01-01T00:00:00.000Z","definition_type":"x-custom","definition":{"x":"y"}}`),
	)
}

func TestClassificationAndRelTo(t *testing.T) {
	t.Parallel()
	p := classPolicy(t)
	reader := func(country, clearance string, communities ...string) Recipient {
		return Recipient{OrgID: orgB, Member: true, CollectionReader: true, Country: country, Clearance: clearance, Communities: communities}
	}
	tests := []struct {
		name  string
		marks []string
		r     Recipient
		want  Decision
	}{
		{"secret/cleared", []string{mdSecret}, reader("US", "SECRET"), Whole},
		{"secret/top-secret", []string{mdSecret}, reader("US", "top  secret"), Whole},
		{"secret/cui", []string{mdSecret}, reader("US", "CUI"), Withhold},
		{"secret/none", []string{mdSecret}, reader("US", ""), Withhold},
		{"secret/unknown-clearance", []string{mdSecret}, reader("US", "COSMIC"), Withhold},
		{"cui/none", []string{mdCUI}, reader("", ""), Withhold},
		{"cui/cui", []string{mdCUI}, reader("", "CUI"), Whole},
		{"rel/alpha2", []string{mdRelFVEY}, reader("GB", ""), Whole},
		{"rel/alpha3-recipient", []string{mdRelFVEY}, reader("USA", ""), Whole},
		{"rel/community", []string{mdRelFVEY}, reader("NZ", "", "fvey"), Whole},
		{"rel/excluded", []string{mdRelFVEY}, reader("FR", "", "NATO"), Withhold},
		{"rel/no-country", []string{mdRelFVEY}, reader("", ""), Withhold},
		{"secret-rel/ok", []string{mdSecretRel}, reader("CA", "SECRET"), Whole},
		{"secret-rel/wrong-country", []string{mdSecretRel}, reader("GB", "SECRET"), Withhold},
		{"secret-rel/uncleared", []string{mdSecretRel}, reader("CA", "CONFIDENTIAL"), Withhold},
		{"tlp+secret+rel/ok", []string{TLP2Amber, mdSecret, mdRelFVEY}, reader("US", "SECRET"), Whole},
		{"tlp+secret+rel/client", []string{TLP2Amber, mdSecret, mdRelFVEY}, Recipient{OrgID: orgB, ClientOf: true, Country: "US", Clearance: "SECRET"}, Whole},
		{"tlp-strict+secret/client", []string{TLP2AmberStrict, mdSecret}, Recipient{OrgID: orgB, ClientOf: true, Country: "US", Clearance: "SECRET"}, Withhold},
		{"two-rel/intersection", []string{mdRelFVEY, mdSecretRel}, reader("US", "SECRET"), Whole},
		{"two-rel/only-one", []string{mdRelFVEY, mdSecretRel}, reader("CA", "SECRET"), Withhold},
		{"statement/anyone", []string{mdStatement, TLP2Clear}, Recipient{AnonymousRead: true}, Whole},
		{"unknown-scheme", []string{mdUnknown, TLP2Clear}, reader("US", "TOP SECRET"), Withhold},
		{"unknown-id", []string{"marking-definition--9a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0009"}, reader("US", "TOP SECRET"), Withhold},
		{"orcon/reader", []string{mdORCON}, reader("US", ""), Whole},
		{"orcon/client", []string{mdORCON, TLP2Clear}, Recipient{OrgID: orgB, ClientOf: true}, Withhold},
		{"orcon/peer", []string{mdORCON}, Recipient{OrgID: orgB, Peer: true, Ceiling: Red, CollectionReader: true}, Withhold},
		{"originator/everything", []string{mdSecret, mdRelFVEY, mdUnknown, TLP2Red}, Recipient{OrgID: orgA}, Whole},
	}
	for _, tt := range tests {
		raw := indicator(t, map[string]any{"object_marking_refs": tt.marks})
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := p.Decide(&tt.r, raw)
			if got.Decision != tt.want {
				t.Fatalf("Decide = %v (%s), want %v", got.Decision, got.Reason, tt.want)
			}
			if got.Decision == Withhold && got.Reason == "" {
				t.Error("withheld without a reason")
			}
		})
	}
	res := p.Decide(&Recipient{OrgID: orgB, CollectionReader: true}, indicator(t, map[string]any{"object_marking_refs": []string{mdORCON}}))
	if !res.ORCON {
		t.Error("ORCON not reported")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	p := classPolicy(t)
	cui := &Recipient{OrgID: orgA, Clearance: "CUI"}
	tests := []struct {
		name  string
		extra map[string]any
		code  string
		msg   string
	}{
		{"plain", nil, "", ""},
		{"tlp", map[string]any{"object_marking_refs": []string{TLP2Amber, TLP1Amber, mdStatement}}, "", ""},
		{"unknown", map[string]any{"object_marking_refs": []string{"marking-definition--9a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0009"}}, tearline.EINVALID, "does not know"},
		{"two-tlp", map[string]any{"object_marking_refs": []string{TLP2Green, TLP2Red}}, tearline.EINVALID, "contradictory"},
		{"two-class", map[string]any{"object_marking_refs": []string{mdCUI, mdSecret}}, tearline.EINVALID, "contradictory"},
		{"above-clearance", map[string]any{"object_marking_refs": []string{mdSecret}}, tearline.EFORBIDDEN, "clearance"},
		{"at-clearance", map[string]any{"object_marking_refs": []string{mdCUI}}, "", ""},
		{"unknown-scheme", map[string]any{"object_marking_refs": []string{mdUnknown}}, tearline.EINVALID, "cannot interpret"},
		{"granular-unknown", map[string]any{"granular_markings": []any{map[string]any{"marking_ref": "marking-definition--9a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0009", "selectors": []string{"name"}}}}, tearline.EINVALID, "does not know"},
		{"granular-selector", map[string]any{"granular_markings": []any{map[string]any{"marking_ref": TLP2Red, "selectors": []string{"nope"}}}}, tearline.EINVALID, "does not resolve"},
		{"granular-index", map[string]any{"granular_markings": []any{map[string]any{"marking_ref": TLP2Red, "selectors": []string{"labels.[3]"}}}}, tearline.EINVALID, "does not resolve"},
		{"granular-secret", map[string]any{"granular_markings": []any{map[string]any{"marking_ref": mdSecret, "selectors": []string{"description"}}}}, tearline.EFORBIDDEN, "clearance"},
		{"granular-ok", map[string]any{"granular_markings": []any{map[string]any{"marking_ref": TLP2Red, "selectors": []string{"labels.[2]"}}, map[string]any{"lang": "en", "selectors": []string{"name"}}}}, "", ""},
	}
	for _, tt := range tests {
		raw := indicator(t, tt.extra)
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := p.Check(cui, raw)
			if got := tearline.ErrorCode(err); got != tt.code {
				t.Fatalf("Check = %v, want code %q", err, tt.code)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Check = %v, want a message containing %q", err, tt.msg)
			}
		})
	}
	// Marking definitions are immutable.
	changed := markingDef(t, mdSecret, map[string]any{"classification": "CUI"})
	if err := p.Check(cui, changed); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("changed definition: %v", err)
	}
	if err := p.Definitions().Add(changed); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("Add changed definition: %v", err)
	}
	if err := p.Definitions().Add(markingDef(t, mdSecret, map[string]any{"classification": "secret"})); err != nil {
		t.Errorf("re-adding the same definition: %v", err)
	}
	if err := p.Check(cui, markingDef(t, "marking-definition--1a8b8c1e-1f6e-4c61-9b2f-5b7a6b0e0001", map[string]any{"classification": "COSMIC"})); tearline.ErrorCode(err) != tearline.EINVALID {
		t.Errorf("unconfigured level: %v", err)
	}
}

// acsDef is an ACS 3.0 marking definition shaped like those of AIS 2.0.
func acsDef(id, class string, nationalities, orgs []string, anonymous bool) []byte {
	q := func(l []string) string {
		if l == nil {
			return "[]"
		}
		return `["` + strings.Join(l, `","`) + `"]`
	}
	anon := ""
	if anonymous {
		anon = `,{"privilege_action":"ANONYMOUSACCESS","rule_effect":"permit"}`
	}
	ctl := `"classification":"` + class + `","formal_determination":["FOUO","AIS"]`
	if nationalities != nil {
		ctl += `,"permitted_nationalities":` + q(nationalities)
	}
	if orgs != nil {
		ctl += `,"permitted_organizations":` + q(orgs)
	}
	return []byte(`{"type":"marking-definition","spec_version":"2.1","id":"` + id + `","created":"2021-08-14T01:08:09.163Z",
 "extensions":{"` + ACSExtension + `":{"extension_type":"property-extension",
  "identifier":"isa:guide.19001.ACS3-e0c28f68-5570-434a-9764-3e8498f0a59a","create_date_time":"2021-08-14T01:08:08.432Z",
  "responsible_entity_custodian":"USA.DHS.US-CERT","responsible_entity_originator":"USA.DHS.US-CERT",
  "authority_reference":["urn:isa:authority:misa"],"policy_reference":"urn:isa:policy:acs:ns:v3.0?privdefault=deny&sharedefault=deny",
  "access_privilege":[{"privilege_action":"CISAUSES","privilege_scope":{"permitted_nationalities":["ALL"],"permitted_organizations":["ALL"],"shareability":["ALL"],"entity":["ALL"]},"rule_effect":"permit"}` + anon + `],
  "further_sharing":[{"sharing_scope":["USA.USG"],"rule_effect":"permit"}],
  "control_set":{` + ctl + `}}}}`)
}

func TestACS(t *testing.T) {
	t.Parallel()
	const (
		acsU    = "marking-definition--75ad3822-3fbe-4de8-ac94-f02f01bf7001"
		acsTS   = "marking-definition--75ad3822-3fbe-4de8-ac94-f02f01bf7002"
		acsAnon = "marking-definition--75ad3822-3fbe-4de8-ac94-f02f01bf7003"
	)
	p := mustPolicy(t,
		acsDef(acsU, "U", nil, nil, false),
		acsDef(acsTS, "TS", []string{"USA", "AUS", "CAN", "GBR", "NZL"}, []string{"USA.NSA", "USA.DHS"}, false),
		acsDef(acsAnon, "U", []string{"ALL"}, nil, true),
	)
	d := p.Definitions().Lookup(acsTS)
	if d == nil || d.ACS == nil || d.Classification != "TOP SECRET" || len(d.ACS.FurtherSharing) != 1 || d.ACS.Originator != "USA.DHS.US-CERT" {
		t.Fatalf("parsed ACS definition: %+v", d)
	}
	tests := []struct {
		name string
		mark string
		r    Recipient
		want Decision
	}{
		{"u/reader", acsU, Recipient{OrgID: orgB, CollectionReader: true}, Whole},
		{"u/anonymous-denied", acsU, Recipient{AnonymousRead: true}, Withhold},
		{"anon-permit", acsAnon, Recipient{AnonymousRead: true}, Withhold}, // unmarked TLP default still applies
		{"ts/cleared-dhs", acsTS, Recipient{OrgID: orgB, CollectionReader: true, Country: "AU", Clearance: "TOP SECRET", Communities: []string{"USA.DHS.US-CERT"}}, Whole},
		{"ts/secret", acsTS, Recipient{OrgID: orgB, CollectionReader: true, Country: "US", Clearance: "SECRET", Communities: []string{"USA.DHS"}}, Withhold},
		{"ts/country", acsTS, Recipient{OrgID: orgB, CollectionReader: true, Country: "FR", Clearance: "TOP SECRET", Communities: []string{"USA.DHS"}}, Withhold},
		{"ts/org", acsTS, Recipient{OrgID: orgB, CollectionReader: true, Country: "US", Clearance: "TOP SECRET", Communities: []string{"USA.DHSX"}}, Withhold},
	}
	for _, tt := range tests {
		raw := indicator(t, map[string]any{"object_marking_refs": []string{tt.mark}})
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := p.Decide(&tt.r, raw); got.Decision != tt.want {
				t.Fatalf("Decide = %v (%s), want %v", got.Decision, got.Reason, tt.want)
			}
		})
	}
	raw := indicator(t, map[string]any{"object_marking_refs": []string{acsAnon, TLP2Clear}})
	if got := p.Decide(&Recipient{AnonymousRead: true}, raw); got.Decision != Whole {
		t.Errorf("anonymous with ANONYMOUSACCESS permit and CLEAR: %v (%s)", got.Decision, got.Reason)
	}
	if _, err := ParseDefinition(acsDef("marking-definition--75ad3822-3fbe-4de8-ac94-f02f01bf7004", "Q", nil, nil, false)); err == nil {
		t.Error("unknown ACS classification token accepted")
	}
}

func TestCanonicalCountry(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"USA": "US", "gbr": "GB", "CAN": "CA", "AUS": "AU", "NZL": "NZ", "de": "DE", "FRA": "FR", "XKX": "", "FVEY": "", "": ""} {
		got, ok := CanonicalCountry(in)
		if got != want || ok != (want != "") {
			t.Errorf("CanonicalCountry(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// validCopy fails the test unless raw is a valid STIX object.
func validCopy(t testing.TB, raw []byte) {
	t.Helper()
	if obj, issues := stix.ValidateObject(raw, ""); obj == nil {
		t.Fatalf("redacted copy is not valid STIX: %v\n%s", issues.Errors(), raw)
	}
}

func TestCheckOriginatorControl(t *testing.T) {
	t.Parallel()
	p := classPolicy(t)
	granular := []any{map[string]any{"marking_ref": mdORCON, "selectors": []string{"description"}}}
	tests := []struct {
		name      string
		submitter *Recipient
		extra     map[string]any
		code      string
		msg       string
	}{
		{"originator", &Recipient{OrgID: orgA}, map[string]any{"object_marking_refs": []string{mdORCON}}, "", ""},
		{"other-org", &Recipient{OrgID: orgB}, map[string]any{"object_marking_refs": []string{mdORCON}}, tearline.EFORBIDDEN, "only the originator"},
		{"other-org-granular", &Recipient{OrgID: orgB}, map[string]any{"granular_markings": granular}, tearline.EFORBIDDEN, "granular_markings[0].marking_ref"},
		{"originator-granular", &Recipient{OrgID: orgA}, map[string]any{"granular_markings": granular}, "", ""},
		{"no-creator", &Recipient{OrgID: orgA}, map[string]any{"object_marking_refs": []string{mdORCON}, "created_by_ref": nil}, tearline.EINVALID, "no created_by_ref"},
		{"operator", &Recipient{}, map[string]any{"object_marking_refs": []string{mdORCON}}, "", ""},
		{"operator-no-creator", nil, map[string]any{"object_marking_refs": []string{mdORCON}, "created_by_ref": nil}, tearline.EINVALID, "no created_by_ref"},
		{"not-orcon", &Recipient{OrgID: orgB}, map[string]any{"object_marking_refs": []string{TLP2Amber}}, "", ""},
	}
	for _, tt := range tests {
		raw := indicator(t, tt.extra)
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := p.Check(tt.submitter, raw)
			if got := tearline.ErrorCode(err); got != tt.code {
				t.Fatalf("Check = %v, want code %q", err, tt.code)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Check = %v, want a message containing %q", err, tt.msg)
			}
		})
	}
}

func TestACSFurtherSharing(t *testing.T) {
	t.Parallel()
	const (
		usg     = "marking-definition--75ad3822-3fbe-4de8-ac94-f02f01bf7011"
		allButG = "marking-definition--75ad3822-3fbe-4de8-ac94-f02f01bf7012"
	)
	denyGB := bytes.Replace(acsDef(allButG, "U", nil, nil, false),
		[]byte(`"further_sharing":[{"sharing_scope":["USA.USG"],"rule_effect":"permit"}]`),
		[]byte(`"further_sharing":[{"sharing_scope":["ALL"],"rule_effect":"permit"},{"sharing_scope":["GBR"],"rule_effect":"deny"}]`), 1)
	p := mustPolicy(t, acsDef(usg, "U", nil, nil, false), denyGB)
	if d := p.Definitions().Lookup(allButG); d == nil || len(d.ACS.FurtherSharing) != 2 {
		t.Fatalf("deny rule not parsed: %+v", d)
	}
	tests := []struct {
		name string
		mark string
		r    Recipient
		want Decision
	}{
		{"reader/not-onward", usg, Recipient{OrgID: orgB, CollectionReader: true}, Whole},
		{"peer/in-scope", usg, Recipient{OrgID: orgB, Peer: true, Ceiling: Red, Communities: []string{"USA.USG.DHS"}}, Whole},
		{"peer/out-of-scope", usg, Recipient{OrgID: orgB, Peer: true, Ceiling: Red, Country: "GB", Communities: []string{"GBR.NCSC"}}, Withhold},
		{"client/in-scope", usg, Recipient{OrgID: orgB, ClientOf: true, Communities: []string{"usa.usg"}}, Whole},
		{"client/out-of-scope", usg, Recipient{OrgID: orgB, ClientOf: true}, Withhold},
		{"client-and-reader", usg, Recipient{OrgID: orgB, ClientOf: true, CollectionReader: true}, Whole},
		{"originator-peer", usg, Recipient{OrgID: orgA, Peer: true, Ceiling: Red}, Whole},
		{"deny/country", allButG, Recipient{OrgID: orgB, Peer: true, Ceiling: Red, Country: "GBR"}, Withhold},
		{"deny/other", allButG, Recipient{OrgID: orgB, Peer: true, Ceiling: Red, Country: "FR"}, Whole},
	}
	for _, tt := range tests {
		raw := indicator(t, map[string]any{"object_marking_refs": []string{tt.mark, TLP2Clear}})
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := p.Decide(&tt.r, raw)
			if got.Decision != tt.want {
				t.Fatalf("Decide = %v (%s), want %v", got.Decision, got.Reason, tt.want)
			}
			if got.Decision == Withhold && !strings.Contains(got.Reason, "further_sharing") {
				t.Errorf("reason %q does not name further_sharing", got.Reason)
			}
		})
	}
}
