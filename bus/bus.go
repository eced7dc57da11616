// Package bus is the change-event bus and the lease table of several
// Tearline nodes sharing one store, over NATS JetStream. It implements
// tearline.Bus.
//
// The store's change feed stays the source of truth and the point every
// worker resumes from; the bus only carries what is needed to act on it
// quickly and once:
//
//   - Change events. A node that added to the feed publishes an event to
//     the JetStream stream NAME-feed (subject NAME.feed, kept a minute);
//     every node reads the stream with an ordered consumer from
//     the newest message on, and wakes its feed reader on another node's
//     event instead of waiting for its next poll. A lost event costs only
//     latency: the reader still polls.
//   - Leases. Each piece of work that must run on one node at a time (a
//     subscription's webhook deliveries, a federation link) has a key in
//     the key-value bucket NAME-leases, whose entries expire LeaseTTL
//     after they were last written. A node takes a lease by creating its
//     key (which fails while another node holds it), renews it every
//     LeaseTTL/4 by updating it at the revision it wrote last (which fails
//     once another node took it), and gives it up by deleting it at that
//     revision. A node that stops without giving its leases up (killed, or
//     cut off from NATS) loses them when they expire; survivors try keys
//     every LeaseTTL/4 (but not those they saw another node renew within
//     LeaseTTL, through a watch of the bucket), and at once when a key is
//     deleted.
//   - Spreading. Each node writes its name in the bucket NAME-nodes
//     (entries also expiring LeaseTTL after their last write) every
//     LeaseTTL/4, and counts the keys there: it holds at most its share,
//     ceil(leases it wants / nodes), of the leases, gives the excess up
//     at its next renewal (the others, under their shares, take it at
//     once), and takes a free lease only while under its share, or when
//     the lease went unclaimed for twice LeaseTTL (the other nodes may
//     all be at their shares when a counted node wants fewer leases).
//
// Fencing: the holder's lease context (tearline.Lease.Hold) ends at the
// time of the holder's last successful renewal request plus LeaseTTL less
// a fifth, measured on the holder's clock from before the request was
// sent; the bucket, on the NATS server's clock, removes the key no sooner
// than LeaseTTL after it received that request. So the old holder's work
// (which runs under the lease context: webhook requests and cursor saves)
// has stopped before another node can take the key, whatever the clocks
// read, as long as they run at the same rate. Every node must use the
// same LeaseTTL (the bucket is reconfigured with the TTL of the node that
// opened it last).
//
// The stream and the bucket are kept on the NATS server's disk, so that a
// restart of the server keeps the leases (and their ages); the client
// reconnects by itself.
package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tearline/tearline"
)

// Defaults of Config.
const (
	DefaultName     = "tearline"
	DefaultLeaseTTL = 10 * time.Second
)

// nodeHeader names the node that published a change event.
const nodeHeader = "Tearline-Node"

