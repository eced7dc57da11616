package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tearline/tearline/marking"
)

// TestExportMeasures exports rules and lists through the access decision:
// an organization gets the measures of the indicators it may receive, the
// decisions are in the ledger under path export, and what a format cannot
// express is reported.
func TestExportMeasures(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme", "--country", "US")
	cli(t, "collection", "add", "--data", data, "--title", "Intel", "--alias", "intel", "--read", "acme")
	ind := func(n, pat, markings string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"indicator--9b4b4c62-3a41-4c1b-9d0e-00000000000` + n + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",` +
			`"name":"ind ` + n + `","pattern":"` + pat + `","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + markings + `"]}`
	}
	bundle := `{"type":"bundle","id":"bundle--9b4b4c62-3a41-4c1b-9d0e-0000000000ff","objects":[` +
		ind("1", "[ipv4-addr:value = '198.51.100.7']", marking.TLP2Green) + "," +
		ind("2", "[domain-name:value = 'evil.example.com']", marking.TLP2Green) + "," +
		ind("3", "[ipv4-addr:value = '203.0.113.66']", marking.TLP2Red) + "," +
		ind("4", "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.2']", marking.TLP2Green) + `]}`
	file := filepath.Join(t.TempDir(), "b.json")
	writeFile(t, file, bundle)
	cli(t, "import", "--data", data, "-c", "intel", file)

	dir := t.TempDir()
	skipped := filepath.Join(dir, "skipped.jsonl")
	code, out, errOut := run(t, "", "export", "--data", data, "-c", "intel", "--as", "acme", "--format", "blocklist-ip", "--skipped", skipped)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	lines := body(out)
	if strings.Join(lines, " ") != "198.51.100.7" {
		t.Errorf("blocklist-ip for acme: %q", out)
	}
	if !strings.Contains(errOut, "2 indicators (or values) could not be expressed as blocklist-ip") {
		t.Errorf("stderr: %s", errOut)
	}
	rep, err := os.ReadFile(skipped)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rep), `"id":"indicator--9b4b4c62-3a41-4c1b-9d0e-000000000002","name":"ind 2","reason":"domain evil.example.com does not belong in blocklist-ip"`) ||
		!strings.Contains(string(rep), "observation operators (FOLLOWEDBY)") || strings.Contains(string(rep), "000000000003") {
		t.Errorf("skipped report:\n%s", rep)
	}
	// The operator gets everything, the red indicator included.
	out = cli(t, "export", "--data", data, "-c", "intel", "--format", "suricata")
	if !strings.Contains(out, "[203.0.113.66]") || !strings.Contains(out, `dns.query; content:"evil.example.com"`) {
		t.Errorf("operator suricata export:\n%s", out)
	}
	// Every decision is in the ledger under path export.
	who := cli(t, "audit", "who", "--data", data, "--object", "indicator--9b4b4c62-3a41-4c1b-9d0e-000000000003")
	if !strings.Contains(who, "withhold") || !strings.Contains(who, "export") || !strings.Contains(who, "(operator)") {
		t.Errorf("audit who:\n%s", who)
	}
	if code, _, errOut := run(t, "", "export", "--data", data, "-c", "intel", "--format", "yara"); code == 0 || !strings.Contains(errOut, `unknown format "yara"`) {
		t.Errorf("unknown format: exit %d, %s", code, errOut)
	}
}

// body drops comment lines.
func body(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
