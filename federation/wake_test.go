package federation_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/client"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// TestPushWokenByAdds runs a push link with an interval of an hour: after
// its first run, objects submitted to its collection reach the peer at
// once, woken by the feed; the runs ask the peer's API root once.
func TestPushWokenByAdds(t *testing.T) {
	t.Parallel()
	hub, isac := newNode(t, "hub", "US"), newNode(t, "isac", "GB")
	intel, inbox := hub.collection("intel"), isac.collection("inbox")
	hub.submit(intel, taxiitest.Indicators(0, 10, 0, marked(marking.TLP2Green))...)
	link := connect(hub, isac, profile{country: "GB", ceiling: "amber"}, profile{country: "US"}).pushAB(intel, inbox, false)
	if link.Interval < time.Hour {
		t.Fatalf("link interval %v: the test needs a long one", link.Interval)
	}
	runs := make(chan tearline.LinkState, 100)
	roots := &rootCounter{root: isac.srv.Root, next: http.DefaultTransport}
	startSyncer(t, federation.Config{
		Store: hub.srv.DB, Inbound: hub.srv.TAXII.Inbound(), Releaser: hub.srv.TAXII, Feed: hub.srv.TAXII.Feed(),
		Logger: taxiitest.Logger().With("node", "hub"), Reload: time.Hour,
		Client: client.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 5 * time.Second,
			Transport: roots},
		OnRun: func(l *tearline.Link, st *tearline.LinkState, err error) {
			if err != nil {
				t.Errorf("run: %v", err)
			}
			runs <- *st
		},
	})
	next := func() tearline.LinkState {
		t.Helper()
		select {
		case st := <-runs:
			return st
		case <-time.After(30 * time.Second):
			t.Fatal("no run of the link within 30s")
		}
		return tearline.LinkState{}
	}
	if st := next(); st.Objects != 10 {
		t.Fatalf("first run: %+v", st)
	}
	// A run woken by the first of a round's adds may push only part of
	// it; another follows.
	for round, total := 1, 10; round <= 3; round++ {
		hub.submit(intel, taxiitest.Indicators(100*round, 5, 0, marked(marking.TLP2Green))...)
		total += 5
		for st := next(); st.Objects != int64(total); st = next() {
			if st.Objects > int64(total) || st.Objects < int64(total-5) {
				t.Fatalf("round %d: run pushed %d objects in all, want %d", round, st.Objects, total)
			}
		}
	}
	if got := len(isac.ids(inbox)); got != 25 {
		t.Errorf("isac's inbox holds %d objects, want 25", got)
	}
	// Every run but the first reused what the peer's API root said.
	if n := roots.n.Load(); n != 1 {
		t.Errorf("the runs asked the peer's API root %d times, want once", n)
	}
}

// rootCounter counts the requests for an API root.
type rootCounter struct {
	root string
	next http.RoundTripper
	n    atomic.Int64
}

func (rc *rootCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.String() == rc.root {
		rc.n.Add(1)
	}
	return rc.next.RoundTrip(r)
}
