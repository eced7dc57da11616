package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/limit"
	"github.com/tearline/tearline/metrics"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/taxii"
)

// loadOptions are the settings of the load workload (-workload load).
type loadOptions struct {
	duration time.Duration
	clients  int
	keys     int
	fill     int
	envelope int
	think    time.Duration
	rate     float64 // per-key rate limit of the server
	burst    int
	sample   time.Duration
}

var loadOpts loadOptions

// The load workload's flags are registered here, so that it needs no
// change to main's flag list.
func init() {
	flag.DurationVar(&loadOpts.duration, "duration", 30*time.Second, "load workload: how long the clients run (the documented long run is 10m)")
	flag.IntVar(&loadOpts.clients, "load-clients", 200, "load workload: concurrent clients")
	flag.IntVar(&loadOpts.keys, "load-keys", 20, "load workload: API keys (one organization each) that the clients share")
	flag.IntVar(&loadOpts.fill, "load-fill", 20000, "load workload: indicators in the collection before the clients start")
	flag.IntVar(&loadOpts.envelope, "load-envelope", 5, "load workload: objects per POSTed envelope")
	flag.DurationVar(&loadOpts.think, "think", 50*time.Millisecond, "load workload: mean pause of a client between operations")
	flag.Float64Var(&loadOpts.rate, "load-rate", 40, "load workload: the server's per-key rate limit, requests/s (0: none); past it clients get 429 and wait Retry-After")
	flag.IntVar(&loadOpts.burst, "load-burst", 40, "load workload: the server's per-key burst")
	flag.DurationVar(&loadOpts.sample, "sample", 0, "load workload: interval of the memory samples (default: duration/20, at least 1s)")
}

// Operations of the load workload and their share of a client's picks.
var loadOps = []struct {
	name  string
	share int
}{
	{"poll", 30},     // GET objects?added_after=<latest seen>
	{"page", 20},     // GET objects?limit=100, then up to 3 more pages by next
	{"manifest", 10}, // GET manifest?limit=100
	{"lookup", 25},   // GET object by id
	{"post", 15},     // POST an envelope of new indicators
}

// loadStats gathers the outcome of every request of one operation.
type loadStats struct {
	mu        sync.Mutex
	lat       map[string]latencies
	requests  map[string]int
	limited   map[string]int // deliberate 429s
	errors    map[string]int
	firstErrs []string
	objects   atomic.Int64 // objects acknowledged by POST statuses
}

func (s *loadStats) record(op string, d time.Duration, status int, err error, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[op]++
	switch {
	case err == nil && status >= 200 && status < 300:
		s.lat[op] = append(s.lat[op], d)
	case err == nil && status == http.StatusTooManyRequests:
		s.limited[op]++
	default:
		s.errors[op]++
		if len(s.firstErrs) < 5 {
			msg := fmt.Sprintf("%s: %d %v %.200s", op, status, err, body)
			s.firstErrs = append(s.firstErrs, msg)
		}
	}
}

// loadEnv is the server of the load workload: as tearline serve runs it
// (sqlite store, disclosure ledger, limits, metrics, serve's timeouts) on
// 127.0.0.1, with keys organizations that read and write one collection.
type loadEnv struct {
	dir     string
	db      *sqlite.DB
	lg      *ledger.Ledger
	srv     *taxii.Server
	hs      *http.Server
	served  chan error
	base    string
	tokens  []string
	col     *tearline.Collection
	metrics *metrics.Metrics
}

