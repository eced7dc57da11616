package taxii

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/marking"
)

// TestPeerAdminAPI configures a peer, its links and its held objects
// through the admin API.
func TestPeerAdminAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	fs, ok := e.db.(federation.Store)
	if !ok {
		t.Skip("the store keeps no federation peers")
	}
	ctx := context.Background()

	r := e.admin("admin", "POST", "/api/v1/peers/", map[string]any{
		"name": "hub", "url": "https://hub.example/taxii2/default", "token": "s3cret-token",
		"country": "GBR", "communities": []string{"fvey"}, "ceiling": "amber",
		"crosswalk": []map[string]string{{"remote": "marking-definition--0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e", "local": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"}},
	})
	expect(t, r, http.StatusCreated)
	if strings.Contains(string(r.body), "s3cret") {
		t.Errorf("the token is shown: %s", r.body)
	}
	var peer peerJSON
	r.decode(t, &peer)
	if peer.URL != "https://hub.example/taxii2/default/" || peer.Ceiling != "TLP:AMBER" || !peer.Token || peer.Country != "GB" ||
		len(peer.Communities) != 1 || peer.Communities[0] != "FVEY" || len(peer.Crosswalk) != 1 {
		t.Errorf("created peer: %+v", peer)
	}
	org, err := e.db.FindOrganization(ctx, "hub")
	if err != nil || org.ID != peer.OrgID {
		t.Fatalf("the peer's organization: %+v, %v", org, err)
	}

	for _, tc := range []struct {
		name   string
		who    string
		body   map[string]any
		status int
	}{
		{"not an admin", "reader", map[string]any{"name": "x", "url": "https://x/"}, http.StatusForbidden},
		{"bad URL", "admin", map[string]any{"name": "x", "url": "ftp://x/"}, http.StatusBadRequest},
		{"bad ceiling", "admin", map[string]any{"name": "x", "url": "https://x/", "ceiling": "purple"}, http.StatusBadRequest},
		{"bad clearance", "admin", map[string]any{"name": "x", "url": "https://x/", "clearance": "COSMIC"}, http.StatusBadRequest},
		{"name taken", "admin", map[string]any{"name": "hub", "url": "https://x/", "org": "Reader Org"}, http.StatusConflict},
		{"organization already a peer", "admin", map[string]any{"name": "hub2", "url": "https://x/", "org": "hub"}, http.StatusConflict},
		{"unknown organization", "admin", map[string]any{"name": "x", "url": "https://x/", "org": "nobody"}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, e.admin(tc.who, "POST", "/api/v1/peers/", tc.body), tc.status)
		})
	}
	if _, err := e.db.FindOrganization(ctx, "x"); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("a refused peer left an organization behind: %v", err)
	}

	r = e.admin("admin", "PATCH", "/api/v1/peers/hub/", map[string]any{"ceiling": "green", "one_way": true, "clearance": "SECRET"})
	expect(t, r, http.StatusOK)
	r.decode(t, &peer)
	if peer.Ceiling != "TLP:GREEN" || !peer.OneWay || peer.Clearance != "SECRET" || !peer.Token {
		t.Errorf("patched peer: %+v", peer)
	}
	r = e.admin("admin", "GET", "/api/v1/peers/", nil)
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"name":"hub"`) {
		t.Errorf("list: %s", r.body)
	}

	// Links. A push link to the low side of a one-way link must be
	// limited to products; a push link grants the peer's organization read.
	expect(t, e.admin("admin", "POST", "/api/v1/peers/hub/links/", map[string]any{
		"direction": "push", "collection": "intel", "remote_collection": "inbox"}), http.StatusBadRequest)
	r = e.admin("admin", "POST", "/api/v1/peers/hub/links/", map[string]any{
		"direction": "push", "collection": "intel", "remote_collection": "inbox", "interval": "90s", "products_only": true})
	expect(t, r, http.StatusCreated)
	var link linkJSON
	r.decode(t, &link)
	if link.Interval != "1m30s" || link.CollectionID != e.intel.ID || !link.ProductsOnly {
		t.Errorf("link %+v", link)
	}
	grants, _ := e.db.OrgGrants(ctx, org.ID)
	if !grants[e.intel.ID].Read {
		t.Error("the push link gave the peer's organization no read grant")
	}
	for _, body := range []map[string]any{
		{"direction": "sideways", "collection": "intel", "remote_collection": "x"},
		{"direction": "pull", "collection": "nope", "remote_collection": "x"},
		{"direction": "pull", "collection": "intel", "remote_collection": "x", "interval": "soon"},
		{"direction": "pull", "collection": "intel", "remote_collection": ""},
	} {
		expect(t, e.admin("admin", "POST", "/api/v1/peers/hub/links/", body), http.StatusBadRequest)
	}
	expect(t, e.admin("admin", "POST", "/api/v1/peers/nope/links/", map[string]any{"direction": "pull"}), http.StatusNotFound)
	r = e.admin("admin", "GET", "/api/v1/links/"+link.ID+"/", nil)
	expect(t, r, http.StatusOK)
	r = e.admin("admin", "GET", "/api/v1/peers/hub/links/", nil)
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), link.ID) {
		t.Errorf("links: %s", r.body)
	}
	expect(t, e.admin("admin", "DELETE", "/api/v1/links/"+link.ID+"/", nil), http.StatusNoContent)
	expect(t, e.admin("admin", "GET", "/api/v1/links/"+link.ID+"/", nil), http.StatusNotFound)

	// Held objects: listed, shown, not released while their marking is
	// unknown, dropped.
	p, err := fs.FindPeer(ctx, "hub")
	if err != nil {
		t.Fatal(err)
	}
	unknown := "marking-definition--0c0c0c0c-1f2a-4d3b-8c6e-9f0a1b2c3d4e"
	h := &tearline.Held{PeerID: p.ID, CollectionID: e.intel.ID, ObjectID: objID("indicator", 1), Version: "2024-03-01T12:00:00.000Z",
		Raw: []byte(indicator(1, 0)[:len(indicator(1, 0))-1] + `,"object_marking_refs":["` + unknown + `"]}`), Reason: "unknown marking"}
	if err := fs.HoldObjects(ctx, []*tearline.Held{h}); err != nil {
		t.Fatal(err)
	}
	r = e.admin("admin", "GET", "/api/v1/held/?peer=hub", nil)
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), h.ID) || strings.Contains(string(r.body), `"object"`) {
		t.Errorf("held list: %s", r.body)
	}
	r = e.admin("admin", "GET", "/api/v1/held/"+h.ID+"/", nil)
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), unknown) {
		t.Errorf("held object: %s", r.body)
	}
	r = e.admin("admin", "POST", "/api/v1/held/"+h.ID+"/release/", nil)
	expect(t, r, http.StatusConflict)
	if !strings.Contains(string(r.body), unknown) {
		t.Errorf("release of a still unknown marking: %s", r.body)
	}
	r = e.admin("admin", "POST", "/api/v1/peers/hub/held/release/", nil)
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"remaining":1`) {
		t.Errorf("release all: %s", r.body)
	}
	expect(t, e.admin("admin", "DELETE", "/api/v1/held/"+h.ID+"/", nil), http.StatusNoContent)
	expect(t, e.admin("admin", "DELETE", "/api/v1/held/"+h.ID+"/", nil), http.StatusNotFound)

	expect(t, e.admin("admin", "DELETE", "/api/v1/peers/hub/", nil), http.StatusNoContent)
	expect(t, e.admin("admin", "GET", "/api/v1/peers/hub/", nil), http.StatusNotFound)
}

