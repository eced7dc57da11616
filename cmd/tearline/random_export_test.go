package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking/markingtest"
)

var longExport = flag.Bool("markings.long", false, "run the randomized export --as test with many more seeds and larger sizes (also TEARLINE_LONG=1)")

// TestRandomExportAs is the randomized test of export --as: organizations
// with random profiles (made with org add, countries in either form and
// case), collections with random read grants, random objects with random
// object and granular markings in several versions (imported); then every
// organization exports every collection and what the bundle holds is
// compared with the independent model of package markingtest, as the
// TAXII test does: nothing excluded, nothing allowed missing, whole objects
// byte for byte, redacted copies exactly the model's with untouched
// properties byte for byte.
func TestRandomExportAs(t *testing.T) {
	t.Parallel()
	type run struct {
		seed                       uint64
		orgs, collections, objects int
	}
	runs := []run{{1, 6, 3, 120}, {2, 8, 4, 150}}
	if *longExport || os.Getenv("TEARLINE_LONG") == "1" {
		runs = nil
		for seed := uint64(100); seed < 108; seed++ {
			runs = append(runs, run{seed, 10, 4, 400})
		}
	}
	for _, r := range runs {
		t.Run(fmt.Sprintf("orgs=%d,collections=%d,objects=%d/seed=%d", r.orgs, r.collections, r.objects, r.seed), func(t *testing.T) {
			t.Parallel()
			randomExport(t, r.seed, r.orgs, r.collections, r.objects)
		})
	}
}