func startLoadEnv(ctx context.Context, o loadOptions) (_ *loadEnv, err error) {
	e := &loadEnv{}
	if e.dir, err = os.MkdirTemp("", "tearline-bench-load-"); err != nil {
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
	e.col = &tearline.Collection{Alias: "load", Title: "Load"}
	if err := e.db.CreateCollection(ctx, e.col); err != nil {
		return nil, err
	}
	for i := range o.keys {
		org := &tearline.Organization{Name: fmt.Sprintf("Load Org %d", i), Type: "private", Country: "US"}
		if err := e.db.CreateOrganization(ctx, org); err != nil {
			return nil, err
		}
		tok, err := auth.NewToken()
		if err != nil {
			return nil, err
		}
		if err := e.db.CreateAPIKey(ctx, &tearline.APIKey{ID: tok.KeyID, OrgID: org.ID, Role: tearline.RoleContributor}, tok.Hash()); err != nil {
			return nil, err
		}
		if err := e.db.SetGrant(ctx, tearline.Grant{CollectionID: e.col.ID, OrgID: org.ID, Read: true, Write: true}); err != nil {
			return nil, err
		}
		e.tokens = append(e.tokens, tok.String())
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if e.lg, err = ledger.Open(filepath.Join(e.dir, ledger.DirName), ledger.Options{Logger: logger}); err != nil {
		return nil, err
	}
	e.metrics = metrics.New()
	cfg := taxii.Config{
		Title:   "Tearline",
		Logger:  logger,
		Ledger:  e.lg,
		Metrics: e.metrics,
		Limiter: limit.New(limit.Config{Rate: o.rate, Burst: o.burst, Concurrent: 32, AuthFailureRate: 0.2, AuthFailureBurst: 10}),
	}
	if e.srv, err = taxii.New(cfg, e.db); err != nil {
		return nil, err
	}
	if err := e.srv.Start(ctx); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.hs = &http.Server{Handler: e.srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	e.served = make(chan error, 1)
	go func() { e.served <- e.hs.Serve(ln) }()
	e.base = "http://" + ln.Addr().String()
	return e, nil
}

func (e *loadEnv) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	if e.hs != nil {
		errs = append(errs, e.hs.Shutdown(ctx))
		if err := <-e.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
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

// memSample is one sample of the process's memory during the run.
type memSample struct {
	at         time.Duration
	rss, heap  uint64
	goroutines int
	requests   int
}

// runLoad runs the load workload: it fills a collection, then runs
// o.clients clients for o.duration, each mixing polls, pages, manifests,
// lookups by id and posts with a random pause between operations, and
// reports latency percentiles per operation, deliberate 429s, errors, and
// memory over time. It fails if any request failed other than by a 429.
func runLoad(ctx context.Context, o loadOptions, seed uint64) error {
	if o.clients < 1 || o.keys < 1 || o.fill < 1 || o.envelope < 1 || o.duration <= 0 {
		return errors.New("load: -load-clients, -load-keys, -load-fill, -load-envelope and -duration must be positive")
	}
	if o.sample <= 0 {
		o.sample = max(time.Second, o.duration/20)
	}
	e, err := startLoadEnv(ctx, o)
	if err != nil {
		return err
	}
	defer e.close()
	g := newIndicatorGen(seed)
	fillStart := time.Now()
	for first := 0; first < o.fill; first += 5000 {
		var objs []*tearline.Object
		for i := first; i < min(first+5000, o.fill); i++ {
			objs = append(objs, g.indicator(i))
		}
		if _, err := e.db.AddObjects(ctx, e.col.ID, objs); err != nil {
			return err
		}
	}
	fmt.Printf("load: %d clients over %d keys for %v against a %d-indicator collection (filled in %v); per-key limit %.0f req/s, burst %d; GOMAXPROCS %d\n",
		o.clients, o.keys, o.duration, o.fill, time.Since(fillStart).Round(time.Millisecond), o.rate, o.burst, runtime.GOMAXPROCS(0))

	stats := &loadStats{lat: map[string]latencies{}, requests: map[string]int{}, limited: map[string]int{}, errors: map[string]int{}}
	var nextObj atomic.Int64
	nextObj.Store(int64(o.fill))
	objectsURL := e.base + "/taxii2/default/collections/" + e.col.ID + "/objects/"
	manifestURL := e.base + "/taxii2/default/collections/" + e.col.ID + "/manifest/"
	transport := &http.Transport{MaxIdleConns: o.clients, MaxIdleConnsPerHost: o.clients, IdleConnTimeout: time.Minute, DisableCompression: true}
	hc := &http.Client{Transport: transport, Timeout: time.Minute}
	deadline := time.Now().Add(o.duration)
	start := time.Now()

	var samples []memSample
	sampleDone := make(chan struct{})
	go func() {
		defer close(sampleDone)
		t := time.NewTicker(o.sample)
		defer t.Stop()
		for time.Now().Before(deadline) {
			<-t.C
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			stats.mu.Lock()
			n := 0
			for _, c := range stats.requests {
				n += c
			}
			stats.mu.Unlock()
			samples = append(samples, memSample{at: time.Since(start), rss: currentRSS(), heap: ms.HeapInuse, goroutines: runtime.NumGoroutine(), requests: n})
		}
	}()

	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(c)+1))
			token := e.tokens[c%len(e.tokens)]
			var buf bytes.Buffer
			// X-TAXII-Date-Added-Last of this client's last poll; a client
			// polls for what is new since it started.
			latest := start.UTC().Format("2006-01-02T15:04:05.000000Z")
			do := func(op, method, u string, body []byte) (int, http.Header) {
				var rd io.Reader
				if body != nil {
					rd = bytes.NewReader(body)
				}
				req, _ := http.NewRequestWithContext(ctx, method, u, rd)
				req.Header.Set("Accept", mediaTAXII)
				req.Header.Set("Authorization", "Bearer "+token)
				if body != nil {
					req.Header.Set("Content-Type", mediaTAXII)
				}
				t0 := time.Now()
				resp, err := hc.Do(req)
				status := 0
				var h http.Header
				buf.Reset()
				if err == nil {
					_, err = buf.ReadFrom(resp.Body)
					resp.Body.Close()
					status, h = resp.StatusCode, resp.Header
				}
				stats.record(op, time.Since(t0), status, err, buf.Bytes())
				if status == http.StatusTooManyRequests {
					// Deliberate: wait as told, then carry on.
					secs, _ := strconv.Atoi(h.Get("Retry-After"))
					time.Sleep(time.Duration(max(secs, 1)) * time.Second)
				}
				return status, h
			}
			for time.Now().Before(deadline) {
				if o.think > 0 {
					time.Sleep(time.Duration(r.Int64N(int64(2 * o.think))))
				}
				op := loadOps[weighted(r, 30, 20, 10, 25, 15)].name
				switch op {
				case "poll":
					u := objectsURL + "?added_after=" + url.QueryEscape(latest)
					if status, h := do(op, "GET", u, nil); status == 200 && h.Get("X-TAXII-Date-Added-Last") != "" {
						latest = h.Get("X-TAXII-Date-Added-Last")
					}
				case "page":
					next := ""
					for range 1 + r.IntN(4) {
						u := objectsURL + "?limit=100"
						if next != "" {
							u += "&next=" + url.QueryEscape(next)
						}
						if status, _ := do(op, "GET", u, nil); status != 200 {
							break
						}
						var env struct {
							More bool   `json:"more"`
							Next string `json:"next"`
						}
						if json.Unmarshal(buf.Bytes(), &env) != nil || !env.More {
							break
						}
						next = env.Next
					}
				case "manifest":
					do(op, "GET", manifestURL+"?limit=100", nil)
				case "lookup":
					obj := g.indicator(r.IntN(o.fill))
					do(op, "GET", objectsURL+obj.ID+"/", nil)
				case "post":
					first := int(nextObj.Add(int64(o.envelope))) - o.envelope
					if status, _ := do(op, "POST", objectsURL, g.envelope(first, o.envelope)); status == http.StatusAccepted {
						var st statusResource
						if json.Unmarshal(buf.Bytes(), &st) == nil && st.Status == tearline.StatusComplete {
							stats.objects.Add(int64(st.SuccessCount))
							if st.FailureCount > 0 {
								stats.record("post-objects", 0, 0, fmt.Errorf("%d objects failed", st.FailureCount), buf.Bytes())
							}
						} else {
							stats.record("post-status", 0, 0, errors.New("status not complete"), buf.Bytes())
						}
					}
				}
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	<-sampleDone
	transport.CloseIdleConnections()
	if err := e.lg.Flush(); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return reportLoad(o, e, stats, samples, wall)
}

// reportLoad prints the results of the load workload and fails on errors.
func reportLoad(o loadOptions, e *loadEnv, stats *loadStats, samples []memSample, wall time.Duration) error {
	total, limited, failed := 0, 0, 0
	ops := make([]string, 0, len(stats.requests))
	for op := range stats.requests {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	fmt.Printf("%-9s %9s %7s %6s %9s %9s %9s %9s\n", "operation", "requests", "429s", "errors", "p50", "p90", "p99", "max")
	for _, op := range ops {
		l := stats.lat[op]
		fmt.Printf("%-9s %9d %7d %6d %9s %9s %9s %9s\n", op, stats.requests[op], stats.limited[op], stats.errors[op],
			ms(l.pct(50)), ms(l.pct(90)), ms(l.pct(99)), ms(l.max()))
		total += stats.requests[op]
		limited += stats.limited[op]
		failed += stats.errors[op]
	}
	fmt.Printf("%d requests in %v (%.0f/s), %d deliberate 429s (%.2f%%), %d errors; %d objects posted and acknowledged\n",
		total, wall.Round(time.Second), float64(total)/wall.Seconds(), limited, 100*float64(limited)/float64(max(total, 1)), failed, stats.objects.Load())
	st := e.lg.Stats()
	fmt.Printf("ledger: %d records, %d disclosures; data directory %.0f MB\n", st.Records, st.Disclosures, float64(dirSize(e.dir))/1e6)

	fmt.Printf("%8s %10s %10s %10s %10s\n", "time", "RSS MiB", "heap MiB", "goroutines", "requests")
	for _, s := range samples {
		fmt.Printf("%8s %10.1f %10.1f %10d %10d\n", s.at.Round(time.Second), float64(s.rss)/(1<<20), float64(s.heap)/(1<<20), s.goroutines, s.requests)
	}
	if len(samples) >= 4 {
		// Flat memory: the largest RSS of the last quarter against that of
		// the second (the first is warm-up: caches and pools filling).
		q := len(samples) / 4
		peak := func(ss []memSample) uint64 {
			var m uint64
			for _, s := range ss {
				m = max(m, s.rss)
			}
			return m
		}
		second, last := peak(samples[q:2*q]), peak(samples[len(samples)-q:])
		fmt.Printf("RSS peak, second quarter %.1f MiB, last quarter %.1f MiB: %+.1f%%\n",
			float64(second)/(1<<20), float64(last)/(1<<20), 100*(float64(last)-float64(second))/float64(max(second, 1)))
	}
	for _, msg := range stats.firstErrs {
		fmt.Printf("error: %s\n", msg)
	}
	if failed > 0 {
		return fmt.Errorf("load: %d requests failed other than by a deliberate 429", failed)
	}
	return nil
}
