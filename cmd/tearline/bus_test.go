package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/tearline/tearline/bus/bustest"
	"github.com/tearline/tearline/postgres/pgtest"
	"github.com/tearline/tearline/webhook"
)

// TestTwoNodes runs two `tearline serve` processes over one PostgreSQL
// database with a NATS bus between them (the NATS server on
// 127.0.0.1:4222, or an embedded one). Node A takes both webhook
// subscriptions; objects posted to A reach a stream on B at once (B's
// feed poll is an hour: only the bus can wake it); A is killed with
// SIGKILL while one of its deliveries is in flight at the receiver
// (which then fails it), and B takes the subscriptions over from their
// saved cursors and delivers everything, including what was posted to B
// afterwards. The receiver checks that no subscription ever has two
// deliveries in flight at once.
func TestTwoNodes(t *testing.T) {
	if os.Getenv(pgtest.EnvURL) == "" {
		t.Skipf("the two-node test needs PostgreSQL: set %s to a database such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable (NATS is the server on 127.0.0.1:4222 or an embedded one)", pgtest.EnvURL)
	}
	t.Parallel()
	store := pgtest.URL(t)
	natsURL := bustest.URL(t)
	busName := bustest.Name(t, natsURL)
	bin := buildBinary(t)

	token, colID := acmeStore(t, store)
	rcv, hookURL := hookServer(t)
	var subs []string
	for range 2 {
		subs = append(subs, cli(t, "subscription", "add", "--store", store, "--org", "acme",
			"--filter", `{"types":["indicator"]}`, "--webhook", hookURL+"/hook"))
	}
	// A third subscription's receiver fails until told otherwise: its
	// first delivery becomes a dead letter.
	failing := cli(t, "subscription", "add", "--store", store, "--org", "acme",
		"--filter", `{"types":["indicator"]}`, "--webhook", hookURL+"/fail")
	admin := cli(t, "key", "create", "--store", store, "--org", "acme", "--role", "admin")
	streamSub := cli(t, "subscription", "add", "--store", store, "--org", "acme", "--filter", `{"types":["indicator"]}`)

	dir := t.TempDir()
	node := func(name string) *child {
		return startNode(t, bin, filepath.Join(dir, name),
			"--store", store, "--bus", natsURL, "--bus-name", busName, "--bus-node", name, "--bus-lease-ttl", "2s",
			"--feed-poll", "1h", "--webhook-backoff", "100ms", "--webhook-max-backoff", "1s", "--webhook-attempts", "2")
	}
	a := node("a")
	for _, s := range append(subs, failing) {
		waitLog(t, a.log, `"subscription":"`+s+`"`, "this node delivers the subscription")
	}
	b := node("b")
	hc := &http.Client{Timeout: time.Minute}
	ca := &liveClient{base: a.base, token: token, col: colID, hc: hc}
	cb := &liveClient{base: b.base, token: token, col: colID, hc: hc}
	stream := openSSE(t, b.base+"/api/v1/stream/?subscription="+streamSub, token)

	var want []string
	postBatch := func(c *liveClient, tag string) {
		t.Helper()
		want = append(want, postIndicators(t, c, tag)...)
	}

	// A delivers; B's stream sees A's objects, woken by the bus.
	postBatch(ca, "before")
	posted := time.Now()
	stream.take(t, want)
	// Logged, not asserted: B's feed poll is an hour, so only the bus
	// can have woken it.
	t.Logf("the stream on node b had the 20 objects posted to node a %v after the POST returned", time.Since(posted))
	rcv.wait(t, subs, want)

	// Node b, which does not deliver the failing subscription, passes a
	// request to send its dead letter again on to node a over the bus.
	dead := waitDeadLetter(t, b.base, admin, failing)
	rcv.failing.Store(false)
	if code, body := do(t, hc, "POST", b.base+"/api/v1/subscriptions/"+failing+"/dead-letters/"+dead+"/redrive/", admin, nil); code != http.StatusAccepted {
		t.Fatalf("redrive on node b: %d %s", code, body)
	}
	rcv.wait(t, []string{failing}, want)
	subs = append(subs, failing)

	// A is killed while a delivery is in flight; the receiver then fails
	// that delivery, so only a redelivery by B can bring its objects.
	release := rcv.arm()
	postBatch(ca, "during")
	select {
	case <-rcv.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery of the second batch reached the receiver within 30s")
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	killed := time.Now()
	close(release)
	postBatch(cb, "after")
	rcv.wait(t, subs, want)
	t.Logf("node b delivered everything %v after node a was killed (lease TTL 2s)", time.Since(killed))
	stream.take(t, want)
	for _, s := range subs {
		waitLog(t, b.log, `"subscription":"`+s+`"`, "this node delivers the subscription")
	}
	if o := rcv.overlaps(); len(o) > 0 {
		t.Errorf("deliveries in flight at once for one subscription: %v", o)
	}
	t.Logf("%d objects per subscription, %d deliveries, %d objects delivered again (at least once)", len(want), rcv.count(), rcv.repeats())

	// B stops gracefully, its stream open: the stop ends it.
	b.cmd.Process.Signal(syscall.SIGTERM)
	if err := b.cmd.Wait(); err != nil {
		t.Errorf("node b: %v\n%s", err, readFile(b.log))
	}
}

// acmeStore adds to store the organization acme, a contributor key of
// its (returned) and a collection it reads and writes (its id returned);
// colArgs go to the collection's `collection add`.
func acmeStore(t *testing.T, store string, colArgs ...string) (token, colID string) {
	t.Helper()
	cli(t, "org", "add", "--store", store, "--name", "acme")
	token = cli(t, "key", "create", "--store", store, "--org", "acme", "--role", "contributor")
	colID = cli(t, append([]string{"collection", "add", "--store", store, "--title", "Intel", "--read", "acme", "--write", "acme"}, colArgs...)...)
	return token, colID
}

// hookServer serves a webhook receiver for the test and returns it and its
// base URL.
func hookServer(t *testing.T) (*hookReceiver, string) {
	t.Helper()
	rcv := newHookReceiver()
	ts := httptest.NewServer(rcv)
	t.Cleanup(ts.Close)
	return rcv, ts.URL
}

// postIndicators posts 20 new indicators tagged tag in one envelope and
// returns their ids.
func postIndicators(t *testing.T, c *liveClient, tag string) []string {
	t.Helper()
	var list [][]byte
	for i := range 20 {
		_, raw := liveIndicator(tag, i)
		list = append(list, raw)
	}
	ids, err := c.post(context.Background(), list)
	if err != nil || len(ids) != len(list) {
		t.Fatalf("post %s: %v (%d stored)", tag, err, len(ids))
	}
	return ids
}

// startNode starts the binary serving with its own data directory (the
// ledger's) and args, and waits until it serves.
func startNode(t *testing.T, bin, data string, args ...string) *child {
	t.Helper()
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	logPath := data + ".log"
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0",
		"--rate-limit", "0", "--max-concurrent", "0"}, args...)...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		close(found)
	}()
	select {
	case base, ok := <-found:
		if !ok {
			t.Fatalf("%s exited before serving; its log:\n%s", data, readFile(logPath))
		}
		return &child{cmd: cmd, base: base, log: logPath}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not serve within 60s; its log:\n%s", data, readFile(logPath))
	}
	return nil
}

