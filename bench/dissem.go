package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/taxii"
	"github.com/tearline/tearline/webhook"
)

// dissemOptions are the sizes of the dissem workload.
type dissemOptions struct {
	subs       int           // webhook subscriptions
	orgs       int           // organizations they belong to
	rate       int           // objects per second posted
	duration   time.Duration // of the webhook phase
	envelope   int           // objects per POST
	streams    int           // concurrent event streams
	streamRate int           // objects per second in the stream phase
	streamDur  time.Duration // of the stream phase
	clients    int           // concurrent POST clients
	profile    string        // CPU profile of the webhook phase, when set
}

// dissemOpts holds the flags of the dissem workload.
var dissemOpts dissemOptions

func init() {
	flag.IntVar(&dissemOpts.subs, "dissem-subs", 1000, "dissem workload: webhook subscriptions, each selecting its own label")
	flag.IntVar(&dissemOpts.orgs, "dissem-orgs", 100, "dissem workload: organizations the subscriptions and streams belong to")
	flag.IntVar(&dissemOpts.rate, "dissem-rate", 1000, "dissem workload: objects per second posted in the webhook phase")
	flag.DurationVar(&dissemOpts.duration, "dissem-duration", 20*time.Second, "dissem workload: length of the webhook phase")
	flag.IntVar(&dissemOpts.envelope, "dissem-envelope", 10, "dissem workload: objects per POST in the webhook phase")
	flag.IntVar(&dissemOpts.streams, "dissem-streams", 500, "dissem workload: concurrent event streams, each reading every indicator")
	flag.IntVar(&dissemOpts.streamRate, "dissem-stream-rate", 20, "dissem workload: objects per second posted in the stream phase")
	flag.DurationVar(&dissemOpts.streamDur, "dissem-stream-duration", 10*time.Second, "dissem workload: length of the stream phase")
	flag.IntVar(&dissemOpts.clients, "dissem-clients", 16, "dissem workload: concurrent POST clients")
	flag.StringVar(&dissemOpts.profile, "dissem-profile", "", "dissem workload: write a CPU profile of the webhook phase to this file")
}

// dissemEnv is a server as `tearline serve` runs it (sqlite store, the
// disclosure ledger on, dissemination with its defaults) with a
// producer that posts, organizations that subscribe, and a webhook
// receiver, all on 127.0.0.1.
type dissemEnv struct {
	dir    string
	db     *sqlite.DB
	lg     *ledger.Ledger
	srv    *taxii.Server
	hs     *http.Server
	base   string
	col    *tearline.Collection
	token  string            // the producer's contributor key
	orgs   []string          // subscriber organization ids
	tokens map[string]string // reader key of each subscriber organization
	client *http.Client
}

// arrivals records when each object reached a receiver.
type arrivals struct {
	mu       sync.Mutex
	at       map[string][]time.Time // object id -> arrival times
	requests atomic.Int64
	badSig   atomic.Int64
}

func (a *arrivals) add(ids []string, t time.Time) {
	a.mu.Lock()
	for _, id := range ids {
		a.at[id] = append(a.at[id], t)
	}
	a.mu.Unlock()
}

// runDissem runs the webhook phase (opts.subs subscriptions, each
// selecting its own label, at opts.rate objects/s) and the stream phase
// (opts.streams event streams that all select every indicator).
func runDissem(ctx context.Context, opts dissemOptions) error {
	fmt.Printf("dissem: %d webhook subscriptions of %d organizations, %d objects/s for %v in envelopes of %d; then %d streams at %d objects/s for %v\n",
		opts.subs, opts.orgs, opts.rate, opts.duration, opts.envelope, opts.streams, opts.streamRate, opts.streamDur)
	recv := &arrivals{at: map[string][]time.Time{}}
	secrets := make([]string, opts.subs)
	rln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	rs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		var i int
		fmt.Sscanf(r.URL.Path, "/hook/%d", &i)
		if i < 0 || i >= len(secrets) || webhook.Verify(r.Header.Get(webhook.SignatureHeader), []byte(secrets[i]), body, now, 0) != nil {
			recv.badSig.Add(1)
		}
		recv.requests.Add(1)
		recv.add(objectIDs(body), now)
		w.WriteHeader(http.StatusNoContent)
	})}
	go rs.Serve(rln)
	defer rs.Close()

	e, err := startDissemEnv(ctx, opts, "http://"+rln.Addr().String(), secrets)
	if err != nil {
		return err
	}
	defer func() {
		if err := e.close(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: close: %v\n", err)
		}
	}()
	if err := e.webhookPhase(ctx, opts, recv); err != nil {
		return err
	}
	return e.streamPhase(ctx, opts)
}

