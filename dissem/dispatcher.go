package dissem

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
)

// Store is what dissemination reads and writes: the feed, the
// subscriptions and the organizations they belong to.
type Store interface {
	tearline.Feed
	tearline.Subscriptions
	FindOrganization(ctx context.Context, key string) (*tearline.Organization, error)
	Organizations(ctx context.Context) ([]*tearline.Organization, error)
}

// Delivery describes one delivery to the access decision and the
// disclosure ledger.
type Delivery struct {
	// Path is the ledger path (ledger.PathWebhook for webhooks and
	// streams).
	Path string
	// Key names the credential or subscription the delivery is for, as
	// the ledger records it: "subscription:ID" for a webhook, the API key
	// reading a stream.
	Key string
	// Request joins the ledger records with the logs: the delivery id of
	// a webhook, the request id of a stream.
	Request string
	// Ceiling is the subscription's marking ceiling; NoTLP for none.
	Ceiling marking.TLP
}

// Gate is the one access decision, as the server applies it to a reader
// of a collection (package taxii implements it).
type Gate interface {
	// Release decides each entry for org as a reader of the collection the
	// entry was added to, withholds what is above d.Ceiling, and records
	// every decision in the disclosure ledger as d says. It returns, per
	// entry, the bytes that may go (nil when withheld). An error means
	// that nothing may go: the ledger cannot record.
	Release(ctx context.Context, org *tearline.Organization, d Delivery, entries []*tearline.FeedEntry) ([][]byte, error)
	// Visible reports whether org, as a reader of collection
	// collectionID, may receive the object raw at all. Nothing is sent
	// and nothing is recorded: filters ask it about context objects.
	Visible(ctx context.Context, org *tearline.Organization, collectionID string, raw []byte) bool
}

// Scorer gives an object version a score from 0 to 100 for filters'
// min_confidence (the context scores of a scoring engine). ok is false
// when the object has none.
type Scorer interface {
	Score(e *tearline.FeedEntry, fs *Facts) (score int, ok bool)
}

// Config configures a Dispatcher. Zero durations and sizes take the
// defaults below.
type Config struct {
	Store  Store
	Gate   Gate
	Logger *slog.Logger
	// Scorer, when set, replaces the object's confidence property as the
	// score min_confidence tests.
	Scorer Scorer
	// Webhooks runs the webhook workers. With several nodes on one
	// database, either give them a Bus (each subscription is then
	// delivered by the one node that holds its lease) or run them on one
	// node only.
	Webhooks bool
	// Bus, when set, carries change events between the nodes sharing the
	// store (Notify publishes one; another node's event wakes the feed
	// reader at once) and gives each webhook subscription to one node at
	// a time (see package doc, "Several nodes"). Nil: this node works
	// alone, woken by Notify and polling.
	Bus tearline.Bus
	// Poll is how often the feed is read without a Notify (adds by other
	// nodes, or by other processes on the store).
	Poll time.Duration
	// Attempts is how many times a webhook delivery is tried before it
	// becomes a dead letter.
	Attempts int
	// Backoff is the wait before the first retry; it doubles with each
	// attempt, up to MaxBackoff, with some jitter.
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one webhook request, from connecting to reading the
	// end of the answer.
	Timeout time.Duration
	// MaxBatch and MaxBatchBytes bound one webhook bundle.
	MaxBatch      int
	MaxBatchBytes int
	// Window is the number of newest feed entries kept in memory with
	// their facts.
	Window int
	// CursorInterval is how often delivery cursors are saved.
	CursorInterval time.Duration
	// Refresh is how often subscriptions and organization profiles are
	// read again (changes made elsewhere; the admin API calls Reload).
	Refresh time.Duration
	// Transport carries webhook requests; nil means a transport of its
	// own (no proxy, no redirects followed).
	Transport http.RoundTripper
	// Now is the clock of signatures, for tests; nil means time.Now.
	Now func() time.Time
	// Observer is told how webhook deliveries go, for metrics; nil
	// observes nothing.
	Observer Observer
}

// Observer is told of webhook deliveries. Its methods must be quick and
// safe for concurrent use: workers call them as they go.
type Observer interface {
	// Delivered is called for each object version a webhook receiver
	// accepted, with its feed entry (whose Time is its acceptance).
	Delivered(e *tearline.FeedEntry)
	// Webhook counts one webhook request by outcome: "delivered",
	// "failed" (retried) or "dead_lettered" (its last attempt failed).
	Webhook(outcome string)
}

