package federation_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// proxy stands between a node and a peer and injects faults into the
// peer's answers to GET objects requests.
type proxy struct {
	t      *testing.T
	target *url.URL
	rp     *httputil.ReverseProxy
	srv    *httptest.Server

	mu sync.Mutex
	// fail answers the next fail requests with 500.
	fail int
	// down answers every request with 503 while set.
	down bool
	// slowPage makes the first request for that page (counting GET
	// objects requests from 1) hang until the client gives up on it.
	slowPage int
	// breakNext replaces the next tokens of answers with ones the peer
	// refuses.
	breakNext bool
	// stallAt makes requests for that page and later hang until the
	// client goes away; stalled is closed when the first of them arrives.
	stallAt int
	stalled chan struct{}
	// downAt answers requests for that page and later with 503.
	downAt int

	pages   atomic.Int32
	slowed  map[string]bool
	answers atomic.Int32
}

func newProxy(t *testing.T, target string) *proxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, target: u, slowed: map[string]bool{}}
	p.rp = httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	p.rp.ModifyResponse = p.modify
	p.rp.ErrorLog = log.New(io.Discard, "", 0) // requests the client gave up on
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// root returns the proxy's URL for the target's API root.
func (p *proxy) root() string { return p.srv.URL + p.target.Path }

func (p *proxy) set(f func(p *proxy)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	down, fail := p.down, p.fail > 0
	if fail {
		p.fail--
	}
	page := 0
	objects := r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/objects/")
	if objects {
		page = int(p.pages.Add(1))
	}
	slow := objects && p.slowPage > 0 && page == p.slowPage && !p.slowed[r.URL.RawQuery]
	if slow {
		p.slowed[r.URL.RawQuery] = true
	}
	stall := objects && p.stallAt > 0 && page >= p.stallAt
	down = down || objects && p.downAt > 0 && page >= p.downAt
	stalled := p.stalled
	p.mu.Unlock()
	switch {
	case down:
		w.Header().Set("Retry-After", "0")
		http.Error(w, "peer down for maintenance", http.StatusServiceUnavailable)
	case fail:
		http.Error(w, "peer exploded", http.StatusInternalServerError)
	case slow:
		<-r.Context().Done()
	case stall:
		if stalled != nil {
			p.mu.Lock()
			if p.stalled != nil {
				close(p.stalled)
				p.stalled = nil
			}
			p.mu.Unlock()
		}
		<-r.Context().Done()
	default:
		p.rp.ServeHTTP(w, r)
	}
}

var nextRE = regexp.MustCompile(`"next":"[^"]*"`)