func randomExport(t *testing.T, seed uint64, nOrgs, nCols, nObjects int) {
	start := time.Now()
	rng := rand.New(rand.NewPCG(seed, 0xe4901))
	data := t.TempDir()
	type org struct {
		name, id string
		prof     markingtest.Profile
	}
	orgs := make([]org, nOrgs)
	var ids []string
	for i := range orgs {
		prof := markingtest.RandomProfile(rng)
		name := fmt.Sprintf("org-%d", i)
		args := []string{"org", "add", "--data", data, "--name", name,
			"--type", tearline.OrganizationTypes[rng.IntN(len(tearline.OrganizationTypes))]}
		if prof.Country != "" {
			c := prof.Country
			if rng.IntN(2) == 0 {
				c = strings.ToLower(c)
			}
			args = append(args, "--country", c)
		}
		if prof.Clearance != "" {
			args = append(args, "--clearance", strings.ToLower(prof.Clearance))
		}
		for _, c := range prof.Communities {
			args = append(args, "--community", c)
		}
		orgs[i] = org{name: name, id: cli(t, args...), prof: prof}
		ids = append(ids, orgs[i].id)
	}
	defs := markingtest.RandomDefs(rng, 8)
	model := markingtest.NewModel(defs...)
	type version struct {
		raw   []byte
		value map[string]any
	}
	readers := map[string][]bool{}
	held := map[string]map[string]version{} // collection alias -> "id version" -> object
	base := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	for c := range nCols {
		alias := fmt.Sprintf("c%d", c)
		args := []string{"collection", "add", "--data", data, "--title", alias, "--alias", alias}
		readers[alias] = make([]bool, nOrgs)
		for i, o := range orgs {
			if rng.IntN(10) < 7 {
				args = append(args, "--read", o.name)
				readers[alias][i] = true
			}
		}
		cli(t, args...)
		held[alias] = map[string]version{}
		var objs []string
		refused := 0
		for _, d := range defs {
			objs = append(objs, string(d.JSON()))
			var v map[string]any
			json.Unmarshal(d.JSON(), &v)
			held[alias][d.ID+" "] = version{d.JSON(), v}
		}
		for range nObjects / nCols {
			typ := markingtest.Types[rng.IntN(len(markingtest.Types))]
			id := markingtest.NewID(rng, typ)
			createdBy := ""
			if rng.IntN(3) > 0 {
				createdBy = ids[rng.IntN(len(ids))]
			}
			for v := range 1 + rng.IntN(2) {
				o := markingtest.RandomObject(rng, markingtest.ObjectSpec{
					Type: typ, ID: id, Version: v, CreatedBy: createdBy, Orgs: ids, Markings: defs, Base: base,
				})
				objs = append(objs, string(o.Raw))
				// import checks markings as for a submitter cleared to the
				// top level; what the model refuses is not stored.
				if model.Accept("", "TOP SECRET", o.Value) {
					held[alias][id+" "+o.Modified] = version{o.Raw, o.Value}
				} else {
					refused++
				}
			}
		}
		file := filepath.Join(t.TempDir(), alias+".json")
		writeFile(t, file, `{"type":"bundle","id":"bundle--`+markingtest.NewID(rng, "x")[3:]+`","objects":[`+strings.Join(objs, ",\n")+`]}`)
		code, out, errOut := run(t, "", "import", "--data", data, "-c", alias, file)
		if want := min(refused, 1); code != want || !strings.Contains(out, fmt.Sprintf("%d invalid", refused)) {
			t.Fatalf("import %s: exit %d with %d objects the model refuses\n%s\n%s", alias, code, refused, out, errOut)
		}
	}
	imported := time.Now()

	counts := [3]int{}
	nErr := 0
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("seed %d: "+format, append([]any{seed}, args...)...)
		if nErr++; nErr > 20 {
			t.FailNow()
		}
	}
	for alias, vs := range held {
		for i, o := range orgs {
			who := fmt.Sprintf("export --as %s %+v -c %s", o.name, o.prof, alias)
			code, out, errOut := run(t, "", "export", "--data", data, "-c", alias, "--as", o.name)
			if !readers[alias][i] {
				if code == 0 || !strings.Contains(errOut, "no read grant") {
					fail("%s without a read grant: exit %d, %s", who, code, errOut)
				}
				continue
			}
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s", who, code, errOut)
			}
			var bundle struct {
				Objects []json.RawMessage `json:"objects"`
			}
			if err := json.Unmarshal([]byte(out), &bundle); err != nil {
				t.Fatalf("%s: %v\n%s", who, err, out)
			}
			r := markingtest.Reader{OrgID: o.id, Country: o.prof.Country, Communities: o.prof.Communities, Clearance: o.prof.Clearance, Member: true, CollectionReader: true}
			var want, got []string
			outcomes := map[string]markingtest.Outcome{}
			for k, v := range vs {
				out := model.Decide(r, v.value)
				outcomes[k] = out
				switch {
				case out.Withheld:
					counts[0]++
				case out.Whole:
					counts[1]++
				default:
					counts[2]++
				}
				if !out.Withheld {
					want = append(want, k)
				}
			}
			for _, raw := range bundle.Objects {
				var head struct{ ID, Modified string }
				json.Unmarshal(raw, &head)
				k := head.ID + " " + head.Modified
				got = append(got, k)
				v, ok := vs[k]
				out := outcomes[k]
				switch {
				case !ok:
					fail("%s: %s was never imported", who, k)
				case out.Withheld:
					fail("%s: %s reached the export; the rules exclude it (%s)", who, k, out.Why)
				case out.Whole:
					if !bytes.Equal(raw, v.raw) {
						fail("%s: %s should be whole\n got %s\nwant %s", who, k, raw, v.raw)
					}
				default:
					var copied map[string]any
					json.Unmarshal(raw, &copied)
					if d := cmp.Diff(out.Copy, copied); d != "" {
						fail("%s: redacted copy of %s (-model +export):\n%s", who, k, d)
						continue
					}
					var gotRaw, postedRaw map[string]json.RawMessage
					json.Unmarshal(raw, &gotRaw)
					json.Unmarshal(v.raw, &postedRaw)
					for p, b := range gotRaw {
						if p != "granular_markings" && !out.Touched[p] && !bytes.Equal(b, postedRaw[p]) {
							fail("%s: redacted copy of %s changed untouched property %s: %s, want %s", who, k, p, b, postedRaw[p])
						}
					}
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if d := cmp.Diff(want, got); d != "" {
				fail("%s: objects (-allowed +exported):\n%s", who, d)
			}
		}
	}
	t.Logf("seed %d: %d orgs, %d collections, %d objects each; decisions: %d withheld, %d whole, %d redacted; import %v, exports %v",
		seed, nOrgs, nCols, nObjects/nCols, counts[0], counts[1], counts[2],
		imported.Sub(start).Round(time.Millisecond), time.Since(imported).Round(time.Millisecond))
}
