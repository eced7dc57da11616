package federation_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/client"
	"github.com/tearline/tearline/taxii/taxiitest"
)

var (
	mdRelUSGBR = markingID("REL TO USA, GBR")
	mdORCON    = markingID("ORCON")
)

// hubObjects are the objects of the hub's collection, numbered as the
// indicators they are:
//
//	1 TLP:CLEAR            5 TLP:GREEN, REL TO USA, GBR
//	2 TLP:GREEN            6 TLP:GREEN, originator controlled
//	3 TLP:AMBER            7 TLP:RED
//	4 TLP:AMBER+STRICT     8 TLP:GREEN, description AMBER+STRICT (granular)
//	9 unmarked (AMBER+STRICT by default)
func hubObjects(t *testing.T, hub *node) [][]byte {
	return [][]byte{
		tearlineDef(t, mdRelUSGBR, map[string]any{"rel_to": []string{"USA", "GBR"}}),
		tearlineDef(t, mdORCON, map[string]any{"orcon": true}),
		taxiitest.Indicator(1, 0, marked(marking.TLP2Clear)),
		taxiitest.Indicator(2, 0, marked(marking.TLP2Green)),
		taxiitest.Indicator(3, 0, marked(marking.TLP2Amber)),
		taxiitest.Indicator(4, 0, marked(marking.TLP2AmberStrict)),
		taxiitest.Indicator(5, 0, marked(marking.TLP2Green, mdRelUSGBR)),
		taxiitest.Indicator(6, 0, marked(marking.TLP2Green, mdORCON), createdBy(hub.producer)),
		taxiitest.Indicator(7, 0, marked(marking.TLP2Red)),
		taxiitest.Indicator(8, 0, marked(marking.TLP2Green), `"description":"the source is a named human"`,
			fmt.Sprintf(`"granular_markings":[{"marking_ref":%q,"selectors":["description"]}]`, marking.TLP2AmberStrict)),
		taxiitest.Indicator(9, 0),
	}
}