// modify breaks next tokens when told to.
func (p *proxy) modify(resp *http.Response) error {
	p.answers.Add(1)
	p.mu.Lock()
	breakNext := p.breakNext
	p.mu.Unlock()
	if !breakNext || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	resp.Body.Close()
	body = nextRE.ReplaceAll(body, []byte(`"next":"bogus-token"`))
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// usePeerURL points peer p of n at u.
func (n *node) usePeerURL(p *tearline.Peer, u string) {
	n.t.Helper()
	p.URL = u
	if err := n.srv.DB.UpdatePeer(context.Background(), p); err != nil {
		n.t.Fatal(err)
	}
}

// proxiedPull starts a hub holding n indicators in its collection intel
// and an ISAC with a link pulling it into its own intel, through a proxy
// that injects faults.
func proxiedPull(t *testing.T, n int) (hub, isac *node, intel, local *tearline.Collection, l *tearline.Link, px *proxy) {
	t.Helper()
	hub, isac = newNode(t, "hub", "US"), newNode(t, "isac", "GB")
	intel = hub.collection("intel")
	hub.submit(intel, taxiitest.Indicators(0, n, 0, marked(marking.TLP2Green))...)
	pr := connect(isac, hub, profile{country: "US"}, profile{country: "GB"})
	local = isac.collection("intel")
	l = pr.pullAB(local, intel)
	px = newProxy(t, hub.srv.Root)
	isac.usePeerURL(pr.onA, px.root())
	return hub, isac, intel, local, l, px
}

// TestFaultyPeer pulls through a peer that answers 500s, serves a slow
// page and hands out next tokens it then refuses: the link retries,
// falls back to added_after, and gets everything. A peer that is down
// fails the run, which is reported in the link's state and retried
// later; the syncer keeps going.
func TestFaultyPeer(t *testing.T) {
	t.Parallel()
	hub, isac, intel, local, l, px := proxiedPull(t, 450)
	// An attempt timeout short enough that the slow page is given up
	// soon, long enough for the other pages on a loaded machine.
	isac.stopSyncer()
	isac.newSyncerWith(2 * time.Second)

	px.set(func(p *proxy) { p.fail, p.slowPage, p.breakNext = 2, 3, true })
	st := isac.run(l)
	if st.Objects != 450 || st.Failures != 0 || st.LastError != "" {
		t.Fatalf("state after a faulty pull: %+v", st)
	}
	if got := len(isac.ids(local)); got != 450 {
		t.Fatalf("%d objects arrived, want 450", got)
	}

	px.set(func(p *proxy) { p.down, p.breakNext = true, false })
	hub.submit(intel, taxiitest.Indicators(1000, 20, 0, marked(marking.TLP2Green))...)
	for want := 1; want <= 2; want++ {
		st, err := isac.syncer.Run(context.Background(), l.ID)
		if err == nil || !strings.Contains(err.Error(), "503") || st.Failures != want || !strings.Contains(st.LastError, "peer down") {
			t.Fatalf("run %d against a peer that is down: %v, state %+v", want, err, st)
		}
		if st.Cursor == "" || st.Objects != 450 {
			t.Fatalf("a failed run lost the cursor or counts: %+v", st)
		}
	}
	px.set(func(p *proxy) { p.down = false })
	st = isac.run(l)
	if st.Objects != 470 || st.Failures != 0 || st.LastSuccess.IsZero() {
		t.Fatalf("state after the peer came back: %+v", st)
	}
}

// TestPullGathersPages pulls pages of 100 in batches of at least 250
// objects. A peer that fails on the third page leaves the first two
// stored and the cursor after them; the next run resumes there, stores the
// rest and counts nothing twice.
func TestPullGathersPages(t *testing.T) {
	t.Parallel()
	_, isac, _, local, l, px := proxiedPull(t, 450)
	isac.stopSyncer()
	isac.batch = 250
	isac.newSyncer()

	px.set(func(p *proxy) { p.downAt = 3 })
	st, err := isac.syncer.Run(context.Background(), l.ID)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("run against a peer failing on the third page: %v, state %+v", err, st)
	}
	if n := len(isac.srv.Stored(local)); st.Objects != 200 || n != 200 || st.Cursor == "" {
		t.Fatalf("after the failed run: state %+v, %d entries stored; want the first two pages", st, n)
	}
	px.set(func(p *proxy) { p.downAt = 0 })
	st = isac.run(l)
	if n := len(isac.srv.Stored(local)); st.Objects != 450 || n != 450 {
		t.Fatalf("after resuming: state %+v, %d entries stored; want 450 of each", st, n)
	}
}

