package federation

import (
	"context"
	"fmt"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii/client"
)

// pull reads the objects the peer's collection received since the link's
// cursor, every version, page by page, into the local collection. The next
// page is fetched while the current one is stored. After each page the
// cursor moves to the page's X-TAXII-Date-Added-Last and is saved, so a
// run stopped part way (or a crash) resumes after the last page stored; a
// page stored twice changes nothing. Objects held for review or refused
// are counted in the state and logged, and do not stop the run.
func (s *Syncer) pull(ctx context.Context, l *tearline.Link, p *tearline.Peer, st *tearline.LinkState) error {
	c, err := s.client(p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type page struct {
		env *client.Envelope
		err error
	}
	pages := make(chan page, 1)
	go func() {
		defer close(pages)
		f := client.Filter{AddedAfter: st.Cursor, Limit: s.cfg.PageSize, Versions: []string{tearline.VersionAll}}
		for env, err := range c.Pages(ctx, p.URL, l.RemoteCollection, f) {
			select {
			case pages <- page{env, err}:
			case <-ctx.Done():
				return
			}
		}
	}()
	log := s.log.With("link", l.ID, "peer", p.Name)
	defsAdded := 0
	for pg := range pages {
		if pg.err != nil {
			return fmt.Errorf("pull from %s collection %s: %w", p.Name, l.RemoteCollection, pg.err)
		}
		if len(pg.env.Objects) > 0 {
			res, err := s.cfg.Inbound.Accept(ctx, &Batch{Peer: p, LinkID: l.ID, CollectionID: l.CollectionID,
				RemoteCollection: l.RemoteCollection, Objects: pg.env.Objects})
			if err != nil {
				return fmt.Errorf("store objects pulled from %s: %w", p.Name, err)
			}
			st.Objects += int64(res.Added + res.Duplicates)
			st.Refused += int64(len(res.Refused))
			st.Held += int64(len(res.Held))
			defsAdded += res.Definitions
			for i, r := range res.Refused {
				if i == 5 {
					log.Warn("more objects refused", "count", len(res.Refused)-i)
					break
				}
				log.Warn("object from peer refused", "object", r.ID, "version", r.Version, "reason", r.Message)
			}
			for _, h := range res.Held {
				log.Info("object from peer held for review", "object", h.ObjectID, "version", h.Version, "reason", h.Reason, "held", h.ID)
			}
		}
		if pg.env.DateAddedLast != "" && pg.env.DateAddedLast != st.Cursor {
			st.Cursor = pg.env.DateAddedLast
			if err := s.saveProgress(ctx, st); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if defsAdded > 0 {
		// Objects held for want of a definition that has arrived since
		// (bundles that put their definitions last) are stored now.
		stored, remaining, err := s.cfg.Inbound.ReleaseAll(ctx, p.ID)
		if err != nil {
			return fmt.Errorf("release held objects of %s: %w", p.Name, err)
		}
		if stored > 0 {
			log.Info("held objects stored after their marking definitions arrived", "stored", stored, "still_held", remaining)
			st.Objects += int64(stored)
		}
	}
	return nil
}
