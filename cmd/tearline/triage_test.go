package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/sqlite"
)

// TestTriageCLI lists a partner's submission, acknowledges it on behalf
// of the host, and refuses bad states and unknown submissions.
func TestTriageCLI(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "hub", "--country", "us")
	cli(t, "org", "add", "--data", data, "--name", "cert-fr", "--country", "fr")
	db, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	partner, err := db.FindOrganization(context.Background(), "cert-fr")
	if err != nil {
		t.Fatal(err)
	}
	received := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	err = db.RecordSubmission(context.Background(), &tearline.Submission{ID: "5f0e1c2d-0000-4000-8000-000000000001", OrgID: partner.ID,
		CollectionID: "c", Objects: []string{"indicator--1", "indicator--2"}, Received: received, Available: received})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := cli(t, "triage", "list", "--data", data, "--state", "received")
	if !strings.Contains(out, "5f0e1c2d-0000-4000-8000-000000000001  received  "+partner.ID+"  2") {
		t.Errorf("triage list:\n%s", out)
	}
	out = cli(t, "triage", "set", "--data", data, "5f0e1c2d-0000-4000-8000-000000000001", "acknowledged", "--by", "hub", "--note", "on it")
	if !strings.Contains(out, "is acknowledged (acknowledged after 1h") {
		t.Errorf("triage set: %s", out)
	}
	if out := cli(t, "triage", "list", "--data", data, "--org", "cert-fr"); !strings.Contains(out, "acknowledged") || !strings.Contains(out, "on it") {
		t.Errorf("triage list after set:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"set", "5f0e1c2d-0000-4000-8000-000000000001", "received"}, `state "received"`},
		{[]string{"set", "nope", "closed"}, "no submission nope"},
		{[]string{"list", "--state", "done"}, `--state "done"`},
		{[]string{"list", "--org", "nobody"}, `--org "nobody"`},
	} {
		code, _, errOut := run(t, "", append(append([]string{"triage"}, tc.args...), "--data", data)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("triage %v: exit %d, %q; want it to say %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestDirectoryCLI lists contacts, all of them and as one organization
// may know them.
func TestDirectoryCLI(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "hub", "--country", "us")
	cli(t, "org", "add", "--data", data, "--name", "cert-fr", "--country", "fr")
	db, err := sqlite.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	o, err := db.FindOrganization(context.Background(), "cert-fr")
	if err == nil {
		o.Contacts = []tearline.Contact{{Name: "Duty officer", Email: "duty@cert.example", Phone: "+33 1 23 45 67 89", Languages: []string{"fr"}}}
		err = db.UpdateOrganization(context.Background(), o)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := cli(t, "directory", "--data", data)
	if !strings.Contains(out, "cert-fr       FR       Duty officer  -     duty@cert.example  +33 1 23 45 67 89") || !strings.Contains(out, "hub") {
		t.Errorf("directory:\n%s", out)
	}
	// The two share nothing: each knows only itself.
	if out := cli(t, "directory", "--data", data, "--as", "hub"); strings.Contains(out, "cert-fr") || !strings.Contains(out, "hub") {
		t.Errorf("directory --as hub:\n%s", out)
	}
	if code, _, errOut := run(t, "", "directory", "--data", data, "--as", "nobody"); code == 0 || !strings.Contains(errOut, `--as "nobody"`) {
		t.Errorf("directory --as nobody: exit %d, %s", code, errOut)
	}
}
