package federation

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/client"
)

// envelopeOverhead is the size of an envelope around its objects.
const envelopeOverhead = len(`{"objects":[]}`)

// push sends what the local collection received since the link's cursor
// (every version, in the order added) to the peer's collection. Versions
// that came from the peer are left out, and so, on a products-only link,
// is everything but approved tear-line products; the rest passes the
// server's access decision with the peer as recipient (Releaser), goes
// through the peer's crosswalk, and is posted in envelopes that fit the
// peer's max_content_length, each status polled until complete. After each
// page the cursor moves past it and is saved; objects the peer refuses
// are counted and logged and do not stop the run, while a failure to
// reach the peer does (the page is sent again by the next run).
func (s *Syncer) push(ctx context.Context, l *tearline.Link, p *tearline.Peer, st *tearline.LinkState) error {
	if p.OneWay && !l.ProductsOnly {
		return fmt.Errorf("peer %s is the low side of a one-way link: a push link to it must be limited to tear-line products", p.Name)
	}
	c, err := s.client(p)
	if err != nil {
		return err
	}
	var after time.Time
	if st.Cursor != "" {
		if after, err = time.Parse(tearline.VersionLayout, st.Cursor); err != nil {
			return fmt.Errorf("link cursor %q is not a timestamp: %w", st.Cursor, err)
		}
	}
	var prod *products
	if l.ProductsOnly {
		if prod, err = s.products(ctx, l.CollectionID); err != nil {
			return err
		}
	}
	maxLen := int64(-1) // asked of the peer when there is something to send
	cw := NewCrosswalk(p.Crosswalk)
	for {
		page, err := s.cfg.Store.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: l.CollectionID, AddedAfter: after,
			Versions: []string{tearline.VersionAll}, Limit: s.cfg.PageSize})
		if err != nil {
			return err
		}
		if len(page.Entries) == 0 {
			return nil
		}
		kept, err := s.notFrom(ctx, p, page.Entries)
		if err != nil {
			return err
		}
		if prod != nil {
			kept = prod.only(kept)
		}
		if len(kept) > 0 {
			entries, raws, err := s.cfg.Releaser.ReleaseToPeer(ctx, p, l, &tearline.ObjectPage{Entries: kept})
			if err != nil {
				return err
			}
			st.Withheld += int64(len(kept) - len(entries))
			objs, defs, err := s.outbound(ctx, l, p, cw, raws)
			if err != nil {
				return err
			}
			if len(objs) > 0 {
				if maxLen < 0 {
					if maxLen, err = s.maxContentLength(ctx, p, c); err != nil {
						if ctx.Err() != nil {
							return ctx.Err()
						}
						return fmt.Errorf("push to %s: %w", p.Name, err)
					}
				}
				if err := s.send(ctx, c, l, p, objs, maxLen, st); err != nil {
					// The peer may have lowered its limit: ask again.
					s.forgetRoot(p, c)
					return err
				}
			}
			s.markSent(l.ID, defs)
		}
		after = page.Entries[len(page.Entries)-1].DateAdded
		st.Cursor = after.UTC().Format(tearline.VersionLayout)
		if err := s.saveProgress(ctx, st); err != nil {
			return err
		}
		if !page.More {
			return nil
		}
	}
}

// rootTTL is how long push runs reuse what a peer's API root said.
const rootTTL = 5 * time.Minute

// maxContentLength returns the peer's max_content_length as its API root
// says, asking at most once per rootTTL: a push link woken by every batch
// its collection receives would otherwise ask before each run.
func (s *Syncer) maxContentLength(ctx context.Context, p *tearline.Peer, c *client.Client) (int64, error) {
	s.mu.Lock()
	pc := s.clients[p.ID]
	s.mu.Unlock()
	if pc.c == c && !pc.rootAt.IsZero() && time.Since(pc.rootAt) < rootTTL {
		return pc.maxLen, nil
	}
	root, err := c.APIRoot(ctx, p.URL)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	if pc := s.clients[p.ID]; pc.c == c {
		pc.maxLen, pc.rootAt = root.MaxContentLength, time.Now()
		s.clients[p.ID] = pc
	}
	s.mu.Unlock()
	return root.MaxContentLength, nil
}

// forgetRoot makes the next push to the peer through c ask its API root
// again.
func (s *Syncer) forgetRoot(p *tearline.Peer, c *client.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pc := s.clients[p.ID]; pc.c == c {
		pc.rootAt = time.Time{}
		s.clients[p.ID] = pc
	}
}

// notFrom returns the entries whose versions did not come from the peer.
func (s *Syncer) notFrom(ctx context.Context, p *tearline.Peer, entries []*tearline.Entry) ([]*tearline.Entry, error) {
	refs := make([]tearline.VersionRef, len(entries))
	for i, e := range entries {
		refs[i] = tearline.VersionRef{ID: e.ID, Version: e.VersionKey()}
	}
	came, err := s.cfg.Store.FromPeer(ctx, p.ID, refs)
	if err != nil {
		return nil, err
	}
	kept := entries[:0:0]
	for i, e := range entries {
		if !came[i] {
			kept = append(kept, e)
		}
	}
	return kept, nil
}

// products are the approved tear-line products of a collection: the
// derived object versions and their derived-from relationships.
type products struct {
	objects map[tearline.VersionRef]bool
	rels    map[string]bool
}