// Backlog returns how many feed entries the webhook workers have yet to
// deal with: for each, the newest entry read less its cursor.
func (d *Dispatcher) Backlog() int64 {
	head := d.Head()
	d.hooks.mu.Lock()
	defer d.hooks.mu.Unlock()
	var n int64
	for _, w := range d.hooks.workers {
		if c := w.cursor.Load(); c < head {
			n += head - c
		}
	}
	return n
}

// Defaults of Config.
const (
	DefaultPoll           = 100 * time.Millisecond
	DefaultAttempts       = 8
	DefaultBackoff        = time.Second
	DefaultMaxBackoff     = 5 * time.Minute
	DefaultTimeout        = 10 * time.Second
	DefaultMaxBatch       = 500
	DefaultMaxBatchBytes  = 4 << 20
	DefaultWindow         = 16384
	DefaultCursorInterval = 500 * time.Millisecond
	DefaultRefresh        = 5 * time.Second
)

// Item is a feed entry with its facts, computed when first needed (most
// entries of a feed nobody subscribes to are never matched).
type Item struct {
	*tearline.FeedEntry
	once  sync.Once
	facts *Facts
}

// Facts returns the facts of the item's object version, computing them
// on first use with the graph as it then is.
func (d *Dispatcher) factsOf(ctx context.Context, it *Item) *Facts {
	it.once.Do(func() {
		fs := d.graph.facts(it.Raw, readFields(it.Raw))
		if d.cfg.Scorer != nil {
			fs.Confidence, fs.Scored = d.cfg.Scorer.Score(it.FeedEntry, fs)
		}
		if len(fs.Refs) > 0 {
			creators, err := d.cfg.Store.ObjectCreators(ctx, fs.Refs)
			if err != nil {
				// Feedback filters then miss this object; logged, not fatal.
				d.log.Warn("dissemination: look up the creators of referenced objects", "object", it.ID, "err", err)
			}
			for _, ref := range fs.Refs {
				if c := creators[ref]; c != "" && !containsString(fs.RefCreators, c) {
					fs.RefCreators = append(fs.RefCreators, c)
				}
			}
		}
		it.facts = fs
	})
	return it.facts
}

// Dispatcher runs dissemination over a store. Create it with New, then
// Start; Stop ends it.
type Dispatcher struct {
	cfg    Config
	log    *slog.Logger
	graph  *Graph
	client *http.Client

	kick chan struct{} // Notify
	pub  chan struct{} // Notify, to publish on the bus
	stop chan struct{} // closed by Stop
	wg   sync.WaitGroup

	// The window of newest entries: items holds every entry with a seq
	// in (base, head], in order.
	mu      sync.Mutex
	items   []*Item
	base    int64
	head    int64
	changed chan struct{} // closed when head moves, then replaced
	started bool

	// Readers of the window: how many are in next now, and when one last
	// left it (Unix nanoseconds). See watched.
	readers  atomic.Int32
	lastRead atomic.Int64

	subjects subjects
	hooks    hooks

	reloadMu sync.Mutex // one Reload at a time, so an older list never wins
	subsMu   sync.Mutex
	subs     map[string]*tearline.Subscription // every subscription, by id, as last read
}

// New returns a dispatcher for cfg. Store and Gate are required.
func New(cfg Config) (*Dispatcher, error) {
	if cfg.Store == nil || cfg.Gate == nil {
		return nil, errors.New("dissem: a store and a gate are required")
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Poll, DefaultPoll)
	def(&cfg.Backoff, DefaultBackoff)
	def(&cfg.MaxBackoff, DefaultMaxBackoff)
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.CursorInterval, DefaultCursorInterval)
	def(&cfg.Refresh, DefaultRefresh)
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Dispatcher{
		cfg:     cfg,
		log:     cfg.Logger,
		graph:   NewGraph(),
		kick:    make(chan struct{}, 1),
		pub:     make(chan struct{}, 1),
		stop:    make(chan struct{}),
		changed: make(chan struct{}),
	}
	d.client = newClient(cfg)
	d.subjects.init(d)
	d.hooks.init()
	return d, nil
}