// objectIDs returns the ids of the objects of a bundle.
func objectIDs(body []byte) []string {
	var b struct {
		Objects []struct {
			ID string `json:"id"`
		} `json:"objects"`
	}
	json.Unmarshal(body, &b)
	ids := make([]string, len(b.Objects))
	for i, o := range b.Objects {
		ids[i] = o.ID
	}
	return ids
}

// startDissemEnv creates the organizations, keys, grants and webhook
// subscriptions, then starts the server.
func startDissemEnv(ctx context.Context, opts dissemOptions, hookBase string, secrets []string) (_ *dissemEnv, err error) {
	e := &dissemEnv{tokens: map[string]string{}}
	if e.dir, err = os.MkdirTemp("", "tearline-bench-dissem-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.db, err = sqlite.Open(ctx, e.dir); err != nil {
		return nil, err
	}
	if e.lg, err = ledger.Open(filepath.Join(e.dir, ledger.DirName), ledger.Options{}); err != nil {
		return nil, err
	}
	key := func(org string, role tearline.Role) (string, error) {
		tok, err := auth.NewToken()
		if err != nil {
			return "", err
		}
		return tok.String(), e.db.CreateAPIKey(ctx, &tearline.APIKey{ID: tok.KeyID, OrgID: org, Role: role}, tok.Hash())
	}
	producer := &tearline.Organization{Name: "producer", Type: "isac", Country: "US"}
	if err := e.db.CreateOrganization(ctx, producer); err != nil {
		return nil, err
	}
	if e.token, err = key(producer.ID, tearline.RoleContributor); err != nil {
		return nil, err
	}
	e.col = &tearline.Collection{Alias: "shared", Title: "Shared indicators"}
	if err := e.db.CreateCollection(ctx, e.col); err != nil {
		return nil, err
	}
	if err := e.db.SetGrant(ctx, tearline.Grant{CollectionID: e.col.ID, OrgID: producer.ID, Read: true, Write: true}); err != nil {
		return nil, err
	}
	for i := range max(opts.orgs, 1) {
		o := &tearline.Organization{Name: fmt.Sprintf("subscriber %03d", i), Type: "private", Country: "US", Sectors: []string{"energy"}}
		if err := e.db.CreateOrganization(ctx, o); err != nil {
			return nil, err
		}
		if err := e.db.SetGrant(ctx, tearline.Grant{CollectionID: e.col.ID, OrgID: o.ID, Read: true}); err != nil {
			return nil, err
		}
		if e.tokens[o.ID], err = key(o.ID, tearline.RoleReader); err != nil {
			return nil, err
		}
		e.orgs = append(e.orgs, o.ID)
	}
	for i := range opts.subs {
		secrets[i] = fmt.Sprintf("bench-secret-%06d-0123456789", i)
		s := &tearline.Subscription{OrgID: e.orgs[i%len(e.orgs)], Name: fmt.Sprintf("feed %d", i),
			Filter:     []byte(fmt.Sprintf(`{"types":["indicator"],"labels":["feed-%d"]}`, i)),
			WebhookURL: fmt.Sprintf("%s/hook/%d", hookBase, i), WebhookSecret: secrets[i]}
		if err := e.db.CreateSubscription(ctx, s); err != nil {
			return nil, err
		}
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if e.srv, err = taxii.New(taxii.Config{Title: "Tearline", Logger: logger, Ledger: e.lg}, e.db); err != nil {
		return nil, err
	}
	if err := e.srv.Start(ctx); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.hs = &http.Server{Handler: e.srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go e.hs.Serve(ln)
	e.base = "http://" + ln.Addr().String()
	e.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0, DisableCompression: true}}
	return e, nil
}

func (e *dissemEnv) close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if e.hs != nil {
		errs = append(errs, e.hs.Shutdown(ctx))
	}
	if e.srv != nil {
		errs = append(errs, e.srv.Shutdown(ctx))
	}
	if e.lg != nil {
		errs = append(errs, e.lg.Close())
	}
	if e.db != nil {
		errs = append(errs, e.db.Close())
	}
	if e.dir != "" {
		errs = append(errs, os.RemoveAll(e.dir))
	}
	return errors.Join(errs...)
}

// indicatorWithLabel returns indicator i, labelled for subscription
// i%subs.
func indicatorWithLabel(run string, i, subs int) (id, raw string) {
	id = "indicator--" + uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint(run, i))).String()
	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	raw = fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"bench %d",`+
		`"labels":["feed-%d"],"pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix","valid_from":%q,`+
		`"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}`,
		id, ts, ts, i, i%max(subs, 1), i/256%256, i%256, ts)
	return id, raw
}

// sent is when the objects of one POST were due, sent and accepted.
type sent struct {
	ids                 []string
	due, start, accepts time.Time
}

