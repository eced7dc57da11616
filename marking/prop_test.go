package marking

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/marking/markingtest"
)

var long = flag.Bool("marking.long", false, "run the randomized marking test for many more rounds")

// refPass is the reference model of package markingtest, for objects
// created by the producer orgA.
func refPass(d markingtest.Def, r Recipient, dist []string) bool {
	return markingtest.Pass(d, readerOf(r), orgA, dist)
}

func readerOf(r Recipient) markingtest.Reader {
	return markingtest.Reader{
		OrgID: r.OrgID, Country: r.Country, Communities: r.Communities, Clearance: r.Clearance,
		Member: r.Member, Peer: r.Peer, Ceiling: int(r.Ceiling), CollectionReader: r.CollectionReader,
		ClientOf: r.ClientOf, AnonymousRead: r.AnonymousRead,
	}
}

var stdIDs = []string{"", TLP2Clear, TLP2Green, TLP2Amber, TLP2AmberStrict, TLP2Red}

// genDefs returns random Tearline definitions plus the TLP 2.0 ones.
func genDefs(rng *rand.Rand) []markingtest.Def {
	var defs []markingtest.Def
	for t := 1; t <= 5; t++ {
		defs = append(defs, markingtest.Def{ID: stdIDs[t], TLP: t, Class: -1})
	}
	for i := range 8 {
		d := markingtest.Def{ID: fmt.Sprintf("marking-definition--5e0a7d6c-0000-4000-8000-%012d", i), Class: -1}
		if rng.IntN(2) == 0 {
			d.Class = rng.IntN(len(DefaultLevels))
		}
		if rng.IntN(2) == 0 {
			for _, a := range []string{"US", "USA", "GBR", "CA", "FR", "FVEY", "NATO"} {
				if rng.IntN(3) == 0 {
					d.RelTo = append(d.RelTo, a)
				}
			}
		}
		d.ORCON = rng.IntN(5) == 0
		if d.Class < 0 && len(d.RelTo) == 0 && !d.ORCON {
			d.Class = 1
		}
		defs = append(defs, d)
	}
	return defs
}

func defRaw(t testing.TB, d markingtest.Def) []byte {
	ext := map[string]any{}
	if d.Class >= 0 {
		ext["classification"] = DefaultLevels[d.Class]
	}
	if len(d.RelTo) > 0 {
		ext["rel_to"] = d.RelTo
	}
	if d.ORCON {
		ext["orcon"] = true
	}
	return markingDef(t, d.ID, ext)
}

var orgs = []string{"", orgA, orgB, "identity--0d6ae59c-8a4e-4c1f-9a53-5a1c1f0e0a03"}

func genRecipient(rng *rand.Rand) Recipient {
	r := Recipient{OrgID: orgs[rng.IntN(len(orgs))]}
	r.Country = []string{"", "US", "GB", "CA", "FR", "DE"}[rng.IntN(6)]
	for _, c := range []string{"FVEY", "NATO"} {
		if rng.IntN(3) == 0 {
			r.Communities = append(r.Communities, c)
		}
	}
	if rng.IntN(3) > 0 {
		r.Clearance = DefaultLevels[rng.IntN(len(DefaultLevels))]
	}
	r.Member = rng.IntN(2) == 0
	r.CollectionReader = rng.IntN(3) == 0
	r.ClientOf = rng.IntN(3) == 0
	r.AnonymousRead = rng.IntN(2) == 0
	if rng.IntN(4) == 0 {
		r.Peer, r.Ceiling = true, TLP(rng.IntN(6))
	}
	return r
}

