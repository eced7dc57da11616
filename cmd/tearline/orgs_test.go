package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tearline/tearline/marking"
)

func TestOrgProfileCommands(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	id := cli(t, "org", "add", "--data", data, "--name", "cert", "--type", "national-cert", "--country", "deu",
		"--clearance", "secret", "--community", "eu", "--community", "nato", "--language", "de-de", "--language", "en")
	out := cli(t, "org", "list", "--data", data)
	for _, want := range []string{id, "national-cert", " DE ", "SECRET", "EU,NATO", "de-DE,en"} {
		if !strings.Contains(out, want) {
			t.Errorf("org list lacks %q:\n%s", want, out)
		}
	}
	out = cli(t, "org", "update", "--data", data, "cert", "--clearance", "TOP SECRET", "--community", "")
	for _, want := range []string{"TOP SECRET", "national-cert", "de-DE,en"} {
		if !strings.Contains(out, want) {
			t.Errorf("org update output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "NATO") {
		t.Errorf("communities not cleared:\n%s", out)
	}
	for _, bad := range [][]string{
		{"org", "add", "--data", data, "--name", "x", "--type", "government"},
		{"org", "add", "--data", data, "--name", "x", "--country", "XX"},
		{"org", "add", "--data", data, "--name", "x", "--clearance", "COSMIC"},
		{"org", "add", "--data", data, "--name", "x", "--sector", "banking"},
		{"org", "add", "--data", data, "--name", "x", "--language", "not a tag"},
		{"org", "update", "--data", data, "nobody", "--type", "other"},
	} {
		if code, out, errOut := run(t, "", bad...); code == 0 {
			t.Errorf("tearline %v: exit 0\n%s%s", bad, out, errOut)
		}
	}
}

func TestExportAs(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	clearedID := cli(t, "org", "add", "--data", data, "--name", "cleared", "--country", "us", "--clearance", "secret")
	plainID := cli(t, "org", "add", "--data", data, "--name", "plain", "--country", "us")
	cli(t, "org", "add", "--data", data, "--name", "outsider")
	cli(t, "collection", "add", "--data", data, "--title", "intel", "--alias", "intel", "--read", "cleared", "--read", "plain")
	secret := "marking-definition--7a4d2c1e-5b6f-4e3d-9c8b-1a2b3c4d5e6f"
	ind := func(n, extra string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"indicator--` + n + `","created":"2024-01-01T00:00:00.000Z",` +
			`"modified":"2024-01-01T00:00:00.000Z","name":"i","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",` +
			`"valid_from":"2024-01-01T00:00:00Z"` + extra + `}`
	}
	const (
		green   = "1b4b4c62-3a41-4c1b-9d0e-000000000001"
		red     = "1b4b4c62-3a41-4c1b-9d0e-000000000002"
		secr    = "1b4b4c62-3a41-4c1b-9d0e-000000000003"
		partial = "1b4b4c62-3a41-4c1b-9d0e-000000000004"
	)
	bundle := `{"type":"bundle","id":"bundle--1b4b4c62-3a41-4c1b-9d0e-0000000000ff","objects":[` +
		`{"type":"marking-definition","spec_version":"2.1","id":"` + secret + `","created":"2024-01-01T00:00:00.000Z","name":"SECRET",` +
		`"extensions":{"` + marking.TearlineExtension + `":{"extension_type":"property-extension","classification":"SECRET"}}},` +
		ind(green, `,"object_marking_refs":["`+marking.TLP2Green+`"]`) + "," +
		ind(red, `,"object_marking_refs":["`+marking.TLP2Red+`"]`) + "," +
		ind(secr, `,"object_marking_refs":["`+secret+`"]`) + "," +
		ind(partial, `,"description":"secret part","granular_markings":[{"marking_ref":"`+secret+`","selectors":["description"]}]`) + `]}`
	file := filepath.Join(t.TempDir(), "b.json")
	writeFile(t, file, bundle)
	cli(t, "import", "--data", data, "-c", "intel", file)

	tests := []struct {
		as        string
		want, not []string
	}{
		{"", []string{green, red, secr, "secret part"}, nil},
		{"cleared", []string{green, secr, "secret part", secret}, []string{red}},
		{"plain", []string{green, partial, secret}, []string{red, secr, "secret part"}},
	}
	for _, tt := range tests {
		args := []string{"export", "--data", data, "-c", "intel"}
		if tt.as != "" {
			args = append(args, "--as", tt.as)
		}
		out := cli(t, args...)
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("export --as %q lacks %s", tt.as, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(out, n) {
				t.Errorf("export --as %q holds %s", tt.as, n)
			}
		}
	}
	if code, _, errOut := run(t, "", "export", "--data", data, "-c", "nope"); code == 0 || !strings.Contains(errOut, `no collection "nope"`) || strings.Contains(errOut, "--create") {
		t.Errorf("export of an unknown collection: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run(t, "", "export", "--data", data, "-c", "intel", "--as", "outsider"); code == 0 || !strings.Contains(errOut, "no read grant") {
		t.Errorf("export --as an organization without a read grant: exit %d, %s", code, errOut)
	}

	// Each export recorded its decisions, one record per page, the
	// operator's too.
	if out := cli(t, "audit", "verify", "--data", data); !strings.Contains(out, "ledger verified: 4 records") || !strings.Contains(out, "15 disclosures") {
		t.Errorf("audit verify: %s", out)
	}
	for _, tt := range []struct{ id, cleared, plain string }{
		{"indicator--" + red, "withhold", "withhold"},
		{"indicator--" + secr, "whole", "withhold"},
		{"indicator--" + partial, "whole", "redacted"},
		{"indicator--" + green, "whole", "whole"},
	} {
		out := cli(t, "audit", "who", "--data", data, "--object", tt.id)
		for org, d := range map[string]string{clearedID: tt.cleared, plainID: tt.plain} {
			if !regexp.MustCompile(regexp.QuoteMeta(org) + `\s+` + d + `\s+export\s`).MatchString(out) {
				t.Errorf("audit who --object %s lacks %s %s:\n%s", tt.id, org, d, out)
			}
		}
		if !regexp.MustCompile(`\(operator\)\s+whole\s+export\s.*\soperator\s+operator export`).MatchString(out) {
			t.Errorf("audit who --object %s lacks the operator export:\n%s", tt.id, out)
		}
		if n := strings.Count(out, "\n"); n != 3 {
			t.Errorf("audit who --object %s: %d lines, want a header and 3:\n%s", tt.id, n, out)
		}
	}
}

// TestCustomClassificationLevels checks that org add and export --as use the
// classification levels given, as tearline serve does, rather than the
// defaults.
func TestCustomClassificationLevels(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	levels := "PUBLIC,RESTRICTED"
	if code, _, errOut := run(t, "", "org", "add", "--data", data, "--name", "x", "--clearance", "restricted"); code == 0 {
		t.Errorf("org add --clearance RESTRICTED without --classification-levels: exit 0, %s", errOut)
	}
	cli(t, "org", "add", "--data", data, "--name", "cleared", "--clearance", "restricted", "--classification-levels", levels)
	cli(t, "org", "add", "--data", data, "--name", "plain", "--clearance", "public", "--classification-levels", levels)
	if out := cli(t, "org", "update", "--data", data, "plain", "--clearance", "PUBLIC", "--classification-levels", levels); !strings.Contains(out, "PUBLIC") {
		t.Errorf("org update --clearance PUBLIC: %s", out)
	}
	cli(t, "collection", "add", "--data", data, "--title", "intel", "--alias", "intel", "--read", "cleared", "--read", "plain")
	restricted := "marking-definition--7a4d2c1e-5b6f-4e3d-9c8b-1a2b3c4d5e70"
	const ind = "1b4b4c62-3a41-4c1b-9d0e-000000000005"
	bundle := `{"type":"bundle","id":"bundle--1b4b4c62-3a41-4c1b-9d0e-0000000000fe","objects":[` +
		`{"type":"marking-definition","spec_version":"2.1","id":"` + restricted + `","created":"2024-01-01T00:00:00.000Z","name":"RESTRICTED",` +
		`"extensions":{"` + marking.TearlineExtension + `":{"extension_type":"property-extension","classification":"RESTRICTED"}}},` +
		`{"type":"indicator","spec_version":"2.1","id":"indicator--` + ind + `","created":"2024-01-01T00:00:00.000Z",` +
		`"modified":"2024-01-01T00:00:00.000Z","name":"i","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",` +
		`"valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + restricted + `"]}]}`
	file := filepath.Join(t.TempDir(), "b.json")
	writeFile(t, file, bundle)
	// Import checks markings against the levels too: RESTRICTED is unknown
	// to the defaults.
	if code, out, _ := run(t, "", "import", "--data", data, "-c", "intel", file); code != 1 || !strings.Contains(out, "not a configured classification level") {
		t.Errorf("import without --classification-levels: exit %d\n%s", code, out)
	}
	cli(t, "import", "--data", data, "-c", "intel", "--classification-levels", levels, file)
	for _, tt := range []struct {
		as     string
		levels []string
		want   bool
	}{
		{"cleared", []string{"--classification-levels", levels}, true},
		{"plain", []string{"--classification-levels", levels}, false},
		// Against the default levels RESTRICTED is unknown: withheld.
		{"cleared", nil, false},
	} {
		args := append([]string{"export", "--data", data, "-c", "intel", "--as", tt.as}, tt.levels...)
		if got := strings.Contains(cli(t, args...), ind); got != tt.want {
			t.Errorf("export --as %s %v: holds the RESTRICTED indicator = %v, want %v", tt.as, tt.levels, got, tt.want)
		}
	}
	if code, _, errOut := run(t, "", "export", "--data", data, "-c", "intel", "--as", "cleared", "--classification-levels", "A,A"); code == 0 || !strings.Contains(errOut, "classification-levels") {
		t.Errorf("export --classification-levels A,A: exit %d, %s", code, errOut)
	}
}

// TestKeyRevokeAndCollectionDelete drives key list and key revoke, and
// collection delete, as the README describes them: a revoked token is
// refused by the server, a deleted collection is gone.
func TestKeyRevokeAndCollectionDelete(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "reader", "--description", "feed")
	keyID := strings.TrimPrefix(token, "tl_")[:16]
	if out := cli(t, "key", "list", "--data", data, "--org", "acme"); !regexp.MustCompile(keyID + `\s+reader\s+\S+\s+-\s+feed`).MatchString(out) {
		t.Errorf("key list does not show the key unrevoked:\n%s", out)
	}
	cli(t, "collection", "add", "--data", data, "--title", "Gone Soon", "--read", "acme")
	if out := cli(t, "collection", "delete", "--data", data, "gone-soon"); !strings.Contains(out, "deleted collection gone-soon") {
		t.Errorf("collection delete: %s", out)
	}
	if out := cli(t, "collection", "list", "--data", data); strings.Contains(out, "gone-soon") {
		t.Errorf("collection list after delete:\n%s", out)
	}
	if code, _, _ := run(t, "", "collection", "delete", "--data", data, "gone-soon"); code == 0 {
		t.Error("deleting a deleted collection: exit 0")
	}

	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	srv := boot(t, cfg)
	if code, body := do(t, http.DefaultClient, "GET", srv.URL()+"/taxii2/", token, nil); code != http.StatusOK {
		t.Fatalf("discovery with a fresh token: %d %s", code, body)
	}
	cli(t, "key", "revoke", "--data", data, keyID)
	if out := cli(t, "key", "list", "--data", data, "--org", "acme"); regexp.MustCompile(keyID + `\s+reader\s+\S+\s+-\s`).MatchString(out) {
		t.Errorf("key list shows the revoked key unrevoked:\n%s", out)
	}
	if code, body := do(t, http.DefaultClient, "GET", srv.URL()+"/taxii2/", token, nil); code != http.StatusUnauthorized {
		t.Errorf("discovery with a revoked token: %d, want 401: %s", code, body)
	}
}

// TestExportFailureLeavesNoFile checks that an export that fails after it
// began writing leaves neither FILE nor a temporary file behind, and that a
// successful one replaces FILE.
func TestExportFailureLeavesNoFile(t *testing.T) {
	t.Parallel()
	data, dir := t.TempDir(), t.TempDir()
	cli(t, "collection", "add", "--data", data, "--title", "intel", "--alias", "intel")
	out := filepath.Join(dir, "out.json")
	// The version filter is refused by the store when the first page is
	// read, after the bundle's head is written.
	if code, _, errOut := run(t, "", "export", "--data", data, "-c", "intel", "-o", out, "--versions", "bogus"); code == 0 {
		t.Fatalf("export --versions bogus: exit 0, %s", errOut)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("a failed export left %v (%v)", ents, err)
	}
	writeFile(t, out, "old")
	cli(t, "export", "--data", data, "-c", "intel", "-o", out)
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), `"type": "bundle"`) {
		t.Errorf("export -o: %q, %v", b, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("export -o left %d files, want 1", len(ents))
	}
}