// Start loads the context graph from the feed, reads the organizations
// and subscriptions, and starts the feed reader, the webhook workers and
// the cursor saver. It returns an error when the store cannot be read.
func (d *Dispatcher) Start(ctx context.Context) error {
	d.mu.Lock()
	if d.started {
		d.mu.Unlock()
		return errors.New("dissem: already started")
	}
	d.started = true
	d.mu.Unlock()
	start := time.Now()
	head, err := d.cfg.Store.FeedHead(ctx)
	if err != nil {
		return fmt.Errorf("dissem: %w", err)
	}
	for cursor := int64(0); cursor < head; {
		page, err := d.cfg.Store.ReadFeed(ctx, tearline.FeedQuery{After: cursor, Types: ContextTypes})
		if err != nil {
			return fmt.Errorf("dissem: load the context graph: %w", err)
		}
		for _, e := range page.Entries {
			if e.Seq <= head && isContext(e.Type) {
				d.graph.observe(e, readFields(e.Raw))
			}
		}
		if page.Last == cursor {
			break
		}
		cursor = page.Last
	}
	d.mu.Lock()
	d.base, d.head = head, head
	d.mu.Unlock()
	d.log.Info("dissemination context loaded", "feed_head", head, "context_objects", d.graph.Size(), "duration", time.Since(start))
	if err := d.Reload(ctx); err != nil {
		return fmt.Errorf("dissem: %w", err)
	}
	if d.cfg.Bus != nil && d.cfg.Webhooks {
		// Before any goroutine starts, so that an error leaves none.
		stop, err := d.cfg.Bus.Listen(redriveTopic, d.onRedrive)
		if err != nil {
			return fmt.Errorf("dissem: %w", err)
		}
		d.wg.Go(func() {
			<-d.stop
			stop()
		})
	}
	if d.cfg.Webhooks {
		d.wg.Go(d.saveCursors)
	}
	d.wg.Go(d.tail)
	d.wg.Go(d.refresher)
	if d.cfg.Bus != nil {
		d.wg.Go(d.publish)
		d.wg.Go(d.listen)
	}
	return nil
}

// Stop stops the reader and the workers (a delivery in flight is
// abandoned, to be made again after the next Start) and saves the
// cursors. It returns ctx's error if they have not stopped when ctx ends.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.mu.Lock()
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		d.hooks.wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("dissem: stop: %w", ctx.Err())
	}
	if d.cfg.Webhooks {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		// Cursors first, then the leases: the next holder resumes from
		// what was saved.
		return errors.Join(d.hooks.save(sctx, d), d.hooks.release(sctx))
	}
	return nil
}

// Notify tells the reader that the feed has grown, and with a Bus the
// other nodes too; it never blocks.
func (d *Dispatcher) Notify() {
	d.wake()
	if d.cfg.Bus != nil {
		select {
		case d.pub <- struct{}{}:
		default:
		}
	}
}

// wake tells the reader that the feed may have grown.
func (d *Dispatcher) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// stopContext returns a context canceled by Stop.
func (d *Dispatcher) stopContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-d.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// watchIdle is how long after a reader last left next the window still
// holds the bytes of every entry.
const watchIdle = 10 * time.Second

// watched reports whether a reader of the window (a webhook worker, a
// stream) is in next or left it in the last watchIdle. While none is, the
// tail reads the feed bare: the window then holds the entries of the
// context graph's types whole, and the others bare or as spans, with their
// collections, for Added; next reads the entries it returns from the
// store. Reading the bytes of every version of a busy feed that nobody
// subscribes to cost ingest a tenth of its CPU, and reading every
// membership a twentieth.
func (d *Dispatcher) watched() bool {
	return d.readers.Load() > 0 || time.Now().UnixNano()-d.lastRead.Load() < int64(watchIdle)
}

// tail reads the feed after the head into the window until Stop.
func (d *Dispatcher) tail() {
	ctx, cancel := d.stopContext()
	defer cancel()
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	// A poll first asks for the head, a much cheaper query than a read,
	// and reads only when it moved, or every fullRead (a PostgreSQL reader
	// also numbers entries left pending by a node that stopped).
	const fullRead = 5 * time.Second
	lastRead := time.Now()
	check := false
	for {
		d.mu.Lock()
		head := d.head
		d.mu.Unlock()
		if check && time.Since(lastRead) < fullRead {
			if h, err := d.cfg.Store.FeedHead(ctx); err == nil && h <= head {
				select {
				case <-d.stop:
					return
				case <-d.kick:
					check = false
				case <-t.C:
				}
				continue
			}
		}
		lastRead = time.Now()
		page, err := d.cfg.Store.ReadFeed(ctx, tearline.FeedQuery{After: head, Limit: 1000, Bare: !d.watched(), Spans: true, RawTypes: ContextTypes})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Error("dissemination: read the feed", "err", err)
		} else if page.Last > head {
			for _, e := range page.Entries {
				// The graph learns the batch before any facts are made, so
				// that objects and the relationships sent with them see
				// each other.
				if isContext(e.Type) {
					d.graph.observe(e, readFields(e.Raw))
				}
			}
			items := d.prepare(page.Entries)
			d.append(items, page.Last)
			continue
		}
		select {
		case <-d.stop:
			return
		case <-d.kick:
			check = false
		case <-t.C:
			check = true
		}
	}
}

