package taxii

import (
	"context"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/dissem"
	"github.com/tearline/tearline/marking"
)

// awaitGraph bounds how long PortalMatch waits for the context graph to
// read the feed up to its head.
const awaitGraph = 2 * time.Second

// PortalMatch keeps the objects of objs (read for p through PortalList,
// PortalSearch or PortalVersions) that filter f wants, as a subscription
// of p's organization would select them: dissem.Filter.Match on the facts
// the dissemination context graph derives (an identity's sectors, and
// those of the identities and locations an object targets or its
// relationships lead to). A tag that a related object contributes counts
// only when p may see that object, and the relationship leading to it, in
// a collection p reads, by the same access decision as every read (no
// ledger record: nothing of them is shown), so that a filter never
// reveals what p may not see. EUNAVAILABLE when the server runs no
// dissemination, which keeps the graph.
func (s *Server) PortalMatch(ctx context.Context, p *tearline.Principal, f *dissem.Filter, objs []*PortalObject) ([]*PortalObject, error) {
	if s.dissem == nil {
		return nil, tearline.Errorf(tearline.EUNAVAILABLE, "this server runs no dissemination, whose context graph sector and other tag filters need")
	}
	pr, err := s.portalReader(ctx, p)
	if err != nil {
		return nil, err
	}
	// What was stored before the request counts: the graph is given a
	// moment to read the feed that far (an entry another node has not
	// committed yet may hold it back; then the graph as it is answers).
	if head, err := s.subs.FeedHead(ctx); err == nil {
		wctx, cancel := context.WithTimeout(ctx, awaitGraph)
		s.dissem.Await(wctx, head)
		cancel()
	}
	cols := make(map[string]*collection, len(pr.cols))
	for _, c := range pr.cols {
		cols[c.ID] = c
	}
	seen := map[*dissem.Node]bool{}
	subj := &dissem.Subject{Org: p.Org, Visible: func(n *dissem.Node) bool {
		v, ok := seen[n]
		if ok {
			return v
		}
		e := &tearline.Entry{Object: tearline.Object{ID: n.ID, Type: n.Type, Version: n.Version, Raw: n.Raw}}
		for _, id := range n.Collections {
			if c := cols[id]; c != nil && s.release(s.recipient(p, c), c, e).Decision != marking.Withhold {
				v = true
				break
			}
		}
		seen[n] = v
		return v
	}}
	var out []*PortalObject
	for _, o := range objs {
		fe := &tearline.FeedEntry{CollectionID: o.Collection, Entry: tearline.Entry{
			Object: tearline.Object{ID: o.ID, Type: o.Type, Version: o.Version, Raw: o.Raw}, DateAdded: o.DateAdded}}
		if f.Match(fe, s.dissem.ObjectFacts(ctx, fe), subj) {
			out = append(out, o)
		}
	}
	return out, nil
}