// TestPeerOrganizationOverTAXII: an organization that stands for a peer
// reads as a peer, capped at the peer's ceiling; the low side of a one-way
// link reads nothing; a peer's POST records provenance.
func TestPeerOrganizationOverTAXII(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	fs, ok := e.db.(federation.Store)
	if !ok {
		t.Skip("the store keeps no federation peers")
	}
	ctx := context.Background()
	amber := indicator(1, 0)[:len(indicator(1, 0))-1] + `,"object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`
	green := indicator(2, 0)[:len(indicator(2, 0))-1] + `,"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}`
	e.add(e.intel, amber, green)
	org := &tearline.Organization{Name: "isac", Country: "GB"}
	if err := e.db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	e.orgs["isac"] = org
	e.tokens["isac"] = e.newKey(org, tearline.RoleContributor)
	e.grant(e.intel, "isac", true, true)
	count := func() int {
		t.Helper()
		r := e.get("isac", colPath(e.intel, "objects/"))
		expect(t, r, http.StatusOK)
		var env envelopeResource
		r.decode(t, &env)
		return len(env.Objects)
	}
	if n := count(); n != 2 {
		t.Fatalf("as a member reader: %d objects, want 2", n)
	}
	p := &tearline.Peer{Name: "isac", OrgID: org.ID, URL: "https://isac.example/taxii2/default/", Ceiling: "green"}
	if err := fs.CreatePeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("as a peer with ceiling GREEN: %d objects, want 1", n)
	}

	// A peer's POST goes through the inbound pipeline.
	r := e.post("isac", colPath(e.intel, "objects/"), envelope(indicator(3, 0)))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.Status != tearline.StatusComplete || st.SuccessCount != 1 {
		t.Fatalf("peer POST: %s", r.body)
	}
	prov, err := fs.ProvenanceOf(ctx, objID("indicator", 3))
	if err != nil || len(prov) != 1 || prov[0].PeerID != p.ID {
		t.Errorf("provenance of the peer's object: %+v, %v", prov, err)
	}

	p.OneWay = true
	if err := fs.UpdatePeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	r = e.get("isac", colPath(e.intel, "objects/"))
	expect(t, r, http.StatusForbidden)
	if !strings.Contains(string(r.body), "one-way") {
		t.Errorf("one-way read refusal: %s", r.body)
	}
	expect(t, e.get("isac", "/taxii2/default/collections/"), http.StatusForbidden)
	expect(t, e.get("isac", colPath(e.intel, "")), http.StatusForbidden)
	// It may still send.
	expect(t, e.post("isac", colPath(e.intel, "objects/"), envelope(indicator(4, 0))), http.StatusAccepted)
}

