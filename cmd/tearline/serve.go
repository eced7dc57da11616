package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/bus"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/taxii"
	"github.com/tearline/tearline/tracing"
)

func newServeCmd(s *streams) *cobra.Command {
	cfg := defaultServeConfig()
	if d := os.Getenv("TEARLINE_DATA"); d != "" {
		cfg.Data = d
	}
	var configFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the TAXII 2.1 server",
		Long: `Run the Tearline TAXII 2.1 server (discovery at /taxii2/, admin API at
/api/v1/) on the embedded store in the data directory, or with --store
postgres://... on a PostgreSQL database, which several servers may share
(the data directory then holds only the ledger).

Settings come from flags, then TEARLINE_* environment variables, then the TOML
file named by --config (or TEARLINE_CONFIG), then defaults. The TOML file uses
the flag names with underscores (tls_cert = "server.pem") and may list API
roots:

    [[api_root]]
    name = "default"
    title = "Tearline"
    max_content_length = 104857600

Markings: --classification-levels orders the classification levels that
marking definitions and organization clearances name, lowest first (in TOML
a list: classification_levels = ["UNCLASSIFIED", "SECRET"]). Every TAXII
route asks for credentials; anonymous readers are not served.

Disclosure ledger: every object sent, redacted or withheld on a TAXII read
path is recorded in the hash-chained ledger DATA/ledger (--ledger, on by
default); when the ledger cannot record, reads answer 503 rather than
disclose unrecorded. --ledger-skip-withheld leaves withheld decisions out.
Check it with tearline audit verify and tearline audit who --object ID.

Limits: each API key (or client certificate) may send --rate-limit requests
per second with bursts of --rate-burst, and have --max-concurrent requests in
progress; each client address may fail to authenticate --auth-failure-rate
times per second with bursts of --auth-failure-burst. Past a limit the
request gets 429 with Retry-After. 0 turns a limit off.

Probes and metrics: /healthz (alive) and /readyz (store, ledger and workers
ready, else 503) need no credentials; /metrics (Prometheus) is served to
admin keys, and without credentials on --metrics-listen if set (bind it to
a loopback or otherwise private address).

Tracing (off by default): --otel-endpoint http://HOST:4318 sends
OpenTelemetry spans (requests, ingest stages, store calls, outbound webhook
and federation requests, which carry a W3C traceparent) over OTLP/HTTP; the
standard OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME,
OTEL_TRACES_SAMPLER and other OTEL_* variables apply too. Log lines of a
traced request carry its trace_id and span_id.

Several servers: over one --store postgres://... database, give every
server the same --bus nats://HOST:4222 (a NATS server with JetStream). A
server then publishes a change event after each add, which wakes the
others' webhook and stream delivery at once, and delivers a webhook
subscription or runs a federation link only while it holds its lease on
the bus: one server at a time, handed over within --bus-lease-ttl when
it stops or is killed, resuming from the cursor saved in the database.

SIGINT or SIGTERM stops the server gracefully: in-flight requests finish and
accepted submissions are completed or kept to resume at the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.resolve(cmd.Flags(), configFile); err != nil {
				return err
			}
			srv, err := startServer(cmd.Context(), cfg, s.errOut)
			if err != nil {
				return err
			}
			where := "data " + cfg.Data
			if cfg.Store != "" {
				where = "store " + redact(cfg.Store) + ", " + where
			}
			fmt.Fprintf(s.out, "tearline serving TAXII 2.1 at %s/taxii2/ (%s)\n", srv.URL(), where)
			if a := srv.metrics.addr(); a != "" {
				fmt.Fprintf(s.out, "metrics at http://%s/metrics\n", a)
			}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve() }()
			select {
			case err := <-errc:
				srv.Close(context.Background())
				return err
			case <-cmd.Context().Done():
			}
			fmt.Fprintln(s.out, "shutting down")
			ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			return srv.Close(ctx)
		},
	}
	cfg.register(cmd.Flags())
	cmd.Flags().StringVar(&configFile, "config", "", "TOML configuration file (env TEARLINE_CONFIG)")
	return cmd
}

// server is a running Tearline server: the store, the TAXII handler and the
// HTTP listener. Tests start it in-process with startServer.
type server struct {
	cfg    serveConfig
	db     taxii.Backend
	ledger *ledger.Ledger // nil when --ledger=false
	taxii  *taxii.Server
	http   *http.Server
	ln     net.Listener
	tls    bool // set once; Serve changes http.TLSConfig while URL may read
	log    *slog.Logger
	// metrics serves /metrics on --metrics-listen (nothing without it).
	metrics *metricsServer
	// stopTracing flushes the spans not yet exported (a no-op when
	// tracing is off).
	stopTracing func(context.Context) error
	// fed runs the federation links; nil without them.
	fed *federation.Syncer
	// bus carries change events and leases between nodes; nil without
	// --bus.
	bus *bus.Bus
}

// startServer loads the TLS settings, opens the store and the disclosure
// ledger, binds the listener and starts the TAXII server's background work;
// Serve then answers requests.
func startServer(ctx context.Context, cfg serveConfig, logOut io.Writer) (_ *server, err error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", cfg.LogLevel)
	}
	logger := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: level}))
	// Settings that can be wrong are checked before the store is opened
	// and the TAXII server starts resuming submissions.
	var tlsCfg *tls.Config
	if cfg.TLSCert != "" {
		if tlsCfg, err = serverTLS(cfg); err != nil {
			return nil, err
		}
	}
	stopTracing, err := tracing.Setup(ctx, tracing.Config{Endpoint: cfg.OTelEndpoint, Version: tearline.Version, Log: logger})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			stopTracing(context.WithoutCancel(ctx))
		}
	}()
	db, err := openBackend(ctx, cfg.Store, cfg.Data)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	var lg *ledger.Ledger
	if cfg.Ledger {
		lg, err = ledger.Open(filepath.Join(cfg.Data, ledger.DirName), ledger.Options{SkipWithheld: cfg.LedgerSkipWithheld, Logger: logger})
		if err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				lg.Close()
			}
		}()
	}
	b, err := openBus(ctx, cfg.busConfig, logger)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			closeBus(context.WithoutCancel(ctx), b)
		}
	}()
	m := newMetrics(cfg, lg)
	tc := taxii.Config{
		Title:                cfg.Title,
		Description:          cfg.Description,
		Contact:              cfg.Contact,
		PublicDiscovery:      cfg.PublicDiscovery,
		MaxContentLength:     cfg.MaxContentLength,
		ClassificationLevels: cfg.ClassificationLevels,
		Ledger:               lg,
		Logger:               logger,
		Metrics:              m,
		Limiter:              limiterOf(cfg),
		Dissemination:        cfg.dissemination(),
		HostOrg:              cfg.HostOrg,
	}
	for _, r := range cfg.APIRoots {
		tc.APIRoots = append(tc.APIRoots, taxii.APIRoot{Name: r.Name, Title: r.Title, Description: r.Description, MaxContentLength: r.MaxContentLength})
		if r.Default {
			tc.DefaultRoot = r.Name
		}
	}
	if b != nil {
		tc.Dissemination.Bus = b
	}
	ts, err := taxii.New(tc, db)
	if err != nil {
		return nil, err
	}
	handler, err := withPortal(ctx, cfg, db, ts, tlsCfg != nil, logger)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	ms, err := listenMetrics(cfg, m, ts, logger)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			ms.close(context.Background())
		}
	}()
	if err := ts.Start(ctx); err != nil {
		return nil, err
	}
	fed, err := startFederation(ctx, cfg, db, ts, b, logger)
	if err != nil {
		ts.Shutdown(context.WithoutCancel(ctx))
		return nil, err
	}
	s := &server{cfg: cfg, db: db, ledger: lg, taxii: ts, ln: ln, tls: tlsCfg != nil, log: logger, metrics: ms, fed: fed, bus: b, stopTracing: stopTracing}
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: min(cfg.ReadHeaderTimeout, cfg.ReadTimeout),
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		TLSConfig:         tlsCfg,
	}
	// Open event streams would hold a graceful stop until its timeout.
	s.http.RegisterOnShutdown(ts.EndStreams)
	return s, nil
}

// serverTLS builds the TLS configuration: the server certificate and, with
// a client CA, optional client certificates verified against it (tokens
// still work for clients without one).
func serverTLS(cfg serveConfig) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate: %w", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: modernCipherSuites, Certificates: []tls.Certificate{cert}}
	if cfg.ClientCA != "" {
		pem, err := os.ReadFile(cfg.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("read client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client CA %s holds no PEM certificate", cfg.ClientCA)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// URL returns the base URL the server answers on.
func (s *server) URL() string {
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String()
}

// Serve answers requests until Close; it returns nil after a graceful stop.
func (s *server) Serve() error {
	go s.metrics.serve(s.log)
	var err error
	if s.tls {
		err = s.http.ServeTLS(s.ln, "", "")
	} else {
		err = s.http.Serve(s.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops accepting connections, lets in-flight requests finish (until
// ctx expires), stops the TAXII background work, closes the ledger (writing
// and syncing what it holds) and closes the store.
func (s *server) Close(ctx context.Context) error {
	errHTTP := s.http.Shutdown(ctx)
	errMetrics := s.metrics.close(ctx)
	errFed := stopFederation(ctx, s.fed)
	errTAXII := s.taxii.Shutdown(ctx)
	errBus := closeBus(ctx, s.bus)
	var errLedger error
	if s.ledger != nil {
		errLedger = s.ledger.Close()
	}
	errDB := s.db.Close()
	errTracing := s.stopTracing(ctx)
	return errors.Join(errHTTP, errMetrics, errFed, errTAXII, errBus, errLedger, errDB, errTracing)
}
