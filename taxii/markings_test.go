package taxii

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
)

// Marking definitions of the end-to-end tests: SECRET releasable to the
// USA and FVEY, and CONFIDENTIAL with no releasability restriction.
var (
	secretRel = "marking-definition--0b6b1f5c-3c6e-4c52-8d3a-6f0f0d6b5a01"
	confid    = "marking-definition--0b6b1f5c-3c6e-4c52-8d3a-6f0f0d6b5a02"
)

func tearlineDef(id, name, ext string) string {
	return fmt.Sprintf(`{"type":"marking-definition","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00.000Z","name":%q,`+
		`"extensions":{%q:{"extension_type":"property-extension",%s}}}`, id, name, marking.TearlineExtension, ext)
}

// marked returns indicator n (version v) with extra members before its
// closing brace.
func marked(n, v int, extra string) string {
	s := indicator(n, v)
	if extra == "" {
		return s
	}
	return s[:len(s)-1] + "," + extra + "}"
}

func refs(ids ...string) string {
	return `"object_marking_refs":["` + strings.Join(ids, `","`) + `"]`
}

// markingEnv is env with organizations of different profiles reading
// "intel", where the contributor (cleared SECRET, US) has posted objects
// under every TLP level, classification and releasability, and granular
// markings:
//
//	reader   US, no clearance, read grant
//	fvey     GB, SECRET, community FVEY, read grant, named on the RED list
//	de       DE, TOP SECRET, no community, read grant
//	lowcontr US, no clearance, read and write grant
//
// No organization is the originator (the objects carry no created_by_ref)
// except for the object created by "de".
type markingEnv struct {
	*env
	objs map[string]string // name -> id
	raw  map[string]string // name -> posted bytes
}

