package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tearline/tearline/taxii/client"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// faulty is a small real TAXII server, on 127.0.0.1, that serves n
// indicators from one collection and misbehaves as told. Object i was added
// at second i after the epoch of dateAdded.
type faulty struct {
	n        int
	pageSize int
	// fail answers the first fail requests with status failStatus (500 by
	// default) and a plain-text body.
	fail       int
	failStatus int
	// retryAfter is sent with the failures.
	retryAfter string
	// slow makes the first request for each page wait until the client
	// gives up on it.
	slow bool
	// next is how pages continue: "" (a working next), "broken" (tokens
	// the server then refuses), "none" (no next, with X-TAXII-Date-Added
	// headers), "bare" (no next, no headers), "repeat" (the same token
	// every time).
	next string
	// contentType replaces the answer's Content-Type.
	contentType string
	// taxii20 refuses TAXII 2.1 media types with 406 and pages bundles
	// with Range and Content-Range, as TAXII 2.0 servers did.
	taxii20 bool
	// drop cuts the connection of the first request without an answer.
	drop bool
	// onRequest, when set, is called with the number of each request.
	onRequest func(n int)

	requests atomic.Int32
	mu       sync.Mutex
	slowSeen map[string]bool
}

var faultyEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func dateAdded(i int) string {
	return faultyEpoch.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000000Z")
}

func (f *faulty) start(t *testing.T) string {
	t.Helper()
	if f.pageSize == 0 {
		f.pageSize = 10
	}
	f.slowSeen = map[string]bool{}
	hs := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(hs.Close)
	return hs.URL + "/api1/"
}

