package federation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii"
	"github.com/tearline/tearline/taxii/client"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// node is one Tearline server of a federation test: a real TAXII server
// on 127.0.0.1 over SQLite, with a disclosure ledger, a producer
// organization that submits objects over TAXII, and a federation syncer.
type node struct {
	t      *testing.T
	name   string
	srv    *taxiitest.Server
	syncer *federation.Syncer
	batch  int // the syncer's Config.BatchObjects; 0 for the default
	// wrap, when set, stands between the syncer and the node's store.
	wrap     func(federation.Store) federation.Store
	producer *tearline.Organization
	token    string // the producer's contributor token
	analyst  [2]string
	runs     chan runResult
}

type runResult struct {
	link  string
	state tearline.LinkState
	err   error
}

// newNode starts a server with a producer organization in country.
func newNode(t *testing.T, name, country string) *node {
	t.Helper()
	n := &node{t: t, name: name, runs: make(chan runResult, 100)}
	n.srv = taxiitest.Start(t, taxiitest.WithLedger(), taxiitest.WithConfig(taxii.Config{Title: name, MaxPageSize: 5000}))
	n.producer = n.srv.Org(name+" producer", country)
	n.token = n.srv.Key(n.producer, tearline.RoleContributor)
	n.analyst = [2]string{n.srv.Key(n.producer, tearline.RoleAnalyst), n.srv.Key(n.producer, tearline.RoleAnalyst)}
	n.newSyncer()
	t.Cleanup(n.stopSyncer)
	return n
}

// newSyncer makes the node's syncer (not started: tests run links with
// run, or start it themselves).
func (n *node) newSyncer() { n.newSyncerWith(5 * time.Second) }

// newSyncerWith makes the node's syncer with a TAXII attempt timeout.
func (n *node) newSyncerWith(timeout time.Duration) {
	var store federation.Store = n.srv.DB
	if n.wrap != nil {
		store = n.wrap(store)
	}
	s, err := federation.New(federation.Config{
		Store:        store,
		Inbound:      n.srv.TAXII.Inbound(),
		Releaser:     n.srv.TAXII,
		Logger:       taxiitest.Logger().With("node", n.name),
		PageSize:     100,
		BatchObjects: n.batch,
		Reload:       time.Hour,
		Client:       client.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: timeout},
		OnRun: func(l *tearline.Link, st *tearline.LinkState, err error) {
			select {
			case n.runs <- runResult{l.ID, *st, err}:
			default:
			}
		},
	})
	if err != nil {
		n.t.Fatal(err)
	}
	n.syncer = s
}

func (n *node) stopSyncer() {
	if n.syncer == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.syncer.Stop(ctx); err != nil {
		n.t.Error(err)
	}
	n.syncer = nil
}

// restart stops the syncer and the server and starts both again over the
// same data and address.
func (n *node) restart() {
	n.t.Helper()
	n.stopSyncer()
	n.srv.Restart()
	n.newSyncer()
}

// run runs a link once and fails the test on an error.
func (n *node) run(l *tearline.Link) *tearline.LinkState {
	n.t.Helper()
	st, err := n.syncer.Run(context.Background(), l.ID)
	if err != nil {
		n.t.Fatalf("%s: run %s link %s: %v", n.name, l.Direction, l.ID, err)
	}
	return st
}

// client returns a TAXII client with the producer's token.
func (n *node) client() *client.Client {
	c, err := client.New(client.Options{Token: n.token, MinBackoff: time.Millisecond})
	if err != nil {
		n.t.Fatal(err)
	}
	return c
}

// collection creates a collection the producer may read and write.
func (n *node) collection(alias string) *tearline.Collection {
	c := n.srv.Collection(alias)
	n.srv.Grant(c, n.producer, true, true)
	return c
}

// submit posts objects to a collection as the producer; each must succeed.
func (n *node) submit(c *tearline.Collection, objs ...[]byte) {
	n.t.Helper()
	st, err := n.client().Add(context.Background(), n.srv.Root, c.ID, objs)
	if err == nil {
		st, err = n.client().Wait(context.Background(), n.srv.Root, st)
	}
	if err != nil {
		n.t.Fatal(err)
	}
	if st.SuccessCount != len(objs) {
		n.t.Fatalf("%s: submit: %d of %d succeeded: %+v", n.name, st.SuccessCount, len(objs), st.Failures)
	}
}

// stored returns the raw objects of a collection by id, latest version of
// each.
func (n *node) stored(c *tearline.Collection) map[string][]byte {
	m := map[string][]byte{}
	for _, e := range n.srv.Stored(c) {
		m[e.ID] = e.Raw
	}
	return m
}

