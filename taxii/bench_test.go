package taxii

import (
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/tearline/tearline/ledger"
)

// benchConfig is the configuration of benchmark servers: the production
// page and envelope sizes.
func benchConfig() *Config {
	cfg := testConfig()
	cfg.MaxPageSize = DefaultMaxPageSize
	cfg.DefaultPageSize = DefaultPageSize
	cfg.SyncObjects = DefaultSyncObjects
	cfg.MaxContentLength = DefaultMaxContentLength
	return &cfg
}

// BenchmarkGetObjectsPage pages with limit=1000 through a collection of
// 20,000 indicators, one page per operation, as a real client would:
// following next, starting over at the end; without and with the
// disclosure ledger, whose cost must stay under a fifth of a read.
func BenchmarkGetObjectsPage(b *testing.B) {
	b.Run("ledger=none", func(b *testing.B) { benchGetObjectsPage(b, false) })
	b.Run("ledger=on", func(b *testing.B) { benchGetObjectsPage(b, true) })
}

func benchGetObjectsPage(b *testing.B, withLedger bool) {
	cfg := benchConfig()
	if withLedger {
		lg, err := ledger.Open(filepath.Join(b.TempDir(), ledger.DirName), ledger.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { lg.Close() })
		cfg.Ledger = lg
	}
	e := newEnv(b, cfg, false)
	const total, page = 20000, 1000
	for i := 0; i < total; i += 1000 {
		e.add(e.intel, indicators(i, 1000, 0)...)
	}
	client := e.ts.Client()
	base := e.ts.URL + colPath(e.intel, "objects/?limit=1000")
	get := func(url string) (more bool, next string, n int64) {
		hr, _ := http.NewRequest("GET", url, nil)
		hr.Header.Set("Accept", mediaTAXII)
		hr.Header.Set("Authorization", "Bearer "+e.tokens["reader"])
		resp, err := client.Do(hr)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		// The envelope head holds more and next; the rest is streamed.
		n, err = io.Copy(io.Discard, resp.Body)
		if err != nil {
			b.Fatal(err)
		}
		return resp.Header.Get("X-TAXII-Date-Added-Last") != "", resp.Header.Get("X-TAXII-Date-Added-Last"), n
	}
	url := base
	var bytes int64
	start := time.Now()
	b.ResetTimer()
	for b.Loop() {
		_, last, n := get(url)
		bytes += n
		url = base + "&added_after=" + last
		if n < 100 { // past the end: start over
			url = base
		}
	}
	b.ReportMetric(float64(b.N*page)/time.Since(start).Seconds(), "objects/s")
	b.SetBytes(bytes / int64(max(b.N, 1)))
}

// BenchmarkPollEmpty is a client polling with added_after for objects that
// are not there yet.
func BenchmarkPollEmpty(b *testing.B) {
	e := newEnv(b, benchConfig(), false)
	e.add(e.intel, indicators(0, 1000, 0)...)
	url := e.ts.URL + colPath(e.intel, "objects/?added_after=2099-01-01T00:00:00Z")
	client := e.ts.Client()
	for b.Loop() {
		hr, _ := http.NewRequest("GET", url, nil)
		hr.Header.Set("Accept", mediaTAXII)
		hr.Header.Set("Authorization", "Bearer "+e.tokens["reader"])
		resp, err := client.Do(hr)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkPostEnvelope posts envelopes of 1,000 new indicators, each
// validated and stored before the 202 answer.
func BenchmarkPostEnvelope(b *testing.B) {
	e := newEnv(b, benchConfig(), false)
	const size = 1000
	// Build the bodies first: the benchmark measures the server.
	bodies := make([][]byte, 0, 64)
	next := 0
	body := func() []byte {
		if next == len(bodies) {
			bodies = append(bodies, envelope(indicators(next*size, size, 0)...))
		}
		next++
		return bodies[next-1]
	}
	for range 8 {
		body()
	}
	next = 0
	client := e.ts.Client()
	start := time.Now()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		bb := body()
		b.StartTimer()
		r := doWith(b, client, e.ts.URL, req{method: http.MethodPost, path: colPath(e.intel, "objects/"), token: e.tokens["contributor"], body: bb})
		if r.status != http.StatusAccepted {
			b.Fatal(r)
		}
	}
	b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "objects/s")
}
