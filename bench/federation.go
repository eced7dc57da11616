package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/taxii"
	"github.com/tearline/tearline/taxii/client"
)

// The federation workload: two Tearline servers on 127.0.0.1, each set up
// as `tearline serve` sets it up (SQLite store, disclosure ledger, TAXII
// server, net/http server). The hub's collection is filled with generated
// indicators through its store; the ISAC pulls it through a federation
// pull link at -fed-page-limit objects per page, every version going
// through the hub's access decision and ledger (the ISAC is its peer, with
// ceiling AMBER, so that every generated marking passes) and the ISAC's
// inbound pipeline (validation, marking check, provenance, store). It
// reports the pull's objects/s end to end, then the cost of idle poll
// cycles (a run of the link that finds nothing new).

// fedOptions are the sizes of the federation workload.
type fedOptions struct {
	objects int           // indicators in the hub's collection
	page    int           // objects per page of the pull
	batch   int           // objects per write batch of the pull
	idle    int           // idle poll cycles measured
	timeout time.Duration // of one TAXII request
	process bool          // the hub in a process of its own
	serve   string        // the data directory this process serves as the hub
}

var fedOpts fedOptions

func init() {
	flag.IntVar(&fedOpts.objects, "fed-objects", 100000, "federation workload: indicators the ISAC pulls from the hub (1000000 for issue 8's target)")
	flag.IntVar(&fedOpts.page, "fed-page-limit", 1000, "federation workload: objects per page of the pull")
	flag.IntVar(&fedOpts.batch, "fed-batch", 0, "federation workload: objects of consecutive pages the ISAC validates and writes together (0: two pages)")
	flag.IntVar(&fedOpts.idle, "fed-idle", 500, "federation workload: idle poll cycles measured after the pull")
	flag.DurationVar(&fedOpts.timeout, "fed-timeout", 2*time.Minute, "federation workload: time allowed for one TAXII request")
	flag.BoolVar(&fedOpts.process, "fed-hub-process", true, "federation workload: serve the hub from a process of its own (false: from the bench's process)")
	flag.StringVar(&fedOpts.serve, "fed-serve-hub", "", "internal: serve this data directory as the federation workload's hub")
}

// fedNode is one server of the federation workload.
type fedNode struct {
	dir    string
	db     *sqlite.DB
	ledger *ledger.Ledger
	srv    *taxii.Server
	hs     *http.Server
	served chan error
	ln     net.Listener
	logger *slog.Logger
	root   string // API root URL
	col    *tearline.Collection
	hub    *hubProcess // the process serving the store, when not this one
}

// startFedNode starts a server on a new store and ledger in a temporary
// directory, with one collection. With serve false it only listens: the
// store is filled in this process and served by another (serveHub).
func startFedNode(ctx context.Context, name string, serve bool) (_ *fedNode, err error) {
	n := &fedNode{}
	if n.dir, err = os.MkdirTemp("", "tearline-bench-federation-"+name+"-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	if err := n.open(ctx, name); err != nil {
		return nil, err
	}
	n.col = &tearline.Collection{Alias: "indicators", Title: name + " indicators"}
	if err := n.db.CreateCollection(ctx, n.col); err != nil {
		return nil, err
	}
	if n.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	n.root = "http://" + n.ln.Addr().String() + "/taxii2/default/"
	if serve {
		n.serve(n.ln)
	}
	return n, nil
}

// open opens the node's store, ledger and TAXII server in n.dir, as
// `tearline serve` does.
func (n *fedNode) open(ctx context.Context, name string) (err error) {
	if n.db, err = sqlite.Open(ctx, n.dir); err != nil {
		return err
	}
	n.logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if n.ledger, err = ledger.Open(filepath.Join(n.dir, ledger.DirName), ledger.Options{Logger: n.logger}); err != nil {
		return err
	}
	if n.srv, err = taxii.New(taxii.Config{Title: name, Ledger: n.ledger, Logger: n.logger}, n.db); err != nil {
		return err
	}
	return n.srv.Start(ctx)
}

// serve serves the node's TAXII server on ln.
func (n *fedNode) serve(ln net.Listener) {
	n.hs = &http.Server{Handler: n.srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(n.logger.Handler(), slog.LevelWarn)}
	n.served = make(chan error, 1)
	go func() { n.served <- n.hs.Serve(ln) }()
}

// settle waits until the node, called name in the report, is at rest
// after what (the fill, the pull): its full-text index, which an indexer
// of its own derives from the objects after they are committed, covers
// them (a search then sees them all), and the kernel has written the
// dirty pages. It prints how far the index lagged.
func (n *fedNode) settle(ctx context.Context, name, what string) error {
	t := time.Now()
	if err := n.db.SyncText(ctx); err != nil {
		return fmt.Errorf("the %s's full-text index after %s: %w", name, what, err)
	}
	fmt.Printf("  the %s's full-text index covered %s %.2f s after it\n", name, what, time.Since(t).Seconds())
	syscall.Sync()
	return nil
}