// Config configures a Bus.
type Config struct {
	// URL is the NATS server, e.g. nats://127.0.0.1:4222 (several may be
	// given, comma-separated, as nats.Connect takes them).
	URL string
	// Name prefixes the stream, subject and bucket of this deployment, so
	// that several deployments (or tests) share one NATS server: letters,
	// digits, '-' and '_'. Empty means DefaultName.
	Name string
	// Node names this node in the lease table and on its events, and
	// must differ between the nodes running at once; empty means the
	// host name and a random suffix.
	Node string
	// LeaseTTL is how long a lease lives unrenewed; zero means
	// DefaultLeaseTTL. All nodes must use the same.
	LeaseTTL time.Duration
	// Logger receives the bus's warnings; nil discards them.
	Logger *slog.Logger
	// Options are further NATS connection options (credentials, TLS,
	// an in-process connection).
	Options []nats.Option
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// StreamName returns the name of the change-event stream of deployment
// name.
func StreamName(name string) string { return name + "-feed" }

// BucketName returns the name of the lease bucket of deployment name.
func BucketName(name string) string { return name + "-leases" }

// NodesBucketName returns the name of the bucket where the nodes of
// deployment name announce themselves.
func NodesBucketName(name string) string { return name + "-nodes" }

// Bus is a connection to NATS JetStream carrying change events and
// leases. Open it, and Close it after the work that holds leases has
// stopped.
type Bus struct {
	cfg     Config
	log     *slog.Logger
	nc      *nats.Conn
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	nodes   jetstream.KeyValue
	subject string
	changes chan struct{}
	consume jetstream.ConsumeContext
	watch   jetstream.KeyWatcher

	mu     sync.Mutex
	leases map[string]*lease
	// seen holds when another node was last seen writing each key (its
	// renewals): a free lease is not tried while another node renews it.
	seen map[string]time.Time
	// live is the number of nodes whose keys the nodes bucket held at
	// the last count.
	live   int
	kick   chan struct{}
	stop   chan struct{}
	closed bool
	wg     sync.WaitGroup
}

var _ tearline.Bus = (*Bus)(nil)

// Open connects to the NATS server of cfg.URL, creates the stream and the
// bucket if they are missing (and sets the bucket's TTL to cfg.LeaseTTL),
// and starts reading change events and tending leases. It returns an
// error when the server cannot be reached or has no JetStream; errors do
// not repeat the URL, which may hold credentials.
func Open(ctx context.Context, cfg Config) (_ *Bus, err error) {
	if cfg.URL == "" {
		return nil, errors.New("bus: a NATS URL is required")
	}
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if !validName.MatchString(cfg.Name) {
		return nil, fmt.Errorf("bus: name %q: want 1 to 64 letters, digits, '-' or '_'", cfg.Name)
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Node == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		cfg.Node = host + "-" + hex.EncodeToString(b[:])
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := append([]nats.Option{
		nats.Name("tearline " + cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.Timeout(5 * time.Second),
	}, cfg.Options...)
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("bus: connect: %w", err)
	}
	defer func() {
		if err != nil {
			nc.Close()
		}
	}()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	b := &Bus{cfg: cfg, log: log, nc: nc, js: js, subject: cfg.Name + ".feed",
		changes: make(chan struct{}, 1), leases: map[string]*lease{}, seen: map[string]time.Time{}, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	stream, kv, err := b.ensure(ctx)
	if err != nil {
		return nil, err
	}
	b.kv = kv
	b.announce(ctx)
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return nil, fmt.Errorf("bus: read stream %s: %w", StreamName(cfg.Name), err)
	}
	if b.consume, err = cons.Consume(b.onEvent); err != nil {
		return nil, fmt.Errorf("bus: read stream %s: %w", StreamName(cfg.Name), err)
	}
	if b.watch, err = b.kv.WatchAll(context.Background(), jetstream.UpdatesOnly()); err != nil {
		b.consume.Stop()
		return nil, fmt.Errorf("bus: watch lease bucket: %w", err)
	}
	b.wg.Go(b.watchLeases)
	b.wg.Go(b.tendLeases)
	return b, nil
}

// ensure creates the stream and the bucket if they are missing, and sets
// their configuration.
func (b *Bus) ensure(ctx context.Context) (jetstream.Stream, jetstream.KeyValue, error) {
	stream, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName(b.cfg.Name),
		Description: "Tearline change events between nodes",
		Subjects:    []string{b.subject},
		Storage:     jetstream.FileStorage,
		MaxAge:      time.Minute,
		MaxMsgs:     10000,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("bus: create stream %s (is JetStream enabled on the server?): %w", StreamName(b.cfg.Name), err)
	}
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      BucketName(b.cfg.Name),
		Description: "Tearline leases: which node runs which webhook and federation link",
		TTL:         b.cfg.LeaseTTL,
		History:     1,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("bus: create lease bucket %s: %w", BucketName(b.cfg.Name), err)
	}
	nodes, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      NodesBucketName(b.cfg.Name),
		Description: "Tearline nodes: one key per live node, so that leases spread over them",
		TTL:         b.cfg.LeaseTTL,
		History:     1,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("bus: create nodes bucket %s: %w", NodesBucketName(b.cfg.Name), err)
	}
	b.mu.Lock()
	b.nodes = nodes
	b.mu.Unlock()
	return stream, kv, nil
}

// missing reports whether err says that the bucket's stream is gone (the
// NATS server lost its JetStream store, or someone deleted it).
func missing(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) ||
		errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamNotFound
}

// Node returns the name of this node.
func (b *Bus) Node() string { return b.cfg.Node }

// LeaseTTL returns how long a lease lives unrenewed.
func (b *Bus) LeaseTTL() time.Duration { return b.cfg.LeaseTTL }

