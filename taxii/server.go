// Package taxii is Tearline's TAXII 2.1 server (OASIS TAXII Version 2.1):
// discovery, API roots, collections, objects, manifests, versions and
// statuses, with the admin JSON API under /api/v1 and a liveness probe at
// /healthz.
//
// Every object that leaves the server goes through Server.release, the one
// place that decides what a recipient may receive.
package taxii

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/dissem"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/limit"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/metrics"
	"github.com/tearline/tearline/score"
)

// Backend is what the server stores and looks up: objects and collections,
// organizations with their credentials and grants, submission statuses and
// tear-line products.
type Backend interface {
	tearline.Store
	tearline.Directory
	tearline.StatusStore
	tearline.Products
	tearline.Releases
	tearline.Clients
	tearline.PIIPolicies
	tearline.Reviews
}

// APIRoot configures one TAXII API root, served at /taxii2/{Name}/.
type APIRoot struct {
	// Name is the URL path segment: letters, digits, '-', '_' and '.'.
	Name        string
	Title       string // defaults to Name
	Description string
	// MaxContentLength is the largest request body accepted, in bytes;
	// 0 means Config.MaxContentLength.
	MaxContentLength int64
}

// Defaults of Config.
const (
	DefaultMaxContentLength = 100 << 20
	DefaultMaxPageSize      = 10000
	DefaultPageSize         = 1000
	DefaultSyncObjects      = 1000
	DefaultStatusRetention  = 7 * 24 * time.Hour
	// MinStatusRetention is the shortest retention accepted: TAXII clients
	// may poll a status for a day.
	MinStatusRetention = 24 * time.Hour
)

// Config configures a Server. Zero fields take the defaults above.
type Config struct {
	Title, Description, Contact string
	// APIRoots lists the API roots; by default one root named "default".
	APIRoots []APIRoot
	// DefaultRoot names the root that serves collections whose APIRoot is
	// "" and that discovery advertises as default; by default the first.
	DefaultRoot string
	// PublicDiscovery serves GET /taxii2/ without credentials.
	PublicDiscovery bool
	// MaxContentLength is the largest request body accepted, in bytes.
	MaxContentLength int64
	// MaxPageSize caps the objects of one page; larger limits are clamped.
	MaxPageSize int
	// DefaultPageSize is the page size when a request gives no limit.
	DefaultPageSize int
	// SyncObjects is the largest envelope (in objects) processed before a
	// POST answers; larger ones are processed in the background.
	SyncObjects int
	// StatusRetention is how long statuses are kept (at least 24 hours).
	StatusRetention time.Duration
	// ClassificationLevels orders the classification levels that markings
	// and organization clearances name, lowest first; nil means
	// marking.DefaultLevels.
	ClassificationLevels []string
	// Ledger, when set, records every access decision of the objects,
	// object, versions and manifest paths, one RecordBatch call per
	// response page; a response whose decisions it cannot record is
	// refused with 503. The server never closes it. nil records nothing.
	Ledger *ledger.Ledger
	Logger *slog.Logger
	// Metrics, when set, counts requests, ingested objects and refusals,
	// and is served to admin keys at /metrics. nil measures nothing.
	Metrics *metrics.Metrics
	// Limiter, when set, applies per-key rate and concurrency limits and
	// the per-address limit of failed authentications (429 with
	// Retry-After). nil limits nothing.
	Limiter *limit.Limiter
	// Score configures the scoring of stored objects (package score:
	// formula constants, the clock of decay); the engine runs when the
	// backend keeps scores (tearline.Scores).
	Score score.Options
	// Dissemination configures subscriptions, webhooks, the event stream
	// and per-subscription collections (see dissem.go).
	Dissemination Dissemination
	// HostOrg names (id or name) the organization that hosts the server:
	// its analysts triage the submissions of every other organization
	// (partners), whose submissions alone get triage records. "" makes
	// every organization a partner, triaged by admin keys only.
	HostOrg string
	// FeedbackLimit limits POST /api/v1/objects/{id}/feedback per API key
	// (Rate and Burst only); zero takes DefaultFeedbackLimit.
	FeedbackLimit limit.Config
}

