package metrics

import (
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExposition serves the metrics over HTTP and checks the text format:
// request counters and histograms by route, method normalization, disk
// usage by part, and function-valued metrics.
func TestExposition(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, size := range map[string]int{"tearline.db": 3000, "tearline.db-wal": 500, "ledger/disclosures-000001.log": 70, "ledger/LOCK": 0} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m := New()
	m.DiskUsage(map[string][]string{
		"database": {filepath.Join(dir, "tearline.db"), filepath.Join(dir, "tearline.db-wal"), filepath.Join(dir, "tearline.db-shm")},
		"ledger":   {filepath.Join(dir, "ledger", "*.log")},
	})
	n := 0.0
	m.CounterFunc("tearline_test_counter_total", "test", func() float64 { n++; return n })
	m.GaugeFunc("tearline_test_gauge", "test", func() float64 { return 7 })
	done := m.Start()
	m.Request("/taxii2/", "GET", 200, 3*time.Millisecond)
	m.Request("/taxii2/", "BREW", 405, time.Millisecond)
	m.Request("/taxii2/", "GET", 0, time.Second)
	m.Objects("added", 5)
	m.Limited("rate")
	m.AuthFailed()

	ts := httptest.NewServer(m.Handler())
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for _, want := range []string{
		`tearline_http_requests_total{code="200",method="GET",route="/taxii2/"} 1`,
		`tearline_http_requests_total{code="405",method="other",route="/taxii2/"} 1`,
		`tearline_http_requests_total{code="aborted",method="GET",route="/taxii2/"} 1`,
		`tearline_http_request_duration_seconds_bucket{method="GET",route="/taxii2/",le="0.005"} 1`,
		`tearline_http_requests_in_flight 1`,
		`tearline_objects_total{outcome="added"} 5`,
		`tearline_objects_total{outcome="rejected"} 0`,
		`tearline_requests_limited_total{limit="rate"} 1`,
		`tearline_auth_failures_total 1`,
		`tearline_store_size_bytes{part="database"} 3500`,
		`tearline_store_size_bytes{part="ledger"} 70`,
		`tearline_test_counter_total 1`,
		`tearline_test_gauge 7`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if !strings.Contains(text, "process_resident_memory_bytes ") {
		t.Error("exposition lacks the process collector's process_resident_memory_bytes")
	}
	done()
}

// TestNil checks that a nil *Metrics records nothing and does not panic.
func TestNil(t *testing.T) {
	t.Parallel()
	var m *Metrics
	m.Start()()
	m.Request("/", "GET", 200, time.Second)
	m.Objects("added", 1)
	m.Limited("rate")
	m.AuthFailed()
	m.GaugeFunc("x", "x", func() float64 { return 0 })
	m.CounterFunc("y", "y", func() float64 { return 0 })
	m.DiskUsage(nil)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 {
		t.Errorf("nil metrics handler: %d", rec.Code)
	}
}