func (n *fedNode) close() error {
	errs := []error{n.shut()}
	if n.hub != nil {
		errs = append(errs, n.hub.stop())
	}
	if n.ln != nil {
		n.ln.Close() // closed already once served
	}
	if n.dir != "" {
		errs = append(errs, os.RemoveAll(n.dir))
	}
	return errors.Join(errs...)
}

// shut stops serving and closes the store, leaving the data directory.
func (n *fedNode) shut() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n.hs != nil {
		errs = append(errs, n.hs.Shutdown(ctx))
		if err := <-n.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		n.hs = nil
	}
	if n.srv != nil {
		errs = append(errs, n.srv.Shutdown(ctx))
		n.srv = nil
	}
	if n.ledger != nil {
		errs = append(errs, n.ledger.Close())
		n.ledger = nil
	}
	if n.db != nil {
		errs = append(errs, n.db.Close())
		n.db = nil
	}
	return errors.Join(errs...)
}

// org creates an organization with a key of role and returns both.
func (n *fedNode) org(ctx context.Context, name, country string, role tearline.Role) (*tearline.Organization, string, error) {
	o := &tearline.Organization{Name: name, Country: country}
	if err := n.db.CreateOrganization(ctx, o); err != nil {
		return nil, "", err
	}
	tok, err := auth.NewToken()
	if err != nil {
		return nil, "", err
	}
	if err := n.db.CreateAPIKey(ctx, &tearline.APIKey{ID: tok.KeyID, OrgID: o.ID, Role: role}, tok.Hash()); err != nil {
		return nil, "", err
	}
	return o, tok.String(), nil
}

// runFederation runs the federation workload.
func runFederation(ctx context.Context, opts fedOptions, seed uint64, profileDir string) error {
	if opts.objects < 1 || opts.page < 1 || opts.idle < 1 {
		return fmt.Errorf("-fed-objects, -fed-page-limit and -fed-idle must be positive")
	}
	batch := opts.batch
	if batch <= 0 {
		batch = 2 * opts.page
	}
	fmt.Printf("federation: %d objects, pages of %d, write batches of %d, GOMAXPROCS %d, %s, load %s\n", opts.objects, opts.page,
		batch, runtime.GOMAXPROCS(0), runtime.Version(), loadAverage())
	hub, err := startFedNode(ctx, "hub", !opts.process)
	if err != nil {
		return err
	}
	defer hub.close()
	isac, err := startFedNode(ctx, "isac", true)
	if err != nil {
		return err
	}
	defer isac.close()

	// The hub knows the ISAC as a peer (ceiling AMBER) with a read grant;
	// the ISAC knows the hub as a peer and pulls from it with its key.
	isacOnHub, key, err := hub.org(ctx, "isac", "GB", tearline.RoleReader)
	if err != nil {
		return err
	}
	if err := hub.db.SetGrant(ctx, tearline.Grant{CollectionID: hub.col.ID, OrgID: isacOnHub.ID, Read: true}); err != nil {
		return err
	}
	if err := hub.db.CreatePeer(ctx, &tearline.Peer{Name: "isac", OrgID: isacOnHub.ID, URL: isac.root, Ceiling: "amber"}); err != nil {
		return err
	}
	hubOnISAC, _, err := isac.org(ctx, "hub", "US", tearline.RoleContributor)
	if err != nil {
		return err
	}
	peer := &tearline.Peer{Name: "hub", OrgID: hubOnISAC.ID, URL: hub.root, Token: key, Ceiling: "amber"}
	if err := isac.db.CreatePeer(ctx, peer); err != nil {
		return err
	}
	link := &tearline.Link{PeerID: peer.ID, Direction: tearline.LinkPull, CollectionID: isac.col.ID, RemoteCollection: hub.col.ID, Interval: time.Hour}
	if err := isac.db.CreateLink(ctx, link); err != nil {
		return err
	}

	g := newIndicatorGen(seed)
	fillTime, _, err := fill(ctx, &taxiiEnv{db: hub.db, col: hub.col}, g, opts.objects)
	if err != nil {
		return err
	}
	fmt.Printf("  fill the hub through its store: %.1f s (%.0f objects/s)\n", fillTime.Seconds(), float64(opts.objects)/fillTime.Seconds())
	// The pull starts from servers at rest.
	if err := hub.settle(ctx, "hub", "the fill"); err != nil {
		return err
	}
	if opts.process {
		if err := hub.startHubProcess(profileDir); err != nil {
			return err
		}
		fmt.Printf("  the hub serves from process %d\n", hub.hub.cmd.Process.Pid)
	}

	s, err := federation.New(federation.Config{Store: isac.db, Inbound: isac.srv.Inbound(), Releaser: isac.srv,
		PageSize: opts.page, BatchObjects: opts.batch, Client: client.Options{Timeout: opts.timeout}})
	if err != nil {
		return err
	}
	defer s.Stop(context.Background())

	stopProfile, err := startProfile(profileDir, "federation")
	if err != nil {
		return err
	}
	cpu := startCPU()
	var hubCPU time.Duration
	if hub.hub != nil {
		hubCPU = hub.hub.cpu()
	}
	start := time.Now()
	st, err := s.Run(ctx, link.ID)
	elapsed := time.Since(start)
	use := cpu.stop()
	if hub.hub != nil {
		hubCPU = hub.hub.cpu() - hubCPU
	}
	stopProfile()
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	rate := float64(opts.objects) / elapsed.Seconds()
	fmt.Printf("  pull: %d objects in %.2f s: %.0f objects/s end to end [%s]; %s\n", st.Objects, elapsed.Seconds(), rate,
		verdict(rate >= 20000), use)
	if hub.hub != nil {
		fmt.Printf("  the hub process's CPU during the pull: %.1f s\n", hubCPU.Seconds())
	}
	if st.Objects != int64(opts.objects) || st.Refused != 0 || st.Held != 0 {
		return fmt.Errorf("pull: state %+v, want %d objects stored", st, opts.objects)
	}

	// The idle cycles are measured on servers at rest.
	if err := isac.settle(ctx, "ISAC", "the pull"); err != nil {
		return err
	}

	// Idle poll cycles: the link finds nothing new.
	idle := make(latencies, 0, opts.idle)
	stopProfile, err = startProfile(profileDir, "federation-idle")
	if err != nil {
		return err
	}
	cpu = startCPU()
	if hub.hub != nil {
		hubCPU = hub.hub.cpu()
	}
	for range opts.idle {
		t := time.Now()
		if st, err = s.Run(ctx, link.ID); err != nil {
			return fmt.Errorf("idle poll: %w", err)
		}
		idle = append(idle, time.Since(t))
	}
	use = cpu.stop()
	if hub.hub != nil {
		hubCPU = hub.hub.cpu() - hubCPU
	}
	stopProfile()
	if st.Objects != int64(opts.objects) {
		return fmt.Errorf("idle polls stored objects: %+v", st)
	}
	fmt.Printf("  idle poll cycle (%d runs of the link finding nothing): %s [p99 < 5 ms: %s]\n", opts.idle, idle.summary(),
		verdict(idle.pct(99) < 5*time.Millisecond))
	perCycle := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(opts.idle) }
	if hub.hub != nil {
		fmt.Printf("  CPU per idle cycle: %.2f ms in the ISAC's process, %.2f ms in the hub's\n", perCycle(use.cpu), perCycle(hubCPU))
	} else {
		fmt.Printf("  CPU per idle cycle: %.2f ms (the ISAC and the hub)\n", perCycle(use.cpu))
	}
	if hub.hub != nil {
		// The check reads the hub's store in this process.
		h := hub.hub
		hub.hub = nil
		if err := h.stop(); err != nil {
			return err
		}
		if err := hub.open(ctx, "hub"); err != nil {
			return err
		}
	}
	if err := checkPulled(ctx, hub, isac, opts.objects); err != nil {
		return err
	}
	fmt.Printf("  checked: the ISAC holds every object, byte for byte; RSS %s\n", mb(currentRSS()))
	return nil
}

