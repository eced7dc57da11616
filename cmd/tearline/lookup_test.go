package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportAndLookup(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	bundle := filepath.Join(t.TempDir(), "b.json")
	const ind = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",` +
		`"pattern":"[domain-name:value = 'Evil.Example.'] OR [ipv4-addr:value = '198.51.100.0/24']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`
	if err := os.WriteFile(bundle, []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`+ind+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "", "org", "add", "--data", data, "--name", "acme", "--type", "private"); code != 0 {
		t.Fatalf("org add: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "", "import", "--data", data, "-c", "feed", "--create", "--source", "acme", bundle); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	// Again, unattributed: the version is a duplicate, and corroborates.
	if code, out, errOut := run(t, "", "import", "--data", data, "-c", "feed", bundle); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	code, out, errOut := run(t, "", "lookup", "--data", data, "EVIL.example")
	if code != 0 {
		t.Fatalf("lookup: %d %s %s", code, out, errOut)
	}
	for _, want := range []string{"domain evil.example", "1 sources:", "(acme)", "(unattributed)", "1 objects:",
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"} {
		if !strings.Contains(out, want) {
			t.Errorf("lookup output lacks %q:\n%s", want, out)
		}
	}
	if code, out, _ := run(t, "", "lookup", "--data", data, "--kind", "ipv4", "198.51.100.7/24"); code != 0 || !strings.Contains(out, "ipv4 198.51.100.0/24") {
		t.Errorf("lookup of the CIDR block: %d %s", code, out)
	}
	for _, args := range [][]string{{"203.0.113.1"}, {"--kind", "ip", "1.2.3.4"}, {"not a value"}, {"--kind", "md5", "abc"}} {
		if code, out, errOut := run(t, "", append([]string{"lookup", "--data", data}, args...)...); code == 0 || errOut == "" {
			t.Errorf("lookup %v: exit %d, %s %s; want a failure with a message", args, code, out, errOut)
		}
	}
	if code, _, errOut := run(t, "", "import", "--data", data, "-c", "feed", "--source", "nobody", bundle); code == 0 || !strings.Contains(errOut, "nobody") {
		t.Errorf("import --source nobody: exit %d, %s", code, errOut)
	}
}
