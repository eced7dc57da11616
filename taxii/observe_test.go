package taxii

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/metrics"
)

// TestMetricsByRoute checks that requests are counted by route pattern and
// status, never by raw path, that ingest outcomes are counted, and that
// /metrics is served to admin keys only.
func TestMetricsByRoute(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Metrics = metrics.New()
	e := newEnv(t, &cfg, false)
	m := cfg.Metrics

	expect(t, e.get("reader", colPath(e.intel, "objects/")), 200)
	expect(t, e.get("reader", colPath(e.other, "objects/")), 200)
	expect(t, e.get("reader", colPath(e.intel, "objects/")+"?limit=1"), 200)
	expect(t, e.get("reader", "/taxii2/default/collections/nope/objects/"), 404)
	expect(t, e.get("reader", "/no/such/thing/at/all"), 404)
	expect(t, e.do(req{path: "/taxii2/"}), 401)
	r := e.post("contributor", colPath(e.intel, "objects/"), envelope(indicator(1, 0), indicator(2, 0), `{"type":"indicator","id":"bad"}`))
	expect(t, r, http.StatusAccepted)
	expect(t, e.post("contributor", colPath(e.intel, "objects/"), envelope(indicator(1, 0))), http.StatusAccepted)

	objects := map[string]string{"route": "/taxii2/{root}/collections/{collection}/objects/", "method": "GET"}
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"tearline_http_requests_total", with(objects, "code", "200"), 3},
		{"tearline_http_requests_total", with(objects, "code", "404"), 1},
		{"tearline_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}, 1},
		{"tearline_http_requests_total", map[string]string{"route": "/taxii2/", "code": "401"}, 1},
		{"tearline_http_requests_total", map[string]string{"route": "/taxii2/{root}/collections/{collection}/objects/", "method": "POST", "code": "202"}, 2},
		{"tearline_http_request_duration_seconds", objects, 4},
		{"tearline_objects_total", map[string]string{"outcome": "added"}, 2},
		{"tearline_objects_total", map[string]string{"outcome": "duplicate"}, 1},
		{"tearline_objects_total", map[string]string{"outcome": "rejected"}, 1},
		{"tearline_submissions_pending", nil, 0},
	} {
		if got := counterValue(t, m, tt.name, tt.labels); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}

	expect(t, e.do(req{path: "/metrics"}), http.StatusUnauthorized)
	expect(t, e.get("reader", "/metrics"), http.StatusForbidden)
	r = e.do(req{path: "/metrics", token: e.tokens["admin"], header: map[string]string{"Accept": "text/plain"}})
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics as admin: %d %s", r.status, r.header.Get("Content-Type"))
	}
	text := string(r.body)
	for _, want := range []string{
		`tearline_http_requests_total{code="200",method="GET",route="/taxii2/{root}/collections/{collection}/objects/"} 3`,
		"tearline_http_request_duration_seconds_bucket",
		"tearline_submissions_pending 0",
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// No raw path or id reaches a label.
	for _, leak := range []string{e.intel.ID, e.other.ID, "nope", "/no/such"} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics holds %q", leak)
		}
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for mk, mv := range m {
		out[mk] = mv
	}
	return out
}

func TestRoute(t *testing.T) {
	t.Parallel()
	for pattern, want := range map[string]string{
		"GET /taxii2/{root}/collections/{$}": "/taxii2/{root}/collections/",
		"GET /healthz":                       "/healthz",
		"/":                                  "unmatched",
		"":                                   "unmatched",
		"/taxii2/x/../y":                     "other",
		"GET x":                              "other",
	} {
		if got := metrics.Route(pattern); got != want {
			t.Errorf("Route(%q) = %q, want %q", pattern, got, want)
		}
	}
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func readyzOf(t *testing.T, e *env) (int, readiness) {
	t.Helper()
	r := e.do(req{path: "/readyz", header: map[string]string{"Accept": ""}})
	var rd readiness
	if err := json.Unmarshal(r.body, &rd); err != nil {
		t.Fatalf("readyz body %s: %v", r.body, err)
	}
	if r.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") == "" {
		t.Error("503 readyz without Retry-After")
	}
	return r.status, rd
}

// TestReadyz checks each reason for not being ready: workers not started,
// ledger unable to record, store closed, shutting down.
func TestReadyz(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, true) // workers not started
	if code, rd := readyzOf(t, e); code != 503 || rd.Checks["workers"] != "not started" || rd.Checks["store"] != "ok" {
		t.Errorf("before Start: %d %+v", code, rd)
	}

	dir := filepath.Join(t.TempDir(), ledger.DirName)
	lg, err := ledger.Open(dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Ledger = lg
	e.restart(cfg, false)
	if code, rd := readyzOf(t, e); code != 200 || rd.Status != "ready" || rd.Checks["ledger"] != "ok" || rd.Checks["workers"] != "ok" {
		t.Errorf("ready server: %d %+v", code, rd)
	}
	lg.Close()
	if code, rd := readyzOf(t, e); code != 503 || !strings.Contains(rd.Checks["ledger"], "cannot record") || rd.Checks["store"] != "ok" {
		t.Errorf("ledger closed: %d %+v", code, rd)
	}

	e.restart(testConfig(), false)
	if code, rd := readyzOf(t, e); code != 200 || rd.Checks["ledger"] != "off" {
		t.Errorf("without a ledger: %d %+v", code, rd)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if code, rd := readyzOf(t, e); code != 503 || rd.Checks["workers"] != "shutting down" {
		t.Errorf("shutting down: %d %+v", code, rd)
	}
	// With the store closed, the probe's lookup fails.
	e.db.Close()
	if code, rd := readyzOf(t, e); code != 503 || rd.Checks["store"] != "the store does not answer" {
		t.Errorf("store closed: %d %+v", code, rd)
	}
}

// TestSecurityHeaders checks the headers of every kind of response, and
// Strict-Transport-Security under TLS only.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Metrics = metrics.New()
	e := newEnv(t, &cfg, false)
	check := func(t *testing.T, r *response, tls bool) {
		t.Helper()
		for h, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
			"Cache-Control":           "no-store",
		} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
		hsts := r.header.Get("Strict-Transport-Security")
		if tls && !strings.HasPrefix(hsts, "max-age=") || !tls && hsts != "" {
			t.Errorf("Strict-Transport-Security %q under TLS %v", hsts, tls)
		}
	}
	requests := []req{
		{path: "/taxii2/", token: e.tokens["reader"]},
		{path: colPath(e.intel, "objects/"), token: e.tokens["reader"]},
		{path: "/taxii2/"},
		{path: "/nothing/here"},
		{path: "/taxii2/default/collections/", token: e.tokens["reader"], header: map[string]string{"Accept": "text/html"}},
		{path: "/api/v1/organizations/", token: e.tokens["admin"]},
		{path: "/metrics", token: e.tokens["admin"]},
		{path: "/healthz"},
		{path: "/readyz"},
		{method: "POST", path: colPath(e.intel, "objects/"), token: e.tokens["contributor"], body: []byte("{")},
	}
	for _, rq := range requests {
		t.Run(rq.method+" "+rq.path, func(t *testing.T) { check(t, e.do(rq), false) })
	}

	ts := httptest.NewUnstartedServer(e.srv.Handler())
	ts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	defer ts.Close()
	for _, rq := range requests[:4] {
		t.Run("TLS "+rq.path, func(t *testing.T) { check(t, doWith(t, ts.Client(), ts.URL, rq), true) })
	}
}
