package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline/stix"
)

// sharedData is the directory of real STIX test data, relative to this
// package.
const sharedData = "../../../shared/data"

func needData(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(sharedData, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("test data %s not present (%v); it lives in ../shared/data beside the repository", p, err)
	}
	return p
}

// run runs the CLI in-process and returns its exit status and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpOnEverySubcommand(t *testing.T) {
	t.Parallel()
	// Every command of the tree, so that a new one is covered too.
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.Name() != "help" && sub.Name() != "completion" {
				walk(sub, append(slices.Clone(path), sub.Name()))
			}
		}
	}
	walk(newRootCmd(strings.NewReader(""), io.Discard, io.Discard), nil)
	if len(paths) < 20 {
		t.Fatalf("found only %d commands: %v", len(paths), paths)
	}
	for _, sub := range paths {
		code, out, errOut := run(t, "", append(sub, "--help")...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("tearline %v --help: exit %d, stdout %q, stderr %q", sub, code, out, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "tearline ") || !strings.Contains(out, "go: go1.") {
		t.Fatalf("version: exit %d, output %q", code, out)
	}
}

func TestValidateSharedDataIsValid(t *testing.T) {
	t.Parallel()
	var files []string
	for _, dir := range []string{"attack", "oasis-examples"} {
		m, _ := filepath.Glob(filepath.Join(needData(t, dir), "*.json"))
		files = append(files, m...)
	}
	code, out, errOut := run(t, "", append([]string{"validate", "-q"}, files...)...)
	if code != 0 {
		t.Fatalf("validate shared data: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestValidateReportsPathAndRule(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	writeFile(t, bad, `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"x-thing","spec_version":"2.1","id":"x-thing--1d0092c5-5f74-4287-9642-33f4c354e56d","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z"},
{"type":"x-thing","spec_version":"2.1","id":"x-thing--2d0092c5-5f74-4287-9642-33f4c354e56d","created":"2020-01-01T00:00:00.000Z","modified":"2019-01-01T00:00:00.000Z"}]}`)
	code, out, _ := run(t, "", "validate", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1; output:\n%s", code, out)
	}
	want := bad + ": objects[1].modified: modified (2019-01-01T00:00:00.000Z) must not be earlier than created"
	if !strings.Contains(out, want) || !strings.Contains(out, "[modified-before-created]") {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	if strings.Contains(out, "objects[0]") {
		t.Errorf("valid object reported:\n%s", out)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// objectsOf returns the raw bytes of every object of a STIX document, keyed
// by id and version; of repeated versions it keeps the first, as the store
// does.
func objectsOf(t *testing.T, r io.Reader) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	_, err := stix.ReadDocument(r, func(res *stix.Result) error {
		if res.Object == nil {
			t.Fatalf("%s invalid: %v", res.Path, res.Issues)
		}
		if k := res.Object.ID + "|" + res.Object.VersionKey(); m[k] == nil {
			m[k] = res.Raw
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestImportExportByteIdentical(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	all, _ := filepath.Glob(filepath.Join(needData(t, "oasis-examples"), "*.json"))
	// interop-objectmarking-test.json marks its object with
	// marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec, one digit off
	// the TLP 1.0 RED id and defined nowhere: import refuses it.
	var files []string
	for _, f := range all {
		if filepath.Base(f) == "interop-objectmarking-test.json" {
			code, out, _ := run(t, "", "import", "--data", data, "-c", "shared", "--create", f)
			if code != 1 || !strings.Contains(out, "which this server does not know") {
				t.Errorf("import %s: exit %d, want 1 and an unknown-marking error:\n%s", f, code, out)
			}
			continue
		}
		files = append(files, f)
	}
	files = append(files, filepath.Join(needData(t, "attack"), "ics-attack-18.1.json"))
	code, out, errOut := run(t, "", append([]string{"import", "--data", data, "-c", "shared", "--create"}, files...)...)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	want := map[string][]byte{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range objectsOf(t, fh) {
			if want[k] == nil {
				want[k] = v
			}
		}
		fh.Close()
	}
	exported := filepath.Join(t.TempDir(), "out.json")
	if code, out, errOut := run(t, "", "export", "--data", data, "-c", "shared", "-o", exported); code != 0 {
		t.Fatalf("export: exit %d\n%s\n%s", code, out, errOut)
	}
	fh, err := os.Open(exported)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	got := objectsOf(t, fh)
	if len(got) != len(want) {
		t.Errorf("exported %d objects, imported %d", len(got), len(want))
	}
	for k, w := range want {
		if !bytes.Equal(got[k], w) {
			t.Errorf("object %s changed on the round trip:\n got %.200q\nwant %.200q", k, got[k], w)
		}
	}

	// Re-importing changes nothing.
	code, out, _ = run(t, "", append([]string{"import", "--data", data, "-c", "shared"}, files...)...)
	if code != 0 {
		t.Fatalf("re-import: exit %d\n%s", code, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.Contains(line, " 0 added") {
			t.Errorf("re-import added objects: %s", line)
		}
	}
}

func TestImportBadInputKeepsStore(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	good := needData(t, "oasis-examples/apt1.json")
	if code, out, errOut := run(t, "", "import", "--data", data, "-c", "c1", "--create", good); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	content, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	before := exportString(t, data, "c1")

	dir := t.TempDir()
	cases := []struct{ name, content, want string }{
		{"truncated", string(content[:len(content)/2]), "truncated"},
		{"garbage", "not json at all", "invalid JSON"},
		{"empty", "", "invalid JSON"},
		{"array", "[1,2,3]", "a bundle must be a JSON object"},
		{"conflict", strings.Replace(string(content), "APT1", "APT-ONE", 1), "already stored with different content"},
	}
	for _, tc := range cases {
		f := filepath.Join(dir, tc.name+".json")
		writeFile(t, f, tc.content)
		code, out, errOut := run(t, "", "import", "--data", data, "-c", "c1", f)
		if code != 1 || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%s: exit %d, want 1 and %q in output:\n%s\n%s", tc.name, code, tc.want, out, errOut)
		}
	}
	if after := exportString(t, data, "c1"); stripBundleID(after) != stripBundleID(before) {
		t.Errorf("bad imports changed the stored collection")
	}
}

func exportString(t *testing.T, data, col string) string {
	t.Helper()
	code, out, errOut := run(t, "", "export", "--data", data, "-c", col)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	return out
}

// stripBundleID drops the (random) bundle id line of an export.
func stripBundleID(s string) string {
	i := strings.Index(s, `"id": "bundle--`)
	if i < 0 {
		return s
	}
	return s[:i] + s[i+len(`"id": "bundle--`)+36:]
}

func TestImportReformattedObjectIsSameVersion(t *testing.T) {
	t.Parallel()
	data, dir := t.TempDir(), t.TempDir()
	const head = `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`
	first := head + `{"type":"x-thing","spec_version":"2.1","id":"x-thing--1d0092c5-5f74-4287-9642-33f4c354e56d","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","x_n":1.0}]}`
	// Members reordered, number respelled, whitespace added: the same content.
	same := head + `{ "x_n": 1, "modified":"2020-01-01T00:00:00.000Z", "id":"x-thing--1d0092c5-5f74-4287-9642-33f4c354e56d","created":"2020-01-01T00:00:00.000Z","spec_version":"2.1","type":"x-thing"}]}`
	changed := head + `{"type":"x-thing","spec_version":"2.1","id":"x-thing--1d0092c5-5f74-4287-9642-33f4c354e56d","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","x_n":2}]}`
	for i, tc := range []struct {
		content string
		code    int
		want    string
	}{
		{first, 0, "1 added"},
		{same, 0, "1 unchanged"},
		{changed, 1, "already stored with different content"},
	} {
		f := filepath.Join(dir, fmt.Sprintf("%d.json", i))
		writeFile(t, f, tc.content)
		code, out, _ := run(t, "", "import", "--data", data, "-c", "c", "--create", f)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("import %d: exit %d, want %d and %q:\n%s", i, code, tc.code, tc.want, out)
		}
	}
	if out := exportString(t, data, "c"); !strings.Contains(out, `"x_n":1.0}`) {
		t.Errorf("the first stored bytes were not kept:\n%s", out)
	}
}