func (s *Syncer) products(ctx context.Context, collectionID string) (*products, error) {
	ps, err := s.cfg.Store.Products(ctx, collectionID, tearline.ProductApproved)
	if err != nil {
		return nil, err
	}
	pr := &products{objects: map[tearline.VersionRef]bool{}, rels: map[string]bool{}}
	for _, p := range ps {
		if f, err := scan(p.Raw); err == nil {
			if key, ok := versionKey(&f); ok {
				pr.objects[tearline.VersionRef{ID: f.id, Version: key}] = true
			}
		}
		if p.RelationshipID != "" {
			pr.rels[p.RelationshipID] = true
		}
	}
	return pr, nil
}

// only returns the entries that are products.
func (pr *products) only(entries []*tearline.Entry) []*tearline.Entry {
	kept := entries[:0:0]
	for _, e := range entries {
		if pr.rels[e.ID] || pr.objects[tearline.VersionRef{ID: e.ID, Version: e.VersionKey()}] {
			kept = append(kept, e)
		}
	}
	return kept
}

// outbound maps released objects through the crosswalk for the peer, and
// returns them with the ids of the marking definitions among them. Local
// marking definitions the crosswalk maps to the peer's own are not sent;
// other non-TLP definitions the objects reference and this link has not
// sent yet are looked up in the local collection, released the same way
// and sent first, so that the peer knows them (not on products-only links,
// which send products and nothing else).
func (s *Syncer) outbound(ctx context.Context, l *tearline.Link, p *tearline.Peer, cw *Crosswalk, raws [][]byte) (objs [][]byte, defs []string, err error) {
	s.mu.Lock()
	sent := maps.Clone(s.sent[l.ID])
	s.mu.Unlock()
	if sent == nil {
		sent = map[string]bool{}
	}
	var needed []string
	objs = make([][]byte, 0, len(raws))
	for _, raw := range raws {
		f, err := scan(raw)
		if err != nil {
			objs = append(objs, raw) // the peer says what is wrong with it
			continue
		}
		if f.typ == "marking-definition" {
			if _, ok := cw.Remote(f.id); ok {
				continue
			}
			sent[f.id] = true
			defs = append(defs, f.id)
		}
		for _, id := range f.markingIDs() {
			if _, std := marking.StandardTLP(id); std {
				continue
			}
			if _, ok := cw.Remote(id); ok {
				continue
			}
			if !sent[id] {
				sent[id] = true
				needed = append(needed, id)
			}
		}
		objs = append(objs, cw.outbound(raw, &f))
	}
	if len(needed) == 0 || l.ProductsOnly {
		return objs, defs, nil
	}
	page, err := s.cfg.Store.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: l.CollectionID, IDs: needed,
		Types: []string{"marking-definition"}, Versions: []string{tearline.VersionAll}})
	if err != nil {
		return nil, nil, err
	}
	kept, err := s.notFrom(ctx, p, page.Entries)
	if err != nil || len(kept) == 0 {
		return objs, defs, err
	}
	entries, raws, err := s.cfg.Releaser.ReleaseToPeer(ctx, p, l, &tearline.ObjectPage{Entries: kept})
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		defs = append(defs, e.ID)
	}
	return append(raws, objs...), defs, nil
}

// markSent remembers marking definitions the link has sent to its peer.
func (s *Syncer) markSent(linkID string, defs []string) {
	if len(defs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sent := s.sent[linkID]
	if sent == nil {
		sent = map[string]bool{}
		s.sent[linkID] = sent
	}
	for _, id := range defs {
		sent[id] = true
	}
}

// send posts objs to the peer in envelopes of at most maxLen bytes (when
// the peer gives a max_content_length), halving an envelope the peer
// finds too large, waits for each status, and counts what the peer
// accepted and refused in st.
func (s *Syncer) send(ctx context.Context, c *client.Client, l *tearline.Link, p *tearline.Peer, objs [][]byte, maxLen int64, st *tearline.LinkState) error {
	start, size := 0, int64(envelopeOverhead)
	for i, o := range objs {
		add := int64(len(o)) + 1
		if maxLen > 0 && i > start && size+add > maxLen {
			if err := s.sendOne(ctx, c, l, p, objs[start:i], st); err != nil {
				return err
			}
			start, size = i, int64(envelopeOverhead)
		}
		size += add
	}
	return s.sendOne(ctx, c, l, p, objs[start:], st)
}

// sendOne posts one envelope and waits for its status.
func (s *Syncer) sendOne(ctx context.Context, c *client.Client, l *tearline.Link, p *tearline.Peer, objs [][]byte, st *tearline.LinkState) error {
	status, err := c.Add(ctx, p.URL, l.RemoteCollection, objs)
	if client.StatusOf(err) == http.StatusRequestEntityTooLarge {
		if len(objs) == 1 {
			st.Refused++
			s.log.Warn("object too large for the peer", "link", l.ID, "peer", p.Name, "bytes", len(objs[0]))
			return nil
		}
		half := len(objs) / 2
		if err := s.sendOne(ctx, c, l, p, objs[:half], st); err != nil {
			return err
		}
		return s.sendOne(ctx, c, l, p, objs[half:], st)
	}
	if err != nil {
		return fmt.Errorf("push to %s collection %s: %w", p.Name, l.RemoteCollection, err)
	}
	if status, err = c.Wait(ctx, p.URL, status); err != nil {
		return fmt.Errorf("push to %s: status: %w", p.Name, err)
	}
	st.Objects += int64(status.SuccessCount)
	st.Refused += int64(status.FailureCount)
	for i, f := range status.Failures {
		if i == 5 {
			s.log.Warn("more objects refused by the peer", "link", l.ID, "peer", p.Name, "count", len(status.Failures)-i)
			break
		}
		s.log.Warn("object refused by the peer", "link", l.ID, "peer", p.Name, "object", f.ID, "version", f.Version, "reason", f.Message)
	}
	return nil
}
