package federation_test

import (
	"context"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/bus"
	"github.com/tearline/tearline/bus/bustest"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/client"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// TestLinkLease runs two syncers over the hub's one store, as two server
// nodes would, with a bus between them: only the one holding the push
// link's lease runs it, however often both are kicked; when it stops,
// the other takes the link over and pushes what came since, from the
// saved cursor.
func TestLinkLease(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	name := bustest.Name(t, url)
	hub, isac := newNode(t, "hub", "US"), newNode(t, "isac", "GB")
	intel, inbox := hub.collection("intel"), isac.collection("inbox")
	hub.submit(intel, taxiitest.Indicators(0, 30, 0, marked(marking.TLP2Green))...)
	link := connect(hub, isac, profile{country: "GB", ceiling: "amber"}, profile{country: "US"}).pushAB(intel, inbox, false)

	type run struct {
		node  string
		state tearline.LinkState
		err   error
	}
	runs := make(chan run, 100)
	syncer := func(node string) *federation.Syncer {
		b, err := bus.Open(context.Background(), bus.Config{URL: url, Name: name, Node: node, LeaseTTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close(context.Background()) })
		return startSyncer(t, federation.Config{
			Store: hub.srv.DB, Inbound: hub.srv.TAXII.Inbound(), Releaser: hub.srv.TAXII, Bus: b,
			Logger: taxiitest.Logger().With("node", node), Reload: time.Hour,
			Client: client.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 5 * time.Second},
			OnRun: func(l *tearline.Link, st *tearline.LinkState, err error) {
				if l.ID == link.ID {
					runs <- run{node, *st, err}
				}
			},
		})
	}
	s1, s2 := syncer("one"), syncer("two")
	next := func() run {
		t.Helper()
		select {
		case r := <-runs:
			if r.err != nil {
				t.Fatalf("%s: run: %v", r.node, r.err)
			}
			return r
		case <-time.After(30 * time.Second):
			t.Fatal("no run of the link within 30s")
		}
		return run{}
	}
	first := next()
	if first.state.Objects != 30 {
		t.Fatalf("first run by %s: state %+v", first.node, first.state)
	}
	holder, other := s1, s2
	if first.node == "two" {
		holder, other = s2, s1
	}
	// Kicks go to both; only the holder runs.
	for range 3 {
		other.Kick(link.ID)
		holder.Kick(link.ID)
		if r := next(); r.node != first.node {
			t.Fatalf("%s ran the link that %s holds", r.node, first.node)
		}
	}
	// The holder stops (giving the lease up); the other takes over and
	// pushes what came since, from the saved cursor.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := holder.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	hub.submit(intel, taxiitest.Indicators(100, 5, 0, marked(marking.TLP2Green))...)
	other.Kick(link.ID)
	for {
		r := next()
		if r.node == first.node {
			t.Fatalf("%s ran the link after it stopped", r.node)
		}
		if r.state.Objects == 35 {
			break
		}
	}
	if got := len(isac.ids(inbox)); got != 35 {
		t.Errorf("isac's inbox holds %d objects, want 35", got)
	}
}
