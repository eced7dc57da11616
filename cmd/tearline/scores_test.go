package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tearline/tearline/sqlite"
)

func TestOrgReliability(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if code, out, errOut := run(t, "", "org", "add", "--data", data, "--name", "acme", "--type", "private"); code != 0 {
		t.Fatalf("org add: %d %s %s", code, out, errOut)
	}
	steps := []struct {
		args []string
		ok   bool
		want string
	}{
		{[]string{"acme"}, true, "acme: no reliability set (counts as 50)"},
		{[]string{"acme", "b"}, true, "acme: reliability B (80)"},
		{[]string{"acme"}, true, "acme: reliability B (80), set "},
		{[]string{"acme", "73"}, true, "acme: reliability 73"},
		{[]string{"acme", "G"}, false, "neither a grade A-F nor a number"},
		{[]string{"acme", "101"}, false, "neither a grade A-F nor a number"},
		{[]string{"nobody", "A"}, false, "nobody"},
		{[]string{"acme", "A", "--clear"}, false, "either VALUE or --clear"},
		{[]string{"acme", "--clear"}, true, "acme: no reliability set"},
		{[]string{"acme", "--clear"}, false, "no reliability set"},
	}
	for _, st := range steps {
		code, out, errOut := run(t, "", append([]string{"org", "reliability", "--data", data}, st.args...)...)
		if (code == 0) != st.ok || !strings.Contains(out+errOut, st.want) {
			t.Errorf("org reliability %v: exit %d, %q %q; want ok=%v and %q", st.args, code, out, errOut, st.ok, st.want)
		}
	}
}

func TestWarnlistCmd(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	code, out, errOut := run(t, "", "warnlist", "add", "--data", data, "--comment", "our scanners", "corp", "10.20.0.0/16", "*.Corp.Example.NET", "10.20.1.2/16")
	if code != 0 || out != "corp\t10.20.0.0/16\ncorp\t*.corp.example.net\ncorp\t10.20.0.0/16\n" || !strings.Contains(errOut, "2 new, 1 already listed") {
		t.Fatalf("warnlist add: %d %q %q", code, out, errOut)
	}
	code, out, _ = run(t, "", "warnlist", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "public-dns-resolvers") || !strings.Contains(out, "corp") {
		t.Errorf("warnlist list: %d %s", code, out)
	}
	code, out, _ = run(t, "", "warnlist", "list", "--data", data, "corp")
	if code != 0 || !strings.Contains(out, "*.corp.example.net") || !strings.Contains(out, "our scanners") {
		t.Errorf("warnlist list corp: %d %s", code, out)
	}
	code, out, _ = run(t, "", "warnlist", "list", "--data", data, "loopback")
	if code != 0 || !strings.Contains(out, "127.0.0.0/8") || !strings.Contains(out, "(built in)") {
		t.Errorf("warnlist list loopback: %d %s", code, out)
	}
	for _, args := range [][]string{
		{"add", "Corp", "1.2.3.4"}, {"add", "corp", "not a value"}, {"add", "corp"},
		{"remove", "loopback", "127.0.0.0/8"}, {"list", "nothing"},
	} {
		if code, out, errOut := run(t, "", append([]string{"warnlist", args[0], "--data", data}, args[1:]...)...); code == 0 || errOut == "" {
			t.Errorf("warnlist %v: exit %d, %s %s; want a failure with a message", args, code, out, errOut)
		}
	}
	if code, out, errOut := run(t, "", "warnlist", "remove", "--data", data, "corp", "10.20.5.5/16"); code != 0 || out != "removed 1 of 1\n" {
		t.Errorf("warnlist remove: %d %q %q", code, out, errOut)
	}
	if code, out, _ := run(t, "", "warnlist", "list", "--data", data, "corp"); code != 0 || strings.Contains(out, "10.20.0.0/16") {
		t.Errorf("after remove: %d %s", code, out)
	}
}

func TestImportScores(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	bundle := filepath.Join(t.TempDir(), "b.json")
	const id = "indicator--5a1f6a57-64a9-4b7e-9f35-4a8d8b1d1e01"
	const ind = `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z",` +
		`"modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '8.8.8.8']","pattern_type":"stix",` +
		`"valid_from":"2026-01-01T00:00:00Z","confidence":90}`
	if err := os.WriteFile(bundle, []byte(`{"type":"bundle","id":"bundle--7d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`+ind+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "", "org", "add", "--data", data, "--name", "acme"); code != 0 {
		t.Fatalf("org add: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "", "import", "--data", data, "-c", "feed", "--create", "--source", "acme", bundle); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	db, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, err := db.FindOrganization(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := db.FindScores(context.Background(), []string{id})
	if err != nil || len(recs) != 1 {
		t.Fatalf("score records %+v, %v", recs, err)
	}
	r := recs[0]
	if r.Org != org.ID || r.Stated != 90 || len(r.Warnings) != 1 || r.Warnings[0].List != "public-dns-resolvers" {
		t.Errorf("record %+v", r)
	}
}