// waitLog waits until a line of the log file holds every one of parts.
func waitLog(t *testing.T, path string, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		for line := range strings.SplitSeq(readFile(path), "\n") {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(line, p)
			}
			if ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line of %s with %q within 30s; the log:\n%s", path, parts, readFile(path))
		}
		<-tick.C
	}
}

// hookReceiver is a webhook receiver that records the objects delivered
// to each subscription and every time two deliveries of one subscription
// were in flight at once. Armed, it holds the next delivery until
// released and then fails it, recording nothing.
type hookReceiver struct {
	failing  atomic.Bool // /fail answers 500
	mu       sync.Mutex
	inflight map[string]int
	overlap  []string
	got      map[string]map[string]int // subscription, object id: times
	n        int
	changed  chan struct{}
	gate     chan struct{} // the release of an armed receiver; nil when not armed
	arrived  chan struct{}
}

func newHookReceiver() *hookReceiver {
	h := &hookReceiver{inflight: map[string]int{}, got: map[string]map[string]int{},
		changed: make(chan struct{}), arrived: make(chan struct{}, 1)}
	h.failing.Store(true)
	return h
}

// waitDeadLetter waits until the subscription has a dead letter, asking
// the admin API of base, and returns its id.
func waitDeadLetter(t *testing.T, base, token, sub string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body := do(t, http.DefaultClient, "GET", base+"/api/v1/subscriptions/"+sub+"/dead-letters/", token, nil)
		var res struct {
			DeadLetters []struct{ ID string } `json:"dead_letters"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &res) != nil {
			t.Fatalf("dead letters of %s: %d %s", sub, code, body)
		}
		if len(res.DeadLetters) > 0 {
			return res.DeadLetters[0].ID
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscription %s has no dead letter within 30s", sub)
		}
		<-tick.C
	}
}

// arm makes the receiver hold the next delivery; closing the returned
// channel lets it fail.
func (h *hookReceiver) arm() chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gate = make(chan struct{})
	return h.gate
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sub := r.Header.Get(webhook.SubscriptionHeader)
	body, err := io.ReadAll(r.Body)
	h.mu.Lock()
	h.inflight[sub]++
	if h.inflight[sub] > 1 {
		h.overlap = append(h.overlap, sub)
	}
	gate := h.gate
	h.gate = nil
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inflight[sub]--
		h.mu.Unlock()
	}()
	if r.URL.Path == "/fail" && h.failing.Load() {
		http.Error(w, "receiver failing", http.StatusInternalServerError)
		return
	}
	if gate != nil {
		h.arrived <- struct{}{}
		<-gate
		http.Error(w, "receiver failed", http.StatusServiceUnavailable)
		return
	}
	var bundle struct {
		Objects []struct{ ID string } `json:"objects"`
	}
	if err != nil || json.Unmarshal(body, &bundle) != nil {
		http.Error(w, "bad bundle", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.got[sub] == nil {
		h.got[sub] = map[string]int{}
	}
	for _, o := range bundle.Objects {
		h.got[sub][o.ID]++
	}
	h.n++
	close(h.changed)
	h.changed = make(chan struct{})
}

// wait waits until every subscription has had every object of ids.
func (h *hookReceiver) wait(t *testing.T, subs, ids []string) {
	t.Helper()
	deadline := time.After(45 * time.Second)
	for {
		h.mu.Lock()
		var missing []string
		for _, s := range subs {
			for _, id := range ids {
				if h.got[s][id] == 0 {
					missing = append(missing, s+" "+id)
				}
			}
		}
		changed := h.changed
		h.mu.Unlock()
		if len(missing) == 0 {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("not delivered within 45s: %d of %d, e.g. %s", len(missing), len(subs)*len(ids), missing[0])
		}
	}
}

func (h *hookReceiver) overlaps() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.overlap
}

func (h *hookReceiver) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// repeats counts the objects delivered more than once to a subscription.
func (h *hookReceiver) repeats() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.got {
		for _, c := range m {
			n += c - 1
		}
	}
	return n
}

// sseIDs reads the ids of the STIX objects of a server-sent event stream.
type sseIDs struct {
	ids  chan string
	seen map[string]bool
	body io.Closer
}

// openSSE opens an event stream with a token.
func openSSE(t *testing.T, u, token string) *sseIDs {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("stream %s: %d %s", u, resp.StatusCode, b)
	}
	t.Cleanup(func() { resp.Body.Close() })
	s := &sseIDs{ids: make(chan string, 4096), seen: map[string]bool{}, body: resp.Body}
	go func() {
		defer close(s.ids)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				event = ""
			case strings.HasPrefix(line, "event: "):
				event = line[7:]
			case strings.HasPrefix(line, "data: ") && event == "stix":
				var o struct{ ID string }
				if json.Unmarshal([]byte(line[6:]), &o) == nil {
					s.ids <- o.ID
				}
			}
		}
	}()
	return s
}

// take reads the stream until it has seen every object of ids.
func (s *sseIDs) take(t *testing.T, ids []string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		missing := 0
		for _, id := range ids {
			if !s.seen[id] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		select {
		case id, ok := <-s.ids:
			if !ok {
				t.Fatal("the stream ended")
			}
			s.seen[id] = true
		case <-deadline:
			t.Fatalf("stream: %d of %d objects not seen within 30s", missing, len(ids))
		}
	}
}

// TestServeBusSettings reads the bus settings from a TOML file under
// the flags, and refuses a bus that cannot be used, naming --bus
// without its password.
func TestServeBusSettings(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "tearline.toml")
	writeFile(t, file, "bus = \"nats://127.0.0.1:4222\"\nbus_name = \"hub\"\nbus_lease_ttl = \"30s\"\n")
	cfg := defaultServeConfig()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.register(fs)
	if err := fs.Parse([]string{"--bus-node", "node-1"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.resolve(fs, file); err != nil {
		t.Fatal(err)
	}
	want := busConfig{Bus: "nats://127.0.0.1:4222", BusName: "hub", BusLeaseTTL: 30 * time.Second, BusNode: "node-1"}
	if cfg.busConfig != want {
		t.Errorf("bus settings %+v, want %+v", cfg.busConfig, want)
	}
	writeFile(t, file, "bus_lease_ttl = \"-1s\"\n")
	if err := defaultServeConfigPtr().resolve(pflag.NewFlagSet("x", pflag.ContinueOnError), file); err == nil || !strings.Contains(err.Error(), "bus_lease_ttl") {
		t.Errorf("negative lease TTL: %v", err)
	}

	for _, tt := range []struct{ bus, name, want string }{
		{"nats://user:secret@127.0.0.1:1", "tearline", "--bus nats://user:xxxxx@127.0.0.1:1: bus: connect"},
		{"nats://127.0.0.1:4222", "a.b", `--bus nats://127.0.0.1:4222: bus: name "a.b"`},
	} {
		cfg := defaultServeConfig()
		cfg.Data, cfg.Listen, cfg.Bus, cfg.BusName = t.TempDir(), "127.0.0.1:0", tt.bus, tt.name
		srv, err := startServer(context.Background(), cfg, io.Discard)
		if err == nil {
			srv.Close(context.Background())
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("--bus %s --bus-name %s: %v; want an error with %q and no password", tt.bus, tt.name, err, tt.want)
		}
	}
}
