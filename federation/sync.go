package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii/client"
)

// Releaser is the server's access decision for a push link: it passes a
// page of the link's local collection through the one gate with the peer
// as recipient, records every decision in the disclosure ledger, and
// returns the entries that may go and the bytes to send for each (the
// stored object or a redacted copy). It refuses a push link to a one-way
// peer that is not limited to tear-line products.
type Releaser interface {
	ReleaseToPeer(ctx context.Context, peer *tearline.Peer, link *tearline.Link, page *tearline.ObjectPage) ([]*tearline.Entry, [][]byte, error)
}

// Defaults of Config.
const (
	DefaultReload   = 10 * time.Second
	DefaultPageSize = 1000
	DefaultParallel = 2
	// MaxBackoff caps the wait before retrying a failing link.
	MaxBackoff = 30 * time.Minute
)

// Config configures a Syncer.
type Config struct {
	Store    Store
	Inbound  *Inbound
	Releaser Releaser
	Logger   *slog.Logger
	// Bus, when set, gives each link to one of the servers sharing the
	// store at a time: a link runs in the background only on the node
	// that holds its lease (see lease.go). Nil: every link runs here.
	Bus tearline.Bus
	// Feed, when set, tells the syncer which local collections received
	// objects, so that their push links run at once rather than at their
	// next interval. Nil: push links run at their interval (and when
	// kicked).
	Feed Feed
	// Reload is how often the links are read again from the store, to
	// start new ones and stop deleted ones.
	Reload time.Duration
	// PageSize is the objects per page asked of a peer on a pull, and the
	// local entries per envelope on a push.
	PageSize int
	// Parallel is how many batches of a pull are stored at once: one is
	// validated while another is written.
	Parallel int
	// BatchObjects is how many objects of a pull are validated and
	// written together, in one write transaction: consecutive pages are
	// gathered until they hold at least this many objects, or the
	// collection has no more. Larger batches share the transaction's
	// fixed costs, at the price of memory and of the time before the
	// cursor moves. 0 means two pages (2 × PageSize): in pulls of
	// 1,000,000 objects, batches of 2,000 and 4,000 took 1-2% less CPU
	// than pages of 1,000 stored one by one (bench/README.md, session
	// 17).
	BatchObjects int
	// Client sets timeouts and retries of the TAXII client; the
	// credentials come from each peer.
	Client client.Options
	// OnRun, when set, is called after each run of a link with its saved
	// state and the run's error.
	OnRun func(link *tearline.Link, state *tearline.LinkState, err error)
	// StateInterval is how long the times of runs that change nothing
	// else in a link's state (idle polls) may go unsaved: such a run
	// writes its state only when the link's last save is older.
	StateInterval time.Duration
}

// Feed follows the change feed of the store (package dissem's
// Dispatcher implements it).
type Feed interface {
	// Added returns the ids of the collections of the entries read after
	// seq, the sequence number read up to, and a channel closed when more
	// are read; all is true when the collections of some entries after
	// seq are not known. A seq at or past the head gives none.
	Added(seq int64) (collections []string, head int64, all bool, changed <-chan struct{})
}

// DefaultStateInterval is the default Config.StateInterval.
const DefaultStateInterval = time.Minute

// Syncer runs the links of the store. Create it with New, Start it, and
// Stop it before closing the store.
type Syncer struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	workers map[string]*worker // by link id
	locks   map[string]*sync.Mutex
	clients map[string]peerClient // by peer id
	sent    map[string]map[string]bool
	saved   map[string]time.Time // when each link's state was last saved
	stop    chan struct{}
	stopped bool
	wg      sync.WaitGroup
}

// peerClient is a TAXII client for a peer, with the settings it was made
// for.
type peerClient struct {
	key string
	c   *client.Client
	// maxLen is the peer's max_content_length as its API root said at
	// rootAt (zero: not asked, or to be asked again).
	maxLen int64
	rootAt time.Time
}

// worker runs one link until stopped.
type worker struct {
	stop chan struct{}
	kick chan struct{}
	// push and collection say which adds wake it: those to the local
	// collection of a push link.
	push       bool
	collection string
}