// genObject returns an indicator whose every leaf value is unique, random
// object and granular markings, and a random distribution list.
func genObject(t testing.TB, rng *rand.Rand, defs []markingtest.Def) (map[string]any, []byte) {
	n := 0
	uniq := func() string { n++; return fmt.Sprintf("v%03d", n) }
	o := map[string]any{
		"description": uniq(), "name": uniq(), "x_custom": uniq(),
	}
	var labels []string
	for range 1 + rng.IntN(4) {
		labels = append(labels, uniq())
	}
	o["labels"] = labels
	var refs []any
	for range rng.IntN(3) {
		refs = append(refs, map[string]any{"source_name": uniq(), "description": uniq(), "url": "https://x.example/" + uniq()})
	}
	if len(refs) > 0 {
		o["external_references"] = refs
	}
	pick := func() string { return defs[rng.IntN(len(defs))].ID }
	var om []string
	for range rng.IntN(3) {
		if id := pick(); !slices.Contains(om, id) {
			om = append(om, id)
		}
	}
	if len(om) > 0 {
		o["object_marking_refs"] = om
	}
	if rng.IntN(2) == 0 {
		o["x_tearline_distribution"] = []string{orgs[1+rng.IntN(3)]}
	}
	sels := []string{"description", "name", "x_custom", "labels"}
	for i := range labels {
		sels = append(sels, fmt.Sprintf("labels.[%d]", i))
	}
	for i := range refs {
		sels = append(sels, fmt.Sprintf("external_references.[%d]", i), fmt.Sprintf("external_references.[%d].url", i))
	}
	if rng.IntN(10) == 0 {
		sels = append(sels, "pattern")
	}
	var gm []any
	for range rng.IntN(5) {
		var s []string
		for range 1 + rng.IntN(3) {
			if x := sels[rng.IntN(len(sels))]; !slices.Contains(s, x) {
				s = append(s, x)
			}
		}
		if rng.IntN(8) == 0 {
			gm = append(gm, map[string]any{"lang": "en", "selectors": s})
		} else {
			gm = append(gm, map[string]any{"marking_ref": pick(), "selectors": s})
		}
	}
	if len(gm) > 0 {
		o["granular_markings"] = gm
	}
	raw := indicator(t, o)
	var full map[string]any
	json.Unmarshal(raw, &full)
	return full, raw
}

// leaves collects the unique "vNNN" values under v.
func leaves(v any, into map[string]bool) {
	switch x := v.(type) {
	case string:
		if i := strings.LastIndexByte(x, '/'); i >= 0 {
			x = x[i+1:]
		}
		if len(x) == 4 && x[0] == 'v' {
			into[x] = true
		}
	case []any:
		for _, e := range x {
			leaves(e, into)
		}
	case map[string]any:
		for _, e := range x {
			leaves(e, into)
		}
	}
}

