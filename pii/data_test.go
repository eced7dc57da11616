package pii

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tearline/tearline/stix"
)

// sharedData is the shared test data directory, relative to this package.
const sharedData = "../../shared/data"

// readShared returns the contents of a file under sharedData, skipping the
// test when the shared data is absent.
func readShared(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(sharedData, name))
	if os.IsNotExist(err) {
		tb.Skipf("shared test data %s is absent; skipping", filepath.Join(sharedData, name))
	}
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// bundleObjects returns the raw objects of a bundle (or the one object of
// a file holding an object), as submitted, without validating them. It splits the bundle with the package's own JSON walker,
// which is much cheaper under the race detector than a full decoder.
func bundleObjects(tb testing.TB, data []byte) [][]byte {
	tb.Helper()
	var objs [][]byte
	bundle := false
	w := walker{d: data}
	w.h = funcs{func([]byte) mode { return modeNone }, func(int, int, bool, mode) error { return nil }}
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		tb.Fatal("not a bundle")
	}
	i = skipSpace(data, i+1)
	for i < len(data) && data[i] == '"' {
		nend, _, err := w.str(i)
		if err != nil {
			tb.Fatal(err)
		}
		name := string(data[i+1 : nend-1])
		i = skipSpace(data, nend)
		if i >= len(data) || data[i] != ':' {
			tb.Fatal("not a bundle")
		}
		i = skipSpace(data, i+1)
		if name != "objects" {
			if i, err = w.value(i, 0, modeNone); err != nil {
				tb.Fatal(err)
			}
		} else {
			if data[i] != '[' {
				tb.Fatal("objects is not an array")
			}
			bundle = true
			i = skipSpace(data, i+1)
			for i < len(data) && data[i] != ']' {
				end, err := w.value(i, 1, modeNone)
				if err != nil {
					tb.Fatal(err)
				}
				objs = append(objs, data[i:end])
				if i = skipSpace(data, end); i < len(data) && data[i] == ',' {
					i = skipSpace(data, i+1)
				}
			}
			i++
		}
		if i = skipSpace(data, i); i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	if !bundle {
		return [][]byte{data} // a lone object, as ReadBundle accepts
	}
	return objs
}

// topStrings returns the top-level string members id and description of
// an object.
func topStrings(tb testing.TB, raw []byte) (id, description string) {
	tb.Helper()
	w := walker{d: raw}
	w.h = funcs{
		func(name []byte) mode {
			if string(name) == "id" || string(name) == "description" {
				return modeAll
			}
			return modeNone
		},
		func(start, end int, esc bool, m mode) error {
			if m != modeAll || len(w.path) != 1 {
				return nil
			}
			b, _, err := unquote(raw[start:end], nil, false)
			if err != nil {
				return err
			}
			if s := w.path[0]; string(raw[s.start:s.end]) == "id" {
				id = string(b)
			} else {
				description = string(b)
			}
			return nil
		},
	}
	if err := w.walkObject(); err != nil {
		tb.Fatal(err)
	}
	return id, description
}

// hit is one finding in real data, as the tests list them.
type hit struct {
	File, ID, Path string
	Kind           Kind
	Text           string
}

// attackBundles are the ATT&CK bundles of the shared data.
var attackBundles = []string{
	"attack/enterprise-attack-18.1.json",
	"attack/ics-attack-18.1.json",
	"attack/mobile-attack-17.1.json",
}

// attackHits are the only spans allowed in the ATT&CK bundles: ATT&CK has
// no personal data of victims or analysts, but it quotes two mailboxes of
// threat actors, which are personal data of (pseudonymous) persons and
// which the detector rightly flags. Anything else found is a false positive
// and fails the test: the threshold of false positives is zero.
var attackHits = []hit{
	{"attack/enterprise-attack-18.1.json", "attack-pattern--2dbbdcd5-92cf-44c0-aea2-fe24783a6bc3", "external_references[5].description", Email, "DangerDev@protonmail.me"},
	{"attack/enterprise-attack-18.1.json", "attack-pattern--40f5caa0-4cb7-4117-89fc-d421bb493df3", "external_references[7].description", Email, "DangerDev@protonmail.me"},
	{"attack/enterprise-attack-18.1.json", "attack-pattern--924d273c-be0d-4d8d-af58-2dddb15ef1e2", "external_references[2].description", Email, "DangerDev@protonmail.me"},
	{"attack/enterprise-attack-18.1.json", "intrusion-set--44102191-3a31-45f8-acbe-34bdb441d5ad", "description", Email, "rocke@live.cn"},
}

