package bus_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tearline/tearline/bus"
	"github.com/tearline/tearline/bus/bustest"
)

const testTTL = time.Second

// open opens a bus named name on url as node, closed when the test ends.
func open(t *testing.T, url, name, node string) *bus.Bus {
	t.Helper()
	return openTTL(t, url, name, node, testTTL)
}

// openTTL is open with a lease TTL.
func openTTL(t *testing.T, url, name, node string, ttl time.Duration) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, bus.Config{URL: url, Name: name, Node: node, LeaseTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	return b
}

// within returns a context that ends after d, canceled when the test ends.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestChanges(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	name := bustest.Name(t, url)
	a, b := open(t, url, name, "a"), open(t, url, name, "b")
	// The consumers start from the newest message: publish until b hears
	// one (its consumer may not be reading yet when the first goes).
	ctx := within(t, 30*time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for heard := false; !heard; {
		if err := a.Publish(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-b.Changes():
			heard = true
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("b heard no change event from a")
		}
	}
	// A node does not hear its own events.
	select {
	case <-a.Changes():
		t.Error("a heard its own event")
	default:
	}
}

func TestLeaseOneHolder(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	name := bustest.Name(t, url)
	a, b := open(t, url, name, "a"), open(t, url, name, "b")
	la, lb := a.Lease("webhook.s1"), b.Lease("webhook.s1")
	actx, err := la.Hold(within(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	// a renews: b does not get the lease in twice its TTL.
	if _, err := lb.Hold(within(t, 2*testTTL)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("b held the lease a holds: %v", err)
	}
	if actx.Err() != nil || !la.Held() || lb.Held() {
		t.Fatalf("a's hold: %v, held %v; b held %v", actx.Err(), la.Held(), lb.Held())
	}
	// A release hands it over, and ends a's work first.
	if err := la.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if actx.Err() == nil {
		t.Error("a's hold context is live after Release")
	}
	bctx, err := lb.Hold(within(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if bctx.Err() != nil || la.Held() {
		t.Errorf("after the handover: b's hold %v, a held %v", bctx.Err(), la.Held())
	}
	// Another lease is independent.
	if _, err := a.Lease("link.l1").Hold(within(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
}

// TestLeaseHolderCutOff cuts the holder off NATS (as a kill would): its
// hold ends on its own clock before the survivor can take the lease.
func TestLeaseHolderCutOff(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	name := bustest.Name(t, url)
	a, b := open(t, url, name, "a"), open(t, url, name, "b")
	actx, err := a.Lease("webhook.s2").Hold(within(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	a.CutOff() // no release: the key stays until it expires
	bctx, err := b.Lease("webhook.s2").Hold(within(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if actx.Err() == nil {
		t.Error("b took the lease while a's hold was still live")
	}
	if bctx.Err() != nil {
		t.Error(bctx.Err())
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg  bus.Config
		want string
	}{
		{bus.Config{}, "a NATS URL is required"},
		{bus.Config{URL: "nats://127.0.0.1:4222", Name: "a.b"}, `name "a.b"`},
		{bus.Config{URL: "nats://127.0.0.1:1"}, "bus: connect: "},
	} {
		_, err := bus.Open(context.Background(), tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%+v) = %v, want an error with %q", tt.cfg, err, tt.want)
		}
	}
}

// TestEmbeddedServer runs the bus on an embedded NATS server, as the
// tests do where no server answers on 127.0.0.1:4222.
func TestEmbeddedServer(t *testing.T) {
	t.Parallel()
	url := bustest.Embedded(t)
	name := bustest.Name(t, url)
	// A lease that would outlive the test unless given up.
	a, b := openTTL(t, url, name, "a", 5*time.Minute), openTTL(t, url, name, "b", 5*time.Minute)
	if _, err := a.Lease("webhook.s3").Hold(within(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	// Close gives the lease up: b takes it without waiting for the TTL.
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lease("webhook.s3").Hold(within(t, 30*time.Second)); err != nil {
		t.Fatalf("b did not take the lease a gave up at Close: %v", err)
	}
}

func TestBroadcast(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	name := bustest.Name(t, url)
	a, b := open(t, url, name, "a"), open(t, url, name, "b")
	got := make(chan string, 1)
	stop, err := b.Listen("redrive", func(data []byte) { got <- string(data) })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// b's subscription is in place once b's connection has flushed it.
	if err := b.Broadcast(within(t, 10*time.Second), "other", nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Broadcast(context.Background(), "redrive", []byte("x")); err != nil { // no deadline: Broadcast sets one
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "x" {
			t.Errorf("got %q", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("b heard nothing")
	}
	if err := a.Broadcast(context.Background(), "feed", nil); err == nil {
		t.Error("a broadcast on the change events' subject")
	}
}

// TestBucketLost deletes the lease bucket under a holder (as a NATS
// server that lost its JetStream store would): the holder's hold ends,
// the bucket is made again, and the lease is taken anew.
func TestBucketLost(t *testing.T) {
	t.Parallel()
	url := bustest.Embedded(t)
	name := bustest.Name(t, url)
	a := open(t, url, name, "a")
	l := a.Lease("webhook.s4")
	hold, err := l.Hold(within(t, 30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteKeyValue(within(t, 10*time.Second), bus.BucketName(name)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hold.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the hold outlived the bucket by 30s")
	}
	if _, err := l.Hold(within(t, 30*time.Second)); err != nil {
		t.Fatalf("the lease was not taken again after the bucket was made again: %v", err)
	}
}

// TestLeasesSpread starts one node holding six leases, then two more
// that want the same: the first gives up the excess at its renewals, and
// the three end holding two each, every lease held by exactly one.
func TestLeasesSpread(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	name := bustest.Name(t, url)
	keys := []string{"link.l0", "link.l1", "link.l2", "webhook.s0", "webhook.s1", "webhook.s2"}
	a := open(t, url, name, "a")
	for _, k := range keys {
		if _, err := a.Lease(k).Hold(within(t, 30*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	nodes := []*bus.Bus{a, open(t, url, name, "b"), open(t, url, name, "c")}
	ctx := within(t, 60*time.Second)
	for _, n := range nodes[1:] {
		for _, k := range keys {
			l := n.Lease(k)
			go l.Hold(ctx) // returns when taken, or at the test's end
		}
	}
	waitSpread(t, ctx, nodes, keys, map[string]int{"a": 2, "b": 2, "c": 2})
	// The bucket agrees.
	kv, err := jetstream.New(mustConnect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := kv.KeyValue(ctx, bus.BucketName(name))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		e, err := bucket.Get(ctx, k)
		if err != nil {
			t.Fatalf("lease %s: %v", k, err)
		}
		holder := string(e.Value())
		for _, n := range nodes {
			if n.Lease(k).Held() != (n.Node() == holder) {
				t.Errorf("lease %s: the bucket names %s; %s held: %v", k, holder, n.Node(), n.Lease(k).Held())
			}
		}
	}
}

// waitSpread waits until every one of keys is held by exactly one of
// nodes, and each node holds at least as many as least says.
// It polls, since no single event marks the spread.
func waitSpread(t *testing.T, ctx context.Context, nodes []*bus.Bus, keys []string, least map[string]int) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		counts := map[string]int{}
		once := true
		for _, k := range keys {
			holders := 0
			for _, n := range nodes {
				if n.Lease(k).Held() {
					holders++
					counts[n.Node()]++
				}
			}
			once = once && holders == 1
		}
		enough := true
		for n, c := range least {
			enough = enough && counts[n] >= c
		}
		if once && enough {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no spread within the deadline: held per node %v (want at least %v); every lease held once: %v", counts, least, once)
		case <-tick.C:
		}
	}
}

// TestLeasesIdleNode runs two nodes wanting five leases beside a third
// that wants none: the shares (two each, counting the idle node) leave a
// lease free, which one of the two takes past its share.
func TestLeasesIdleNode(t *testing.T) {
	t.Parallel()
	url := bustest.URL(t)
	name := bustest.Name(t, url)
	keys := []string{"link.m0", "link.m1", "link.m2", "link.m3", "link.m4"}
	open(t, url, name, "idle")
	nodes := []*bus.Bus{open(t, url, name, "a"), open(t, url, name, "b")}
	ctx := within(t, 60*time.Second)
	for _, n := range nodes {
		for _, k := range keys {
			go n.Lease(k).Hold(ctx)
		}
	}
	// Once all five are held, one node holds three: past its share of
	// two (counting the idle node), so it gives one up, which the other,
	// at its share, does not take. After twice the TTL unclaimed, the
	// lease is taken past a share.
	waitSpread(t, ctx, nodes, keys, nil)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for free := false; !free; {
		for _, k := range keys {
			free = free || !nodes[0].Lease(k).Held() && !nodes[1].Lease(k).Held()
		}
		select {
		case <-ctx.Done():
			t.Fatal("no lease given up within the deadline")
		case <-tick.C:
		}
	}
	waitSpread(t, ctx, nodes, keys, map[string]int{"a": 2, "b": 2})
}

// mustConnect connects to url, closed when the test ends.
func mustConnect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// TestServerRestart restarts the NATS server (keeping its store) under a
// node holding a lease: the node reconnects, holds the lease again (or
// still), and the bucket names it; change events flow again.
func TestServerRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start := func(port int) *server.Server {
		t.Helper()
		s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		if !s.ReadyForConnections(30 * time.Second) {
			s.Shutdown()
			t.Fatal("the NATS server did not start within 30s")
		}
		return s
	}
	srv := start(server.RANDOM_PORT)
	url := srv.ClientURL()
	port := srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	name := bustest.Name(t, url)
	a, b := openTTL(t, url, name, "a", 2*time.Second), openTTL(t, url, name, "b", 2*time.Second)
	la := a.Lease("link.r1")
	if _, err := la.Hold(within(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	ctx := within(t, 60*time.Second)
	go b.Lease("link.r1").Hold(ctx) // b wants it too

	srv.Shutdown()
	srv.WaitForShutdown()
	srv = start(port)

	if _, err := la.Hold(ctx); err != nil {
		t.Fatalf("a did not hold the lease again after the restart: %v", err)
	}
	nc := mustConnect(t, url)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, bus.BucketName(name))
	if err != nil {
		t.Fatal(err)
	}
	// a renews it through the new server: the key names a, at a later
	// revision than now.
	e, err := kv.Get(ctx, "link.r1")
	if err != nil {
		t.Fatal(err)
	}
	w, err := kv.Watch(ctx, "link.r1", jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for renewed := false; !renewed; {
		select {
		case u := <-w.Updates():
			if u == nil {
				continue
			}
			if u.Operation() != jetstream.KeyValuePut || string(u.Value()) != "a" {
				t.Fatalf("after the restart the lease went to %q (%v); a holds it: %v", u.Value(), u.Operation(), la.Held())
			}
			renewed = u.Revision() > e.Revision()
		case <-ctx.Done():
			t.Fatal("a did not renew its lease through the restarted server within 60s")
		}
	}
	if b.Lease("link.r1").Held() {
		t.Error("b holds the lease a holds")
	}
	// Change events flow again (the consumers may take a moment to come
	// back: publish until b hears one).
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for heard := false; !heard; {
		if err := a.Publish(ctx); err != nil && ctx.Err() != nil {
			t.Fatal(err)
		}
		select {
		case <-b.Changes():
			heard = true
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("b heard no change event of a's within 60s of the restart")
		}
	}
}
