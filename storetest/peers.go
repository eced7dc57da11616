package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

// PeerStore is what the peers suite needs of a store: peers, and the
// organizations and collections they refer to.
type PeerStore interface {
	tearline.Store
	tearline.Directory
	tearline.Peers
}

// RunPeers runs the conformance suite of tearline.Peers against the store
// returned by open, a new empty store per subtest, closed by open's
// t.Cleanup.
func RunPeers(t *testing.T, open func(t *testing.T) PeerStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s PeerStore)
	}{
		{"CreatePeer", testCreatePeer},
		{"PeerErrors", testPeerErrors},
		{"UpdateDeletePeer", testUpdateDeletePeer},
		{"Links", testLinks},
		{"LinkState", testLinkState},
		{"LinkFence", testLinkFence},
		{"Provenance", testProvenance},
		{"Held", testHeld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

const (
	mdRemote = "marking-definition--0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e"
	mdLocal  = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
)

// newPeerOrg creates an organization for a peer.
func newPeerOrg(t *testing.T, s PeerStore, name string) *tearline.Organization {
	t.Helper()
	o := &tearline.Organization{Name: name, Country: "GB"}
	if err := s.CreateOrganization(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return o
}

func mustPeer(t *testing.T, s PeerStore, name string) *tearline.Peer {
	t.Helper()
	o := newPeerOrg(t, s, "org of "+name)
	p := &tearline.Peer{Name: name, OrgID: o.ID, URL: "https://" + name + ".example/taxii2/default", Token: "secret"}
	if err := s.CreatePeer(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func testCreatePeer(t *testing.T, s PeerStore) {
	ctx := context.Background()
	o := newPeerOrg(t, s, "Hub")
	p := &tearline.Peer{Name: "hub", OrgID: o.ID, URL: " https://hub.example/taxii2/default// ", User: "u", Password: "p",
		CertFile: "c.pem", KeyFile: "k.pem", CAFile: "ca.pem", Ceiling: "amber", OneWay: true,
		Crosswalk: []tearline.MarkingMap{{Remote: "MARKING-DEFINITION--0B5C4A2E-1F2A-4D3B-8C6E-9F0A1B2C3D4E", Local: mdLocal}}}
	if err := s.CreatePeer(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.ID == "" || p.Created.IsZero() || p.URL != "https://hub.example/taxii2/default/" || p.Ceiling != "TLP:AMBER" ||
		p.Crosswalk[0].Remote != mdRemote {
		t.Errorf("created peer not canonical: %+v", p)
	}
	for _, key := range []string{p.ID, "hub"} {
		got, err := s.FindPeer(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Errorf("FindPeer(%q) (-want +got):\n%s", key, diff)
		}
	}
	got, err := s.PeerByOrg(ctx, o.ID)
	if err != nil || got.ID != p.ID {
		t.Errorf("PeerByOrg: %+v, %v", got, err)
	}
	q := mustPeer(t, s, "alpha")
	if q.Ceiling != "TLP:GREEN" || q.Crosswalk != nil {
		t.Errorf("defaults: ceiling %q, crosswalk %v", q.Ceiling, q.Crosswalk)
	}
	all, err := s.ListPeers(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "alpha" || all[1].Name != "hub" {
		t.Errorf("ListPeers: %v, %v", all, err)
	}
	_, err = s.PeerByOrg(ctx, newPeerOrg(t, s, "no peer").ID)
	wantCode(t, err, tearline.ENOTFOUND)
	_, err = s.FindPeer(ctx, "nope")
	wantCode(t, err, tearline.ENOTFOUND)
}

func testPeerErrors(t *testing.T, s PeerStore) {
	ctx := context.Background()
	taken := mustPeer(t, s, "taken")
	o := newPeerOrg(t, s, "Other")
	ok := tearline.Peer{Name: "ok", OrgID: o.ID, URL: "http://127.0.0.1:8080/taxii2/default/"}
	for _, tc := range []struct {
		name string
		edit func(p *tearline.Peer)
		code string
	}{
		{"bad name", func(p *tearline.Peer) { p.Name = "Hub One" }, tearline.EINVALID},
		{"uuid name", func(p *tearline.Peer) { p.Name = "0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e" }, tearline.EINVALID},
		{"bad URL", func(p *tearline.Peer) { p.URL = "ftp://x/" }, tearline.EINVALID},
		{"relative URL", func(p *tearline.Peer) { p.URL = "/taxii2/" }, tearline.EINVALID},
		{"bad ceiling", func(p *tearline.Peer) { p.Ceiling = "purple" }, tearline.EINVALID},
		{"token and user", func(p *tearline.Peer) { p.Token, p.User = "t", "u" }, tearline.EINVALID},
		{"cert without key", func(p *tearline.Peer) { p.CertFile = "c.pem" }, tearline.EINVALID},
		{"crosswalk not markings", func(p *tearline.Peer) {
			p.Crosswalk = []tearline.MarkingMap{{Remote: "indicator--0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e", Local: mdLocal}}
		}, tearline.EINVALID},
		{"crosswalk repeats a local id", func(p *tearline.Peer) {
			p.Crosswalk = []tearline.MarkingMap{{Remote: mdRemote, Local: mdLocal}, {Remote: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Local: mdLocal}}
		}, tearline.EINVALID},
		{"unknown organization", func(p *tearline.Peer) { p.OrgID = "identity--0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e" }, tearline.ENOTFOUND},
		{"name taken", func(p *tearline.Peer) { p.Name = "taken" }, tearline.ECONFLICT},
		{"organization taken", func(p *tearline.Peer) { p.OrgID = taken.OrgID }, tearline.ECONFLICT},
	} {
		p := ok
		tc.edit(&p)
		wantCode(t, s.CreatePeer(ctx, &p), tc.code)
	}
	p := ok
	if err := s.CreatePeer(ctx, &p); err != nil {
		t.Fatalf("the valid peer after the refused ones: %v", err)
	}
}

func testUpdateDeletePeer(t *testing.T, s PeerStore) {
	ctx := context.Background()
	p := mustPeer(t, s, "cert")
	mustPeer(t, s, "other")
	c := mustCreate(t, s, "intel")
	l := &tearline.Link{PeerID: p.ID, Direction: tearline.LinkPull, CollectionID: c.ID, RemoteCollection: "remote", Interval: time.Minute}
	if err := s.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	h := &tearline.Held{PeerID: p.ID, CollectionID: c.ID, ObjectID: "indicator--1", Version: "v", Raw: []byte(`{}`), Reason: "r"}
	if err := s.HoldObjects(ctx, []*tearline.Held{h}); err != nil {
		t.Fatal(err)
	}

	u := *p
	u.Name, u.Ceiling, u.Token, u.OrgID = "cert-fr", "clear", "", "identity--ignored"
	if err := s.UpdatePeer(ctx, &u); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindPeer(ctx, "cert-fr")
	if err != nil || got.Ceiling != "TLP:CLEAR" || got.Token != "" || got.OrgID != p.OrgID || !got.Created.Equal(p.Created) {
		t.Errorf("after update: %+v, %v", got, err)
	}
	u.Name = "other"
	wantCode(t, s.UpdatePeer(ctx, &u), tearline.ECONFLICT)
	missing := *p
	missing.ID = "0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e"
	wantCode(t, s.UpdatePeer(ctx, &missing), tearline.ENOTFOUND)

	if err := s.DeletePeer(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindLink(ctx, l.ID)
	wantCode(t, err, tearline.ENOTFOUND)
	_, err = s.FindHeld(ctx, h.ID)
	wantCode(t, err, tearline.ENOTFOUND)
	wantCode(t, s.DeletePeer(ctx, p.ID), tearline.ENOTFOUND)
}

func testLinks(t *testing.T, s PeerStore) {
	ctx := context.Background()
	p, q := mustPeer(t, s, "hub"), mustPeer(t, s, "isac")
	c, d := mustCreate(t, s, "intel"), mustCreate(t, s, "gone")
	pull := &tearline.Link{PeerID: p.ID, Direction: tearline.LinkPull, CollectionID: c.ID, RemoteCollection: "remote-intel", Interval: 90 * time.Second}
	push := &tearline.Link{PeerID: p.ID, Direction: tearline.LinkPush, CollectionID: c.ID, RemoteCollection: "inbox", Interval: time.Minute, ProductsOnly: true}
	other := &tearline.Link{PeerID: q.ID, Direction: tearline.LinkPush, CollectionID: d.ID, RemoteCollection: "inbox", Interval: time.Hour}
	for _, l := range []*tearline.Link{pull, push, other} {
		if err := s.CreateLink(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FindLink(ctx, pull.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pull, got); diff != "" {
		t.Errorf("FindLink (-want +got):\n%s", diff)
	}
	ls, err := s.ListLinks(ctx, p.ID)
	if err != nil || len(ls) != 2 || ls[0].ID != pull.ID || ls[1].ID != push.ID || !ls[1].ProductsOnly {
		t.Errorf("ListLinks(hub): %v, %v", ls, err)
	}
	if ls, _ := s.ListLinks(ctx, ""); len(ls) != 3 {
		t.Errorf("ListLinks(all): %d links", len(ls))
	}
	for _, tc := range []struct {
		l    tearline.Link
		code string
	}{
		{tearline.Link{PeerID: p.ID, Direction: "both", CollectionID: c.ID, RemoteCollection: "r", Interval: time.Minute}, tearline.EINVALID},
		{tearline.Link{PeerID: p.ID, Direction: tearline.LinkPull, CollectionID: c.ID, RemoteCollection: "", Interval: time.Minute}, tearline.EINVALID},
		{tearline.Link{PeerID: p.ID, Direction: tearline.LinkPull, CollectionID: c.ID, RemoteCollection: "a/b", Interval: time.Minute}, tearline.EINVALID},
		{tearline.Link{PeerID: p.ID, Direction: tearline.LinkPull, CollectionID: c.ID, RemoteCollection: "r", Interval: time.Millisecond}, tearline.EINVALID},
		{tearline.Link{PeerID: p.ID, Direction: tearline.LinkPull, CollectionID: c.ID, RemoteCollection: "r", Interval: time.Minute, ProductsOnly: true}, tearline.EINVALID},
		{tearline.Link{PeerID: "no-such-peer", Direction: tearline.LinkPull, CollectionID: c.ID, RemoteCollection: "r", Interval: time.Minute}, tearline.ENOTFOUND},
		{tearline.Link{PeerID: p.ID, Direction: tearline.LinkPull, CollectionID: "no-such-collection", RemoteCollection: "r", Interval: time.Minute}, tearline.ENOTFOUND},
	} {
		wantCode(t, s.CreateLink(ctx, &tc.l), tc.code)
	}
	// Deleting the local collection deletes its links.
	if err := s.DeleteCollection(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindLink(ctx, other.ID)
	wantCode(t, err, tearline.ENOTFOUND)
	if err := s.DeleteLink(ctx, push.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteLink(ctx, push.ID), tearline.ENOTFOUND)
	if ls, _ := s.ListLinks(ctx, p.ID); len(ls) != 1 {
		t.Errorf("after delete: %d links", len(ls))
	}
}

func testLinkState(t *testing.T, s PeerStore) {
	ctx := context.Background()
	p := mustPeer(t, s, "hub")
	c := mustCreate(t, s, "intel")
	l := &tearline.Link{PeerID: p.ID, Direction: tearline.LinkPull, CollectionID: c.ID, RemoteCollection: "r", Interval: time.Minute}
	if err := s.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	st, err := s.LinkState(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&tearline.LinkState{LinkID: l.ID}, st); diff != "" {
		t.Errorf("new state (-want +got):\n%s", diff)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	want := &tearline.LinkState{LinkID: l.ID, Cursor: "2025-01-01T00:00:00.123456Z", LastRun: now, LastSuccess: now.Add(-time.Minute),
		LastError: "peer answered 500", Failures: 2, Objects: 1000000, Refused: 3, Held: 4, Withheld: 5}
	if err := s.SaveLinkState(ctx, want); err != nil {
		t.Fatal(err)
	}
	st, err = s.LinkState(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("saved state (-want +got):\n%s", diff)
	}
	_, err = s.LinkState(ctx, "nope")
	wantCode(t, err, tearline.ENOTFOUND)
	wantCode(t, s.SaveLinkState(ctx, &tearline.LinkState{LinkID: "nope"}), tearline.ENOTFOUND)
}

// testLinkFence checks that once a node took a link over (TakeLink), the
// state saves of the node that ran it before are refused and leave the
// newer state alone, whichever order the two nodes' writes come in.
func testLinkFence(t *testing.T, s PeerStore) {
	ctx := context.Background()
	p := mustPeer(t, s, "hub")
	c := mustCreate(t, s, "intel")
	l := &tearline.Link{PeerID: p.ID, Direction: tearline.LinkPush, CollectionID: c.ID, RemoteCollection: "r", Interval: time.Minute}
	if err := s.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	take := func() int64 {
		t.Helper()
		f, err := s.TakeLink(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	save := func(st *tearline.LinkState) error {
		t.Helper()
		return s.SaveLinkState(ctx, st)
	}
	state := func() *tearline.LinkState {
		t.Helper()
		st, err := s.LinkState(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	old := take()
	if old != 1 {
		t.Errorf("first TakeLink = %d, want 1", old)
	}
	if err := save(&tearline.LinkState{LinkID: l.ID, Cursor: "2025-01-01T00:00:00.000001Z", Objects: 10, Fence: old}); err != nil {
		t.Fatal(err)
	}
	// Another node takes the link over, reads the state and moves the
	// cursor on.
	fresh := take()
	if fresh != old+1 {
		t.Errorf("second TakeLink = %d, want %d", fresh, old+1)
	}
	st := state()
	if st.Fence != fresh || st.Objects != 10 {
		t.Errorf("state after the takeover: %+v, want fence %d and the first node's 10 objects", st, fresh)
	}
	want := &tearline.LinkState{LinkID: l.ID, Cursor: "2025-01-02T00:00:00.000001Z", Objects: 20, Fence: fresh}
	if err := save(want); err != nil {
		t.Fatal(err)
	}
	// The first node, late, saves its older cursor: refused.
	wantCode(t, save(&tearline.LinkState{LinkID: l.ID, Cursor: "2025-01-01T00:00:00.000001Z", Objects: 11, Fence: old}), tearline.ECONFLICT)
	wantCode(t, save(&tearline.LinkState{LinkID: l.ID, Fence: 0}), tearline.ECONFLICT)
	if diff := cmp.Diff(want, state()); diff != "" {
		t.Errorf("state after the stale saves (-want +got):\n%s", diff)
	}
	// A higher fence (a state copied from another store) is taken as is.
	want.Fence, want.Objects = fresh+5, 21
	if err := save(want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, state()); diff != "" {
		t.Errorf("state saved with a higher fence (-want +got):\n%s", diff)
	}
	if f := take(); f != fresh+6 {
		t.Errorf("TakeLink after a higher fence = %d, want %d", f, fresh+6)
	}
	_, err := s.TakeLink(ctx, "nope")
	wantCode(t, err, tearline.ENOTFOUND)
}

func testProvenance(t *testing.T, s PeerStore) {
	ctx := context.Background()
	p, q := mustPeer(t, s, "hub"), mustPeer(t, s, "isac")
	a := tearline.VersionRef{ID: "indicator--0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e", Version: "2025-01-01T00:00:00.000000000Z"}
	a2 := tearline.VersionRef{ID: a.ID, Version: "2025-02-01T00:00:00.000000000Z"}
	b := tearline.VersionRef{ID: "malware--0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e", Version: "2025-01-01T00:00:00.000000000Z"}
	recs := []tearline.Provenance{
		{VersionRef: a, PeerID: p.ID, RemoteCollection: "c1"},
		{VersionRef: a, PeerID: p.ID, RemoteCollection: "c2"},
		{VersionRef: a, PeerID: q.ID, RemoteCollection: ""},
		{VersionRef: b, PeerID: q.ID, RemoteCollection: "c1"},
	}
	if err := s.AddProvenance(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := s.AddProvenance(ctx, recs[:1]); err != nil {
		t.Fatalf("recording again: %v", err)
	}
	for _, tc := range []struct {
		peer string
		want []bool
	}{{p.ID, []bool{true, false, false}}, {q.ID, []bool{true, false, true}}, {"other", []bool{false, false, false}}} {
		got, err := s.FromPeer(ctx, tc.peer, []tearline.VersionRef{a, a2, b})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("FromPeer(%s) (-want +got):\n%s", tc.peer, diff)
		}
	}
	ps, err := s.ProvenanceOf(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Fatalf("ProvenanceOf: %+v", ps)
	}
	for _, pr := range ps {
		if pr.VersionRef != a || pr.Added.IsZero() {
			t.Errorf("provenance record %+v", pr)
		}
	}
	if got, err := s.FromPeer(ctx, p.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("FromPeer(nil): %v, %v", got, err)
	}
}

func testHeld(t *testing.T, s PeerStore) {
	ctx := context.Background()
	p, q := mustPeer(t, s, "hub"), mustPeer(t, s, "isac")
	c := mustCreate(t, s, "intel")
	h1 := &tearline.Held{PeerID: p.ID, LinkID: "link-1", CollectionID: c.ID, RemoteCollection: "r", ObjectID: "indicator--a",
		Version: "2025-01-01T00:00:00Z", Raw: []byte(`{"id": "indicator--a"}`), Reason: "unknown marking"}
	h2 := &tearline.Held{PeerID: q.ID, CollectionID: c.ID, ObjectID: "indicator--b", Version: "2025-01-01T00:00:00Z",
		Raw: []byte(`{"id":"indicator--b"}`), Reason: "unknown marking"}
	if err := s.HoldObjects(ctx, []*tearline.Held{h1, h2}); err != nil {
		t.Fatal(err)
	}
	if h1.ID == "" || h1.Created.IsZero() {
		t.Fatalf("held %+v", h1)
	}
	again := *h1
	again.ID, again.Reason = "", "still unknown"
	if err := s.HoldObjects(ctx, []*tearline.Held{&again}); err != nil {
		t.Fatal(err)
	}
	if again.ID != h1.ID {
		t.Errorf("held twice: ids %s and %s", h1.ID, again.ID)
	}
	got, err := s.FindHeld(ctx, h1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Raw) != string(h1.Raw) || got.LinkID != "link-1" || got.ObjectID != "indicator--a" {
		t.Errorf("FindHeld: %+v", got)
	}
	if hs, _ := s.ListHeld(ctx, p.ID); len(hs) != 1 || hs[0].ID != h1.ID {
		t.Errorf("ListHeld(hub): %v", hs)
	}
	if hs, _ := s.ListHeld(ctx, ""); len(hs) != 2 {
		t.Errorf("ListHeld(all): %d", len(hs))
	}
	wantCode(t, s.HoldObjects(ctx, []*tearline.Held{{PeerID: "nope", CollectionID: c.ID, ObjectID: "x", Raw: []byte("{}")}}), tearline.ENOTFOUND)
	if err := s.DeleteHeld(ctx, h1.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteHeld(ctx, h1.ID), tearline.ENOTFOUND)
	_, err = s.FindHeld(ctx, h1.ID)
	wantCode(t, err, tearline.ENOTFOUND)
}
