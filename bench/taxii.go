package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/taxii"
)

// The targets of issue 3, item 6.
const (
	targetPostRate   = 20000 // objects/s, sustained
	goalPostRate     = 50000
	targetPageP99    = 50 * time.Millisecond
	targetDrain      = 60 * time.Second
	targetPollP99    = 5 * time.Millisecond
	mediaTAXII       = "application/taxii+json;version=2.1"
	statusPollPeriod = 5 * time.Millisecond
)

// taxiiOptions are the sizes of the TAXII workloads.
type taxiiOptions struct {
	runs        int
	seed        uint64
	postObjects int // indicators posted by the post workload
	envelope    int // objects per POSTed envelope
	clients     int // concurrent POST clients
	pageObjects int // size of the page workload's collection
	pageLimit   int // limit of each GET
	polls       int // requests of the poll workload
	pollObjects int // collection size of a poll workload run on its own
	profileDir  string
}

// taxiiEnv is a Tearline TAXII server started in-process as `tearline serve`
// starts it (sqlite store in a fresh data directory, taxii.Server, net/http
// server on a real 127.0.0.1 listener), with one organization holding a
// contributor key and read/write access to one collection, and a
// keep-alive client.
type taxiiEnv struct {
	dir    string // a temporary data directory, removed by close
	kept   string // a data directory close leaves
	db     *sqlite.DB
	srv    *taxii.Server
	hs     *http.Server
	served chan error
	base   string // http://127.0.0.1:port
	token  string
	col    *tearline.Collection
	client *http.Client
	size   int       // objects in the collection
	last   time.Time // latest date_added in the collection, when known
}

// startEnv starts a server on a new store in a temporary directory.
func startEnv(ctx context.Context) (*taxiiEnv, error) { return startEnvIn(ctx, "") }

// startEnvIn starts a server on the store in data directory dir, which it
// keeps, or on a new one in a temporary directory for "". A store that a
// previous run left has the organization and collection already; the run
// makes a key of its own.
func startEnvIn(ctx context.Context, dir string) (_ *taxiiEnv, err error) {
	e := &taxiiEnv{}
	if dir != "" {
		e.kept = dir
	} else if e.dir, err = os.MkdirTemp("", "tearline-bench-taxii-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.db, err = sqlite.Open(ctx, e.dir+e.kept); err != nil {
		return nil, err
	}
	const orgName = "Bench Feed Producer"
	org, err := e.db.FindOrganization(ctx, orgName)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		org = &tearline.Organization{Name: orgName, Type: "private", Country: "US"}
		err = e.db.CreateOrganization(ctx, org)
	}
	if err != nil {
		return nil, err
	}
	tok, err := auth.NewToken()
	if err != nil {
		return nil, err
	}
	if err := e.db.CreateAPIKey(ctx, &tearline.APIKey{ID: tok.KeyID, OrgID: org.ID, Role: tearline.RoleContributor, Description: "bench"}, tok.Hash()); err != nil {
		return nil, err
	}
	e.token = tok.String()
	e.col, err = e.db.FindCollection(ctx, "bench-indicators")
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		e.col = &tearline.Collection{Alias: "bench-indicators", Title: "Bench indicators",
			MediaTypes: []string{"application/stix+json;version=2.1"}}
		err = e.db.CreateCollection(ctx, e.col)
	}
	if err != nil {
		return nil, err
	}
	if err := e.db.SetGrant(ctx, tearline.Grant{CollectionID: e.col.ID, OrgID: org.ID, Read: true, Write: true}); err != nil {
		return nil, err
	}
	if err := setPostPII(ctx, e.db, e.col.ID); err != nil {
		return nil, err
	}

	// As cmd/tearline/serve.go does, with its default settings; the access
	// log goes through the same JSON handler at level info, to nowhere.
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if e.srv, err = taxii.New(taxii.Config{Title: "Tearline", Logger: logger}, e.db); err != nil {
		return nil, err
	}
	if err := e.srv.Start(ctx); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.hs = &http.Server{
		Handler:           e.srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	e.served = make(chan error, 1)
	go func() { e.served <- e.hs.Serve(ln) }()
	e.base = "http://" + ln.Addr().String()
	e.client = &http.Client{Transport: &http.Transport{
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
	}}
	return e, nil
}