// at follows a selector through generic JSON.
func at(v any, sel string) any {
	for _, part := range strings.Split(sel, ".") {
		if strings.HasPrefix(part, "[") {
			var i int
			fmt.Sscanf(part, "[%d]", &i)
			l, ok := v.([]any)
			if !ok || i >= len(l) {
				return nil
			}
			v = l[i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[part]
	}
	return v
}

func TestRandomized(t *testing.T) {
	t.Parallel()
	seeds := []uint64{1, 2, 3, 4}
	rounds := 300
	if *long {
		seeds = []uint64{11, 12, 13, 14, 15, 16, 17, 18}
		rounds = 20000
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			defs := genDefs(rng)
			var raws [][]byte
			byID := map[string]markingtest.Def{}
			for _, d := range defs {
				if d.TLP == 0 {
					raws = append(raws, defRaw(t, d))
				}
				byID[d.ID] = d
			}
			p := mustPolicy(t, raws...)
			model := markingtest.NewModel(defs...)
			var counts [3]int
			for round := range rounds {
				obj, raw := genObject(t, rng, defs)
				var dist []string
				if l, ok := obj["x_tearline_distribution"].([]any); ok {
					for _, s := range l {
						dist = append(dist, s.(string))
					}
				}
				for range 8 {
					r := genRecipient(rng)
					res := p.Decide(&r, raw)
					counts[res.Decision]++
					fail := func(format string, args ...any) {
						t.Helper()
						t.Fatalf("seed %d round %d: recipient %+v\nobject %s\nresult %v (%s)\n%s\n%s", seed, round, r, raw, res.Decision, res.Reason, res.Raw, fmt.Sprintf(format, args...))
					}
					// The whole copy, granular markings included, as the
					// model of package markingtest makes it.
					switch out := model.Decide(readerOf(r), obj); {
					case out.Withheld != (res.Decision == Withhold), out.Whole != (res.Decision == Whole):
						fail("the model decides withheld=%v whole=%v (%s)", out.Withheld, out.Whole, out.Why)
					case res.Decision == Redacted:
						var got map[string]any
						json.Unmarshal(res.Raw, &got)
						if d := cmp.Diff(out.Copy, got); d != "" {
							fail("redacted copy (-model +got):\n%s", d)
						}
					}
					// Object level.
					objOK, hasTLP := true, false
					for _, id := range asStrings(obj["object_marking_refs"]) {
						d := byID[id]
						hasTLP = hasTLP || d.TLP > 0
						objOK = objOK && refPass(d, r, dist)
					}
					if !hasTLP {
						objOK = objOK && refPass(markingtest.Def{TLP: markingtest.AmberStrict, Class: -1}, r, dist)
					}
					if !objOK {
						if res.Decision != Withhold {
							fail("object markings exclude the recipient")
						}
						continue
					}
					// Field level: the leaves each failing marking hides.
					hidden := map[string]bool{}
					requiredHidden := false
					for _, e := range asMaps(obj["granular_markings"]) {
						ref, ok := e["marking_ref"].(string)
						if !ok || refPass(byID[ref], r, dist) {
							continue
						}
						for _, s := range asStrings(e["selectors"]) {
							leaves(at(obj, s), hidden)
							if s == "pattern" {
								requiredHidden = true
							}
						}
					}
					want := map[string]bool{}
					leaves(obj, want)
					for k := range hidden {
						delete(want, k)
					}
					if requiredHidden {
						if res.Decision != Withhold {
							fail("a required property is hidden")
						}
						continue
					}
					if res.Decision == Withhold {
						fail("withheld, but the rules allow %d values", len(want))
					}
					var got map[string]any
					if err := json.Unmarshal(res.Raw, &got); err != nil {
						fail("copy is not JSON: %v", err)
					}
					if res.Decision == Redacted {
						validCopy(t, res.Raw)
					}
					gotLeaves := map[string]bool{}
					leaves(got, gotLeaves)
					for k := range gotLeaves {
						if !want[k] {
							fail("value %s reached a recipient the rules exclude", k)
						}
					}
					for k := range want {
						if !gotLeaves[k] {
							fail("value %s the rules allow is missing", k)
						}
					}
					// The markings that stay select exactly the visible
					// values they selected before.
					if res.Decision == Redacted {
						checkSelectors(t, obj, got, fail)
					}
				}
			}
			t.Logf("withheld %d, whole %d, redacted %d", counts[Withhold], counts[Whole], counts[Redacted])
		})
	}
}

func checkSelectors(t *testing.T, obj, got map[string]any, fail func(string, ...any)) {
	t.Helper()
	visible := map[string]bool{}
	leaves(got, visible)
	before := map[string]map[string]bool{} // marking → visible leaves selected originally
	for _, e := range asMaps(obj["granular_markings"]) {
		key := fmt.Sprint(e["marking_ref"], e["lang"])
		for _, s := range asStrings(e["selectors"]) {
			l := map[string]bool{}
			leaves(at(obj, s), l)
			for k := range l {
				if visible[k] {
					if before[key] == nil {
						before[key] = map[string]bool{}
					}
					before[key][k] = true
				}
			}
		}
	}
	after := map[string]map[string]bool{}
	for _, e := range asMaps(got["granular_markings"]) {
		key := fmt.Sprint(e["marking_ref"], e["lang"])
		for _, s := range asStrings(e["selectors"]) {
			if after[key] == nil {
				after[key] = map[string]bool{}
			}
			leaves(at(got, s), after[key])
		}
	}
	for key, l := range before {
		for k := range l {
			if !after[key][k] {
				fail("marking %s no longer selects %s", key, k)
			}
		}
	}
	for key, l := range after {
		for k := range l {
			if !before[key][k] {
				fail("marking %s now selects %s, which it did not", key, k)
			}
		}
	}
}

func asStrings(v any) []string {
	var out []string
	for _, e := range asSlice(v) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func asMaps(v any) []map[string]any {
	var out []map[string]any
	for _, e := range asSlice(v) {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func asSlice(v any) []any {
	l, _ := v.([]any)
	return l
}
