// Package metrics holds Tearline's Prometheus metrics: HTTP requests by
// route pattern and status with their latencies, objects ingested and
// rejected, requests refused by the limits, and gauges and counters read
// from other parts of the server when Prometheus scrapes (submissions
// pending, ledger records, store size on disk).
//
// Every metric is registered on the Metrics' own registry, never on the
// global one, so that several servers (tests) can run in one process.
package metrics

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is the set of metrics of one server. A nil *Metrics records
// nothing: every method may be called on it.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	objects  *prometheus.CounterVec
	limited  *prometheus.CounterVec
	authFail prometheus.Counter
	lag      *prometheus.HistogramVec
	webhooks *prometheus.CounterVec
}

// New returns the metrics of a server, with the Go runtime and process
// collectors registered beside Tearline's own.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tearline_http_requests_total",
		Help: "HTTP requests answered, by route pattern, method and status code.",
	}, []string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "tearline_http_request_duration_seconds",
		Help: "Time from a request's arrival until its handler returned, by route pattern and method.",
		// 1 ms to 30 s: polls take about a millisecond, large POSTs seconds.
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method"})
	m.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tearline_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})
	m.objects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tearline_objects_total",
		Help: "Submitted STIX objects by outcome: added (stored), duplicate (already stored) or rejected (invalid, refused or conflicting).",
	}, []string{"outcome"})
	m.limited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tearline_requests_limited_total",
		Help: "Requests refused with 429 by a limit: rate (per key), concurrency (per key) or auth_failures (per client address).",
	}, []string{"limit"})
	m.authFail = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "tearline_auth_failures_total",
		Help: "Requests whose credentials were wrong, unknown or revoked.",
	})
	m.lag = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "tearline_delivery_lag_seconds",
		Help: "Time from an object version's acceptance (its change feed entry) until a subscriber received it, by channel: webhook (the receiver answered 2xx) or stream (the event was handed to the client's connection).",
		// 5 ms to 10 min: pushes take milliseconds; retries and backlogs minutes.
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 600},
	}, []string{"channel"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tearline_webhook_requests_total",
		Help: "Webhook requests by outcome: delivered (2xx), failed (an error or other status; retried) or dead_lettered (the last attempt failed).",
	}, []string{"outcome"})
	for _, c := range []string{"webhook", "stream"} {
		m.lag.WithLabelValues(c)
	}
	for _, o := range []string{"delivered", "failed", "dead_lettered"} {
		m.webhooks.WithLabelValues(o)
	}
	for _, o := range []string{"added", "duplicate", "rejected"} {
		m.objects.WithLabelValues(o)
	}
	for _, l := range []string{"rate", "concurrency", "auth_failures"} {
		m.limited.WithLabelValues(l)
	}
	m.reg.MustRegister(m.requests, m.duration, m.inflight, m.objects, m.limited, m.authFail, m.lag, m.webhooks,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text (or protobuf) format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry returns the registry, for collectors of other packages and for
// tests that gather the metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Start counts a request in flight; call the returned function when it is
// answered.
func (m *Metrics) Start() func() {
	if m == nil {
		return func() {}
	}
	m.inflight.Inc()
	return m.inflight.Dec
}

// Request records an answered request; status 0 means it was aborted.
// route is the pattern that matched (see Route) and methods other than the
// standard ones count as "other", so that the label values stay bounded.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	code := "aborted"
	if status > 0 {
		code = strconv.Itoa(status)
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "other" // clients choose the method: keep the label set bounded
	}
	m.requests.WithLabelValues(route, method, code).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// Route returns the route label of a request from the net/http ServeMux
// pattern that matched it ("GET /taxii2/{root}/collections/{$}" gives
// "/taxii2/{root}/collections/"): the path of the pattern without its
// method and "{$}". A request no route took gets "unmatched"; the catch-all
// pattern "/" is unmatched too, and anything else ServeMux reports (the
// target of a redirect, which holds a raw path) gets "other".
func Route(pattern string) string {
	method, path, ok := strings.Cut(pattern, " ")
	switch {
	case pattern == "" || pattern == "/":
		return "unmatched"
	case !ok || method == "" || !strings.HasPrefix(path, "/"):
		return "other"
	}
	return strings.TrimSuffix(path, "{$}")
}

// Objects counts n submitted objects with the given outcome: "added",
// "duplicate" or "rejected".
func (m *Metrics) Objects(outcome string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.objects.WithLabelValues(outcome).Add(float64(n))
}

// Limited counts a request refused by a limit: "rate", "concurrency" or
// "auth_failures".
func (m *Metrics) Limited(limit string) {
	if m == nil {
		return
	}
	m.limited.WithLabelValues(limit).Inc()
}

// AuthFailed counts a request whose credentials were refused.
func (m *Metrics) AuthFailed() {
	if m == nil {
		return
	}
	m.authFail.Inc()
}

// DeliveryLag records that a subscriber received, by channel ("webhook"
// or "stream"), an object version accepted lag ago.
func (m *Metrics) DeliveryLag(channel string, lag time.Duration) {
	if m == nil {
		return
	}
	m.lag.WithLabelValues(channel).Observe(lag.Seconds())
}

// Webhook counts a webhook request by outcome: "delivered", "failed" or
// "dead_lettered".
func (m *Metrics) Webhook(outcome string) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(outcome).Inc()
}

// GaugeFunc registers a gauge whose value f returns at each scrape. It
// panics if name is registered already, as prometheus.MustRegister does.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// CounterFunc registers a counter whose value f returns at each scrape;
// f must never decrease. It panics if name is registered already.
func (m *Metrics) CounterFunc(name, help string, f func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
}

// DiskUsage registers tearline_store_size_bytes{part=...}: for each part,
// the total size of the files matching its glob patterns, read at each
// scrape. Files that do not exist count as 0 bytes.
func (m *Metrics) DiskUsage(parts map[string][]string) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&diskUsage{
		desc:  prometheus.NewDesc("tearline_store_size_bytes", "Size on disk of the data directory's parts: the database (with its WAL) and the disclosure ledger.", []string{"part"}, nil),
		parts: parts,
	})
}

// diskUsage is the collector behind DiskUsage.
type diskUsage struct {
	desc  *prometheus.Desc
	parts map[string][]string
}

func (d *diskUsage) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

func (d *diskUsage) Collect(ch chan<- prometheus.Metric) {
	for part, patterns := range d.parts {
		var total int64
		for _, p := range patterns {
			matches, _ := filepath.Glob(p) // only ErrBadPattern, a programming error
			for _, f := range matches {
				if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
					total += st.Size()
				}
			}
		}
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(total), part)
	}
}
