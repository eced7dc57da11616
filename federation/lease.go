package federation

import (
	"context"
	"fmt"
	"time"
)

// leaseName returns the name of the lease of a link.
func leaseName(linkID string) string { return "link." + linkID }

// hold waits until this node holds the lease of a link and returns a
// context that ends when the lease is lost or ctx ends; without a bus it
// returns ctx. A run under the context stops (between requests, its
// cursor saved) before another node can take the link.
func (s *Syncer) hold(ctx context.Context, linkID string) (context.Context, error) {
	if s.cfg.Bus == nil {
		return ctx, nil
	}
	l := s.cfg.Bus.Lease(leaseName(linkID))
	held := l.Held()
	hold, err := l.Hold(ctx)
	if err == nil && !held {
		s.log.Info("federation: this node runs the link", "link", linkID)
	}
	return hold, err
}

// take records that this node runs a link from now on (it holds the
// link's lease) and returns the fence to save its state under; without
// a bus it returns 0 (the state is saved under its stored fence).
func (s *Syncer) take(ctx context.Context, linkID string) (int64, error) {
	if s.cfg.Bus == nil {
		return 0, nil
	}
	fence, err := s.cfg.Store.TakeLink(ctx, linkID)
	if err != nil {
		return 0, fmt.Errorf("federation: %w", err)
	}
	return fence, nil
}

// release gives up the lease of a link whose worker stopped (the link
// was deleted, or the Syncer stops), so that another node takes it at
// once.
func (s *Syncer) release(linkID string) {
	if s.cfg.Bus == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.cfg.Bus.Lease(leaseName(linkID)).Release(ctx); err != nil {
		s.log.Warn("federation: give a link's lease up", "link", linkID, "err", err)
	}
}