// TestRestartResumes: pulls resume from their durable cursor after a
// restart of either server, a run stopped part way by a shutdown keeps the
// pages it stored, and nothing is lost or stored twice.
func TestRestartResumes(t *testing.T) {
	t.Parallel()
	hub, isac := newNode(t, "hub", "US"), newNode(t, "isac", "GB")
	intel := hub.collection("intel")
	hub.submit(intel, taxiitest.Indicators(0, 350, 0, marked(marking.TLP2Green))...)
	pr := connect(isac, hub, profile{country: "US"}, profile{country: "GB"})
	local := isac.collection("intel")
	l := pr.pullAB(local, intel)
	st := isac.run(l)
	if st.Objects != 350 {
		t.Fatalf("first pull: %+v", st)
	}
	cursor := st.Cursor

	hub.restart()
	isac.restart()
	hub.submit(intel, taxiitest.Indicators(350, 120, 0, marked(marking.TLP2Green))...)
	st = isac.run(l)
	if st.Objects != 470 || st.Cursor == cursor {
		t.Fatalf("after restarts: state %+v (only the 120 new objects should have come)", st)
	}

	// A run stopped by a shutdown part way keeps the pages it stored: the
	// background worker runs the link at once, the peer stalls on the
	// third page, and the node shuts down (the syncer first, waiting for
	// the run to save its state, as serve does).
	hub.submit(intel, taxiitest.Indicators(470, 330, 0, marked(marking.TLP2Green))...)
	px := newProxy(t, hub.srv.Root)
	isac.usePeerURL(pr.onA, px.root())
	stalled := make(chan struct{})
	px.set(func(p *proxy) { p.stallAt, p.stalled = 3, stalled })
	if err := isac.syncer.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-stalled
	isac.restart()
	st, err := isac.srv.DB.LinkState(context.Background(), l.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The pages stored before the stop (up to two) are counted, and the
	// cursor is after them: what is stored and what the state says agree.
	if st.Objects < 470 || st.Objects > 670 || st.LastError == "" || int64(len(isac.srv.Stored(local))) != st.Objects {
		t.Errorf("after the interrupted run: state %+v, %d entries stored", st, len(isac.srv.Stored(local)))
	}
	px.set(func(p *proxy) { p.stallAt = 0 })
	st = isac.run(l)
	if st.Objects != 800 {
		t.Errorf("after resuming: %+v", st)
	}
	if n := len(isac.srv.Stored(local)); n != 800 {
		t.Errorf("%d entries in the local collection, want 800", n)
	}
}

// TestSyncerInBackground starts the syncer: it runs existing links at
// once, picks up new links on Reload, and stops cleanly.
func TestSyncerInBackground(t *testing.T) {
	t.Parallel()
	hub, isac := newNode(t, "hub", "US"), newNode(t, "isac", "GB")
	a, b := hub.collection("a"), hub.collection("b")
	hub.submit(a, taxiitest.Indicators(0, 30, 0, marked(marking.TLP2Green))...)
	hub.submit(b, taxiitest.Indicators(100, 40, 0, marked(marking.TLP2Green))...)
	pr := connect(isac, hub, profile{country: "US"}, profile{country: "GB"})
	la := pr.pullAB(isac.collection("a"), a)
	if err := isac.syncer.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitRun := func(l *tearline.Link, objects int64) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case r := <-isac.runs:
				if r.link == l.ID && r.err == nil && r.state.Objects == objects {
					return
				}
			case <-deadline:
				t.Fatalf("link %s did not reach %d objects", l.ID, objects)
			}
		}
	}
	waitRun(la, 30)
	lb := pr.pullAB(isac.collection("b"), b)
	if err := isac.syncer.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitRun(lb, 40)
	hub.submit(a, taxiitest.Indicators(200, 5, 0, marked(marking.TLP2Green))...)
	isac.syncer.Kick(la.ID)
	waitRun(la, 35)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := isac.syncer.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// progressStore reports each link state the syncer saves.
type progressStore struct {
	federation.Store
	saved chan tearline.LinkState
}

func (s progressStore) SaveLinkState(ctx context.Context, st *tearline.LinkState) error {
	err := s.Store.SaveLinkState(ctx, st)
	if err == nil {
		s.saved <- *st
	}
	return err
}

// TestPullStoresWhileNextPageWaits pulls from a peer that never answers
// the second page: the first page is stored, and the cursor saved past
// it, while the second is still awaited, not once the client gives up on
// it (a minute here).
func TestPullStoresWhileNextPageWaits(t *testing.T) {
	t.Parallel()
	_, isac, _, local, l, px := proxiedPull(t, 450)
	isac.stopSyncer()
	saved := make(chan tearline.LinkState, 100)
	isac.wrap = func(s federation.Store) federation.Store { return progressStore{s, saved} }
	isac.newSyncerWith(time.Minute)
	stalled := make(chan struct{})
	px.set(func(p *proxy) { p.stallAt, p.stalled = 2, stalled })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // a failed check stops the run at once, not after the client's minute
	ran := make(chan error, 1)
	go func() {
		_, err := isac.syncer.Run(ctx, l.ID)
		ran <- err
	}()
	giveUp := time.After(30 * time.Second) // well before the client's minute
	for stored := false; !stored; {
		select {
		case st := <-saved:
			if st.Objects == 0 {
				continue
			}
			if st.Objects != 100 || st.Cursor == "" {
				t.Fatalf("first progress saved: %+v, want the first page of 100", st)
			}
			stored = true
		case <-giveUp:
			t.Fatal("nothing was stored while the second page was awaited")
		}
	}
	select {
	case <-stalled:
	case <-giveUp:
		t.Fatal("the second page was never asked for")
	}
	if n := len(isac.srv.Stored(local)); n != 100 {
		t.Fatalf("%d entries stored while the second page is awaited, want 100", n)
	}
	select {
	case err := <-ran:
		t.Fatalf("the run ended while the second page was awaited: %v", err)
	default:
	}
	cancel()
	if err := <-ran; err == nil {
		t.Fatal("a run stopped part way reported no error")
	}
}