// prepare wraps entries as items.
func (d *Dispatcher) prepare(entries []*tearline.FeedEntry) []*Item {
	items := make([]*Item, len(entries))
	for i, e := range entries {
		items[i] = &Item{FeedEntry: e}
	}
	return items
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// append adds items, read up to last, to the window and wakes readers.
func (d *Dispatcher) append(items []*Item, last int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.items = append(d.items, items...)
	d.head = last
	if n := len(d.items); n > 2*d.cfg.Window {
		drop := n - d.cfg.Window
		d.base = d.items[drop-1].Seq
		d.items = append([]*Item(nil), d.items[drop:]...)
	}
	close(d.changed)
	d.changed = make(chan struct{})
}

// next returns up to max items after cursor and the cursor to continue
// from: from the window when cursor is within it, else from the store.
// With wait, when nothing is new it blocks until something is, wake is
// ready, or ctx ends (then it returns no items and the same cursor).
func (d *Dispatcher) next(ctx context.Context, cursor int64, max int, wait bool, wake <-chan struct{}) ([]*Item, int64, error) {
	d.readers.Add(1)
	defer func() {
		d.lastRead.Store(time.Now().UnixNano())
		d.readers.Add(-1)
	}()
	for {
		d.mu.Lock()
		base, head, changed := d.base, d.head, d.changed
		if cursor >= base && cursor < head {
			i := sort.Search(len(d.items), func(i int) bool { return d.items[i].Seq > cursor })
			j := min(len(d.items), i+max)
			out := d.items[i:j:j]
			next := head
			if j < len(d.items) {
				next = d.items[j-1].Seq
			}
			d.mu.Unlock()
			if slices.ContainsFunc(out, bare) {
				return d.fill(ctx, cursor, next)
			}
			return out, next, nil
		}
		d.mu.Unlock()
		if cursor < base {
			page, err := d.cfg.Store.ReadFeed(ctx, tearline.FeedQuery{After: cursor, Limit: int(min(int64(max), base-cursor))})
			if err != nil {
				return nil, cursor, err
			}
			return d.prepare(page.Entries), page.Last, nil
		}
		if !wait {
			return nil, cursor, nil
		}
		select {
		case <-changed:
		case <-wake:
			return nil, cursor, nil
		case <-ctx.Done():
			return nil, cursor, nil
		}
	}
}

// Sync waits until the reader has read the feed up to the head the store
// has now, so that what was added before the call is in the window: a
// read of a subscription's feed right after a POST completed finds what
// it added. It returns ctx's error if that takes longer than ctx allows.
func (d *Dispatcher) Sync(ctx context.Context) error {
	h, err := d.cfg.Store.FeedHead(ctx)
	if err != nil {
		return fmt.Errorf("dissem: %w", err)
	}
	for {
		d.mu.Lock()
		head, changed := d.head, d.changed
		d.mu.Unlock()
		if head >= h {
			return nil
		}
		d.wake()
		select {
		case <-changed:
		case <-d.stop:
			return errors.New("dissem: stopped")
		case <-ctx.Done():
			return fmt.Errorf("dissem: wait for the feed reader: %w", ctx.Err())
		}
	}
}

// bare reports whether it came from a bare read of the feed, without its
// bytes: an entry, or a span of entries (empty ID) up to its Seq.
func bare(it *Item) bool { return it.Raw == nil }

// fill reads the entries after cursor, up to next, from the store, for
// a reader that met entries or spans of the window read bare. The
// entries read take the place of the window's items in the range they
// cover, so that other readers share them and their facts; items not
// bare keep their places, and the reader is given them instead.
func (d *Dispatcher) fill(ctx context.Context, cursor, next int64) ([]*Item, int64, error) {
	page, err := d.cfg.Store.ReadFeed(ctx, tearline.FeedQuery{After: cursor, Limit: int(min(next-cursor, tearline.MaxFeedPage))})
	if err != nil {
		return nil, cursor, err
	}
	items := d.prepare(page.Entries)
	d.mu.Lock()
	defer d.mu.Unlock()
	// The window's items in (from, page.Last], from being cursor or, if
	// the window has moved past it, its base.
	from := max(cursor, d.base)
	i := sort.Search(len(d.items), func(i int) bool { return d.items[i].Seq > from })
	j := sort.Search(len(d.items), func(j int) bool { return d.items[j].Seq > page.Last })
	if i >= j || !slices.ContainsFunc(d.items[i:j], bare) {
		// Nothing of the window to fill: share what it holds.
		for n, it := range items {
			k := sort.Search(len(d.items), func(k int) bool { return d.items[k].Seq >= it.Seq })
			if k < len(d.items) && d.items[k].Seq == it.Seq && !bare(d.items[k]) {
				items[n] = d.items[k]
			}
		}
		return items, page.Last, nil
	}
	kept := make(map[int64]*Item)
	for _, it := range d.items[i:j] {
		if !bare(it) {
			kept[it.Seq] = it
		}
	}
	in := items
	for n, it := range items {
		if k := kept[it.Seq]; k != nil {
			items[n] = k
		}
		if it.Seq <= from {
			in = items[n+1:]
		}
	}
	// A span the read began within still stands for its entries up to
	// from.
	var rest []*Item
	if sp := d.items[i]; sp.ID == "" && bare(sp) && (i > 0 && d.items[i-1].Seq < from || i == 0 && d.base < from) {
		rest = []*Item{{FeedEntry: &tearline.FeedEntry{Seq: from, CollectionID: sp.CollectionID}}}
	}
	d.items = slices.Concat(d.items[:i], rest, in, d.items[j:])
	return items, page.Last, nil
}

// Added returns the ids of the collections of the feed entries the reader
// has read after seq (each once), the sequence number it has read up to,
// and a channel closed when it reads further. all is true when entries
// after seq have left the window, so that their collections are not
// known. A seq at or past the head gives no collections: a caller starts
// with Added(math.MaxInt64) to learn the head.
func (d *Dispatcher) Added(after int64) (collections []string, head int64, all bool, changed <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if after < d.base {
		return nil, d.head, true, d.changed
	}
	seen := map[string]bool{}
	i := sort.Search(len(d.items), func(i int) bool { return d.items[i].Seq > after })
	for _, it := range d.items[i:] {
		if !seen[it.CollectionID] {
			seen[it.CollectionID] = true
			collections = append(collections, it.CollectionID)
		}
	}
	return collections, d.head, false, d.changed
}

// Gate returns the access decision the dispatcher was configured with.
func (d *Dispatcher) Gate() Gate { return d.cfg.Gate }

// Head returns the sequence number of the newest feed entry read.
func (d *Dispatcher) Head() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.head
}

