package stix_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tearline/tearline/stix"
)

// The oracle: the OASIS STIX 2.1 JSON schemas, compiled with an independent
// JSON Schema validator, judge the same objects as ValidateObject. The
// schemas are looser than the specification (they cannot express many MUST
// rules), so ValidateObject may reject what they accept; it must never
// accept what they reject, except for the documented schemaAllowlist.

const (
	schemaDir    = sharedData + "/stix2-json-schemas"
	schemaPrefix = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"
)

// schemaAllowlist lists schema failures that are the schema's fault: an
// object whose every schema failure matches an entry here may be accepted
// by ValidateObject.
var schemaAllowlist = []struct {
	keyword string         // suffix of the failing keyword's absolute location
	message *regexp.Regexp // matches the failure message
	reason  string
}{
	{
		keyword: "common/identifier.json#/pattern",
		message: regexp.MustCompile(`--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[6-8][0-9a-fA-F]{3}-`),
		reason: "identifier.json allows UUID versions 1-5 only; RFC 9562 (which obsoletes RFC 4122) " +
			"adds versions 6-8, and ParseID accepts them",
	},
	{
		keyword: "observables/artifact.json#/allOf/1/properties/mime_type/pattern",
		message: regexp.MustCompile(`does not match pattern`),
		reason: "the specification says an artifact's mime_type SHOULD be an IANA media type \"whenever feasible\" " +
			"and allows others; the schema's pattern makes it a MUST. ValidateObject warns (rule mime-type)",
	},
}

// schemaOracle is the compiled schemas, built once per test binary.
type schemaOracle struct {
	compiler *jsonschema.Compiler
	byType   map[string]*jsonschema.Schema
	core     *jsonschema.Schema // custom types without a schema
	scoCore  *jsonschema.Schema // custom observables (new-sco extension)
}

var loadOracle = sync.OnceValues(func() (*schemaOracle, error) {
	if _, err := os.Stat(schemaDir); err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	// Every schema is registered under its $id, so nothing is fetched.
	c.UseLoader(noLoader{})
	var urls []string
	err := filepath.WalkDir(schemaDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		m, _ := doc.(map[string]any)
		id, _ := m["$id"].(string)
		rel, _ := filepath.Rel(schemaDir, p)
		if id != schemaPrefix+filepath.ToSlash(rel) {
			return fmt.Errorf("%s: $id %q does not match its place", p, id)
		}
		urls = append(urls, id)
		return c.AddResource(id, doc)
	})
	if err != nil {
		return nil, err
	}
	o := &schemaOracle{compiler: c, byType: map[string]*jsonschema.Schema{}}
	for _, u := range urls {
		sch, err := c.Compile(u)
		if err != nil {
			return nil, err
		}
		dir, name := path.Split(strings.TrimPrefix(u, schemaPrefix))
		typ := strings.TrimSuffix(name, ".json")
		switch {
		case dir == "sdos/" || dir == "sros/" || dir == "observables/":
			o.byType[typ] = sch
		case typ == "marking-definition" || typ == "language-content" || typ == "extension-definition":
			o.byType[typ] = sch
		case typ == "core":
			o.core = sch
		case typ == "cyber-observable-core":
			o.scoCore = sch
		}
	}
	return o, nil
})

// noLoader refuses every URL: all schemas are added as resources.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not among the local schemas (no network)", url)
}