// TestPeerOnOtherReadPaths checks that a peer's organization gets no more
// than the peer's ceiling on the read paths beside the TAXII collection
// routes (observable lookups, scores, exports), and nothing at all as the
// low side of a one-way link.
func TestPeerOnOtherReadPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	fs, ok := e.db.(federation.Store)
	if !ok {
		t.Skip("the store keeps no federation peers")
	}
	if _, ok := e.db.(tearline.Observables); !ok {
		t.Skip("the store keeps no observable index")
	}
	ctx := context.Background()
	mark := func(s, def string) string { return s[:len(s)-1] + `,"object_marking_refs":["` + def + `"]}` }
	amber := mark(indicator(1, 0), marking.TLP2Amber)
	green := mark(indicator(2, 0), marking.TLP2Green)
	r := e.post("contributor", colPath(e.intel, "objects/"), envelope(amber, green))
	expect(t, r, http.StatusAccepted)
	org := &tearline.Organization{Name: "isac", Country: "GB"}
	if err := e.db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	e.orgs["isac"] = org
	e.tokens["isac"] = e.newKey(org, tearline.RoleReader)
	e.grant(e.intel, "isac", true, false)

	// sees reports which of the two objects isac receives by each path.
	sees := func(stage string, wantAmber, wantGreen bool) {
		t.Helper()
		for _, c := range []struct {
			n    int
			want bool
		}{{1, wantAmber}, {2, wantGreen}} {
			id := objID("indicator", c.n)
			r := e.lookup("isac", fmt.Sprintf("10.0.0.%d", c.n), "")
			if got := r.status == http.StatusOK && bytes.Contains(r.body, []byte(id)); got != c.want {
				t.Errorf("%s: observable lookup finds indicator %d: %v, want %v (%d %s)", stage, c.n, got, c.want, r.status, r.body)
			}
			r = e.get("isac", "/api/v1/objects/"+id+"/score/")
			if got := r.status == http.StatusOK; got != c.want {
				t.Errorf("%s: score of indicator %d answered %d %s; want it shown: %v", stage, c.n, r.status, r.body, c.want)
			}
		}
	}
	sees("as a member reader", true, true)

	p := &tearline.Peer{Name: "isac", OrgID: org.ID, URL: "https://isac.example/taxii2/default/", Ceiling: "green"}
	if err := fs.CreatePeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	sees("as a peer with ceiling GREEN", false, true)

	p.OneWay = true
	if err := fs.UpdatePeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	sees("as the low side of a one-way link", false, false)
}