// TestAttackFalsePositives scans the ATT&CK bundles, which hold no personal
// data of victims or analysts: every description with ScanText, then every
// object with ScanObject (all its free-text properties, identifiers
// flagged). It logs the spans by kind and fails on any span not listed in
// attackHits.
func TestAttackFalsePositives(t *testing.T) {
	t.Parallel()
	var got []hit
	for _, file := range attackBundles {
		objs := bundleObjects(t, readShared(t, file))
		descs, descBytes := 0, 0
		textKinds := map[Kind]int{}
		objectKinds := map[Kind]int{}
		for _, raw := range objs {
			id, d := topStrings(t, raw)
			if d != "" {
				descs++
				descBytes += len(d)
				for _, sp := range ScanText(d) {
					textKinds[sp.Kind]++
				}
			}
			fs, err := ScanObject(raw, Options{FlagIdentifiers: true})
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if len(fs) == 0 {
				continue
			}
			v, err := stix.ParseValue(raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				objectKinds[f.Kind]++
				got = append(got, hit{file, id, f.Path, f.Kind, findingText(t, v, f)})
			}
		}
		t.Logf("%s: %d objects; descriptions: %d (%.1f MB), spans by kind %v; objects: spans by kind %v",
			file, len(objs), descs, float64(descBytes)/1e6, textKinds, objectKinds)
	}
	if diff := cmp.Diff(attackHits, got); diff != "" {
		t.Errorf("spans in ATT&CK other than the documented ones (-documented +found):\n%s", diff)
	}
}

// oasisHits are the findings in the OASIS examples with identifiers flagged:
// the mailboxes of the individuals in apt1.json and poisonivy.json, and the
// email-addr value and pattern on an address's local part.
var oasisHits = []hit{
	{"apt1.json", "identity--a9119a87-6576-46af-bfd7-4fbe55926671", "contact_information", Email, "uglygorilla@163.com"},
	{"apt1.json", "identity--e88ab115-7768-4630-baa3-3d49a7d946ea", "contact_information", Email, "uglygorilla@163.com"},
	{"apt1.json", "identity--0e9d20d9-fb11-42e3-94bc-b89fb5b007ca", "contact_information", Email, "dota.d013@gmail.com"},
	{"apt1.json", "identity--ecf1c7de-d96c-41c6-a510-b9c65cdc9e3b", "contact_information", Email, "mei_qiang_82@sohu.com"},
	{"incident-with-cyber-observables.json", "email-addr--5e61397b-9c38-4a14-9232-b9f76254b1c1", "value", PossiblePII, "malicious_sender.49"},
	{"poisonivy.json", "indicator--9695dc2f-d92a-4f2b-8b16-b0e21d7c631d", "description", Email, "zhengyanbin8@gmail.com"},
	{"using-granular-markings.json", "indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1", "pattern", PossiblePII, `.+\\banking`},
}

// TestOASISExamples scans every object of the OASIS examples and checks the
// findings against oasisHits.
func TestOASISExamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(sharedData, "oasis-examples", "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("the OASIS examples in %s are absent", sharedData)
	}
	var got []hit
	objects := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range bundleObjects(t, data) {
			objects++
			v, _ := stix.ParseValue(raw)
			fs, err := ScanObject(raw, Options{FlagIdentifiers: true})
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			for _, f := range fs {
				got = append(got, hit{filepath.Base(file), v.GetString("id"), f.Path, f.Kind, findingText(t, v, f)})
			}
		}
	}
	t.Logf("%d objects of %d files, %d findings", objects, len(files), len(got))
	if diff := cmp.Diff(oasisHits, got); diff != "" {
		t.Errorf("findings in the OASIS examples (-want +got):\n%s", diff)
	}
}

// findingText returns the text a finding covers, following its path in v
// (member names and array indexes).
func findingText(t testing.TB, v stix.Value, f Finding) string {
	t.Helper()
	cur := &v
	path := f.Path
	for path != "" {
		switch {
		case path[0] == '.':
			path = path[1:]
		case strings.HasPrefix(path, `["`):
			q, err := strconv.QuotedPrefix(path[1:])
			if err != nil || cur.Kind != stix.Object {
				t.Fatalf("path %s does not resolve", f.Path)
			}
			name, _ := strconv.Unquote(q)
			if cur = cur.Get(name); cur == nil {
				t.Fatalf("path %s does not resolve", f.Path)
			}
			path = path[1+len(q)+1:]
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			n, err := strconv.Atoi(path[1:end])
			if err != nil || cur.Kind != stix.Array || n >= len(cur.Elems) {
				t.Fatalf("path %s does not resolve", f.Path)
			}
			cur, path = &cur.Elems[n], path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			if cur = cur.Get(path[:end]); cur == nil {
				t.Fatalf("path %s does not resolve", f.Path)
			}
			path = path[end:]
		}
	}
	if cur.Kind != stix.String || f.End > len(cur.Str) {
		t.Fatalf("finding %s is not inside a string", f)
	}
	return cur.Str[f.Start:f.End]
}