// oracle returns the compiled schemas, skipping the test without them.
func oracle(t *testing.T) *schemaOracle {
	t.Helper()
	o, err := loadOracle()
	if os.IsNotExist(err) {
		t.Skipf("the OASIS JSON schemas are absent (%s); skipping the oracle", schemaDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// schemaFailure is one failing leaf of a schema validation.
type schemaFailure struct {
	keyword  string // absolute keyword location
	instance string // JSON pointer into the object
	message  string
}

func (f schemaFailure) String() string {
	return fmt.Sprintf("%s: %s (%s)", f.instance, f.message, strings.TrimPrefix(f.keyword, schemaPrefix))
}

// validate judges raw by the schema of its type. It returns the schema's
// failures, none when it accepts the object.
func (o *schemaOracle) validate(raw []byte) ([]schemaFailure, error) {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m, _ := inst.(map[string]any)
	typ, _ := m["type"].(string)
	sch := o.byType[typ]
	if sch == nil {
		sch = o.core
		if isNewSCO(m) {
			sch = o.scoCore
		}
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil, nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return nil, err
	}
	var out []schemaFailure
	var walk func(u *jsonschema.OutputUnit)
	walk = func(u *jsonschema.OutputUnit) {
		if u.Error != nil && len(u.Errors) == 0 {
			kw := u.AbsoluteKeywordLocation
			if kw == "" {
				kw = sch.Location + u.KeywordLocation
			}
			out = append(out, schemaFailure{keyword: kw, instance: u.InstanceLocation, message: u.Error.String()})
		}
		for i := range u.Errors {
			walk(&u.Errors[i])
		}
	}
	walk(ve.DetailedOutput())
	return out, nil
}

// isNewSCO reports whether a custom object declares a new-sco extension.
func isNewSCO(m map[string]any) bool {
	ext, _ := m["extensions"].(map[string]any)
	for _, e := range ext {
		if e, ok := e.(map[string]any); ok && e["extension_type"] == "new-sco" {
			return true
		}
	}
	return false
}

// allowlisted reports whether every failure is a known schema problem.
func allowlisted(failures []schemaFailure) bool {
	for _, f := range failures {
		known := false
		for _, a := range schemaAllowlist {
			if strings.HasSuffix(f.keyword, a.keyword) && a.message.MatchString(f.message) {
				known = true
			}
		}
		if !known {
			return false
		}
	}
	return true
}

// judgement is what both validators said about one object.
type judgement struct {
	name     string
	raw      []byte
	ours     stix.Issues
	accepted bool
	schema   []schemaFailure
}

func (o *schemaOracle) judge(t *testing.T, name string, raw []byte) judgement {
	t.Helper()
	obj, issues := stix.ValidateObject(raw, "")
	failures, err := o.validate(raw)
	if err != nil {
		t.Fatalf("%s: schema validation: %v", name, err)
	}
	return judgement{name: name, raw: raw, ours: issues, accepted: obj != nil, schema: failures}
}

func (j judgement) oursText() string {
	var b strings.Builder
	for _, is := range j.ours.Errors() {
		b.WriteString("\n\t\tours: ")
		b.WriteString(is.String())
	}
	return b.String()
}

func (j judgement) schemaText() string {
	var b strings.Builder
	for _, f := range j.schema {
		b.WriteString("\n\t\tschema: ")
		b.WriteString(f.String())
	}
	return b.String()
}

// checkNotLaxer fails the test when the schema rejects an object that
// ValidateObject accepts, unless the failures are allowlisted.
func (j judgement) checkNotLaxer(t *testing.T) {
	t.Helper()
	if j.accepted && len(j.schema) > 0 && !allowlisted(j.schema) {
		t.Errorf("%s: accepted by ValidateObject but rejected by the OASIS schema:%s", j.name, j.schemaText())
	}
}

// oracleObjects returns the objects of a shared data file: the objects of a
// bundle, or the file itself when it holds one object. With sample > 1 only
// every sample-th object is kept, plus every object of a custom type (all
// ATT&CK relationships are of the standard type).
func oracleObjects(t *testing.T, name string, sample int) map[string][]byte {
	t.Helper()
	data := readShared(t, name)
	if !bundleRE.Match(data) {
		return map[string][]byte{name: data}
	}
	out := map[string][]byte{}
	seen := map[string]int{}
	br := stix.NewBundleReader(bytes.NewReader(data))
	for {
		raw, i, err := br.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Parsing only the likely custom objects keeps this fast.
		if i%sample != 0 && !customTypeRE.Match(raw) {
			continue
		}
		v, err := stix.ParseValue(raw)
		if err != nil {
			t.Fatalf("%s objects[%d]: %v", name, i, err)
		}
		typ := v.GetString("type")
		custom := strings.HasPrefix(typ, "x-")
		if custom {
			seen[typ]++
		}
		// Under the race detector the thousands of custom objects of
		// ATT&CK are sampled too: the first 10 of each type and every 10th.
		if i%sample == 0 || custom && (!raceEnabled || seen[typ] <= 10 || i%10 == 0) {
			out[fmt.Sprintf("%s objects[%d] (%s)", name, i, typ)] = raw
		}
	}
}

var (
	// bundleRE tells a bundle file from a file of one object.
	bundleRE = regexp.MustCompile(`"type"\s*:\s*"bundle"`)
	// customTypeRE finds objects that may be of a custom type.
	customTypeRE = regexp.MustCompile(`"type"\s*:\s*"x-`)
)

// TestOracleRealWorld checks that both validators accept the real-world
// objects of the OASIS examples and a sample of MITRE ATT&CK.
func TestOracleRealWorld(t *testing.T) {
	t.Parallel()
	o := oracle(t)
	files, _ := filepath.Glob(filepath.Join(sharedData, "oasis-examples", "*.json"))
	attack, _ := filepath.Glob(filepath.Join(sharedData, "attack", "*.json"))
	if len(files) == 0 || len(attack) == 0 {
		t.Skipf("the shared OASIS examples or ATT&CK bundles are absent (%s); skipping", sharedData)
	}
	for _, f := range append(files, attack...) {
		name, _ := filepath.Rel(sharedData, f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sample := 1
			if strings.HasPrefix(name, "attack") {
				sample = 20
				if raceEnabled {
					sample = 60
				}
			}
			objects := oracleObjects(t, name, sample)
			for _, key := range slices.Sorted(mapsKeys(objects)) {
				j := o.judge(t, key, objects[key])
				if len(j.schema) > 0 && !allowlisted(j.schema) {
					t.Errorf("%s: rejected by the OASIS schema:%s", key, j.schemaText())
				}
				if !j.accepted {
					t.Errorf("%s: rejected by ValidateObject:%s", key, j.oursText())
				}
			}
			t.Logf("%d objects valid for both", len(objects))
		})
	}
	t.Run("testdata/oracle", func(t *testing.T) {
		t.Parallel()
		for name, raw := range oracleSeeds(t) {
			j := o.judge(t, name, raw)
			if len(j.schema) > 0 {
				t.Errorf("%s: rejected by the OASIS schema:%s", name, j.schemaText())
			}
			if !j.accepted {
				t.Errorf("%s: rejected by ValidateObject:%s", name, j.oursText())
			}
		}
	})
}

// oracleSeeds returns the objects of testdata/oracle: valid objects, rich
// in optional properties, of the types the OASIS examples lack.
func oracleSeeds(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "oracle", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.ToSlash(f)] = bytes.TrimSpace(raw)
	}
	return out
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestOracleInvalid judges every object of the invalid-object corpus: the
// schema rejecting one that ValidateObject accepts is a failure; the
// reverse, expected where the specification says MUST beyond what the
// schema can say, is logged.
func TestOracleInvalid(t *testing.T) {
	t.Parallel()
	o := oracle(t)
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("testdata/invalid holds no case")
	}
	stricter := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var tc struct {
			Object json.RawMessage `json:"object"`
		}
		if err := json.Unmarshal(data, &tc); err != nil || len(tc.Object) == 0 {
			t.Errorf("%s: no \"object\" member: %v", file, err)
			continue
		}
		j := o.judge(t, filepath.Base(file), tc.Object)
		j.checkNotLaxer(t)
		if !j.accepted && len(j.schema) == 0 {
			stricter++
			t.Logf("%s: the schema accepts what ValidateObject rejects:%s", j.name, j.oursText())
		}
	}
	t.Logf("%d of %d invalid objects are rejected by ValidateObject only", stricter, len(files))
}

