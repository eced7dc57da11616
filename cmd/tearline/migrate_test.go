package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tearline/tearline/postgres/pgtest"
)

// TestMigrate moves a data directory filled through the CLI into
// PostgreSQL and back, and reads the copy through the CLI.
func TestMigrate(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	dir, back := t.TempDir(), filepath.Join(t.TempDir(), "back")
	bundle := filepath.Join(t.TempDir(), "b.json")
	writeFile(t, bundle, `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000001","objects":[`+
		`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z",`+
		`"modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}`)
	for _, args := range [][]string{
		{"org", "add", "--data", dir, "--name", "acme", "--type", "private", "--country", "US"},
		{"import", "--data", dir, "--collection", "intel", "--create", "--no-pii", bundle},
	} {
		if code, out, errOut := run(t, "", args...); code != 0 {
			t.Fatalf("tearline %v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	code, out, errOut := run(t, "", "migrate", "--from", dir, "--to", url)
	if code != 0 || !strings.Contains(out, "objects: 1 versions") || !strings.Contains(errOut, "checked") {
		t.Fatalf("migrate to PostgreSQL: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = run(t, "", "migrate", "--from", dir, "--to", url)
	if code == 0 || !strings.Contains(errOut, "--replace") {
		t.Errorf("migrate into a full target: exit %d, %s", code, errOut)
	}
	code, out, errOut = run(t, "", "lookup", "--store", url, "198.51.100.7")
	if code != 0 || !strings.Contains(out, "indicator--00000000-0000-4000-8000-000000000001") {
		t.Errorf("lookup in PostgreSQL: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "", "migrate", "--from", url, "--to", back)
	if code != 0 {
		t.Fatalf("migrate back: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "", "org", "list", "--data", back)
	if code != 0 || !strings.Contains(out, "acme") {
		t.Errorf("org list in the copy: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := run(t, "", "migrate", "--from", dir, "--to", back); code == 0 || !strings.Contains(errOut, "postgres://") {
		t.Errorf("migrate between data directories: exit %d, %s", code, errOut)
	}
}
