package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/sqlite"
)

// TestImportFeedback: sightings, notes and language-content objects that
// "tearline import --source" stores are feedback of the source on what
// they reference, as over TAXII; an unattributed import records none.
func TestImportFeedback(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	dir := t.TempDir()
	const (
		ind  = "indicator--0b6f5e0c-3c53-4e8e-9a54-1f6c2a9b7d01"
		sig  = "sighting--0b6f5e0c-3c53-4e8e-9a54-1f6c2a9b7d02"
		note = "note--0b6f5e0c-3c53-4e8e-9a54-1f6c2a9b7d03"
		lc   = "language-content--0b6f5e0c-3c53-4e8e-9a54-1f6c2a9b7d04"
		sig2 = "sighting--0b6f5e0c-3c53-4e8e-9a54-1f6c2a9b7d05"
		ts   = `"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z"`
	)
	write := func(name string, objs ...string) string {
		body := `{"type":"bundle","id":"bundle--0b6f5e0c-3c53-4e8e-9a54-1f6c2a9b7d00","objects":[`
		for i, o := range objs {
			if i > 0 {
				body += ","
			}
			body += o
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body+"]}"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	attributed := write("a.json",
		`{"type":"indicator","spec_version":"2.1","id":"`+ind+`",`+ts+`,"pattern":"[ipv4-addr:value = '10.1.2.3']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
		`{"type":"sighting","spec_version":"2.1","id":"`+sig+`",`+ts+`,"sighting_of_ref":"`+ind+`","count":2}`,
		`{"type":"note","spec_version":"2.1","id":"`+note+`",`+ts+`,"content":"seen at our border","object_refs":["`+ind+`","`+sig+`"]}`,
		`{"type":"language-content","spec_version":"2.1","id":"`+lc+`",`+ts+`,"object_ref":"`+ind+`","object_modified":"2026-01-01T00:00:00.000Z","contents":{"fr":{"name":"indicateur"}}}`)
	unattributed := write("u.json",
		`{"type":"sighting","spec_version":"2.1","id":"`+sig2+`",`+ts+`,"sighting_of_ref":"`+ind+`"}`)
	if code, out, errOut := run(t, "", "org", "add", "--data", data, "--name", "acme"); code != 0 {
		t.Fatalf("org add: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "", "import", "--data", data, "-c", "feed", "--create", "--source", "acme", attributed); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "", "import", "--data", data, "-c", "feed", unattributed); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	org, err := db.FindOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := db.ListFeedback(ctx, nil, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	type ref struct{ Object, Type, Ref, Org string }
	got := map[ref]bool{}
	for _, f := range fs {
		got[ref{f.ObjectID, f.Type, f.RefID, f.OrgID}] = true
	}
	want := map[ref]bool{
		{sig, "sighting", ind, org.ID}:        true,
		{note, "note", ind, org.ID}:           true,
		{note, "note", sig, org.ID}:           true,
		{lc, "language-content", ind, org.ID}: true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("feedback recorded by import (-want +got):\n%s", diff)
	}
}