// Server is a TAXII 2.1 server over a Backend. It is safe for concurrent
// use. Create it with New, serve Handler, and call Start to run the
// background work and Shutdown to stop it.
type Server struct {
	cfg   Config
	b     Backend
	auth  *auth.Authenticator
	log   *slog.Logger
	roots map[string]*APIRoot
	order []*APIRoot // as configured
	def   *APIRoot
	mux   *http.ServeMux
	// policy is the access decision every object passes on its way out
	// (release) and every submitted object passes on its way in.
	policy *marking.Policy
	// dissem delivers subscriptions from the change feed that subs keeps;
	// both nil when the backend keeps none (see dissem.go).
	dissem *dissem.Dispatcher
	subs   dissemStore
	// scores keeps objects' confidence and context scores; nil when the
	// backend keeps none (see scores.go).
	scores *score.Engine
	// ex records exchanges: triage, feedback, activity (see exchange.go).
	ex exchange
	// feedbackLimit limits the feedback form per key.
	feedbackLimit *limit.Limiter

	// Background processing of large submissions.
	queue   chan string   // ids of stored submissions to process
	slots   chan struct{} // one per submission accepted but not finished
	closing atomic.Bool   // Shutdown was called: no new asynchronous work
	stop    chan struct{} // closed by Shutdown
	// streams ends the event streams; endStreams cancels it.
	streams    context.Context
	endStreams context.CancelFunc
	wg         sync.WaitGroup
	started    bool
	queued     map[string]bool // submissions in queue or in progress
	mu         sync.Mutex      // guards started and queued

	// Test hooks, unset in production.
	batchSize   atomic.Int64                             // objects per store batch; 0 = automatic
	afterSave   atomic.Pointer[func(s *tearline.Status)] // after each saved status of a background submission
	cleanupTick time.Duration
}

// workers is the number of background submission workers. Writes are
// serialized by the store; two workers let one validate while the other
// writes.
const workers = 2

// maxQueued bounds the submissions accepted for background processing but
// not finished; beyond it a POST of a large envelope gets 503.
const maxQueued = 256

// New returns a server for cfg over b. It fails when the configuration is
// invalid: a malformed or repeated API root name, an unknown default root,
// a retention shorter than MinStatusRetention, or an empty or repeated
// classification level.
func New(cfg Config, b Backend) (*Server, error) {
	if b == nil {
		return nil, errors.New("taxii: nil backend")
	}
	if len(cfg.APIRoots) == 0 {
		cfg.APIRoots = []APIRoot{{Name: "default"}}
	}
	if cfg.Title == "" {
		cfg.Title = "Tearline"
	}
	if cfg.MaxContentLength <= 0 {
		cfg.MaxContentLength = DefaultMaxContentLength
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = DefaultMaxPageSize
	}
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = DefaultPageSize
	}
	cfg.DefaultPageSize = min(cfg.DefaultPageSize, cfg.MaxPageSize)
	if cfg.SyncObjects <= 0 {
		cfg.SyncObjects = DefaultSyncObjects
	}
	if cfg.StatusRetention == 0 {
		cfg.StatusRetention = DefaultStatusRetention
	}
	if cfg.StatusRetention < MinStatusRetention {
		return nil, fmt.Errorf("taxii: status retention %v is shorter than %v", cfg.StatusRetention, MinStatusRetention)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	policy, err := marking.NewPolicy(marking.NewDefinitions(), marking.Options{Levels: cfg.ClassificationLevels})
	if err != nil {
		return nil, fmt.Errorf("taxii: %w", err)
	}
	s := &Server{
		policy: policy,
		cfg:    cfg,
		b:      b,
		auth:   &auth.Authenticator{Dir: b},
		log:    cfg.Logger,
		roots:  map[string]*APIRoot{},
		queue:  make(chan string, maxQueued),
		slots:  make(chan struct{}, maxQueued),
		stop:   make(chan struct{}),
		queued: map[string]bool{},
	}
	s.streams, s.endStreams = context.WithCancel(context.Background())
	s.cleanupTick = time.Hour
	for i := range cfg.APIRoots {
		r := &cfg.APIRoots[i]
		if !validRootName(r.Name) {
			return nil, fmt.Errorf("taxii: API root name %q: use 1-64 letters, digits, '-', '_' or '.' (not \".\" or \"..\")", r.Name)
		}
		if s.roots[r.Name] != nil {
			return nil, fmt.Errorf("taxii: API root %q is configured twice", r.Name)
		}
		if r.Title == "" {
			r.Title = r.Name
		}
		if r.MaxContentLength <= 0 {
			r.MaxContentLength = cfg.MaxContentLength
		}
		s.roots[r.Name] = r
		s.order = append(s.order, r)
	}
	s.def = s.order[0]
	if cfg.DefaultRoot != "" {
		if s.def = s.roots[cfg.DefaultRoot]; s.def == nil {
			return nil, fmt.Errorf("taxii: default API root %q is not among the configured roots", cfg.DefaultRoot)
		}
	}
	s.initScores()
	s.initExchange()
	if err := s.initDissem(); err != nil {
		return nil, err
	}
	s.mux = s.routes()
	s.registerMetrics()
	return s, nil
}