func newMarkingEnv(t *testing.T) *markingEnv {
	e := &markingEnv{env: newEnv(t, nil, false), objs: map[string]string{}, raw: map[string]string{}}
	ctx := context.Background()
	profile := func(name string, mod func(o *tearline.Organization)) *tearline.Organization {
		o, ok := e.orgs[name]
		if !ok {
			o = &tearline.Organization{Name: name}
			mod(o)
			if err := e.db.CreateOrganization(ctx, o); err != nil {
				t.Fatal(err)
			}
			e.orgs[name] = o
			return o
		}
		mod(o)
		if err := e.db.UpdateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	profile("Contributor Org", func(o *tearline.Organization) { o.Clearance = "SECRET" })
	fvey := profile("fvey", func(o *tearline.Organization) {
		o.Type, o.Country, o.Clearance, o.Communities = "foreign-government", "GBR", "SECRET", []string{"FVEY"}
	})
	de := profile("de", func(o *tearline.Organization) { o.Type, o.Country, o.Clearance = "national-cert", "DE", "TOP SECRET" })
	low := profile("lowcontr", func(o *tearline.Organization) { o.Type, o.Country = "private", "US" })
	e.tokens["fvey"] = e.newKey(fvey, tearline.RoleReader)
	e.tokens["de"] = e.newKey(de, tearline.RoleContributor)
	e.tokens["lowcontr"] = e.newKey(low, tearline.RoleContributor)
	e.grant(e.intel, "fvey", true, false)
	e.grant(e.intel, "de", true, true)
	e.grant(e.intel, "lowcontr", true, true)

	add := func(name string, n int, extra string) {
		e.objs[name] = objID("indicator", n)
		e.raw[name] = marked(n, 0, extra)
	}
	add("unmarked", 1, "")
	add("clear", 2, refs(marking.TLP2Clear))
	add("green", 3, refs(marking.TLP2Green))
	add("amber", 4, refs(marking.TLP2Amber))
	add("amber-strict", 5, refs(marking.TLP2AmberStrict))
	add("red", 6, refs(marking.TLP2Red))
	add("red-named", 7, refs(marking.TLP2Red)+`,"x_tearline_distribution":["`+fvey.ID+`"]`)
	add("tlp1-white", 8, refs(marking.TLP1White))
	add("secret-rel", 9, refs(marking.TLP2Amber, secretRel))
	add("confidential", 10, refs(confid))
	add("granular", 11, refs(marking.TLP2Green)+
		`,"description":"seen at the ministry","granular_markings":[{"marking_ref":"`+marking.TLP2Red+`","selectors":["description"]},`+
		`{"marking_ref":"`+marking.TLP2Green+`","selectors":["name"]}]`)
	add("granular-secret", 12, `"description":"from a source","granular_markings":[{"marking_ref":"`+secretRel+`","selectors":["description"]}]`)

	objs := []string{tearlineDef(secretRel, "SECRET//REL TO USA, FVEY", `"classification":"SECRET","rel_to":["USA","FVEY"]`),
		tearlineDef(confid, "CONFIDENTIAL", `"classification":"CONFIDENTIAL"`)}
	for _, name := range slices.Sorted(mapKeys(e.raw)) {
		objs = append(objs, e.raw[name])
	}
	e.add(e.intel, objs...)
	return e
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// names maps ids back to object names (marking definitions keep their id).
func (e *markingEnv) names(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		name := id
		for n, oid := range e.objs {
			if oid == id {
				name = n
			}
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// everything a collection reader without clearance sees.
var collectionReaderSees = []string{"amber", "amber-strict", "clear", "granular", "granular-secret", "green", "tlp1-white", "unmarked"}

func TestMarkingsEndToEnd(t *testing.T) {
	e := newMarkingEnv(t)
	want := map[string][]string{
		"reader":      collectionReaderSees,
		"lowcontr":    collectionReaderSees,
		"fvey":        append([]string{"confidential", "red-named", "secret-rel"}, collectionReaderSees...),
		"de":          append([]string{"confidential"}, collectionReaderSees...),
		"contributor": append([]string{"confidential", "secret-rel"}, collectionReaderSees...),
	}
	defs := []string{secretRel, confid}
	for who, names := range want {
		slices.Sort(names)
		t.Run(who, func(t *testing.T) {
			// Objects: the whole collection.
			got := e.names(pageAll(t, e.env, who, colPath(e.intel, "objects/"), "match[type]=indicator"))
			if d := cmp.Diff(names, got); d != "" {
				t.Errorf("objects (-want +got):\n%s", d)
			}
			gotDefs := pageAll(t, e.env, who, colPath(e.intel, "objects/"), "match[type]=marking-definition")
			slices.Sort(gotDefs)
			if d := cmp.Diff(defs, gotDefs); d != "" {
				t.Errorf("marking definitions (-want +got):\n%s", d)
			}
			// Manifest.
			r := e.get(who, colPath(e.intel, "manifest/?match[type]=indicator"))
			expect(t, r, http.StatusOK)
			var man manifestResource
			r.decode(t, &man)
			var ids []string
			for _, m := range man.Objects {
				ids = append(ids, m.ID)
			}
			if d := cmp.Diff(names, e.names(ids)); d != "" {
				t.Errorf("manifest (-want +got):\n%s", d)
			}
			// Object and versions, one by one: a withheld object is not
			// found, exactly as one that does not exist.
			for name, id := range e.objs {
				visible := slices.Contains(names, name)
				r := e.get(who, colPath(e.intel, "objects/"+id+"/"))
				rv := e.get(who, colPath(e.intel, "objects/"+id+"/versions/"))
				if !visible {
					expect(t, r, http.StatusNotFound)
					expect(t, rv, http.StatusNotFound)
					continue
				}
				expect(t, r, http.StatusOK)
				expect(t, rv, http.StatusOK)
				var env envelopeResource
				r.decode(t, &env)
				if len(env.Objects) != 1 {
					t.Fatalf("%s: %d objects", name, len(env.Objects))
				}
				var vs versionsResource
				rv.decode(t, &vs)
				if len(vs.Versions) != 1 {
					t.Errorf("%s: versions %v", name, vs.Versions)
				}
			}
		})
	}
}

// TestMarkingsRedaction checks the redacted copies byte for byte: the
// stored bytes minus the removed members and the granular marking entries
// left without selectors.
func TestMarkingsRedaction(t *testing.T) {
	e := newMarkingEnv(t)
	granular, secret := e.raw["granular"], e.raw["granular-secret"]
	redactedGranular := strings.Replace(granular,
		`,"description":"seen at the ministry","granular_markings":[{"marking_ref":"`+marking.TLP2Red+`","selectors":["description"]},`,
		`,"granular_markings":[`, 1)
	redactedSecret := strings.Replace(secret,
		`,"description":"from a source","granular_markings":[{"marking_ref":"`+secretRel+`","selectors":["description"]}]`, ``, 1)
	if redactedGranular == granular || redactedSecret == secret {
		t.Fatal("test objects do not have the expected form")
	}
	tests := []struct {
		who, name, want string
	}{
		{"reader", "granular", redactedGranular},
		{"reader", "granular-secret", redactedSecret},
		{"de", "granular", redactedGranular},      // not named on a RED list
		{"de", "granular-secret", redactedSecret}, // cleared, but not releasable to DE
		{"fvey", "granular", redactedGranular},    // named only on the other object
		{"fvey", "granular-secret", secret},
		{"contributor", "granular-secret", secret},
		{"reader", "green", e.raw["green"]},
	}
	for _, tt := range tests {
		for _, path := range []string{"objects/" + e.objs[tt.name] + "/", "objects/?match[id]=" + e.objs[tt.name]} {
			r := e.get(tt.who, colPath(e.intel, path))
			expect(t, r, http.StatusOK)
			var env envelopeResource
			r.decode(t, &env)
			if len(env.Objects) != 1 {
				t.Fatalf("%s reading %s: %d objects", tt.who, path, len(env.Objects))
			}
			if got := string(env.Objects[0]); got != tt.want {
				t.Errorf("%s reading %s:\n got %s\nwant %s", tt.who, tt.name, got, tt.want)
			}
		}
	}
}

// TestMarkingsVersions checks that a reader learns nothing of a version it
// may not receive: not in the versions list, nor in the manifest, nor by
// asking for it.
func TestMarkingsVersions(t *testing.T) {
	e := newMarkingEnv(t)
	id := objID("indicator", 50)
	e.add(e.intel, marked(50, 0, refs(marking.TLP2Green)), marked(50, 1, refs(marking.TLP2Red)), marked(50, 2, refs(marking.TLP2Amber)))
	v := func(n int) string { return baseTime.Add(time.Duration(n) * time.Minute).Format(millisLayout) }
	for who, want := range map[string][]string{
		"reader":      {v(0), v(2)},
		"contributor": {v(0), v(2)},
	} {
		r := e.get(who, colPath(e.intel, "objects/"+id+"/versions/"))
		expect(t, r, http.StatusOK)
		var vs versionsResource
		r.decode(t, &vs)
		if d := cmp.Diff(want, vs.Versions); d != "" {
			t.Errorf("%s: versions (-want +got):\n%s", who, d)
		}
		r = e.get(who, colPath(e.intel, "manifest/?match[id]="+id+"&match[version]=all"))
		expect(t, r, http.StatusOK)
		var man manifestResource
		r.decode(t, &man)
		var got []string
		for _, m := range man.Objects {
			got = append(got, m.Version)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: manifest versions (-want +got):\n%s", who, d)
		}
		r = e.get(who, colPath(e.intel, "objects/"+id+"/?match[version]="+url.QueryEscape(v(1))))
		expect(t, r, http.StatusNotFound)
	}
}

// TestMarkingsCheck checks that submissions whose markings cannot be
// enforced, or that the submitter may not assert, fail with a clear message
// and are not stored, while the rest of the envelope is.
func TestMarkingsCheck(t *testing.T) {
	e := newMarkingEnv(t)
	unknown := "marking-definition--0b6b1f5c-3c6e-4c52-8d3a-6f0f0d6b5aff"
	tests := []struct {
		who, obj, message string
	}{
		{"lowcontr", marked(60, 0, refs(secretRel)), "above the submitter's clearance"},
		{"lowcontr", marked(61, 0, refs(unknown)), "does not know"},
		{"contributor", marked(62, 0, refs(marking.TLP2Green, marking.TLP2Red)), "contradictory markings"},
		{"contributor", marked(63, 0, refs(secretRel, confid)), "contradictory markings"},
		{"contributor", marked(64, 0, `"granular_markings":[{"marking_ref":"`+marking.TLP2Red+`","selectors":["no_such_property"]}]`), "no_such_property"},
		{"contributor", tearlineDef(secretRel, "changed", `"classification":"CONFIDENTIAL"`), "cannot be modified"},
		{"contributor", tearlineDef("marking-definition--0b6b1f5c-3c6e-4c52-8d3a-6f0f0d6b5a03", "TS", `"classification":"TOP SECRET"`), "above the submitter's clearance"},
	}
	for _, tt := range tests {
		good := marked(70, 0, refs(marking.TLP2Green))
		r := e.post(tt.who, colPath(e.intel, "objects/"), envelope(tt.obj, good))
		expect(t, r, http.StatusAccepted)
		var st statusResource
		r.decode(t, &st)
		if st.SuccessCount != 1 || st.FailureCount != 1 {
			t.Errorf("%s posting %.60s: status %s", tt.who, tt.obj, r.body)
			continue
		}
		if !strings.Contains(st.Failures[0].Message, tt.message) {
			t.Errorf("%s posting %.60s: failure %q, want it to mention %q", tt.who, tt.obj, st.Failures[0].Message, tt.message)
		}
	}
	for _, n := range []int{60, 61, 62, 63, 64} {
		expect(t, e.get("contributor", colPath(e.intel, "objects/"+objID("indicator", n)+"/")), http.StatusNotFound)
	}
	// The marking definition kept its meaning: CONFIDENTIAL content is
	// still withheld from the uncleared reader, SECRET from "de".
	expect(t, e.get("de", colPath(e.intel, "objects/"+e.objs["secret-rel"]+"/")), http.StatusNotFound)

	// A definition submitted earlier in the same envelope may be used.
	newDef := "marking-definition--0b6b1f5c-3c6e-4c52-8d3a-6f0f0d6b5a04"
	r := e.post("de", colPath(e.intel, "objects/"), envelope(
		tearlineDef(newDef, "REL TO DEU", `"rel_to":["DEU"]`), marked(80, 0, refs(newDef))))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.SuccessCount != 2 {
		t.Fatalf("definition and its use: %s", r.body)
	}
	expect(t, e.get("de", colPath(e.intel, "objects/"+objID("indicator", 80)+"/")), http.StatusOK)
	expect(t, e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 80)+"/")), http.StatusNotFound)
}

// TestMarkingsAfterRestart checks that the definitions are loaded from the
// store at start: without them, every object they mark would be withheld.
func TestMarkingsAfterRestart(t *testing.T) {
	e := newMarkingEnv(t)
	e.restart(testConfig(), false)
	expect(t, e.get("fvey", colPath(e.intel, "objects/"+e.objs["secret-rel"]+"/")), http.StatusOK)
	expect(t, e.get("reader", colPath(e.intel, "objects/"+e.objs["secret-rel"]+"/")), http.StatusNotFound)
	expect(t, e.get("fvey", colPath(e.intel, "objects/"+e.objs["confidential"]+"/")), http.StatusOK)
	// And a changed definition is still refused.
	r := e.post("contributor", colPath(e.intel, "objects/"), envelope(tearlineDef(confid, "changed", `"classification":"SECRET"`)))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.FailureCount != 1 {
		t.Errorf("changed definition after restart: %s", r.body)
	}
}

// TestProfileChangesDecision checks that the decision reads the current
// profile: raising a clearance through the admin API opens classified
// content at once.
func TestProfileChangesDecision(t *testing.T) {
	e := newMarkingEnv(t)
	path := colPath(e.intel, "objects/"+e.objs["confidential"]+"/")
	expect(t, e.get("reader", path), http.StatusNotFound)
	r := e.admin("admin", "PATCH", "/api/v1/organizations/"+e.orgs["Reader Org"].ID, map[string]any{"clearance": "confidential"})
	expect(t, r, http.StatusOK)
	expect(t, e.get("reader", path), http.StatusOK)
	expect(t, e.admin("admin", "PATCH", "/api/v1/organizations/"+e.orgs["Reader Org"].ID, map[string]any{"clearance": "COSMIC"}), http.StatusBadRequest)
}

// TestDeleteOnlyWhatCallerMaySee checks that DELETE goes through the access
// decision: a version the caller may not receive is neither deleted nor
// acknowledged (404, as for an object that does not exist).
func TestDeleteOnlyWhatCallerMaySee(t *testing.T) {
	e := newMarkingEnv(t)
	e.tokens["de-analyst"] = e.newKey(e.orgs["de"], tearline.RoleAnalyst)
	del := func(name string) *response {
		return e.do(req{method: http.MethodDelete, path: colPath(e.intel, "objects/"+e.objs[name]+"/"), token: e.tokens["de-analyst"]})
	}
	// "de" (DE) is outside SECRET//REL TO USA, FVEY.
	expect(t, del("secret-rel"), http.StatusNotFound)
	expect(t, e.get("fvey", colPath(e.intel, "objects/"+e.objs["secret-rel"]+"/")), http.StatusOK)
	// AMBER goes to every reader of the collection, "de" included.
	expect(t, del("amber"), http.StatusOK)
	expect(t, e.get("fvey", colPath(e.intel, "objects/"+e.objs["amber"]+"/")), http.StatusNotFound)
}
