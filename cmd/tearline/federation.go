package main

import (
	"context"
	"log/slog"

	"github.com/tearline/tearline/bus"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/taxii"
)

// startFederation starts the background runs of the peers' links when
// the store keeps peers and cfg.Federation is set; it returns nil
// otherwise. Each link runs at once (resuming from its cursor) and then at
// its interval; new and deleted links are picked up within
// federation.DefaultReload.
func startFederation(ctx context.Context, cfg serveConfig, db taxii.Backend, ts *taxii.Server, b *bus.Bus, log *slog.Logger) (*federation.Syncer, error) {
	fs, ok := db.(federation.Store)
	if !ok || !cfg.Federation {
		return nil, nil
	}
	// Push links run when their collections receive objects (on this node
	// or, through the bus, another), besides their interval.
	fc := federation.Config{Store: fs, Inbound: ts.Inbound(), Releaser: ts, Feed: ts.Feed(), Logger: log.With("component", "federation")}
	if b != nil {
		fc.Bus = b // each link runs on the one node that holds its lease
	}
	s, err := federation.New(fc)
	if err != nil {
		return nil, err
	}
	if err := s.Start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// stopFederation stops the link runs, letting each save its cursor; s may
// be nil.
func stopFederation(ctx context.Context, s *federation.Syncer) error {
	if s == nil {
		return nil
	}
	return s.Stop(ctx)
}