// validRootName reports whether name can be an API root path segment.
func validRootName(name string) bool {
	if name == "" || len(name) > 64 || name == "." || name == ".." {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Handler returns the HTTP handler of every route: TAXII under /taxii2/,
// the admin API under /api/v1/ and /healthz.
func (s *Server) Handler() http.Handler { return s.middleware(s.mux) }

// routes lists every route of the server. Each path is registered with and
// without its trailing slash.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(method, path string, h http.Handler) {
		mux.Handle(method+" "+path+"{$}", h)
		if len(path) > 1 {
			mux.Handle(method+" "+path[:len(path)-1], h)
		}
	}
	const (
		root = "/taxii2/{root}/"
		col  = root + "collections/{collection}/"
		obj  = col + "objects/{object}/"
	)
	handle("GET", "/taxii2/", s.taxii(s.getDiscovery, s.cfg.PublicDiscovery))
	handle("GET", root, s.taxii(s.getAPIRoot, false))
	handle("GET", root+"status/{status}/", s.taxii(s.getStatus, false))
	handle("GET", root+"collections/", s.taxii(s.getCollections, false))
	handle("GET", col, s.taxii(s.getCollection, false))
	handle("GET", col+"objects/", s.taxii(s.getObjects, false))
	handle("POST", col+"objects/", s.taxii(s.fromPeers(s.postObjects), false))
	handle("GET", obj, s.taxii(s.getObject, false))
	handle("DELETE", obj, s.taxii(s.deleteObject, false))
	handle("GET", obj+"versions/", s.taxii(s.getVersions, false))
	handle("GET", col+"manifest/", s.taxii(s.getManifest, false))

	handle("GET", "/api/v1/organizations/", s.admin(s.listOrganizations))
	handle("POST", "/api/v1/organizations/", s.admin(s.createOrganization))
	handle("GET", "/api/v1/organizations/{org}/", s.admin(s.getOrganization))
	handle("PUT", "/api/v1/organizations/{org}/", s.admin(s.updateOrganization))
	handle("PATCH", "/api/v1/organizations/{org}/", s.admin(s.updateOrganization))
	handle("GET", "/api/v1/organizations/{org}/keys/", s.keyManager(s.listKeys))
	handle("POST", "/api/v1/organizations/{org}/keys/", s.keyManager(s.createKey))
	handle("DELETE", "/api/v1/keys/{key}/", s.keyManager(s.revokeKey))
	handle("POST", "/api/v1/organizations/{org}/certificates/", s.admin(s.addCertificate))
	handle("GET", "/api/v1/collections/", s.admin(s.listCollections))
	handle("POST", "/api/v1/collections/", s.admin(s.createCollection))
	handle("GET", "/api/v1/collections/{collection}/export/", s.withRole(tearline.RoleReader, "exports", s.getExport))
	handle("PUT", "/api/v1/collections/{collection}/grants/{org}/", s.admin(s.setGrant))
	handle("GET", "/api/v1/organizations/{org}/clients/", s.admin(s.listClients))
	handle("PUT", "/api/v1/organizations/{org}/clients/{client}/", s.admin(s.setClient))
	handle("DELETE", "/api/v1/organizations/{org}/clients/{client}/", s.admin(s.setClient))
	handle("GET", "/api/v1/products/", s.analyst(s.listProducts))
	handle("POST", "/api/v1/products/", s.analyst(s.createProduct))
	handle("GET", "/api/v1/products/{product}/", s.analyst(s.getProduct))
	handle("POST", "/api/v1/products/{product}/approve/", s.analyst(s.approveProduct))
	handle("POST", "/api/v1/products/{product}/reject/", s.analyst(s.rejectProduct))
	handle("GET", "/api/v1/releases/", s.withRole(tearline.RoleContributor, "release requests", s.listReleases))
	handle("POST", "/api/v1/releases/", s.withRole(tearline.RoleContributor, "asking for a release", s.requestRelease))
	handle("GET", "/api/v1/releases/{release}/", s.withRole(tearline.RoleContributor, "release requests", s.getRelease))
	handle("POST", "/api/v1/releases/{release}/approve/", s.withRole(tearline.RoleAnalyst, "deciding a release request", s.approveRelease))
	handle("POST", "/api/v1/releases/{release}/deny/", s.withRole(tearline.RoleAnalyst, "deciding a release request", s.denyRelease))

	handle("GET", "/api/v1/observables/", s.withRole(tearline.RoleReader, "observable lookups", s.getObservables))
	s.peerRoutes(handle)
	s.reviewRoutes(handle)
	s.dissemRoutes(handle)
	s.scoreRoutes(handle)
	s.exchangeRoutes(handle)

	handle("GET", "/healthz/", http.HandlerFunc(s.healthz))
	handle("GET", "/readyz/", http.HandlerFunc(s.readyz))
	handle("GET", "/metrics/", s.admin(s.serveMetrics))
	mux.Handle("/", http.HandlerFunc(s.notFound))
	return mux
}