// Publish publishes a change event. It returns an error when JetStream
// does not acknowledge it.
func (b *Bus) Publish(ctx context.Context) error {
	m := nats.NewMsg(b.subject)
	m.Header.Set(nodeHeader, b.cfg.Node)
	if _, err := b.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("bus: publish a change event: %w", err)
	}
	return nil
}

// Broadcast sends data to the nodes listening to topic (core NATS
// subject NAME.topic: at most once, to the nodes connected now).
func (b *Bus) Broadcast(ctx context.Context, topic string, data []byte) error {
	if !validName.MatchString(topic) || topic == "feed" {
		return fmt.Errorf("bus: topic %q: want letters, digits, '-' or '_', and not feed (the change events')", topic)
	}
	if err := b.nc.Publish(b.cfg.Name+"."+topic, data); err != nil {
		return fmt.Errorf("bus: broadcast on %s: %w", topic, err)
	}
	// Flush so that an error of the connection shows here (NATS wants a
	// deadline for it).
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("bus: broadcast on %s: %w", topic, err)
	}
	return nil
}

// Listen calls fn with each broadcast on topic until stop is called.
func (b *Bus) Listen(topic string, fn func(data []byte)) (func(), error) {
	if !validName.MatchString(topic) || topic == "feed" {
		return nil, fmt.Errorf("bus: topic %q: want letters, digits, '-' or '_', and not feed (the change events')", topic)
	}
	sub, err := b.nc.Subscribe(b.cfg.Name+"."+topic, func(m *nats.Msg) { fn(m.Data) })
	if err != nil {
		return nil, fmt.Errorf("bus: listen on %s: %w", topic, err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}

// Changes is signaled when another node published a change event.
func (b *Bus) Changes() <-chan struct{} { return b.changes }

// onEvent signals Changes for another node's event.
func (b *Bus) onEvent(m jetstream.Msg) {
	if m.Headers().Get(nodeHeader) == b.cfg.Node {
		return
	}
	select {
	case b.changes <- struct{}{}:
	default:
	}
}

// Close gives up the leases this node holds, stops reading events and
// closes the connection. Work under the leases must have stopped.
func (b *Bus) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.stop)
	leases := make([]*lease, 0, len(b.leases))
	for _, l := range b.leases {
		leases = append(leases, l)
	}
	b.mu.Unlock()
	b.consume.Stop()
	_ = b.watch.Stop()
	b.wg.Wait()
	var errs []error
	for _, l := range leases {
		errs = append(errs, l.Release(ctx))
	}
	if nodes := b.nodesBucket(); nodes != nil {
		// The others' shares grow at once rather than when the key expires.
		_ = nodes.Delete(ctx, nodeKey(b.cfg.Node))
	}
	errs = append(errs, b.nc.Drain())
	return errors.Join(errs...)
}

// poke makes the lease tender try free leases now.
func (b *Bus) poke() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// watchLeases follows the writes of the lease bucket: it notes when
// another node renews a key, so that the tender does not try it while it
// is held, and pokes the tender when a lease is given up, so that
// another node takes it at once.
func (b *Bus) watchLeases() {
	for {
		select {
		case <-b.stop:
			return
		case e, ok := <-b.watch.Updates():
			if !ok {
				return
			}
			if e == nil {
				continue
			}
			b.mu.Lock()
			if e.Operation() == jetstream.KeyValuePut && string(e.Value()) != b.cfg.Node {
				b.seen[e.Key()] = time.Now()
			} else {
				delete(b.seen, e.Key())
			}
			b.mu.Unlock()
			if e.Operation() != jetstream.KeyValuePut {
				b.poke()
			}
		}
	}
}

// renewedElsewhere reports whether another node was seen writing key
// within the lease TTL: the key is then surely held, and not worth a
// try. Only a shortcut: the bucket decides.
func (b *Bus) renewedElsewhere(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.seen[key]
	return ok && time.Since(t) < b.cfg.LeaseTTL
}

