package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
)

// auditData makes a data directory whose ledger records two pages for two
// organizations and a withheld object, and returns it.
func auditData(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	l, err := ledger.Open(filepath.Join(data, ledger.DirName), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{"identity--a", "identity--b"} {
		var page []ledger.Disclosure
		for i := range 5 {
			page = append(page, ledger.Disclosure{Org: org, Key: "key-" + org, Path: ledger.PathObjects,
				Object: fmt.Sprintf("indicator--%d", i), Version: "2024-01-02T03:04:05.000Z",
				Decision: marking.Whole, TLP: marking.Green})
		}
		if org == "identity--b" {
			page[2].Decision, page[2].TLP, page[2].Reason = marking.Withhold, marking.Red, "TLP:RED: not a named recipient"
		}
		if err := l.RecordBatch(page); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestAuditVerify(t *testing.T) {
	t.Parallel()
	data := auditData(t)
	code, out, errOut := run(t, "", "audit", "verify", "--data", data)
	m := regexp.MustCompile(`^ledger verified: 3 records in 1 segments, head hash ([0-9a-f]{64})\n10 disclosures`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("audit verify: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	head := m[1]
	if code, out, errOut := run(t, "", "audit", "verify", "--data", data, "--anchor", head); code != 0 {
		t.Fatalf("audit verify --anchor: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// Rewrite a decision in the middle: the record is named, exit 1.
	seg := filepath.Join(data, ledger.DirName, "disclosures-000001.log")
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(b, []byte(`"withhold"`), []byte(`"whole"`), 1)
	if bytes.Equal(tampered, b) {
		t.Fatal("no withheld decision to tamper with")
	}
	if err := os.WriteFile(seg, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "", "audit", "verify", "--data", data)
	if code != 1 || !strings.Contains(out, "disclosures-000001.log line 3") || !strings.Contains(out, "hash does not match") {
		t.Errorf("tampered: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// Cut the last record off: only the anchor shows it.
	lines := bytes.SplitAfter(b, []byte("\n"))
	if err := os.WriteFile(seg, bytes.Join(lines[:2], nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, "", "audit", "verify", "--data", data); code != 0 {
		t.Errorf("cut, no anchor: exit %d, stdout %q", code, out)
	}
	if code, out, _ := run(t, "", "audit", "verify", "--data", data, "--anchor", head); code != 1 || !strings.Contains(out, "anchor") {
		t.Errorf("cut, anchor: exit %d, stdout %q", code, out)
	}

	if code, _, errOut := run(t, "", "audit", "verify", "--data", t.TempDir()); code != 2 || !strings.Contains(errOut, "no ledger") {
		t.Errorf("no ledger: exit %d, stderr %q", code, errOut)
	}
}

func TestAuditWho(t *testing.T) {
	t.Parallel()
	data := auditData(t)
	code, out, errOut := run(t, "", "audit", "who", "--object", "indicator--2", "--data", data)
	if code != 0 {
		t.Fatalf("audit who: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TIME ") {
		t.Fatalf("audit who: %q", out)
	}
	for i, want := range []string{`identity--a\s+whole\s+taxii-objects\s+2024-01-02T03:04:05.000Z\s+TLP:GREEN\s+key-identity--a\s*$`,
		`identity--b\s+withhold\s+taxii-objects\s+2024-01-02T03:04:05.000Z\s+TLP:RED\s+key-identity--b\s+TLP:RED: not a named recipient$`} {
		if !regexp.MustCompile(want).MatchString(lines[i+1]) {
			t.Errorf("row %d = %q, want it to match %s", i+1, lines[i+1], want)
		}
	}
	code, out, errOut = run(t, "", "audit", "who", "--object", "indicator--none", "--data", data)
	if code != 0 || out != "" || !strings.Contains(errOut, "no disclosure") {
		t.Errorf("unknown object: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, _ := run(t, "", "audit", "who", "--data", data); code != 2 {
		t.Errorf("no --object: exit %d", code)
	}
}