// post posts envelopes of envelope objects at rate objects/s for d from
// clients concurrent clients, and returns what it sent. An envelope is due
// on schedule; a client sends it when free, so a server that cannot keep
// up shows as sends later than due.
func (e *dissemEnv) post(ctx context.Context, run string, rate int, d time.Duration, envelope, subs, clients int) ([]sent, error) {
	interval := time.Duration(float64(time.Second) * float64(envelope) / float64(rate))
	total := int(d.Seconds() * float64(rate) / float64(envelope))
	url := e.base + "/taxii2/default/collections/" + e.col.ID + "/objects/"
	out := make([]sent, total)
	type job struct {
		n    int
		body []byte
	}
	jobs := make(chan job, total)
	errs := make(chan error, total)
	var wg sync.WaitGroup
	for range max(clients, 1) {
		wg.Go(func() {
			for j := range jobs {
				s := &out[j.n]
				s.start = time.Now()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(j.body))
				req.Header.Set("Accept", mediaTAXII)
				req.Header.Set("Content-Type", mediaTAXII)
				req.Header.Set("Authorization", "Bearer "+e.token)
				resp, err := e.client.Do(req)
				if err != nil {
					errs <- err
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				s.accepts = time.Now()
				if resp.StatusCode != http.StatusAccepted {
					errs <- fmt.Errorf("POST: status %d", resp.StatusCode)
				}
			}
		})
	}
	t := time.NewTicker(interval)
	for n := range total {
		<-t.C
		var b strings.Builder
		b.WriteString(`{"objects":[`)
		for j := range envelope {
			id, raw := indicatorWithLabel(run, n*envelope+j, subs)
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(raw)
			out[n].ids = append(out[n].ids, id)
		}
		b.WriteString(`]}`)
		out[n].due = time.Now()
		jobs <- job{n, []byte(b.String())}
	}
	t.Stop()
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return out, nil
}

// feedTimes returns when each object version entered the change feed
// after cursor: the moment its add was committed.
func (e *dissemEnv) feedTimes(ctx context.Context, cursor int64) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for {
		page, err := e.db.ReadFeed(ctx, tearline.FeedQuery{After: cursor})
		if err != nil {
			return nil, err
		}
		for _, en := range page.Entries {
			out[en.ID] = en.Time
		}
		if page.Last == cursor {
			return out, nil
		}
		cursor = page.Last
	}
}

