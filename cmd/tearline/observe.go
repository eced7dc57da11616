package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/limit"
	"github.com/tearline/tearline/metrics"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/taxii"
)

// modernCipherSuites are the TLS 1.2 cipher suites serve accepts: ECDHE key
// exchange (forward secrecy) with an AEAD cipher. TLS 1.3 suites are not
// configurable in Go and are all of this kind.
var modernCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// limiterOf returns the limits that cfg sets.
func limiterOf(cfg serveConfig) *limit.Limiter {
	return limit.New(limit.Config{
		Rate:             cfg.RateLimit,
		Burst:            cfg.RateBurst,
		Concurrent:       cfg.MaxConcurrent,
		AuthFailureRate:  cfg.AuthFailureRate,
		AuthFailureBurst: cfg.AuthFailureBurst,
	})
}

// newMetrics returns the server's metrics, with those read from the ledger
// (lg may be nil) and the size of the data directory on disk.
func newMetrics(cfg serveConfig, lg *ledger.Ledger) *metrics.Metrics {
	m := metrics.New()
	if lg != nil {
		m.CounterFunc("tearline_ledger_records_total", "Records written to the disclosure ledger since the start.",
			func() float64 { return float64(lg.Stats().Records) })
		m.CounterFunc("tearline_ledger_disclosures_total", "Disclosures (object versions sent, redacted or withheld) written to the ledger since the start.",
			func() float64 { return float64(lg.Stats().Disclosures) })
		m.GaugeFunc("tearline_ledger_failed", "1 once a write to the disclosure ledger has failed (reads are then refused with 503), else 0.",
			func() float64 {
				if lg.Stats().Failed {
					return 1
				}
				return 0
			})
	}
	db := filepath.Join(cfg.Data, sqlite.FileName)
	derived := filepath.Join(cfg.Data, sqlite.DerivedFileName)
	parts := map[string][]string{"ledger": {filepath.Join(cfg.Data, ledger.DirName, "*.log")}}
	if cfg.Store == "" {
		parts["database"] = []string{db, db + "-wal", db + "-shm", derived, derived + "-wal", derived + "-shm"}
	}
	m.DiskUsage(parts)
	return m
}

// metricsServer serves /metrics, /healthz and /readyz without credentials
// on --metrics-listen. Its zero value (no such setting) serves nothing.
type metricsServer struct {
	http *http.Server
	ln   net.Listener
}

// listenMetrics binds --metrics-listen, if set.
func listenMetrics(cfg serveConfig, m *metrics.Metrics, ts *taxii.Server, logger *slog.Logger) (*metricsServer, error) {
	if cfg.MetricsListen == "" {
		return &metricsServer{}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen %s: %w", cfg.MetricsListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	probes := ts.Handler()
	for _, p := range []string{"/healthz", "/healthz/", "/readyz", "/readyz/"} {
		mux.Handle("GET "+p, probes)
	}
	return &metricsServer{ln: ln, http: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}}, nil
}

// addr returns the address the metrics listener is bound to, or "".
func (ms *metricsServer) addr() string {
	if ms.ln == nil {
		return ""
	}
	return ms.ln.Addr().String()
}

// serve answers until close; it logs a failure, since the main listener
// goes on.
func (ms *metricsServer) serve(logger *slog.Logger) {
	if ms.http == nil {
		return
	}
	if err := ms.http.Serve(ms.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("metrics listener failed", "addr", ms.addr(), "err", err)
	}
}

// close stops the metrics listener (and closes it if serve never ran).
func (ms *metricsServer) close(ctx context.Context) error {
	if ms.http == nil {
		return nil
	}
	err := ms.http.Shutdown(ctx)
	ms.ln.Close()
	return err
}
