package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/sqlite"
)

func TestProductCommands(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	authorOrg := cli(t, "org", "add", "--data", data, "--name", "author", "--country", "us")
	cli(t, "org", "add", "--data", data, "--name", "reviewer", "--country", "us")
	cli(t, "collection", "add", "--data", data, "--title", "intel", "--alias", "intel", "--write", "author")
	cli(t, "collection", "add", "--data", data, "--title", "public", "--alias", "public", "--write", "author", "--write", "reviewer")
	keyID := func(tok string) string { return strings.Split(tok, "_")[1] }
	author := keyID(cli(t, "key", "create", "--data", data, "--org", "author", "--role", "analyst"))
	reviewer := keyID(cli(t, "key", "create", "--data", data, "--org", "reviewer", "--role", "analyst"))
	contrib := keyID(cli(t, "key", "create", "--data", data, "--org", "reviewer", "--role", "contributor"))

	const (
		source  = "indicator--1b4b4c62-3a41-4c1b-9d0e-00000000000a"
		derived = "indicator--1b4b4c62-3a41-4c1b-9d0e-00000000000b"
	)
	ind := func(id, tlp string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2024-01-01T00:00:00.000Z",` +
			`"modified":"2024-01-01T00:00:00.000Z","name":"i","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",` +
			`"valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + tlp + `"]}`
	}
	file := filepath.Join(t.TempDir(), "source.json")
	writeFile(t, file, ind(source, marking.TLP2AmberStrict))
	cli(t, "import", "--data", data, "-c", "intel", file)

	// Drafts come through the API; here straight from the store.
	ctx := context.Background()
	db, err := sqlite.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	public, err := db.FindCollection(ctx, "public")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 2 {
		p := &tearline.Product{SourceID: source, SourceVersion: "2024-01-01T00:00:00.000000000Z", CollectionID: public.ID,
			Raw: []byte(ind(derived, marking.TLP2Green)), AuthorOrg: authorOrg, AuthorKey: author}
		if err := db.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	out := cli(t, "product", "list", "--data", data, "--status", "draft")
	if !strings.Contains(out, ids[0]) || !strings.Contains(out, ids[1]) {
		t.Fatalf("product list lacks the drafts:\n%s", out)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"product", "approve", "--data", data, ids[0], "--key-id", author}, "a second analyst must approve"},
		{[]string{"product", "approve", "--data", data, ids[0], "--key-id", contrib}, "role"},
		{[]string{"product", "approve", "--data", data, ids[0], "--key-id", "nokey"}, "no such API key"},
		{[]string{"product", "list", "--data", data, "--status", "released"}, "--status"},
	} {
		code, out, errOut := run(t, "", bad.args...)
		if code == 0 || !strings.Contains(errOut, bad.want) {
			t.Errorf("tearline %v: exit %d, stderr lacks %q\n%s%s", bad.args, code, bad.want, out, errOut)
		}
	}
	if strings.Contains(exportString(t, data, "public"), derived) {
		t.Fatal("a refused approval released the product")
	}
	out = cli(t, "product", "approve", "--data", data, ids[0], "--key-id", reviewer)
	if !strings.Contains(out, "approved") || !strings.Contains(out, "relationship--") {
		t.Errorf("approve output: %s", out)
	}
	exp := exportString(t, data, "public")
	for _, want := range []string{derived, `"derived-from"`, `"target_ref":"` + source + `"`} {
		if !strings.Contains(exp, want) {
			t.Errorf("public collection lacks %s:\n%s", want, exp)
		}
	}
	if strings.Contains(exp, marking.TLP2AmberStrict) {
		t.Errorf("the source's marking reached the public collection:\n%s", exp)
	}
	out = cli(t, "product", "reject", "--data", data, ids[1], "--key-id", reviewer)
	if !strings.Contains(out, "rejected") {
		t.Errorf("reject output: %s", out)
	}
	out = cli(t, "product", "list", "--data", data, "--status", "draft")
	if strings.Contains(out, ids[0]) || strings.Contains(out, ids[1]) {
		t.Errorf("decided products still listed as drafts:\n%s", out)
	}
}
