package taxii

import (
	"context"
	"net/http"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/metrics"
)

// readyTimeout bounds the store check of /readyz.
const readyTimeout = 2 * time.Second

// probeKeyID is an API key id no key has (key ids are 16 hex digits): the
// store check of /readyz looks it up and expects "not found".
const probeKeyID = "readyz-probe"

// readyz answers readiness probes: 200 when the store answers, the
// disclosure ledger (if any) can record and the background workers run;
// 503 naming what is not ready otherwise. Details of a failure go to the
// log, not to the unauthenticated caller.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{"store": "ok", "ledger": "ok", "workers": "ok"}
	ready := true
	fail := func(check, msg string, err error) {
		ready = false
		checks[check] = msg
		if err != nil {
			s.logger(r.Context()).Warn("not ready", "check", check, "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	// Any lookup goes through the store; "not found" is the answer of one
	// that works.
	if _, _, err := s.b.FindAPIKey(ctx, probeKeyID); err != nil && tearline.ErrorCode(err) != tearline.ENOTFOUND {
		fail("store", "the store does not answer", err)
	}
	if s.cfg.Ledger == nil {
		checks["ledger"] = "off"
	} else if err := s.cfg.Ledger.Err(); err != nil {
		fail("ledger", "the disclosure ledger cannot record; reads are refused", err)
	}
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	switch {
	case s.closing.Load():
		fail("workers", "shutting down", nil)
	case !started:
		fail("workers", "not started", nil)
	}
	status, text := http.StatusOK, "ready"
	if !ready {
		status, text = http.StatusServiceUnavailable, "not ready"
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, "application/json", map[string]any{"status": text, "checks": checks})
}

// serveMetrics serves the Prometheus metrics to admin keys (routed through
// Server.admin). Without metrics the route does not exist.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	if s.cfg.Metrics == nil {
		return tearline.Errorf(tearline.ENOTFOUND, "metrics are not enabled on this server")
	}
	s.cfg.Metrics.Handler().ServeHTTP(w, r)
	return nil
}

// registerMetrics adds the server's own gauges to its metrics.
func (s *Server) registerMetrics() {
	s.cfg.Metrics.GaugeFunc("tearline_submissions_pending",
		"Large submissions accepted for background processing and not finished (queued or in progress).",
		func() float64 { return float64(len(s.slots)) })
	if s.dissem != nil {
		s.cfg.Metrics.GaugeFunc("tearline_webhook_backlog_entries",
			"Change feed entries the webhook workers of this node have yet to deal with, summed over subscriptions with a webhook (the newest entry read less each one's cursor).",
			func() float64 { return float64(s.dissem.Backlog()) })
	}
}

// deliveryObserver feeds the dispatcher's webhook outcomes and delivery
// lags to the metrics.
type deliveryObserver struct{ m *metrics.Metrics }

func (o deliveryObserver) Delivered(e *tearline.FeedEntry) {
	o.m.DeliveryLag("webhook", time.Since(e.Time))
}

func (o deliveryObserver) Webhook(outcome string) { o.m.Webhook(outcome) }

// countObject counts one submitted object by the outcome of its ingest.
func (s *Server) countObject(st tearline.AddStatus) {
	switch st {
	case tearline.Added:
		s.cfg.Metrics.Objects("added", 1)
	case tearline.Duplicate:
		s.cfg.Metrics.Objects("duplicate", 1)
	default:
		s.cfg.Metrics.Objects("rejected", 1)
	}
}

// observe starts measuring a request; the returned function records it
// once answered, with the route ServeMux matched, and returns the route.
func (s *Server) observe(r *http.Request) func(status int) string {
	start := time.Now()
	done := s.cfg.Metrics.Start()
	return func(status int) string {
		route := metrics.Route(r.Pattern)
		s.cfg.Metrics.Request(route, r.Method, status, time.Since(start))
		done()
		return route
	}
}

// securityHeaders sets the headers that keep a browser from doing anything
// with an API response but show it: no type sniffing, no scripts, styles,
// frames or other loads (Content-Security-Policy default-src 'none'), no
// referrer, no caching, and under TLS a Strict-Transport-Security of a
// year. A handler that serves pages meant for a browser sets its own
// Content-Security-Policy over this one.
func securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}