// New returns a Syncer; it fails when Store, Inbound or Releaser is
// missing.
func New(cfg Config) (*Syncer, error) {
	if cfg.Store == nil || cfg.Inbound == nil || cfg.Releaser == nil {
		return nil, errors.New("federation: a syncer needs a store, an inbound pipeline and a releaser")
	}
	if cfg.Reload <= 0 {
		cfg.Reload = DefaultReload
	}
	if cfg.StateInterval <= 0 {
		cfg.StateInterval = DefaultStateInterval
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	if cfg.BatchObjects <= 0 {
		cfg.BatchObjects = 2 * cfg.PageSize
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{cfg: cfg, log: log, workers: map[string]*worker{}, locks: map[string]*sync.Mutex{},
		clients: map[string]peerClient{}, sent: map[string]map[string]bool{}, saved: map[string]time.Time{}, stop: make(chan struct{})}, nil
}

// Start reads the links and starts a worker for each, which runs it at
// once (resuming from its cursor) and then at its interval; the links are
// read again every Config.Reload. It returns the store's error when the
// links cannot be read.
func (s *Syncer) Start(ctx context.Context) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	if s.cfg.Feed != nil {
		s.wg.Go(s.follow)
	}
	s.wg.Go(func() {
		t := time.NewTicker(s.cfg.Reload)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				ctx, cancel := s.stopContext()
				if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
					s.log.Error("federation: read links", "err", err)
				}
				cancel()
			}
		}
	})
	return nil
}

// Reload starts workers for new links and stops those of deleted links.
func (s *Syncer) Reload(ctx context.Context) error {
	links, err := s.cfg.Store.ListLinks(ctx, "")
	if err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	present := map[string]bool{}
	for _, l := range links {
		present[l.ID] = true
		if s.workers[l.ID] == nil {
			w := &worker{stop: make(chan struct{}), kick: make(chan struct{}, 1),
				push: l.Direction == tearline.LinkPush, collection: l.CollectionID}
			s.workers[l.ID] = w
			s.wg.Go(func() { s.work(l, w) })
		}
	}
	for id, w := range s.workers {
		if !present[id] {
			close(w.stop)
			delete(s.workers, id)
		}
	}
	return nil
}

// follow kicks the push links of the collections that receive objects,
// until Stop.
func (s *Syncer) follow() {
	_, seen, _, changed := s.cfg.Feed.Added(math.MaxInt64)
	for {
		select {
		case <-s.stop:
			return
		case <-changed:
		}
		var (
			cols []string
			all  bool
		)
		cols, seen, all, changed = s.cfg.Feed.Added(seen)
		s.kickPush(cols, all)
	}
}

