package federation_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/bus"
	"github.com/tearline/tearline/bus/bustest"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/client"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// leasedRun is one run of a link by one of several syncers.
type leasedRun struct {
	node  string
	state tearline.LinkState
	err   error
}

// leased starts a syncer over the hub's store as server node named node
// would, with a bus of its own to the deployment name on url; the runs of
// link go to runs. With releaser nil the hub's access decision releases
// the objects.
func leased(t *testing.T, hub *node, url, name, node string, ttl time.Duration, link *tearline.Link, releaser federation.Releaser, runs chan<- leasedRun) (*federation.Syncer, *cutter) {
	t.Helper()
	cut := &cutter{}
	b, err := bus.Open(context.Background(), bus.Config{URL: url, Name: name, Node: node, LeaseTTL: ttl,
		Options: []nats.Option{nats.SetCustomDialer(cut)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	if releaser == nil {
		releaser = hub.srv.TAXII
	}
	s := startSyncer(t, federation.Config{
		Store: hub.srv.DB, Inbound: hub.srv.TAXII.Inbound(), Releaser: releaser, Bus: b,
		Logger: taxiitest.Logger().With("node", node), Reload: time.Hour,
		Client: client.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Timeout: 5 * time.Second},
		OnRun: func(l *tearline.Link, st *tearline.LinkState, err error) {
			if l.ID == link.ID {
				runs <- leasedRun{node, *st, err}
			}
		},
	})
	return s, cut
}

// cutter dials the connections of a bus and cuts them off on demand, as
// a network failure would.
type cutter struct {
	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

func (c *cutter) Dial(network, address string) (net.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return nil, errors.New("cut off")
	}
	conn, err := net.Dial(network, address)
	if err == nil {
		c.conns = append(c.conns, conn)
	}
	return conn, err
}

// cutOff closes the connections and refuses new ones: the node keeps
// running but cannot renew its leases.
func (c *cutter) cutOff() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = true
	for _, conn := range c.conns {
		conn.Close()
	}
}

// stalled is an access decision that stalls its first call until
// resumed, whatever its context says, as a node would in a long pause
// (a stop of its process, a full disk).
type stalled struct {
	federation.Releaser
	entered chan struct{} // closed at the first call
	resume  chan struct{} // closed to let it go on
	first   chan struct{} // holds one token: the first call takes it
}

func newStalled(r federation.Releaser) *stalled {
	s := &stalled{Releaser: r, entered: make(chan struct{}), resume: make(chan struct{}), first: make(chan struct{}, 1)}
	s.first <- struct{}{}
	return s
}

func (s *stalled) ReleaseToPeer(ctx context.Context, peer *tearline.Peer, link *tearline.Link, page *tearline.ObjectPage) ([]*tearline.Entry, [][]byte, error) {
	select {
	case <-s.first:
		close(s.entered)
		<-s.resume
	default:
	}
	return s.Releaser.ReleaseToPeer(context.WithoutCancel(ctx), peer, link, page)
}

// TestStaleStateSave stalls the node running a push link part way
// through a run and cuts it off the bus, so that its lease expires and
// another node takes the link over and pushes everything. When the first
// node wakes up, the state it saves (its cursor from before the
// takeover) is refused by the link's fence: the cursor stays where the
// second node left it, and the first node's run ends with
// ErrTakenOver.
func TestStaleStateSave(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	name := bustest.Name(t, url)
	hub, isac := newNode(t, "hub", "US"), newNode(t, "isac", "GB")
	intel, inbox := hub.collection("intel"), isac.collection("inbox")
	hub.submit(intel, taxiitest.Indicators(0, 30, 0, marked(marking.TLP2Green))...)
	link := connect(hub, isac, profile{country: "GB", ceiling: "amber"}, profile{country: "US"}).pushAB(intel, inbox, false)

	runs := make(chan leasedRun, 100)
	stall := newStalled(hub.srv.TAXII)
	const ttl = 2 * time.Second
	_, oneBus := leased(t, hub, url, name, "one", ttl, link, stall, runs)
	select {
	case <-stall.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("node one did not start the link's run within 30s")
	}
	// One holds the lease, stalled in its first page. Two starts, and
	// takes the link once one's lease expires unrenewed.
	leased(t, hub, url, name, "two", ttl, link, nil, runs)
	oneBus.cutOff()
	next := func() leasedRun {
		t.Helper()
		select {
		case r := <-runs:
			return r
		case <-time.After(30 * time.Second):
			t.Fatal("no run of the link within 30s")
		}
		return leasedRun{}
	}
	var taken tearline.LinkState
	for {
		r := next()
		if r.node != "two" {
			t.Fatalf("%s ran the link while stalled: %+v, %v", r.node, r.state, r.err)
		}
		if r.err != nil {
			t.Fatalf("two: run: %v", r.err)
		}
		if r.state.Objects == 30 {
			taken = r.state
			break
		}
	}
	if taken.Cursor == "" || taken.Fence < 2 {
		t.Fatalf("two's state after its run: %+v, want a cursor and a fence above one's", taken)
	}
	// One wakes up: its run fails (its lease context ended) and it tries
	// to save its state, whose cursor is from before two's run.
	close(stall.resume)
	r := next()
	if r.node != "one" {
		t.Fatalf("run by %s, want one's stalled run: %+v, %v", r.node, r.state, r.err)
	}
	if !errors.Is(r.err, federation.ErrTakenOver) {
		t.Errorf("one's run: error %v, want ErrTakenOver", r.err)
	}
	st, err := hub.srv.DB.LinkState(context.Background(), link.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Cursor != taken.Cursor || st.Objects != taken.Objects || st.Fence != taken.Fence || st.Failures != 0 {
		t.Errorf("state after one's late save: %+v, want two's %+v", st, taken)
	}
	if got := len(isac.ids(inbox)); got != 30 {
		t.Errorf("isac's inbox holds %d objects, want 30", got)
	}
}

// startSyncer makes a Syncer of cfg and starts it; it is stopped at the
// end of the test.
func startSyncer(t *testing.T, cfg federation.Config) *federation.Syncer {
	t.Helper()
	s, err := federation.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Stop(ctx)
	})
	return s
}