// close stops the server, closes the store and removes the directory.
func (e *taxiiEnv) close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if e.hs != nil {
		errs = append(errs, e.hs.Shutdown(ctx))
		if err := <-e.served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
		e.client.CloseIdleConnections()
	}
	if e.srv != nil {
		errs = append(errs, e.srv.Shutdown(ctx))
	}
	if e.db != nil {
		errs = append(errs, e.db.Close())
	}
	if e.dir != "" {
		errs = append(errs, os.RemoveAll(e.dir))
	}
	return errors.Join(errs...)
}

func (e *taxiiEnv) objectsURL() string {
	return e.base + "/taxii2/default/collections/" + e.col.ID + "/objects/"
}

// do sends a TAXII request and reads the answer into buf; it fails unless
// the status is want.
func (e *taxiiEnv) do(method, url string, body []byte, want int, buf *bytes.Buffer) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", mediaTAXII)
	req.Header.Set("Authorization", "Bearer "+e.token)
	if body != nil {
		req.Header.Set("Content-Type", mediaTAXII)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, url, err)
	}
	if resp.StatusCode != want {
		msg := buf.String()
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		return nil, fmt.Errorf("%s %s: status %d: %s", method, url, resp.StatusCode, msg)
	}
	return resp.Header, nil
}

// statusResource is the part of a TAXII status the bench reads.
type statusResource struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	TotalCount   int    `json:"total_count"`
	SuccessCount int    `json:"success_count"`
	FailureCount int    `json:"failure_count"`
	PendingCount int    `json:"pending_count"`
	Failures     []struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"failures"`
}

// postResult is the outcome of the post workload.
type postResult struct {
	objects, envelopes, bytes int
	wall                      time.Duration
	envelope                  latencies // POST sent until the status read back is complete
	answer                    latencies // POST sent until its 202 answer is read
	cpu                       cpuUse
	textLag                   time.Duration // after wall, until the full-text index was in step
	textCPU                   time.Duration // process CPU until then
}

// benchPost posts opts.postObjects new indicators in envelopes of
// opts.envelope from opts.clients concurrent clients; each client, after
// each POST, reads the status back from the status endpoint until it is
// complete, as TAXII clients do. The envelopes are built before the clock
// starts.
func benchPost(e *taxiiEnv, opts taxiiOptions, g *indicatorGen) (*postResult, error) {
	n := (opts.postObjects + opts.envelope - 1) / opts.envelope
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				first := i * opts.envelope
				bodies[i] = g.envelope(first, min(opts.envelope, opts.postObjects-first))
			}
		})
	}
	wg.Wait()
	res := &postResult{objects: opts.postObjects, envelopes: n}
	for _, b := range bodies {
		res.bytes += len(b)
	}
	runtime.GC()

	stop, err := startProfile(opts.profileDir, "post")
	if err != nil {
		return nil, err
	}
	var (
		mu       sync.Mutex
		firstErr error
		success  atomic.Int64
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	next.Store(0)
	cpu := startCPU()
	start := time.Now()
	for range opts.clients {
		wg.Go(func() {
			var buf bytes.Buffer
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				t0 := time.Now()
				if _, err := e.do(http.MethodPost, e.objectsURL(), bodies[i], http.StatusAccepted, &buf); err != nil {
					fail(err)
					return
				}
				answered := time.Since(t0)
				var st statusResource
				if err := json.Unmarshal(buf.Bytes(), &st); err != nil {
					fail(fmt.Errorf("POST answer: %w", err))
					return
				}
				// Read the status back from its endpoint until it is
				// complete, whatever the POST answered.
				url := e.base + "/taxii2/default/status/" + st.ID + "/"
				for {
					if _, err := e.do(http.MethodGet, url, nil, http.StatusOK, &buf); err != nil {
						fail(err)
						return
					}
					st = statusResource{}
					if err := json.Unmarshal(buf.Bytes(), &st); err != nil {
						fail(fmt.Errorf("status: %w", err))
						return
					}
					if st.Status == tearline.StatusComplete {
						break
					}
					time.Sleep(statusPollPeriod)
				}
				took := time.Since(t0)
				if st.FailureCount > 0 {
					fail(fmt.Errorf("envelope %d: %d failures, first: %s: %s", i, st.FailureCount, st.Failures[0].ID, st.Failures[0].Message))
					return
				}
				success.Add(int64(st.SuccessCount))
				mu.Lock()
				res.envelope = append(res.envelope, took)
				res.answer = append(res.answer, answered)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.wall = time.Since(start)
	res.cpu = cpu.stop()
	// The portal's full-text index is written after each commit by its own
	// writer; how long it still needs is reported, not counted.
	textErr := e.db.SyncText(context.Background())
	res.textLag, res.textCPU = time.Since(start)-res.wall, cpu.stop().cpu
	stop()
	if textErr != nil {
		return nil, textErr
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if int(success.Load()) != opts.postObjects {
		return nil, fmt.Errorf("statuses report %d successes, %d objects were posted", success.Load(), opts.postObjects)
	}
	count, err := e.db.CountObjects(context.Background(), e.col.ID)
	if err != nil {
		return nil, err
	}
	if count != opts.postObjects {
		return nil, fmt.Errorf("the collection holds %d objects after posting %d", count, opts.postObjects)
	}
	e.size = count
	return res, nil
}

// fill adds indicators 0 to n-1 to the collection straight through the
// store, in batches, generating the next batch while the store writes one.
// Every 997th indicator is also validated, to keep the generator honest.
// It returns the time taken and the rate (objects/s) of each tenth of the
// fill, which shows whether adding gets slower as the collection grows.
func fill(ctx context.Context, e *taxiiEnv, g *indicatorGen, n int) (time.Duration, []float64, error) {
	batch := min(5000, max(n/10, 1))
	start := time.Now()
	batches := make(chan []*tearline.Object, 2)
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		for first := 0; first < n; first += batch {
			objs := make([]*tearline.Object, 0, batch)
			for i := first; i < min(first+batch, n); i++ {
				o := g.indicator(i)
				if i%997 == 0 {
					if _, issues := stix.ValidateObject(o.Raw, ""); issues.HasErrors() {
						errc <- fmt.Errorf("generated indicator %d is invalid: %v", i, issues.Errors())
						return
					}
				}
				objs = append(objs, o)
			}
			select {
			case batches <- objs:
			case <-ctx.Done():
				return
			}
		}
	}()
	added := 0
	var rates []float64
	tenth, mark, markAt := max(n/10, 1), 0, start
	for objs := range batches {
		res, err := e.db.AddObjects(ctx, e.col.ID, objs)
		if err != nil {
			return 0, nil, err
		}
		for _, r := range res {
			if r.Status != tearline.Added {
				return 0, nil, fmt.Errorf("fill: an object was %v, not added", r.Status)
			}
			e.last = r.DateAdded
		}
		added += len(objs)
		if added-mark >= tenth || added == n {
			rates = append(rates, float64(added-mark)/time.Since(markAt).Seconds())
			mark, markAt = added, time.Now()
		}
	}
	select {
	case err := <-errc:
		return 0, nil, err
	default:
	}
	if added != n {
		return 0, nil, fmt.Errorf("fill: added %d of %d", added, n)
	}
	e.size = n
	return time.Since(start), rates, nil
}

// pageResult is the outcome of the page workload.
type pageResult struct {
	objects, pages     int
	bytes              int64
	fill               time.Duration
	fillRates          []float64 // objects/s of each tenth of the fill
	fillCPU            cpuUse
	dbBytes            int64
	drain              time.Duration
	drainCPU           cpuUse
	page               latencies // request sent until the whole page is read
	heapMin, heapMax   uint64    // runtime.MemStats.HeapInuse, sampled after each page
	rssMin, rssMax     uint64    // resident set size, sampled after each page
	heapStart, heapEnd uint64
	heapQuarters       [4]uint64 // the largest heap sample of each quarter of the drain
	heapAfterGC        uint64    // HeapInuse after a collection at the end of the drain
}

// pageEnvelope is the part of an objects page the bench reads.
type pageEnvelope struct {
	More    bool   `json:"more"`
	Next    string `json:"next"`
	Objects []struct {
		ID string `json:"id"`
	} `json:"objects"`
}

// benchPage fills a collection of opts.pageObjects indicators through the
// store, then drains it over TAXII with limit=opts.pageLimit, following
// next until more is false, and checks that every indicator came exactly
// once.
func benchPage(ctx context.Context, e *taxiiEnv, opts taxiiOptions, g *indicatorGen) (*pageResult, error) {
	res := &pageResult{}
	stop, err := startProfile(opts.profileDir, "page-fill")
	if err != nil {
		return nil, err
	}
	cpu := startCPU()
	res.fill, res.fillRates, err = fill(ctx, e, g, opts.pageObjects)
	res.fillCPU = cpu.stop()
	stop()
	if err != nil {
		return nil, err
	}
	res.dbBytes = dirSize(e.dir)

	// The id sets are allocated whole before the drain, so that they do
	// not show as growth in the heap samples.
	want := make([][16]byte, opts.pageObjects)
	for i := range want {
		want[i] = g.id(i)
	}
	slices.SortFunc(want, compareUUID)
	got := make([][16]byte, 0, opts.pageObjects)
	res.page = make(latencies, 0, opts.pageObjects/opts.pageLimit+2)
	var buf bytes.Buffer
	buf.Grow(opts.pageLimit * 1400)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.heapStart, res.heapMin, res.heapMax = ms.HeapInuse, ms.HeapInuse, ms.HeapInuse
	res.rssMin, res.rssMax = ^uint64(0), 0

	stop, err = startProfile(opts.profileDir, "page")
	if err != nil {
		return nil, err
	}
	base := e.objectsURL() + "?limit=" + strconv.Itoa(opts.pageLimit)
	url := base
	var env pageEnvelope
	var lastHeader string
	cpu = startCPU()
	start := time.Now()
	for {
		t0 := time.Now()
		h, err := e.do(http.MethodGet, url, nil, http.StatusOK, &buf)
		if err != nil {
			stop()
			return nil, err
		}
		res.page = append(res.page, time.Since(t0))
		res.pages++
		res.bytes += int64(buf.Len())
		env = pageEnvelope{Objects: env.Objects[:0]}
		if err := json.Unmarshal(buf.Bytes(), &env); err != nil {
			stop()
			return nil, fmt.Errorf("page %d: %w", res.pages, err)
		}
		for _, o := range env.Objects {
			u, ok := parseUUID(strings.TrimPrefix(o.ID, "indicator--"))
			if !ok || !strings.HasPrefix(o.ID, "indicator--") || len(got) == cap(got) {
				stop()
				return nil, fmt.Errorf("page %d: unexpected object %q (after %d objects)", res.pages, o.ID, len(got))
			}
			got = append(got, u)
		}
		if l := h.Get("X-TAXII-Date-Added-Last"); l != "" {
			lastHeader = l
		}
		runtime.ReadMemStats(&ms)
		res.heapMin, res.heapMax = min(res.heapMin, ms.HeapInuse), max(res.heapMax, ms.HeapInuse)
		q := min(4*len(got)/opts.pageObjects, 3)
		res.heapQuarters[q] = max(res.heapQuarters[q], ms.HeapInuse)
		rss := currentRSS()
		res.rssMin, res.rssMax = min(res.rssMin, rss), max(res.rssMax, rss)
		if !env.More {
			break
		}
		if env.Next == "" {
			stop()
			return nil, fmt.Errorf("page %d: more is true without next", res.pages)
		}
		url = base + "&next=" + env.Next
	}
	res.drain = time.Since(start)
	res.drainCPU = cpu.stop()
	stop()
	res.heapEnd = ms.HeapInuse
	runtime.GC()
	runtime.ReadMemStats(&ms)
	res.heapAfterGC = ms.HeapInuse
	res.objects = len(got)

	slices.SortFunc(got, compareUUID)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			return nil, fmt.Errorf("the drain returned %s more than once", uuidString(got[i]))
		}
	}
	if len(got) != len(want) || !slices.Equal(got, want) {
		return nil, fmt.Errorf("the drain returned %d objects; the collection holds %d (missing or foreign ids)", len(got), len(want))
	}
	if t, _, err := stix.ParseTimestamp(lastHeader); err == nil {
		e.last = t
	}
	return res, nil
}

func compareUUID(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) }

// pollResult is the outcome of the poll workload.
type pollResult struct {
	requests, collection int
	addedAfter           string
	latency              latencies
	cpu                  cpuUse
}

// benchPoll polls the collection with added_after at its latest date_added
// (so the answer is empty), opts.polls times, one request at a time.
func benchPoll(ctx context.Context, e *taxiiEnv, opts taxiiOptions) (*pollResult, error) {
	if e.last.IsZero() {
		last, err := latestDateAdded(ctx, e)
		if err != nil {
			return nil, err
		}
		e.last = last
	}
	res := &pollResult{requests: opts.polls, collection: e.size,
		addedAfter: e.last.UTC().Format("2006-01-02T15:04:05.000000Z")}
	url := e.objectsURL() + "?added_after=" + res.addedAfter
	var buf bytes.Buffer
	// A few requests first: connection set-up is not what is measured.
	for range 10 {
		if _, err := e.do(http.MethodGet, url, nil, http.StatusOK, &buf); err != nil {
			return nil, err
		}
	}
	stop, err := startProfile(opts.profileDir, "poll")
	if err != nil {
		return nil, err
	}
	defer stop()
	res.latency = make(latencies, 0, opts.polls)
	cpu := startCPU()
	defer func() { res.cpu = cpu.stop() }()
	for range opts.polls {
		t0 := time.Now()
		if _, err := e.do(http.MethodGet, url, nil, http.StatusOK, &buf); err != nil {
			return nil, err
		}
		res.latency = append(res.latency, time.Since(t0))
		if s := strings.ReplaceAll(buf.String(), " ", ""); s != `{"more":false}` {
			return nil, fmt.Errorf("poll answered %.200q, want an empty envelope", s)
		}
	}
	return res, nil
}

// latestDateAdded reads the latest date_added of the collection from the
// store.
func latestDateAdded(ctx context.Context, e *taxiiEnv) (time.Time, error) {
	q := tearline.ObjectQuery{CollectionID: e.col.ID, Versions: []string{tearline.VersionAll}, Limit: 10000, NoRaw: true}
	var last time.Time
	for {
		page, err := e.db.QueryObjects(ctx, q)
		if err != nil {
			return time.Time{}, err
		}
		if len(page.Entries) > 0 {
			last = page.Entries[len(page.Entries)-1].DateAdded
		}
		if !page.More {
			return last, nil
		}
		q.AddedAfter = last
	}
}

// latencies are durations of one kind of operation.
type latencies []time.Duration

// pct returns the p-th percentile (nearest rank, 0 < p <= 100).
func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func (l latencies) max() time.Duration {
	if len(l) == 0 {
		return 0
	}
	return slices.Max(l)
}

func (l latencies) sum() time.Duration {
	var t time.Duration
	for _, d := range l {
		t += d
	}
	return t
}

func (l latencies) summary() string {
	return fmt.Sprintf("p50 %s  p99 %s  max %s", ms(l.pct(50)), ms(l.pct(99)), ms(l.max()))
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// traceProfiles is -trace: startProfile also writes execution traces.
var traceProfiles bool

// startProfile starts a CPU profile written to dir/name.cpu.pprof when
// dir is set, and with -trace an execution trace to dir/name.trace, and
// returns the function that stops them.
func startProfile(dir, name string) (func(), error) {
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, name+".cpu.pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	if !traceProfiles {
		return func() {
			pprof.StopCPUProfile()
			f.Close()
		}, nil
	}
	// The execution trace shows what the CPU profile cannot: when the
	// single writer waits, and for what (go tool trace -pprof=sched).
	tf, err := os.Create(filepath.Join(dir, name+".trace"))
	if err != nil {
		pprof.StopCPUProfile()
		f.Close()
		return nil, err
	}
	if err := trace.Start(tf); err != nil {
		pprof.StopCPUProfile()
		f.Close()
		tf.Close()
		return nil, err
	}
	return func() {
		trace.Stop()
		tf.Close()
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// currentRSS returns the process's resident set size in bytes (Linux), or
// 0 when it cannot be read.
func currentRSS() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// dirSize returns the bytes of the files in dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// cpuUse is what the process used during a measured phase: CPU time (user
// and system, all goroutines: server and client) and the machine's load
// average at its start and end, which tells how much other processes
// competed for the cores.
type cpuUse struct {
	wall, cpu          time.Duration
	loadStart, loadEnd string
}

type cpuStart struct {
	t    time.Time
	cpu  time.Duration
	load string
}

func startCPU() cpuStart { return cpuStart{t: time.Now(), cpu: processCPU(), load: loadAverage()} }

func (c cpuStart) stop() cpuUse {
	return cpuUse{wall: time.Since(c.t), cpu: processCPU() - c.cpu, loadStart: c.load, loadEnd: loadAverage()}
}

// String says how busy the process and the machine were.
func (u cpuUse) String() string {
	return fmt.Sprintf("process CPU %.1f s in %.1f s (%.0f%% of one core); load average %s at start, %s at end",
		u.cpu.Seconds(), u.wall.Seconds(), 100*u.cpu.Seconds()/u.wall.Seconds(), u.loadStart, u.loadEnd)
}

// processCPU returns the user and system CPU time of the process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage returns the one-minute load average (Linux), or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

func mb(n uint64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

// runTAXII runs the selected TAXII workloads (post, page, poll, in that
// order) opts.runs times and prints a report of each run and a summary.
// Each post and page run gets a fresh server and store; poll polls the
// collection the previous workload of the run left, or one of
// opts.pollObjects indicators filled through the store when it runs alone.
func runTAXII(ctx context.Context, selected map[string]bool, opts taxiiOptions) error {
	g := newIndicatorGen(opts.seed)
	fmt.Printf("TAXII workloads: server and client in this process over HTTP on 127.0.0.1, GOMAXPROCS %d\n", runtime.GOMAXPROCS(0))
	var summary []string
	for run := 1; run <= opts.runs; run++ {
		var last *taxiiEnv
		use := func(e *taxiiEnv) error {
			var err error
			if last != nil {
				err = last.close()
			}
			last = e
			return err
		}
		err := func() error {
			if selected["post"] {
				e, err := startEnv(ctx)
				if err != nil {
					return err
				}
				if err := use(e); err != nil {
					return err
				}
				r, err := benchPost(e, opts, g)
				if err != nil {
					return fmt.Errorf("post: %w", err)
				}
				rate := float64(r.objects) / r.wall.Seconds()
				fmt.Printf("post     run %d: %d indicators (%.0f B average, %.1f MB) in %d envelopes of %d from %d clients\n",
					run, r.objects, float64(r.bytes)/float64(r.objects), float64(r.bytes)/1e6, r.envelopes, opts.envelope, opts.clients)
				fmt.Printf("           all complete in %v: %.0f objects/s  (target >= %d: %s; goal %d: %s)\n",
					r.wall.Round(time.Millisecond), rate, targetPostRate, verdict(rate >= targetPostRate), goalPostRate, verdict(rate >= goalPostRate))
				fmt.Printf("           per envelope, POST to complete status: %s\n", r.envelope.summary())
				fmt.Printf("           per envelope, POST to 202 answer:      %s\n", r.answer.summary())
				fmt.Printf("           %v\n", r.cpu)
				fmt.Printf("           full-text index in step %v after the last status; process CPU %.1f s by then\n",
					r.textLag.Round(time.Millisecond), r.textCPU.Seconds())
				summary = append(summary, fmt.Sprintf("post run %d: %.0f objects/s, envelope p50 %s p99 %s: %s",
					run, rate, ms(r.envelope.pct(50)), ms(r.envelope.pct(99)), verdict(rate >= targetPostRate)))
			}
			if selected["page"] {
				e, err := startEnv(ctx)
				if err != nil {
					return err
				}
				if err := use(e); err != nil {
					return err
				}
				r, err := benchPage(ctx, e, opts, g)
				if err != nil {
					return fmt.Errorf("page: %w", err)
				}
				fmt.Printf("page     run %d: filled %d indicators through the store in %v (%.0f objects/s), data dir %.0f MB\n",
					run, opts.pageObjects, r.fill.Round(time.Millisecond), float64(opts.pageObjects)/r.fill.Seconds(), float64(r.dbBytes)/1e6)
				fmt.Printf("           fill: %v\n", r.fillCPU)
				fmt.Printf("           fill objects/s by tenth:")
				for _, rate := range r.fillRates {
					fmt.Printf(" %.0f", rate)
				}
				fmt.Println()
				fmt.Printf("           drained %d objects (each exactly once) in %d pages of limit=%d, %.0f MB, in %v: %.0f objects/s  (target < %v: %s)\n",
					r.objects, r.pages, opts.pageLimit, float64(r.bytes)/1e6, r.drain.Round(time.Millisecond),
					float64(r.objects)/r.drain.Seconds(), targetDrain, verdict(r.drain < targetDrain))
				fmt.Printf("           per page: %s  (target p99 < %v: %s); pages took %v in all, the client's JSON decoding the rest\n",
					r.page.summary(), targetPageP99, verdict(r.page.pct(99) < targetPageP99), r.page.sum().Round(time.Millisecond))
				fmt.Printf("           drain: %v\n", r.drainCPU)
				fmt.Printf("           Go heap in use (server and client, one process) after each page: min %s, max %s (%s before the first, %s after the last, %s after a GC at the end)\n",
					mb(r.heapMin), mb(r.heapMax), mb(r.heapStart), mb(r.heapEnd), mb(r.heapAfterGC))
				fmt.Printf("           largest heap sample of each quarter of the drain: %s, %s, %s, %s\n",
					mb(r.heapQuarters[0]), mb(r.heapQuarters[1]), mb(r.heapQuarters[2]), mb(r.heapQuarters[3]))
				fmt.Printf("           process RSS after each page: min %s, max %s\n", mb(r.rssMin), mb(r.rssMax))
				summary = append(summary, fmt.Sprintf("page run %d: fill %v, drain %v, page p50 %s p99 %s max %s: %s",
					run, r.fill.Round(time.Millisecond), r.drain.Round(time.Millisecond), ms(r.page.pct(50)), ms(r.page.pct(99)), ms(r.page.max()),
					verdict(r.drain < targetDrain && r.page.pct(99) < targetPageP99)))
			}
			if selected["poll"] {
				if last == nil {
					e, err := startEnv(ctx)
					if err != nil {
						return err
					}
					if err := use(e); err != nil {
						return err
					}
					d, _, err := fill(ctx, e, g, opts.pollObjects)
					if err != nil {
						return fmt.Errorf("poll: %w", err)
					}
					fmt.Printf("poll     run %d: filled %d indicators through the store in %v\n", run, opts.pollObjects, d.Round(time.Millisecond))
				}
				r, err := benchPoll(ctx, last, opts)
				if err != nil {
					return fmt.Errorf("poll: %w", err)
				}
				fmt.Printf("poll     run %d: %d requests with added_after=%s (the latest date_added) on a %d-object collection, one at a time\n",
					run, r.requests, r.addedAfter, r.collection)
				fmt.Printf("           %s  (target p99 < %v: %s)\n", r.latency.summary(), targetPollP99, verdict(r.latency.pct(99) < targetPollP99))
				fmt.Printf("           %v\n", r.cpu)
				summary = append(summary, fmt.Sprintf("poll run %d: %s: %s", run, r.latency.summary(), verdict(r.latency.pct(99) < targetPollP99)))
			}
			return nil
		}()
		if cerr := use(nil); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	fmt.Println("TAXII summary:")
	for _, s := range summary {
		fmt.Println("  " + s)
	}
	return nil
}