// kickPush kicks the push links of collections (of every collection when
// all is set).
func (s *Syncer) kickPush(collections []string, all bool) {
	if len(collections) == 0 && !all {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.workers {
		if w.push && (all || slices.Contains(collections, w.collection)) {
			select {
			case w.kick <- struct{}{}:
			default:
			}
		}
	}
}

// Kick makes the worker of a link run it now rather than at its next
// interval; it does nothing for a link without a worker.
func (s *Syncer) Kick(linkID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.workers[linkID]; w != nil {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// Stop stops every worker: runs in progress are canceled between requests
// (their cursor stays at the last page stored), and Stop waits for them,
// until ctx ends.
func (s *Syncer) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.stop)
		for id, w := range s.workers {
			close(w.stop)
			delete(s.workers, id)
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("federation: stop: %w", ctx.Err())
	}
}

// stopContext returns a context canceled by Stop.
func (s *Syncer) stopContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// work runs link l now and then at its interval, backing off while it
// fails, until w is stopped. With a bus it runs the link only while it
// holds the link's lease, under the fence it took with it.
func (s *Syncer) work(l *tearline.Link, w *worker) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-w.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer s.release(l.ID)
	var (
		hold     context.Context // ends when the lease is lost
		fence    int64
		failures int // of TakeLink in a row
	)
	for {
		if hold == nil || hold.Err() != nil {
			h, err := s.hold(ctx, l.ID)
			if err != nil {
				return
			}
			f, err := s.take(h, l.ID)
			if err != nil {
				if ctx.Err() != nil || tearline.ErrorCode(err) == tearline.ENOTFOUND {
					return // stopped, or the link is gone: Reload forgets it
				}
				failures++
				s.log.Error("federation: take a link over", "link", l.ID, "err", err)
				if !pause(w, min(l.Interval, time.Second<<min(failures, 10))) {
					return
				}
				continue
			}
			hold, fence, failures = h, f, 0
		}
		// This run covers the kicks so far; those that come during it make
		// another.
		select {
		case <-w.kick:
		default:
		}
		st, err := s.run(hold, l.ID, fence)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrTakenOver) {
			// Another node took the link over while this one still held
			// its lease by its own clock: this node stops running it and
			// gives the lease up; it takes the link again (with a new
			// fence) only once it gets the lease anew.
			s.log.Warn("federation: another node took the link over; this node stops running it", "link", l.ID)
			s.release(l.ID)
			hold = nil
			continue
		}
		if hold.Err() != nil {
			continue // the lease was lost: wait to take it again
		}
		wait := l.Interval
		if err != nil && st != nil && st.Failures > 0 {
			wait = backoff(l.Interval, st.Failures)
		}
		if tearline.ErrorCode(err) == tearline.ENOTFOUND && st == nil {
			return // the link is gone; Reload forgets it
		}
		t := time.NewTimer(wait)
		select {
		case <-w.stop:
			t.Stop()
			return
		case <-w.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// pause waits d, or until w is stopped (then it returns false).
func pause(w *worker, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.stop:
		return false
	case <-t.C:
		return true
	}
}

// backoff returns the wait before the next run of a link that failed
// failures times in a row: the interval doubled for each failure after the
// first, at most MaxBackoff (or the interval, if longer).
func backoff(interval time.Duration, failures int) time.Duration {
	d := interval
	for i := 1; i < failures && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, max(MaxBackoff, interval))
}

// lock returns the mutex that serializes the runs of a link.
func (s *Syncer) lock(linkID string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.locks[linkID]
	if m == nil {
		m = &sync.Mutex{}
		s.locks[linkID] = m
	}
	return m
}

// client returns a TAXII client with the peer's credentials, reusing the
// one made for the same settings.
func (s *Syncer) client(p *tearline.Peer) (*client.Client, error) {
	key := fmt.Sprintf("%q %q %q %q %q %q %q", p.URL, p.Token, p.User, p.Password, p.CertFile, p.KeyFile, p.CAFile)
	s.mu.Lock()
	pc, ok := s.clients[p.ID]
	s.mu.Unlock()
	if ok && pc.key == key {
		return pc.c, nil
	}
	opts := s.cfg.Client
	opts.Token, opts.User, opts.Password = p.Token, p.User, p.Password
	if opts.Logger == nil {
		opts.Logger = s.log.With("peer", p.Name)
	}
	if opts.Transport == nil {
		cert, pool, err := client.LoadTLS(p.CertFile, p.KeyFile, p.CAFile)
		if err != nil {
			return nil, fmt.Errorf("peer %s: %w", p.Name, err)
		}
		opts.Certificate, opts.RootCAs = cert, pool
	}
	c, err := client.New(opts)
	if err != nil {
		return nil, fmt.Errorf("peer %s: %w", p.Name, err)
	}
	s.mu.Lock()
	s.clients[p.ID] = peerClient{key: key, c: c}
	s.mu.Unlock()
	return c, nil
}

// Run runs a link once now, waiting for a run in progress to end first,
// and returns its state as saved afterwards, with the run's error (also
// recorded in the state). ENOTFOUND, with a nil state, when the link or its
// peer does not exist. It saves the state under the link's stored fence:
// ErrTakenOver when a node takes the link over during the run.
func (s *Syncer) Run(ctx context.Context, linkID string) (*tearline.LinkState, error) {
	return s.run(ctx, linkID, 0)
}

