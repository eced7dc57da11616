package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// reviewNote is a note holding an email address and a phone number.
func reviewNote(id string) string {
	return `{"type":"note","spec_version":"2.1","id":"` + id + `","created":"2024-01-01T00:00:00.000Z",` +
		`"modified":"2024-01-01T00:00:00.000Z","content":"reach jane.doe@corp.co.uk or +44 20 7946 0958",` +
		`"object_refs":["indicator--1b4b4c62-3a41-4c1b-9d0e-00000000000a"]}`
}

// TestImportPIIPolicies imports a bundle with personal data into
// collections with each PII policy, set with "collection add|update
// --pii", and with --no-pii.
func TestImportPIIPolicies(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	// An object version is stored once across collections, so each
	// collection gets notes of its own (n selects them).
	note := func(n, i int) string { return fmt.Sprintf("note--1b4b4c62-3a41-4c1b-9d0e-0000000000%d%d", n, i) }
	bundle := func(n int) string {
		file := filepath.Join(t.TempDir(), "pii.json")
		writeFile(t, file, `{"type":"bundle","id":"bundle--1b4b4c62-3a41-4c1b-9d0e-0000000000ff","objects":[`+reviewNote(note(n, 1))+`,`+reviewNote(note(n, 2))+`]}`)
		return file
	}
	noteA, noteB := note(5, 1), note(5, 2)
	cli(t, "org", "add", "--data", data, "--name", "soc", "--country", "us")
	cli(t, "org", "add", "--data", data, "--name", "outsider", "--country", "us")
	for _, c := range []struct{ alias, pii string }{{"plain", ""}, {"scrubbed", "redact"}, {"strict", "reject"}, {"reviewed", "review"}} {
		args := []string{"collection", "add", "--data", data, "--title", c.alias, "--write", "soc"}
		if c.pii != "" {
			args = append(args, "--pii", c.pii)
		}
		cli(t, args...)
	}
	if out := cli(t, "collection", "list", "--data", data); !strings.Contains(out, "redact") || !strings.Contains(out, "review") {
		t.Errorf("collection list does not show the policies:\n%s", out)
	}
	code, _, errOut := run(t, "", "collection", "update", "--data", data, "plain", "--pii", "scrub")
	if code == 0 || !strings.Contains(errOut, "--pii") {
		t.Errorf("--pii scrub: exit %d, %s", code, errOut)
	}

	// none: stored as submitted.
	cli(t, "import", "--data", data, "-c", "plain", bundle(1))
	if out := exportString(t, data, "plain"); !strings.Contains(out, "jane.doe@corp.co.uk") {
		t.Errorf("plain collection:\n%s", out)
	}
	// redact: stored redacted, each object reported.
	out := cli(t, "import", "--data", data, "-c", "scrubbed", bundle(2))
	if !strings.Contains(out, "stored redacted: warnings: pii-redacted content(email,19) content(phone,16)") || !strings.Contains(out, "2 redacted, 0 held for review") {
		t.Errorf("redacting import:\n%s", out)
	}
	if exp := exportString(t, data, "scrubbed"); strings.Contains(exp, "jane.doe") || !strings.Contains(exp, "reach [REDACTED:email] or [REDACTED:phone]") {
		t.Errorf("scrubbed collection:\n%s", exp)
	}
	// reject: refused with path and kind, exit status 1.
	code, out, _ = run(t, "", "import", "--data", data, "-c", "strict", bundle(3))
	if code != 1 || !strings.Contains(out, "objects[0]: personal data found") || !strings.Contains(out, "content(email,19)") {
		t.Errorf("rejecting import: exit %d\n%s", code, out)
	}
	// --no-pii sets the policy aside.
	cli(t, "import", "--data", data, "-c", "strict", "--no-pii", bundle(4))
	if exp := exportString(t, data, "strict"); !strings.Contains(exp, "jane.doe@corp.co.uk") {
		t.Errorf("import --no-pii:\n%s", exp)
	}
	// review: held, listed, then decided with "tearline review".
	file := bundle(5)
	out = cli(t, "import", "--data", data, "-c", "reviewed", file)
	if !strings.Contains(out, "held for review") || !strings.Contains(out, "0 redacted, 2 held for review") {
		t.Errorf("reviewing import:\n%s", out)
	}
	if exp := exportString(t, data, "reviewed"); strings.Contains(exp, noteA) {
		t.Errorf("a held object was stored:\n%s", exp)
	}
	// Importing again holds nothing twice.
	cli(t, "import", "--data", data, "-c", "reviewed", file)
	list := cli(t, "review", "list", "--data", data, "--status", "pending", "--collection", "reviewed")
	var ids []string
	for _, line := range strings.Split(list, "\n")[1:] {
		ids = append(ids, strings.Fields(line)[0])
	}
	if len(ids) != 2 || !strings.Contains(list, "content(email,19)") {
		t.Fatalf("review list:\n%s", list)
	}
	cli(t, "collection", "update", "--data", data, "reviewed", "--pii-identifiers")
	analyst := strings.Split(cli(t, "key", "create", "--data", data, "--org", "soc", "--role", "analyst"), "_")[1]
	outsider := strings.Split(cli(t, "key", "create", "--data", data, "--org", "outsider", "--role", "analyst"), "_")[1]
	code, _, errOut = run(t, "", "review", "approve", "--data", data, ids[0], "--key-id", outsider)
	if code == 0 || !strings.Contains(errOut, "may not write") {
		t.Errorf("approval without a write grant: exit %d, %s", code, errOut)
	}

	var shown struct {
		Findings []struct{ Path, Kind string }
		Object   json.RawMessage
		Access   string
	}
	if err := json.Unmarshal([]byte(cli(t, "review", "show", "--data", data, ids[0], "--key-id", analyst)), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Access != "whole" || len(shown.Findings) != 2 || !strings.Contains(string(shown.Object), "jane.doe") {
		t.Errorf("review show: %+v", shown)
	}
	if out := cli(t, "review", "approve", "--data", data, ids[0], "--key-id", analyst, "--redact"); !strings.Contains(out, "approved (redacted): warnings: pii-approved redacted") {
		t.Errorf("review approve: %s", out)
	}
	if out := cli(t, "review", "reject", "--data", data, ids[1], "--key-id", analyst, "--reason", "victim data"); !strings.Contains(out, "rejected") {
		t.Errorf("review reject: %s", out)
	}
	exp := exportString(t, data, "reviewed")
	if !strings.Contains(exp, noteA) || strings.Contains(exp, noteB) || strings.Contains(exp, "jane.doe") {
		t.Errorf("reviewed collection after the decisions:\n%s", exp)
	}
	if out := cli(t, "collection", "list", "--data", data); !strings.Contains(out, "review+identifiers") {
		t.Errorf("collection list after update:\n%s", out)
	}
}