func (f *faulty) serve(w http.ResponseWriter, r *http.Request) {
	n := int(f.requests.Add(1))
	if f.onRequest != nil {
		f.onRequest(n)
	}
	if f.drop && n == 1 {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	if n <= f.fail {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		status := f.failStatus
		if status == 0 {
			status = http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "upstream exploded\n  (request %d)", n)
		return
	}
	if f.slow {
		f.mu.Lock()
		seen := f.slowSeen[r.URL.RawQuery+r.Header.Get("Range")]
		f.slowSeen[r.URL.RawQuery+r.Header.Get("Range")] = true
		f.mu.Unlock()
		if !seen {
			<-r.Context().Done() // the client times out
			return
		}
	}
	if f.taxii20 && !strings.Contains(r.Header.Get("Accept"), "vnd.oasis") {
		w.WriteHeader(http.StatusNotAcceptable)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/collections/c1/objects/") {
		http.NotFound(w, r)
		return
	}
	start := 0
	q := r.URL.Query()
	if aa := q.Get("added_after"); aa != "" {
		t, err := time.Parse(time.RFC3339Nano, aa)
		if err != nil {
			http.Error(w, "bad added_after", http.StatusBadRequest)
			return
		}
		start = int(t.Sub(faultyEpoch)/time.Second) + 1
	}
	if tok := q.Get("next"); tok != "" {
		i, err := strconv.Atoi(strings.TrimPrefix(tok, "tok"))
		if f.next == "broken" || err != nil {
			w.Header().Set("Content-Type", client.MediaTAXII)
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"title":"Bad request","description":"unknown next token"}`)
			return
		}
		start = i
	}
	if rg := r.Header.Get("Range"); rg != "" {
		fmt.Sscanf(rg, "items %d-", &start)
	}
	end := min(start+f.pageSize, f.n)
	if start >= f.n {
		end = start
	}
	var objs []json.RawMessage
	for i := start; i < end; i++ {
		objs = append(objs, taxiitest.Indicator(i, 0))
	}
	more := end < f.n
	body := map[string]any{"objects": objs}
	ct := client.MediaTAXII
	status := http.StatusOK
	switch {
	case f.taxii20:
		body["type"], body["id"], body["spec_version"] = "bundle", "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "2.0"
		ct = "application/vnd.oasis.stix+json; version=2.0"
		if more || start > 0 {
			status = http.StatusPartialContent
			w.Header().Set("Content-Range", fmt.Sprintf("items %d-%d/%d", start, end-1, f.n))
		}
	default:
		body["more"] = more
		if more {
			switch f.next {
			case "", "broken":
				body["next"] = fmt.Sprintf("tok%d", end)
			case "repeat":
				body["next"] = "tok0"
			}
		}
		if end > start && f.next != "bare" {
			w.Header().Set("X-TAXII-Date-Added-First", dateAdded(start))
			w.Header().Set("X-TAXII-Date-Added-Last", dateAdded(end-1))
		}
	}
	if f.contentType != "" {
		ct = f.contentType
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// drain reads every page and returns the ids in order and the error.
func drain(t *testing.T, c *client.Client, root string) ([]string, error) {
	t.Helper()
	var ids []string
	for env, err := range c.Pages(context.Background(), root, "c1", client.Filter{Limit: 10}) {
		if err != nil {
			return ids, err
		}
		for _, o := range env.Objects {
			ids = append(ids, idOf(t, o))
		}
	}
	return ids, nil
}

func wantIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = taxiitest.ID("indicator", i)
	}
	return ids
}

func TestFaultyServers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		f       *faulty
		opts    client.Options
		wantErr string // "" when every object must arrive, in order
	}{
		{name: "500s then answers", f: &faulty{n: 35, fail: 3}},
		{name: "429 with Retry-After", f: &faulty{n: 35, fail: 2, failStatus: http.StatusTooManyRequests, retryAfter: "0"}},
		{name: "Retry-After too long", f: &faulty{n: 35, fail: 1, failStatus: http.StatusServiceUnavailable, retryAfter: "3600"},
			wantErr: "retry after 1h0m0s"},
		{name: "500s beyond the retries", f: &faulty{n: 35, fail: 100}, opts: client.Options{Retries: 2},
			wantErr: "500 Internal Server Error: upstream exploded (request 3) (after 3 attempts)"},
		{name: "404 is not retried", f: &faulty{n: 35, fail: 100, failStatus: http.StatusNotFound}, wantErr: "404 Not Found: upstream exploded (request 1)"},
		{name: "slow pages", f: &faulty{n: 35, slow: true}, opts: client.Options{Timeout: time.Second}},
		{name: "dropped connection", f: &faulty{n: 35, drop: true}},
		{name: "broken next", f: &faulty{n: 35, next: "broken"}},
		{name: "no next", f: &faulty{n: 35, next: "none"}},
		{name: "repeated next", f: &faulty{n: 35, next: "repeat"}},
		{name: "no next and no header", f: &faulty{n: 35, next: "bare"}, wantErr: "gives neither next nor X-TAXII-Date-Added-Last"},
		{name: "HTML answer", f: &faulty{n: 35, contentType: "text/html; charset=utf-8"}, wantErr: "Content-Type is text/html, not a TAXII resource"},
		{name: "TAXII 2.0 server", f: &faulty{n: 35, taxii20: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := tc.f.start(t)
			tc.opts.MinBackoff, tc.opts.MaxBackoff = time.Millisecond, 2*time.Millisecond
			c, err := client.New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			ids, err := drain(t, c, root)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := wantIDs(tc.f.n); strings.Join(ids, " ") != strings.Join(want, " ") {
				t.Fatalf("got %d ids, want %d in order:\n%v", len(ids), len(want), ids)
			}
		})
	}
}

// TestRetryAfterDate reads an HTTP-date Retry-After in the past as "now".
func TestRetryAfterDate(t *testing.T) {
	t.Parallel()
	f := &faulty{n: 5, fail: 1, failStatus: http.StatusServiceUnavailable, retryAfter: time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)}
	c, _ := client.New(client.Options{MinBackoff: time.Millisecond})
	if ids, err := drain(t, c, f.start(t)); err != nil || len(ids) != 5 {
		t.Fatalf("%d ids, %v", len(ids), err)
	}
}

// TestCanceled stops retrying when the context ends.
func TestCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &faulty{n: 5, fail: 1000, onRequest: func(n int) {
		if n == 3 {
			cancel()
		}
	}}
	root := f.start(t)
	c, _ := client.New(client.Options{Retries: 1000, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	_, err := c.Objects(ctx, root, "c1", client.Filter{})
	if err != context.Canceled {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// TestResponseTooLarge refuses a body over MaxResponseSize.
func TestResponseTooLarge(t *testing.T) {
	t.Parallel()
	f := &faulty{n: 20, pageSize: 20}
	c, _ := client.New(client.Options{MaxResponseSize: 1000, Retries: -1})
	_, err := c.Objects(context.Background(), f.start(t), "c1", client.Filter{})
	if err == nil || !strings.Contains(err.Error(), "more than the 1000 bytes") {
		t.Fatalf("error %v", err)
	}
}