// run is Run saving the state under fence (taken with the link's lease),
// or under the stored fence when fence is 0.
func (s *Syncer) run(ctx context.Context, linkID string, fence int64) (*tearline.LinkState, error) {
	m := s.lock(linkID)
	m.Lock()
	defer m.Unlock()
	l, err := s.cfg.Store.FindLink(ctx, linkID)
	if err != nil {
		return nil, err
	}
	p, err := s.cfg.Store.FindPeer(ctx, l.PeerID)
	if err != nil {
		return nil, err
	}
	st, err := s.cfg.Store.LinkState(ctx, linkID)
	if err != nil {
		return nil, err
	}
	if fence != 0 {
		st.Fence = fence
	}
	before := *st
	start := time.Now()
	switch l.Direction {
	case tearline.LinkPull:
		err = s.pull(ctx, l, p, st)
	case tearline.LinkPush:
		err = s.push(ctx, l, p, st)
	default:
		err = fmt.Errorf("link direction %q is unknown", l.Direction)
	}
	st.LastRun = time.Now().UTC()
	log := s.log.With("link", l.ID, "peer", p.Name, "direction", l.Direction, "collection", l.CollectionID,
		"remote_collection", l.RemoteCollection)
	if err != nil {
		st.LastError = err.Error()
		st.Failures++
		if ctx.Err() != nil {
			log.Info("federation link run interrupted", "err", err)
		} else {
			log.Warn("federation link run failed; it will be retried", "err", err, "failures", st.Failures)
		}
	} else {
		st.LastError, st.Failures, st.LastSuccess = "", 0, st.LastRun
		log.Debug("federation link run", "duration", time.Since(start), "cursor", st.Cursor)
	}
	// The outcome is recorded even when the run was stopped part way. A
	// run that changed nothing but its times is not, unless the link's
	// last save is older than StateInterval: a write makes every reader
	// connection of the embedded store drop its page cache, and idle polls
	// of many links would write all the time.
	if err != nil || !s.idle(&before, st) {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if serr := s.save(sctx, st); serr != nil {
			if tearline.ErrorCode(serr) == tearline.ENOTFOUND {
				return nil, serr // deleted during the run
			}
			if errors.Is(serr, ErrTakenOver) {
				log.Warn("federation: link state not saved: another node took the link over", "err", serr)
			} else {
				log.Error("federation: save link state", "err", serr)
			}
			if !errors.Is(err, ErrTakenOver) {
				err = errors.Join(err, serr)
			}
		} else {
			s.mu.Lock()
			s.saved[linkID] = time.Now()
			s.mu.Unlock()
		}
	}
	if s.cfg.OnRun != nil {
		s.cfg.OnRun(l, st, err)
	}
	return st, err
}

// idle reports whether a successful run left the state it read (before)
// as it was but for its times, and the link's state was saved less than
// StateInterval ago.
func (s *Syncer) idle(before, after *tearline.LinkState) bool {
	b, a := *before, *after
	b.LastRun, b.LastSuccess, a.LastRun, a.LastSuccess = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if b != a {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	saved, ok := s.saved[after.LinkID]
	return ok && time.Since(saved) < s.cfg.StateInterval
}

// saveProgress stores the state of a run in progress (its cursor).
func (s *Syncer) saveProgress(ctx context.Context, st *tearline.LinkState) error {
	return s.save(context.WithoutCancel(ctx), st)
}

// ErrTakenOver is (wrapped in) the error of a run whose state the store
// refused because another node took the link over (its fence is higher:
// see tearline.Peers.TakeLink). The run stops, and its state is not
// saved: the other node's stands.
var ErrTakenOver = errors.New("federation: another node took the link over")

// save stores the state of a link, under its fence.
func (s *Syncer) save(ctx context.Context, st *tearline.LinkState) error {
	err := s.cfg.Store.SaveLinkState(ctx, st)
	if tearline.ErrorCode(err) == tearline.ECONFLICT {
		return fmt.Errorf("%w: %w", ErrTakenOver, err)
	}
	return err
}