// tendLeases renews held leases and tries wanted free ones every
// LeaseTTL/4, and free ones at once when poked, until Close.
func (b *Bus) tendLeases() {
	t := time.NewTicker(b.cfg.LeaseTTL / 4)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-b.stop
		cancel()
	}()
	for {
		renew := false
		select {
		case <-b.stop:
			return
		case <-t.C:
			renew = true
		case <-b.kick:
		}
		b.mu.Lock()
		leases := make([]*lease, 0, len(b.leases))
		for _, l := range b.leases {
			leases = append(leases, l)
		}
		b.mu.Unlock()
		if renew {
			b.announce(ctx)
		}
		// Leases spread over the nodes: this node holds at most its share
		// of those it wants, gives up the excess at renewal time (so that
		// the others, under their shares, take it), and takes free ones
		// only while under its share, or when one went unclaimed for
		// twice the TTL.
		slices.SortFunc(leases, func(x, y *lease) int { return strings.Compare(x.key, y.key) })
		wanted, held := 0, 0
		for _, l := range leases {
			w, h := l.state()
			if w {
				wanted++
			}
			if h {
				held++
			}
		}
		share := (wanted + b.nodeCount() - 1) / b.nodeCount()
		gone, failed := false, false
		if renew && held > share {
			for i := len(leases) - 1; i >= 0 && held > share; i-- {
				if _, h := leases[i].state(); h {
					if err := leases[i].shed(ctx); err != nil {
						failed = true
						gone = gone || missing(err)
					}
					held--
				}
			}
		}
		for _, l := range leases {
			if ctx.Err() != nil {
				return
			}
			took, err := l.tend(ctx, renew, held < share || renew && l.unclaimed())
			if took {
				held++
			}
			if err != nil {
				failed = true
				gone = gone || missing(err)
			}
		}
		if failed && !gone {
			// Writes to a deleted bucket may just go unanswered: ask.
			_, err := b.js.KeyValue(ctx, BucketName(b.cfg.Name))
			gone = missing(err)
		}
		if gone {
			// Made again: the leases held are lost (they expire on their
			// holders' clocks) and are taken anew.
			b.log.Warn("bus: the lease bucket is gone; creating it again", "bucket", BucketName(b.cfg.Name))
			if _, _, err := b.ensure(ctx); err != nil && ctx.Err() == nil {
				b.log.Error("bus: create the lease bucket again", "err", err)
			}
		}
	}
}

// nodeKey returns the key of node in the nodes bucket: its name with the
// characters a key may not hold replaced.
func nodeKey(node string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || r == '_' || r == '=' || r == '.' || r == '/' ||
			'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, node)
}

// nodesBucket returns the nodes bucket as last made.
func (b *Bus) nodesBucket() jetstream.KeyValue {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nodes
}

// announce writes this node's key in the nodes bucket (every LeaseTTL/4,
// so that it lives while the node does) and counts the live nodes' keys.
// On an error the count stays as it was.
func (b *Bus) announce(ctx context.Context) {
	nodes := b.nodesBucket()
	if nodes == nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, b.cfg.LeaseTTL/4)
	defer cancel()
	if _, err := nodes.Put(rctx, nodeKey(b.cfg.Node), []byte(b.cfg.Node)); err != nil {
		if ctx.Err() == nil {
			b.log.Warn("bus: announce this node", "err", err)
			if missing(err) {
				if _, _, err := b.ensure(ctx); err != nil && ctx.Err() == nil {
					b.log.Error("bus: create the buckets again", "err", err)
				}
			}
		}
		return
	}
	lister, err := nodes.ListKeys(rctx)
	if err != nil {
		return
	}
	n := 0
	for range lister.Keys() {
		n++
	}
	// Stop only ends the listing, which ended by itself when the keys
	// channel closed; a listing cut short by the deadline is not a count.
	_ = lister.Stop()
	if rctx.Err() != nil {
		return
	}
	b.mu.Lock()
	b.live = max(n, 1)
	b.mu.Unlock()
}

// nodeCount returns the number of live nodes last counted (1 before the
// first count).
func (b *Bus) nodeCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(b.live, 1)
}

// Lease returns the lease named name (letters, digits and "-_=./"; the
// same *lease for the same name).
func (b *Bus) Lease(name string) tearline.Lease {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.leases[name]
	if l == nil {
		l = &lease{b: b, key: name, acquired: make(chan struct{})}
		b.leases[name] = l
	}
	return l
}

// Forget stops tracking the lease named name, which must not be held or
// wanted (call Release first); it keeps the table small when work goes.
func (b *Bus) Forget(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l := b.leases[name]; l != nil && !l.Held() {
		l.mu.Lock()
		want := l.want
		l.mu.Unlock()
		if !want {
			delete(b.leases, name)
		}
	}
}
