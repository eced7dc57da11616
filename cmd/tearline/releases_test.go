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

func TestReleaseCommands(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	origOrg := cli(t, "org", "add", "--data", data, "--name", "originator", "--country", "us")
	reqOrg := cli(t, "org", "add", "--data", data, "--name", "requester", "--country", "us")
	cli(t, "org", "add", "--data", data, "--name", "third", "--country", "us")
	cli(t, "collection", "add", "--data", data, "--title", "intel", "--alias", "intel", "--write", "originator", "--read", "requester")
	cli(t, "collection", "add", "--data", data, "--title", "wide", "--alias", "wide", "--write", "requester", "--read", "third")
	keyID := func(tok string) string { return strings.Split(tok, "_")[1] }
	origKey := keyID(cli(t, "key", "create", "--data", data, "--org", "originator", "--role", "analyst"))
	reqKey := keyID(cli(t, "key", "create", "--data", data, "--org", "requester", "--role", "analyst"))

	const (
		orcon = "marking-definition--5f0c1c8e-4a55-4d8e-9b1a-0c0c0c0c0002"
		obj   = "indicator--1b4b4c62-3a41-4c1b-9d0e-00000000001a"
	)
	file := filepath.Join(t.TempDir(), "orcon.json")
	writeFile(t, file, `{"type":"bundle","id":"bundle--1b4b4c62-3a41-4c1b-9d0e-00000000001b","objects":[
	{"type":"marking-definition","spec_version":"2.1","id":"`+orcon+`","created":"2024-01-01T00:00:00.000Z","name":"ORCON",
	 "extensions":{"`+marking.TearlineExtension+`":{"extension_type":"property-extension","orcon":true}}},
	{"type":"indicator","spec_version":"2.1","id":"`+obj+`","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",
	 "created_by_ref":"`+origOrg+`","name":"i","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",
	 "valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["`+orcon+`","`+marking.TLP2Amber+`"]}]}`)
	cli(t, "import", "--data", data, "-c", "intel", file)

	// Requests come through the API; here straight from the store.
	ctx := context.Background()
	db, err := sqlite.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 2 {
		intel, err := db.FindCollection(ctx, "intel")
		if err != nil {
			t.Fatal(err)
		}
		wide, err := db.FindCollection(ctx, "wide")
		if err != nil {
			t.Fatal(err)
		}
		r := &tearline.Release{ObjectID: obj, Version: "2024-01-01T00:00:00.000000000Z", SourceCollectionID: intel.ID, CollectionID: wide.ID,
			RequesterOrg: reqOrg, RequesterKey: reqKey, OriginatorOrg: origOrg, Justification: "for the sector"}
		if err := db.CreateRelease(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	out := cli(t, "release", "list", "--data", data, "--status", "requested", "--org", "requester")
	if !strings.Contains(out, ids[0]) || !strings.Contains(out, ids[1]) || !strings.Contains(out, `"for the sector"`) {
		t.Fatalf("release list lacks the requests:\n%s", out)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"release", "approve", "--data", data, ids[0], "--key-id", reqKey}, "only the originator"},
		{[]string{"release", "approve", "--data", data, ids[0], "--key-id", "nokey"}, "no such API key"},
		{[]string{"release", "list", "--data", data, "--status", "granted"}, "--status"},
	} {
		code, out, errOut := run(t, "", bad.args...)
		if code == 0 || !strings.Contains(errOut, bad.want) {
			t.Errorf("tearline %v: exit %d, stderr lacks %q\n%s%s", bad.args, code, bad.want, out, errOut)
		}
	}
	if strings.Contains(exportString(t, data, "wide"), obj) {
		t.Fatal("a refused approval released the object")
	}
	out = cli(t, "release", "deny", "--data", data, ids[1], "--key-id", origKey, "--reason", "source protection")
	if !strings.Contains(out, "denied") {
		t.Errorf("deny output: %s", out)
	}
	if strings.Contains(exportString(t, data, "wide"), obj) {
		t.Fatal("a denied request released the object")
	}
	out = cli(t, "release", "approve", "--data", data, ids[0], "--key-id", origKey)
	if !strings.Contains(out, "approved") {
		t.Errorf("approve output: %s", out)
	}
	if !strings.Contains(exportString(t, data, "wide"), obj) {
		t.Fatal("an approved request did not release the object")
	}
	out = cli(t, "release", "list", "--data", data, "--status", "requested")
	if strings.Contains(out, ids[0]) || strings.Contains(out, ids[1]) {
		t.Errorf("decided requests still listed as requested:\n%s", out)
	}
}
