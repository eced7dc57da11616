package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tearline/tearline/taxii/taxiitest"
)

// TestTAXIICommands drives a real server with tearline taxii: discover,
// collections, add (bundles, with a refused object), get (objects
// byte for byte, filters, manifest, versions).
func TestTAXIICommands(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme", "--country", "US")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "contributor")
	colID := cli(t, "collection", "add", "--data", data, "--title", "Shared Intel", "--alias", "intel", "--write", "acme", "--read", "acme")
	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	srv := boot(t, cfg)
	root := srv.URL() + "/taxii2/default/"

	out := cli(t, "taxii", "discover", "--token", token, srv.URL()+"/taxii2/")
	if !strings.Contains(out, `"url": "`+root+`"`) || !strings.Contains(out, `"max_content_length"`) {
		t.Errorf("discover:\n%s", out)
	}
	out = cli(t, "taxii", "collections", "--token", token, root)
	if !strings.Contains(out, colID) || !strings.Contains(out, "intel") || !strings.Contains(out, "true  true") {
		t.Errorf("collections:\n%s", out)
	}

	dir := t.TempDir()
	objs := taxiitest.Indicators(0, 25, 0)
	objs = append(objs, taxiitest.Indicator(3, 7))
	bundle := filepath.Join(dir, "in.json")
	writeFile(t, bundle, `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`+string(bytes.Join(objs, []byte(",\n")))+`]}`)
	out = cli(t, "taxii", "add", "--token", token, "--envelope", "10", root, "intel", bundle)
	if !strings.Contains(out, "26 objects sent: 26 succeeded, 0 failed, 0 pending") {
		t.Errorf("add:\n%s", out)
	}
	bad := filepath.Join(dir, "bad.json")
	writeFile(t, bad, `{"type":"indicator","spec_version":"2.1","id":"indicator--5d0092c5-5f74-4287-9642-33f4c354e56d"}`)
	code, out, errOut := run(t, "", "taxii", "add", "--token", token, root, colID, bad)
	if code != exitInvalid || !strings.Contains(out, "failed: indicator--5d0092c5-5f74-4287-9642-33f4c354e56d") || !strings.Contains(errOut, "refused 1 objects") {
		t.Errorf("add invalid: exit %d\n%s\n%s", code, out, errOut)
	}

	got := filepath.Join(dir, "out.json")
	cli(t, "taxii", "get", "--token", token, "--limit", "7", "--version", "all", "-o", got, root, "intel")
	f, err := os.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back := objectsOf(t, f)
	if len(back) != 26 {
		t.Fatalf("get: %d objects, want 26", len(back))
	}
	for _, o := range objs {
		found := false
		for _, b := range back {
			found = found || bytes.Equal(b, o)
		}
		if !found {
			t.Fatalf("object not returned byte for byte: %s", o)
		}
	}
	id := taxiitest.ID("indicator", 3)
	out = cli(t, "taxii", "get", "--token", token, "--object", id, "--versions", root, "intel")
	if out != "2025-06-01T12:00:00.000Z\n2025-06-01T12:07:00.000Z" {
		t.Errorf("versions:\n%s", out)
	}
	out = cli(t, "taxii", "get", "--token", token, "--manifest", "--id", id, root, "intel")
	if strings.Count(out, "\n") != 0 || !strings.Contains(out, `"version":"2025-06-01T12:07:00.000Z"`) {
		t.Errorf("manifest:\n%s", out)
	}
	code, _, errOut = run(t, "", "taxii", "collections", "--token", "tl_wrong_token", "--retries", "0", root)
	if code != exitError || !strings.Contains(errOut, "401") {
		t.Errorf("wrong token: exit %d, %s", code, errOut)
	}
}