// checkPulled checks that the ISAC holds the hub's object versions, each
// byte for byte, and nothing else. Two pages are stored at once, so the
// order of the collections may differ between neighbouring pages.
func checkPulled(ctx context.Context, hub, isac *fedNode, n int) error {
	want := make(map[string][sha256.Size]byte, n)
	err := eachEntry(ctx, hub, func(e *tearline.Entry) error {
		want[e.ID+"|"+e.VersionKey()] = sha256.Sum256(e.Raw)
		return nil
	})
	if err != nil {
		return err
	}
	if len(want) != n {
		return fmt.Errorf("check: the hub holds %d versions, want %d", len(want), n)
	}
	seen := 0
	err = eachEntry(ctx, isac, func(e *tearline.Entry) error {
		k := e.ID + "|" + e.VersionKey()
		if sum, ok := want[k]; !ok || sum != sha256.Sum256(e.Raw) {
			return fmt.Errorf("check: the ISAC's %s is not the hub's, byte for byte", k)
		}
		seen++
		return nil
	})
	if err != nil {
		return err
	}
	if seen != n {
		return fmt.Errorf("check: the ISAC holds %d versions, want %d", seen, n)
	}
	return nil
}

// eachEntry calls fn with every entry of the node's collection.
func eachEntry(ctx context.Context, n *fedNode, fn func(*tearline.Entry) error) error {
	q := tearline.ObjectQuery{CollectionID: n.col.ID, Versions: []string{tearline.VersionAll}, Limit: 5000}
	for {
		page, err := n.db.QueryObjects(ctx, q)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			if err := fn(e); err != nil {
				return err
			}
		}
		if !page.More || len(page.Entries) == 0 {
			return nil
		}
		q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
	}
}