// oracleMutations are the replacement values the mutation pass tries for
// each property: wrong kinds, empty containers, edge-case strings.
var oracleMutations = []string{
	`null`, `true`, `0`, `-1`, `1.5`, `101`, `""`, `"x"`, `"X Y"`, `"abc"`, `"0a"`, `"aGk="`, `"aGk=\n"`,
	`[]`, `[1]`, `[""]`, `["x"]`, `{}`, `{"x": 1}`, `{"x": []}`,
	`"2016-05-12T08:17:27.000Z"`, `"2016-05-12T08:17:27Z"`, `"2016-05-12T08:17:27+01:00"`,
	`"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"`, `"identity--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"`,
	`["identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]`,
}

// oracleAdditions are custom properties the mutation pass adds to each
// object: names and values the schema's custom-property rules judge.
var oracleAdditions = []string{
	`"x_acme_hex": "zz"`, `"x_acme_hex": "0a1B"`, `"x_acme_bin": "!!"`, `"x_acme_bin": "aGVsbG8="`,
	`"x_acme": []`, `"x_acme": null`, `"x_acme": {}`, `"x_acme": 1e400`, `"X_acme": 1`, `"x-acme": 1`, `"xy": 1`,
	`"x_` + strings.Repeat("a", 250) + `": 1`, `"1x_acme": 1`, `"_acme": 1`, `"x_acme": "a\u0000b"`,
}