// refresher reads organizations and subscriptions again every Refresh,
// until Stop.
func (d *Dispatcher) refresher() {
	ctx, cancel := d.stopContext()
	defer cancel()
	t := time.NewTicker(d.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
		if err := d.Reload(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("dissemination: reload subscriptions", "err", err)
		}
	}
}

// Reload reads the organizations and the subscriptions again, starting,
// changing and stopping webhook workers to match. The admin API calls it
// after each change.
func (d *Dispatcher) Reload(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	if err := d.subjects.refresh(ctx); err != nil {
		return err
	}
	subs, err := d.cfg.Store.ListSubscriptions(ctx, "")
	if err != nil {
		return err
	}
	m := make(map[string]*tearline.Subscription, len(subs))
	for _, sub := range subs {
		m[sub.ID] = sub
	}
	d.subsMu.Lock()
	d.subs = m
	d.subsMu.Unlock()
	if d.cfg.Webhooks {
		return d.hooks.reload(d, subs)
	}
	return nil
}

// Subscription returns the subscription with the given id as last read
// (Reload, or every Refresh); ok is false when there is none.
func (d *Dispatcher) Subscription(id string) (sub *tearline.Subscription, ok bool) {
	d.subsMu.Lock()
	defer d.subsMu.Unlock()
	sub, ok = d.subs[id]
	return sub, ok
}