// Start loads the marking definitions stored in every collection, which the
// access decision needs to read stored objects' markings (a stored
// definition that contradicts one loaded before is logged and skipped),
// and starts the background work: workers that process large submissions,
// beginning with those a previous run left pending in the backend, and the
// periodic deletion of expired statuses. It returns an error when the
// definitions or the pending submissions cannot be read. Start may be
// called once; the work runs until Shutdown.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("taxii: server already started")
	}
	if s.closing.Load() {
		return errors.New("taxii: server was shut down")
	}
	n, refused, err := ingest.LoadDefinitions(ctx, s.b, s.policy.Definitions())
	if err != nil {
		return fmt.Errorf("taxii: %w", err)
	}
	for _, err := range refused {
		s.log.Warn("stored marking definition skipped", "err", err)
	}
	s.log.Info("marking definitions loaded", "count", n, "skipped", len(refused))
	pending, err := s.b.PendingSubmissions(ctx)
	if err != nil {
		return fmt.Errorf("taxii: resume submissions: %w", err)
	}
	if err := s.startDissem(ctx); err != nil {
		return err
	}
	s.started = true
	for range workers {
		s.wg.Go(s.worker)
	}
	if len(pending) > 0 {
		s.log.Info("resuming pending submissions", "count", len(pending))
		// More may be pending than the queue holds: feed it as workers free
		// slots, without holding up Start.
		s.wg.Go(func() {
			for _, id := range pending {
				select {
				case s.slots <- struct{}{}:
				case <-s.stop:
					return
				}
				if !s.enqueue(id) {
					<-s.slots // accepted by this server, already queued
				}
			}
		})
	}
	// The first clean-up is done before Start returns, so that nothing
	// expired is served and nothing saved after Start races it.
	s.cleanup()
	s.wg.Go(s.cleaner)
	return nil
}

// EndStreams ends the event streams being served (each client then
// reconnects with its Last-Event-ID, to another node or once this one is
// back) and those opened later. An http.Server's Shutdown waits for every
// handler to return, and a stream's never does on its own: call this as
// the shutdown begins (http.Server.RegisterOnShutdown).
func (s *Server) EndStreams() { s.endStreams() }

// Shutdown stops the background work: large POSTs are refused with 503
// from now on, and workers stop at the next batch boundary (a batch still
// being written is rolled back). A submission stopped part way keeps its
// stored body and its last saved progress, and is resumed by the next
// Start; re-adding the objects it already stored changes nothing. Event
// streams still open end (see EndStreams). It returns ctx's error if the
// workers have not stopped when ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.endStreams()
	s.mu.Lock()
	if !s.closing.Swap(true) {
		close(s.stop)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		_ = s.flushActivity(ctx) // logged
		return s.stopDissem(ctx)
	case <-ctx.Done():
		return fmt.Errorf("taxii: shutdown: %w", ctx.Err())
	}
}

// cleaner deletes expired statuses now and then after Start's first
// clean-up, until Shutdown.
func (s *Server) cleaner() {
	t := time.NewTicker(s.cleanupTick)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.cleanup()
	}
}

// cleanup deletes the statuses older than the retention.
func (s *Server) cleanup() {
	ctx, cancel := s.stopContext()
	defer cancel()
	n, err := s.b.DeleteStatusesBefore(ctx, time.Now().Add(-s.cfg.StatusRetention))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("delete expired statuses", "err", err)
		}
		return
	}
	if n > 0 {
		s.log.Info("deleted expired statuses", "count", n)
	}
}

// stopContext returns a context canceled by Shutdown.
func (s *Server) stopContext() (context.Context, context.CancelFunc) {
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

// enqueue queues the stored submission id for a worker, unless it is queued
// or in progress already; the caller holds a slot for it, which the worker
// releases. It reports whether it queued the id.
func (s *Server) enqueue(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queued[id] {
		return false
	}
	s.queued[id] = true
	s.queue <- id // never blocks: there are as many slots as queue places
	return true
}
