package main

import (
	"context"
	"strings"
	"testing"

	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/client"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// TestPeerCommands sets up federation between two whole servers with
// tearline peer only: the ISAC pulls the hub's collection, the hub knows
// the ISAC as a peer with ceiling GREEN, so TLP:AMBER stays at the hub;
// link list shows the state; the servers stop cleanly with their links.
func TestPeerCommands(t *testing.T) {
	t.Parallel()
	hubData, isacData := t.TempDir(), t.TempDir()
	cli(t, "org", "add", "--data", hubData, "--name", "producer", "--country", "US")
	producer := cli(t, "key", "create", "--data", hubData, "--org", "producer", "--role", "contributor")
	cli(t, "collection", "add", "--data", hubData, "--title", "Intel", "--alias", "intel", "--write", "producer", "--read", "producer")
	cli(t, "collection", "add", "--data", isacData, "--title", "From the hub", "--alias", "from-hub")

	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = hubData, "127.0.0.1:0"
	hub := boot(t, cfg)
	cfg.Data = isacData
	isac := boot(t, cfg)
	hubRoot, isacRoot := hub.URL()+"/taxii2/default/", isac.URL()+"/taxii2/default/"

	// The hub: the ISAC's organization, its key, its read grant, and the
	// ISAC as a peer with ceiling GREEN.
	cli(t, "peer", "add", "isac", "--data", hubData, "--url", isacRoot, "--country", "GB", "--ceiling", "green")
	isacKey := cli(t, "key", "create", "--data", hubData, "--org", "isac", "--role", "reader")
	code, out, errOut := run(t, "", "peer", "add", "isac", "--data", hubData, "--url", isacRoot)
	if code == 0 || !strings.Contains(errOut, "taken") {
		t.Errorf("the same peer twice: exit %d, %s %s", code, out, errOut)
	}
	// The ISAC: the hub as a peer, with the key, and a pull link.
	cli(t, "peer", "add", "hub", "--data", isacData, "--url", hubRoot, "--token", isacKey, "--country", "US", "--ceiling", "amber",
		"--crosswalk", "marking-definition--0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e="+marking.TLP1White)
	link := cli(t, "peer", "link", "add", "hub", "--data", isacData, "--pull", "--collection", "from-hub", "--remote", "intel", "--interval", "1h")
	if code, _, errOut := run(t, "", "peer", "link", "add", "hub", "--data", isacData, "--collection", "from-hub", "--remote", "x"); code == 0 || !strings.Contains(errOut, "--pull or --push") {
		t.Errorf("link without a direction: exit %d, %s", code, errOut)
	}

	c, err := client.New(client.Options{Token: producer})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	objs := append(taxiitest.Indicators(0, 3, 0, `"object_marking_refs":["`+marking.TLP2Green+`"]`),
		taxiitest.Indicator(3, 0, `"object_marking_refs":["`+marking.TLP2Amber+`"]`))
	if st, err := c.Add(ctx, hubRoot, "intel", objs); err != nil || st.SuccessCount != 4 {
		t.Fatalf("add to the hub: %+v, %v", st, err)
	}
	if err := grantRead(hub, "intel", "isac"); err != nil {
		t.Fatal(err)
	}
	st, err := isac.fed.Run(ctx, link)
	if err != nil {
		t.Fatal(err)
	}
	if st.Objects != 3 {
		t.Errorf("pulled %d objects, want the 3 GREEN ones: %+v", st.Objects, st)
	}
	out = cli(t, "peer", "link", "list", "--data", isacData)
	if !strings.Contains(out, link) || !strings.Contains(out, "pull") || !strings.Contains(out, "from-hub") {
		t.Errorf("link list:\n%s", out)
	}
	out = cli(t, "peer", "list", "--data", isacData)
	if !strings.Contains(out, "hub") || !strings.Contains(out, "TLP:AMBER") || !strings.Contains(out, hubRoot) {
		t.Errorf("peer list:\n%s", out)
	}
	cli(t, "peer", "update", "hub", "--data", isacData, "--ceiling", "clear", "--crosswalk", "")
	if out := cli(t, "peer", "list", "--data", isacData); !strings.Contains(out, "TLP:CLEAR") {
		t.Errorf("after update:\n%s", out)
	}
	if out := cli(t, "peer", "held", "list", "--data", isacData); strings.Count(out, "\n") != 0 {
		t.Errorf("held list:\n%s", out)
	}
	cli(t, "peer", "link", "delete", link, "--data", isacData)
	cli(t, "peer", "delete", "hub", "--data", isacData)
	if out := cli(t, "peer", "list", "--data", isacData); strings.Contains(out, "hub") {
		t.Errorf("after delete:\n%s", out)
	}
}

// grantRead gives an organization a read grant on a collection of a
// running server, through its store.
func grantRead(s *server, collection, org string) error {
	ctx := context.Background()
	col, err := s.db.FindCollection(ctx, collection)
	if err != nil {
		return err
	}
	o, err := s.db.FindOrganization(ctx, org)
	if err != nil {
		return err
	}
	grants, err := s.db.OrgGrants(ctx, o.ID)
	if err != nil {
		return err
	}
	g := grants[col.ID]
	g.CollectionID, g.OrgID, g.Read = col.ID, o.ID, true
	return s.db.SetGrant(ctx, g)
}