// ids returns the sorted ids of the objects of a collection, without the
// marking definitions.
func (n *node) ids(c *tearline.Collection) []string {
	var ids []string
	for id := range n.stored(c) {
		if !strings.HasPrefix(id, "marking-definition--") {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// profile is how one server sees another: the peer's organization
// profile, ceiling, one-way flag and crosswalk.
type profile struct {
	country     string
	communities []string
	clearance   string
	ceiling     string
	oneWay      bool
	crosswalk   []tearline.MarkingMap
}

// pair is two servers that know each other as peers: on each, an
// organization stands for the other (with the profile the other gets
// there), with a contributor key that the other presents.
type pair struct {
	a, b       *node
	onA, onB   *tearline.Peer // b as a peer of a, a as a peer of b
	orgA, orgB *tearline.Organization
}

// connect makes a and b peers of each other: a sees b with profile ab, b
// sees a with profile ba.
func connect(a, b *node, ab, ba profile) *pair {
	a.t.Helper()
	p := &pair{a: a, b: b}
	var tokA, tokB string
	p.orgA, tokA = a.peerOrg(b.name, ab) // on a, standing for b
	p.orgB, tokB = b.peerOrg(a.name, ba) // on b, standing for a
	p.onA = a.newPeer(b, p.orgA, tokB, ab)
	p.onB = b.newPeer(a, p.orgB, tokA, ba)
	return p
}

// peerOrg creates the organization that stands for peer name, with its
// profile, and a contributor key of it.
func (n *node) peerOrg(name string, pr profile) (*tearline.Organization, string) {
	n.t.Helper()
	o := &tearline.Organization{Name: name, Country: pr.country, Communities: pr.communities, Clearance: pr.clearance}
	if err := n.srv.DB.CreateOrganization(context.Background(), o); err != nil {
		n.t.Fatal(err)
	}
	return o, n.srv.Key(o, tearline.RoleContributor)
}

// newPeer configures remote as a peer of n, standing for by org, reached
// with token.
func (n *node) newPeer(remote *node, org *tearline.Organization, token string, pr profile) *tearline.Peer {
	n.t.Helper()
	p := &tearline.Peer{Name: remote.name, OrgID: org.ID, URL: remote.srv.Root, Token: token, Ceiling: pr.ceiling,
		OneWay: pr.oneWay, Crosswalk: pr.crosswalk}
	if err := n.srv.DB.CreatePeer(context.Background(), p); err != nil {
		n.t.Fatal(err)
	}
	return p
}

// pullAB makes a pull link on a reading b's collection from into a's
// collection to; b gives a's organization a read grant on it.
func (p *pair) pullAB(to, from *tearline.Collection) *tearline.Link {
	p.b.srv.Grant(from, p.orgB, true, false)
	return p.a.link(p.onA, tearline.LinkPull, to, from.ID, false)
}

// pushAB makes a push link on a sending a's collection from into b's
// collection to; b gives a's organization a write grant on it.
func (p *pair) pushAB(from, to *tearline.Collection, productsOnly bool) *tearline.Link {
	p.b.srv.Grant(to, p.orgB, false, true)
	return p.a.link(p.onA, tearline.LinkPush, from, to.ID, productsOnly)
}

// reverse returns the pair seen from b.
func (p *pair) reverse() *pair {
	return &pair{a: p.b, b: p.a, onA: p.onB, onB: p.onA, orgA: p.orgB, orgB: p.orgA}
}

// ns is the namespace of the test's marking-definition ids.
var ns = uuid.MustParse("6f0f4a8e-2d1c-4b3a-9e8f-7a6b5c4d3e2f")

// markingID returns a deterministic marking-definition id.
func markingID(name string) string {
	return "marking-definition--" + uuid.NewSHA1(ns, []byte(name)).String()
}

// tearlineDef returns a marking definition with the Tearline extension.
func tearlineDef(t testing.TB, id string, ext map[string]any) []byte {
	t.Helper()
	ext["extension_type"] = "property-extension"
	b, err := json.Marshal(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": id,
		"created": "2025-01-01T00:00:00.000Z", "name": "test marking " + id[len(id)-4:],
		"extensions": map[string]any{marking.TearlineExtension: ext},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// marked returns the extra members marking an object with the given
// marking-definition ids.
func marked(ids ...string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = fmt.Sprintf("%q", id)
	}
	return `"object_marking_refs":[` + strings.Join(q, ",") + `]`
}

// createdBy returns the created_by_ref member.
func createdBy(o *tearline.Organization) string { return fmt.Sprintf(`"created_by_ref":%q`, o.ID) }

// id is the id of generated indicator n.
func id(n int) string { return taxiitest.ID("indicator", n) }

// sorted returns the ids of indicators ns, sorted.
func sorted(ns ...int) []string {
	ids := make([]string, len(ns))
	for i, n := range ns {
		ids[i] = id(n)
	}
	slices.Sort(ids)
	return ids
}

// peerClient returns a TAXII client with the credentials n presents to
// peer p.
func (n *node) peerClient(p *tearline.Peer) *client.Client {
	c, err := client.New(client.Options{Token: p.Token, MinBackoff: time.Millisecond})
	if err != nil {
		n.t.Fatal(err)
	}
	return c
}

// idOf returns the id of a STIX object.
func idOf(t testing.TB, raw []byte) string {
	t.Helper()
	var o struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// sortedStrings returns ss sorted.
func sortedStrings(ss []string) []string {
	ss = slices.Clone(ss)
	slices.Sort(ss)
	return ss
}

// link creates a link on n; a push link also gives the peer's
// organization the read grant on the local collection that the admin API
// gives it.
func (n *node) link(p *tearline.Peer, dir string, local *tearline.Collection, remote string, productsOnly bool) *tearline.Link {
	n.t.Helper()
	l := &tearline.Link{PeerID: p.ID, Direction: dir, CollectionID: local.ID, RemoteCollection: remote, Interval: time.Hour, ProductsOnly: productsOnly}
	if err := n.srv.DB.CreateLink(context.Background(), l); err != nil {
		n.t.Fatal(err)
	}
	if dir == tearline.LinkPush {
		n.srv.Grant(local, &tearline.Organization{ID: p.OrgID}, true, false)
	}
	return l
}