// webhookPhase posts at opts.rate and measures, for every object, the
// time from its POST being accepted to its webhook request arriving.
func (e *dissemEnv) webhookPhase(ctx context.Context, opts dissemOptions, recv *arrivals) error {
	head, err := e.db.FeedHead(ctx)
	if err != nil {
		return err
	}
	stopProfile, err := startProfileFile(opts.profile)
	if err != nil {
		return err
	}
	cpu := startCPU()
	start := time.Now()
	posts, err := e.post(ctx, "hooks", opts.rate, opts.duration, opts.envelope, opts.subs, opts.clients)
	if err != nil {
		return err
	}
	postWall := time.Since(start)
	var want int
	for _, p := range posts {
		want += len(p.ids)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		recv.mu.Lock()
		got := len(recv.at)
		recv.mu.Unlock()
		if got >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	use := cpu.stop()
	stopProfile()
	committed, err := e.feedTimes(ctx, head)
	if err != nil {
		return err
	}
	var fromCommit, fromAccept, fromSend, postLat, wait latencies
	missing, dup := 0, 0
	recv.mu.Lock()
	for _, p := range posts {
		postLat = append(postLat, p.accepts.Sub(p.start))
		wait = append(wait, p.start.Sub(p.due))
		for _, id := range p.ids {
			at := recv.at[id]
			if len(at) == 0 {
				missing++
				continue
			}
			dup += len(at) - 1
			fromCommit = append(fromCommit, at[0].Sub(committed[id]))
			// The webhook may arrive before the client has read the 202.
			fromAccept = append(fromAccept, max(0, at[0].Sub(p.accepts)))
			fromSend = append(fromSend, at[0].Sub(p.start))
		}
	}
	recv.mu.Unlock()
	fmt.Printf("webhooks: posted %d objects in %v (%.0f objects/s), POST %s, sent after due %s\n", want, postWall.Round(time.Millisecond),
		float64(want)/postWall.Seconds(), postLat.summary(), wait.summary())
	fmt.Printf("webhooks: %d requests to the receiver, %d bad signatures, %d objects missing, %d delivered twice; CPU %s\n",
		recv.requests.Load(), recv.badSig.Load(), missing, dup, use)
	fmt.Printf("webhooks: accepted (committed to the feed) -> webhook arrived: p50 %s  p90 %s  p99 %s  max %s   [target p99 < 250 ms: %s; goal 50 ms: %s]\n",
		ms(fromCommit.pct(50)), ms(fromCommit.pct(90)), ms(fromCommit.pct(99)), ms(fromCommit.max()),
		verdict(fromCommit.pct(99) < 250*time.Millisecond), verdict(fromCommit.pct(99) < 50*time.Millisecond))
	fmt.Printf("webhooks: 202 read by the client -> webhook arrived: %s\n", fromAccept.summary())
	fmt.Printf("webhooks: POST sent -> webhook arrived: %s\n", fromSend.summary())
	if missing > 0 {
		return fmt.Errorf("dissem: %d objects never reached their webhook", missing)
	}
	return nil
}

// streamPhase opens opts.streams event streams, spread over the
// organizations, each reading a subscription of every indicator, posts at
// opts.streamRate, and measures the time from a POST being accepted to
// each stream reading each object.
func (e *dissemEnv) streamPhase(ctx context.Context, opts dissemOptions) error {
	if opts.streams == 0 {
		return nil
	}
	subOf := map[string]string{}
	for _, org := range e.orgs {
		s := &tearline.Subscription{OrgID: org, Name: "all indicators", Filter: []byte(`{"types":["indicator"]}`)}
		if err := e.db.CreateSubscription(ctx, s); err != nil {
			return err
		}
		subOf[org] = s.ID
	}
	type got struct {
		id string
		at time.Time
	}
	var (
		mu      sync.Mutex
		reads   = map[string][]time.Time{}
		opened  sync.WaitGroup
		readers sync.WaitGroup
		events  atomic.Int64
	)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streamClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opts.streams, DisableCompression: true}}
	var openErr atomic.Value
	for i := range opts.streams {
		org := e.orgs[i%len(e.orgs)]
		opened.Add(1)
		readers.Go(func() {
			req, _ := http.NewRequestWithContext(sctx, http.MethodGet, e.base+"/api/v1/stream/?subscription="+subOf[org], nil)
			req.Header.Set("Authorization", "Bearer "+e.tokens[org])
			resp, err := streamClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				openErr.Store(fmt.Errorf("open stream: %v %v", err, resp))
				opened.Done()
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 1<<20)
			first := true
			var local []got
			for sc.Scan() {
				line := sc.Bytes()
				if first {
					first = false
					opened.Done() // the server's comment line: the stream is open
				}
				if !bytes.HasPrefix(line, []byte(`data: `)) {
					continue
				}
				if i := bytes.Index(line, []byte(`"id":"`)); i >= 0 {
					rest := line[i+6:]
					if j := bytes.IndexByte(rest, '"'); j > 0 {
						local = append(local, got{string(rest[:j]), time.Now()})
						events.Add(1)
					}
				}
				if len(local) >= 64 {
					mu.Lock()
					for _, g := range local {
						reads[g.id] = append(reads[g.id], g.at)
					}
					mu.Unlock()
					local = local[:0]
				}
			}
			mu.Lock()
			for _, g := range local {
				reads[g.id] = append(reads[g.id], g.at)
			}
			mu.Unlock()
		})
	}
	opened.Wait()
	if err, _ := openErr.Load().(error); err != nil {
		return err
	}
	cpu := startCPU()
	head, err := e.db.FeedHead(ctx)
	if err != nil {
		return err
	}
	posts, err := e.post(ctx, "streams", opts.streamRate, opts.streamDur, 1, 1, opts.clients)
	if err != nil {
		return err
	}
	want := int64(len(posts) * opts.streams)
	deadline := time.Now().Add(60 * time.Second)
	for events.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	use := cpu.stop()
	elapsed := time.Since(posts[0].start)
	cancel()
	readers.Wait()
	committed, err := e.feedTimes(ctx, head)
	if err != nil {
		return err
	}
	var lat latencies
	missing := 0
	for _, p := range posts {
		at := reads[p.ids[0]]
		missing += opts.streams - len(at)
		for _, a := range at {
			lat = append(lat, a.Sub(committed[p.ids[0]]))
		}
	}
	fmt.Printf("streams: %d streams, %d objects, %d events read in %v (%.0f events/s), %d missing; CPU %s\n",
		opts.streams, len(posts), events.Load(), elapsed.Round(time.Millisecond), float64(events.Load())/elapsed.Seconds(), missing, use)
	fmt.Printf("streams: accepted (committed to the feed) -> event read by each stream: p50 %s  p90 %s  p99 %s  max %s\n",
		ms(lat.pct(50)), ms(lat.pct(90)), ms(lat.pct(99)), ms(lat.max()))
	if missing > 0 {
		return fmt.Errorf("dissem: %d stream events missing", missing)
	}
	return nil
}

// startProfileFile starts a CPU profile written to file when it is set,
// and returns the function that stops it.
func startProfileFile(file string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