// TestPushStar pushes the hub's collection to a British ISAC (ceiling
// AMBER) and a French CERT (ceiling GREEN): each receives exactly what the
// access decision lets it, the granular marking's part is cut from both
// copies, and every decision is in the hub's ledger under path
// federation. A second run sends nothing more.
func TestPushStar(t *testing.T) {
	t.Parallel()
	hub, isac, cert := newNode(t, "hub", "US"), newNode(t, "isac", "GB"), newNode(t, "cert", "FR")
	intel := hub.collection("intel")
	hub.submit(intel, hubObjects(t, hub)...)
	isacInbox, certInbox := isac.collection("inbox"), cert.collection("inbox")
	toISAC := connect(hub, isac, profile{country: "GB", ceiling: "amber"}, profile{country: "US"}).pushAB(intel, isacInbox, false)
	toCERT := connect(hub, cert, profile{country: "FR", ceiling: "green"}, profile{country: "US"}).pushAB(intel, certInbox, false)

	st := hub.run(toISAC)
	if st.Objects != 7 || st.Withheld != 4 || st.Refused != 0 { // 5 indicators and 2 definitions sent; 4, 6, 7, 9 withheld
		t.Errorf("push to isac: state %+v", st)
	}
	hub.run(toCERT)
	if diff := cmp.Diff(sorted(1, 2, 3, 5, 8), isac.ids(isacInbox)); diff != "" {
		t.Errorf("isac received (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted(1, 2, 8), cert.ids(certInbox)); diff != "" {
		t.Errorf("cert received (-want +got):\n%s", diff)
	}
	for name, raw := range map[string][]byte{"isac": isac.stored(isacInbox)[id(8)], "cert": cert.stored(certInbox)[id(8)]} {
		if bytes.Contains(raw, []byte("named human")) || bytes.Contains(raw, []byte("granular_markings")) {
			t.Errorf("%s received object 8 unredacted: %s", name, raw)
		}
	}
	// Whole objects arrive byte for byte.
	if want := taxiitest.Indicator(2, 0, marked(marking.TLP2Green)); !bytes.Equal(cert.stored(certInbox)[id(2)], want) {
		t.Errorf("object 2 changed on its way: %s", cert.stored(certInbox)[id(2)])
	}

	// The ledger holds each decision for each peer.
	if err := hub.srv.Ledger.Flush(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(hub.srv.Dir, ledger.DirName)
	for _, tc := range []struct {
		n    int
		want map[string]marking.Decision // peer organization name -> decision
	}{
		{1, map[string]marking.Decision{"isac": marking.Whole, "cert": marking.Whole}},
		{3, map[string]marking.Decision{"isac": marking.Whole, "cert": marking.Withhold}},
		{4, map[string]marking.Decision{"isac": marking.Withhold, "cert": marking.Withhold}},
		{5, map[string]marking.Decision{"isac": marking.Whole, "cert": marking.Withhold}},
		{6, map[string]marking.Decision{"isac": marking.Withhold, "cert": marking.Withhold}},
		{8, map[string]marking.Decision{"isac": marking.Redacted, "cert": marking.Redacted}},
	} {
		entries, err := ledger.Who(dir, id(tc.n))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]marking.Decision{}
		for _, e := range entries {
			if e.Path != ledger.PathFederation {
				continue
			}
			o, err := hub.srv.DB.FindOrganization(context.Background(), e.Org)
			if err != nil {
				t.Fatal(err)
			}
			got[o.Name] = e.Decision
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ledger for object %d (-want +got):\n%s", tc.n, diff)
		}
	}

	again := hub.run(toISAC)
	if again.Objects != st.Objects || again.Cursor != st.Cursor {
		t.Errorf("second run: state %+v, first %+v", again, st)
	}
}

// TestPullChain: the ISAC pulls the hub's collection and the French CERT
// pulls the ISAC's (a chain): at each hop the sender's access decision
// applies, so REL TO USA, GBR reaches the ISAC and stops there, and
// originator-controlled content never leaves the hub. The ISAC's push
// link back to the hub sends nothing (provenance), and the CERT pulling
// the hub directly as well stores nothing twice.
func TestPullChain(t *testing.T) {
	t.Parallel()
	hub, isac, cert := newNode(t, "hub", "US"), newNode(t, "isac", "GB"), newNode(t, "cert", "FR")
	intel := hub.collection("intel")
	hub.submit(intel, hubObjects(t, hub)...)
	isacIntel, certIntel, hubInbox := isac.collection("intel"), cert.collection("intel"), hub.collection("inbox")

	hubISAC := connect(isac, hub, profile{country: "US", ceiling: "amber"}, profile{country: "GB", ceiling: "amber"})
	fromHub := hubISAC.pullAB(isacIntel, intel)
	st := isac.run(fromHub)
	if st.Objects != 7 || st.Refused != 0 || st.Held != 0 || st.Cursor == "" { // 5 indicators and 2 definitions
		t.Errorf("isac pull: state %+v", st)
	}
	if diff := cmp.Diff(sorted(1, 2, 3, 5, 8), isac.ids(isacIntel)); diff != "" {
		t.Errorf("isac pulled (-want +got):\n%s", diff)
	}
	isacCERT := connect(cert, isac, profile{country: "GB", ceiling: "green"}, profile{country: "FR", ceiling: "green"})
	cert.run(isacCERT.pullAB(certIntel, isacIntel))
	if diff := cmp.Diff(sorted(1, 2, 8), cert.ids(certIntel)); diff != "" {
		t.Errorf("cert pulled from isac (-want +got):\n%s", diff)
	}

	// Nothing goes back to where it came from.
	back := hubISAC.pushAB(isacIntel, hubInbox, false)
	if st := isac.run(back); st.Objects != 0 || st.Withheld != 0 {
		t.Errorf("isac pushed back to the hub: state %+v", st)
	}
	if got := hub.srv.Stored(hubInbox); len(got) != 0 {
		t.Errorf("the hub's inbox received %d objects from the isac", len(got))
	}

	// A second route to the same versions stores nothing new.
	before := len(cert.srv.Stored(certIntel))
	direct := connect(cert, hub, profile{country: "US", ceiling: "green"}, profile{country: "FR", ceiling: "green"})
	st = cert.run(direct.pullAB(certIntel, intel))
	if after := len(cert.srv.Stored(certIntel)); after != before || st.Refused != 0 {
		t.Errorf("second route: %d entries before, %d after; state %+v", before, after, st)
	}
	prov, err := cert.srv.DB.ProvenanceOf(context.Background(), id(1))
	if err != nil {
		t.Fatal(err)
	}
	peers := map[string]string{}
	for _, p := range prov {
		peers[p.PeerID] = p.RemoteCollection
	}
	if want := map[string]string{isacCERT.onA.ID: isacIntel.ID, direct.onA.ID: intel.ID}; !cmp.Equal(want, peers) {
		t.Errorf("provenance of object 1 on cert: %v, want %v", peers, want)
	}
}

// TestPeerReadsThroughTAXII: a peer's organization reading over TAXII is a
// peer to the access decision, capped at its ceiling: it receives no more
// than a push would send it.
func TestPeerReadsThroughTAXII(t *testing.T) {
	t.Parallel()
	hub, isac := newNode(t, "hub", "US"), newNode(t, "isac", "GB")
	intel := hub.collection("intel")
	hub.submit(intel, hubObjects(t, hub)...)
	// The hub sees the ISAC's organization with a ceiling of GREEN.
	pr := connect(isac, hub, profile{country: "US"}, profile{country: "GB", ceiling: "green"})
	hub.srv.Grant(intel, pr.orgB, true, false)
	c := isac.peerClient(pr.onA)
	env, err := c.Objects(context.Background(), hub.srv.Root, intel.ID, client.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range env.Objects {
		if f := idOf(t, o); f[:9] == "indicator" {
			got = append(got, f)
		}
	}
	if diff := cmp.Diff(sorted(1, 2, 5, 8), sortedStrings(got)); diff != "" {
		t.Errorf("the peer read (-want +got):\n%s", diff)
	}
}

// TestPushToOrdinaryOrganization: without a peer record on the receiving
// side, a push is an ordinary submission; the objects arrive, and the
// receiving server records no provenance.
func TestPushToOrdinaryOrganization(t *testing.T) {
	t.Parallel()
	hub, isac := newNode(t, "hub", "US"), newNode(t, "isac", "GB")
	intel := hub.collection("intel")
	hub.submit(intel, taxiitest.Indicators(100, 5, 0, marked(marking.TLP2Green))...)
	inbox := isac.collection("inbox")
	orgOnISAC := isac.srv.Org("hub", "US")
	isac.srv.Grant(inbox, orgOnISAC, false, true)
	orgOnHub := &tearline.Organization{Name: "isac", Country: "GB"}
	if err := hub.srv.DB.CreateOrganization(context.Background(), orgOnHub); err != nil {
		t.Fatal(err)
	}
	p := hub.newPeer(isac, orgOnHub, isac.srv.Key(orgOnISAC, tearline.RoleContributor), profile{})
	st := hub.run(hub.link(p, tearline.LinkPush, intel, inbox.ID, false))
	if st.Objects != 5 || len(isac.ids(inbox)) != 5 {
		t.Fatalf("state %+v, %d objects arrived", st, len(isac.ids(inbox)))
	}
	if prov, _ := isac.srv.DB.ProvenanceOf(context.Background(), id(100)); len(prov) != 0 {
		t.Errorf("provenance recorded for an ordinary organization: %v", prov)
	}
}