// TestOracleMutations derives invalid-looking objects from real ones (one
// object per type of the OASIS examples and testdata/oracle): each property removed, or given
// each value of oracleMutations, and each element of a list property
// replaced. ValidateObject must reject every mutant the schema rejects.
func TestOracleMutations(t *testing.T) {
	t.Parallel()
	o := oracle(t)
	files, _ := filepath.Glob(filepath.Join(sharedData, "oasis-examples", "*.json"))
	if len(files) == 0 {
		t.Skipf("the shared OASIS examples are absent (%s); skipping", sharedData)
	}
	byType := map[string][]byte{}
	for _, f := range files {
		name, _ := filepath.Rel(sharedData, f)
		for _, raw := range oracleObjects(t, name, 1) {
			v, err := stix.ParseValue(raw)
			if err != nil {
				t.Fatal(err)
			}
			typ := v.GetString("type")
			// Keep the largest object of each type: it has the most
			// properties to mutate.
			if len(raw) > len(byType[typ]) {
				byType[typ] = raw
			}
		}
	}
	for _, raw := range oracleSeeds(t) {
		v, err := stix.ParseValue(raw)
		if err != nil {
			t.Fatal(err)
		}
		byType[v.GetString("type")] = raw
	}
	// Under the race detector (twenty times slower here) every tenth
	// mutant is judged: the race detector has nothing to find in this
	// single-goroutine loop, and the plain run covers them all.
	stride := 1
	if raceEnabled {
		stride = 10
	}
	mutants, laxer := 0, 0
	judge := func(name string, raw []byte) {
		mutants++
		if mutants%stride != 0 {
			return
		}
		j := o.judge(t, name, raw)
		if j.accepted && len(j.schema) > 0 && !allowlisted(j.schema) {
			laxer++
		}
		j.checkNotLaxer(t)
	}
	for _, typ := range slices.Sorted(mapsKeys(byType)) {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(byType[typ], &obj); err != nil {
			t.Fatal(err)
		}
		for _, name := range slices.Sorted(mapsKeys(obj)) {
			orig := obj[name]
			variants := map[string]json.RawMessage{"removed": nil}
			for _, m := range oracleMutations {
				variants[m] = json.RawMessage(m)
			}
			var list []json.RawMessage
			if json.Unmarshal(orig, &list) == nil && len(list) > 0 {
				for _, m := range oracleMutations {
					l := slices.Clone(list)
					l[0] = json.RawMessage(m)
					b, _ := json.Marshal(l)
					variants["[0] = "+m] = b
				}
			}
			for _, label := range slices.Sorted(mapsKeys(variants)) {
				if v := variants[label]; v == nil {
					delete(obj, name)
				} else {
					obj[name] = v
				}
				raw, err := json.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				obj[name] = orig
				judge(fmt.Sprintf("%s with %s %s", typ, name, label), raw)
			}
		}
		for _, add := range oracleAdditions {
			raw := append(bytes.TrimSuffix(bytes.TrimSpace(slices.Clone(byType[typ])), []byte("}")), []byte(", "+add+"}")...)
			judge(fmt.Sprintf("%s with %s", typ, add), raw)
		}
	}
	t.Logf("%d mutants of %d types, %d judged; %d accepted by ValidateObject but rejected by the schema", mutants, len(byType), mutants/stride, laxer)
}
