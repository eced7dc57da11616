package taxii

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
)

// This file is what the analyst portal (package ui) reads through: the
// same grants, recipients and access decision (release) as the TAXII
// routes, every decision recorded in the disclosure ledger under
// ledger.PathUI. The portal never reads objects from the backend itself.

// PortalObject is one object version as a principal may see it in the
// portal: the bytes that the access decision released (a redacted copy
// when Redacted), never the stored bytes of a withheld version.
type PortalObject struct {
	Collection string // id of the collection it was read from
	ID, Type   string
	Version    time.Time // as tearline.Object.Version
	DateAdded  time.Time
	Revoked    bool
	Raw        []byte
	Redacted   bool
	// TLP and Classification are the effective markings the decision
	// read (marking.Result).
	TLP            string
	Classification string
}

// VersionString is the version as TAXII shows it.
func (o *PortalObject) VersionString() string {
	return entryVersion(&tearline.Entry{Object: tearline.Object{Version: o.Version}, DateAdded: o.DateAdded})
}

// PortalCollection is a collection as a principal sees it.
type PortalCollection struct {
	ID, Alias, Title  string
	Root              string // the API root that serves it
	CanRead, CanWrite bool
}

// ServeAs runs the API route that r names (TAXII or admin) as principal
// p, in process, exactly as if p had sent r with its own credentials: the
// same role checks, grants, access decision, ledger records and limits.
// It is for front ends in the same process that authenticated p
// themselves (the portal's sessions); r's own credentials are ignored.
func (s *Server) ServeAs(w http.ResponseWriter, r *http.Request, p *tearline.Principal) {
	r = r.Clone(context.WithValue(r.Context(), asKey{}, p))
	r.Header.Del("Authorization")
	r.TLS = nil
	s.Handler().ServeHTTP(w, r)
}

// asKey is the context key of the principal ServeAs runs a route as; only
// this package can set it, so no request from outside can carry it.
type asKey struct{}

// PrincipalOf returns the principal of an API token, as the API would
// authenticate it. EUNAUTHORIZED for a wrong, unknown or revoked token.
func (s *Server) PrincipalOf(ctx context.Context, token string) (*tearline.Principal, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if err != nil {
		return nil, err
	}
	r.Header.Set("Authorization", "Bearer "+token)
	p, err := s.auth.Authenticate(ctx, r)
	if err == nil && p == nil {
		err = tearline.Errorf(tearline.EUNAUTHORIZED, "unknown API token")
	}
	return p, err
}

// PortalCollections returns the collections p's organization may read or
// write, ordered by alias.
func (s *Server) PortalCollections(ctx context.Context, p *tearline.Principal) ([]PortalCollection, error) {
	all, err := s.b.Collections(ctx)
	if err != nil {
		return nil, err
	}
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	var out []PortalCollection
	for _, c := range all {
		g := grants[c.ID]
		v := view(p, c, nil, g)
		if !v.visible() {
			continue
		}
		title := c.Title
		if title == "" {
			title = c.Alias
		}
		root := c.APIRoot
		if root == "" {
			root = s.def.Name
		}
		out = append(out, PortalCollection{ID: c.ID, Alias: c.Alias, Title: title, Root: root, CanRead: v.canRead, CanWrite: v.canWrite})
	}
	return out, nil
}

// portalReader is what one portal read needs to decide for each entry:
// p's readable collections as p sees them, and the ledger records made.
type portalReader struct {
	s    *Server
	p    *tearline.Principal
	cols []*collection
	rec  []ledger.Disclosure
	req  string
}

// portalReader returns a reader of the collections p may read. A peer's
// organization reads no further than its ceiling, and a one-way peer
// reads nothing, as on the TAXII routes.
func (s *Server) portalReader(ctx context.Context, p *tearline.Principal) (*portalReader, error) {
	if p == nil || p.Org == nil {
		return nil, tearline.Errorf(tearline.EUNAUTHORIZED, "sign in first")
	}
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	peer, err := s.peerOf(ctx, p)
	if err != nil {
		return nil, err
	}
	pr := &portalReader{s: s, p: p, req: requestInfoOf(ctx).id}
	if refuseOneWay(peer) != nil {
		return pr, nil
	}
	for colID, g := range grants {
		if !g.Read {
			continue
		}
		c := readView(&tearline.Collection{ID: colID}, g)
		c.peer = peer
		pr.cols = append(pr.cols, c)
	}
	slices.SortFunc(pr.cols, func(a, b *collection) int { return cmp.Compare(a.ID, b.ID) })
	return pr, nil
}

// decide passes entry e of collection c through release and notes the
// decision for the ledger; it returns the object when it may be shown.
func (pr *portalReader) decide(c *collection, e *tearline.Entry) *PortalObject {
	res := pr.s.release(pr.s.recipient(pr.p, c), c, e)
	if pr.s.cfg.Ledger != nil {
		pr.rec = append(pr.rec, ledger.Disclosure{
			Org: pr.p.Org.ID, Key: pr.p.KeyID, Collection: c.ID, Path: ledger.PathUI, Request: pr.req,
			Object: e.ID, Version: entryVersion(e), Decision: res.Decision, TLP: res.TLP,
			Classification: res.Classification, Reason: res.Reason,
		})
	}
	if res.Decision == marking.Withhold {
		return nil
	}
	return &PortalObject{
		Collection: c.ID, ID: e.ID, Type: e.Type, Version: e.Version, DateAdded: e.DateAdded, Revoked: e.Revoked,
		Raw: res.Raw, Redacted: res.Decision == marking.Redacted, TLP: res.TLP.String(), Classification: res.Classification,
	}
}

// record writes the decisions to the ledger. EUNAVAILABLE when it
// cannot: nothing may be shown unrecorded.
func (pr *portalReader) record(ctx context.Context) error {
	if err := pr.s.disclose(ctx, ledger.PathUI, pr.rec); err != nil {
		return err
	}
	pr.rec = nil
	return nil
}

// PortalVersions returns every version of the objects ids that p may see,
// from any collection its organization reads (a version held by several
// is shown once), ordered by id then version. Versions p may not see are
// left out as if they did not exist.
func (s *Server) PortalVersions(ctx context.Context, p *tearline.Principal, ids []string) ([]*PortalObject, error) {
	pr, err := s.portalReader(ctx, p)
	if err != nil {
		return nil, err
	}
	seen := map[objectVersion]bool{}
	var out []*PortalObject
	const chunk = 200
	for _, c := range pr.cols {
		for start := 0; start < len(ids); start += chunk {
			page, err := s.b.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID,
				IDs: ids[start:min(start+chunk, len(ids))], Versions: []string{tearline.VersionAll}})
			if tearline.ErrorCode(err) == tearline.ENOTFOUND {
				break // the collection was deleted meanwhile
			} else if err != nil {
				return nil, err
			}
			for _, e := range page.Entries {
				v := objectVersion{e.ID, e.Version}
				if seen[v] {
					continue
				}
				if o := pr.decide(c, e); o != nil {
					seen[v] = true
					out = append(out, o)
				}
			}
		}
	}
	if err := pr.record(ctx); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *PortalObject) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), a.Version.Compare(b.Version))
	})
	return out, nil
}

// PortalQuery selects what the portal lists: the latest versions added
// after a point, of some types.
type PortalQuery struct {
	// AddedAfter is the cursor: entries added strictly after it.
	AddedAfter time.Time
	Types      []string
	// Limit caps the entries read from each collection (default 100,
	// at most 1000).
	Limit int
}

// PortalPage is a page of PortalList.
type PortalPage struct {
	Objects []*PortalObject // in date added order
	// Next is the cursor of the following page; zero when there is none.
	Next time.Time
}

// PortalList returns the latest versions, in the collections p may read,
// that were added after q.AddedAfter and that p may see, oldest first. An
// object version held by several collections appears once. Entries of
// different collections added in the same microsecond as a page's last
// entry may be skipped by the next page.
func (s *Server) PortalList(ctx context.Context, p *tearline.Principal, q PortalQuery) (*PortalPage, error) {
	pr, err := s.portalReader(ctx, p)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	type hit struct {
		c *collection
		e *tearline.Entry
	}
	var hits []hit
	more := false
	for _, c := range pr.cols {
		page, err := s.b.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, AddedAfter: q.AddedAfter,
			Types: q.Types, Versions: []string{tearline.VersionLast}, Limit: limit})
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		more = more || page.More
		for _, e := range page.Entries {
			hits = append(hits, hit{c, e})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.e.DateAdded.Compare(b.e.DateAdded) })
	if len(hits) > limit {
		hits, more = hits[:limit], true
	}
	res := &PortalPage{}
	seen := map[objectVersion]bool{}
	for _, h := range hits {
		v := objectVersion{h.e.ID, h.e.Version}
		if seen[v] {
			continue
		}
		if o := pr.decide(h.c, h.e); o != nil {
			seen[v] = true
			res.Objects = append(res.Objects, o)
		}
	}
	if err := pr.record(ctx); err != nil {
		return nil, err
	}
	if more && len(hits) > 0 {
		res.Next = hits[len(hits)-1].e.DateAdded
	}
	return res, nil
}

// PortalSearch returns the latest visible versions of the objects whose
// name or description matches the words of text (tearline.TextSearch),
// at most limit, best matches first. EUNAVAILABLE when the backend has no
// full-text index; EINVALID for a text without words.
func (s *Server) PortalSearch(ctx context.Context, p *tearline.Principal, text string, limit int) ([]*PortalObject, error) {
	ts, ok := s.b.(tearline.TextSearch)
	if !ok {
		return nil, tearline.Errorf(tearline.EUNAVAILABLE, "this server's store keeps no full-text index")
	}
	// Candidates beyond what p may see are read too, so that a page is
	// not emptied by withheld matches; the decision comes after.
	hits, err := ts.SearchText(ctx, text, 4*limit+100)
	if err != nil {
		return nil, err
	}
	var ids []string
	rank := map[string]int{}
	for _, h := range hits {
		if _, ok := rank[h.ID]; !ok {
			rank[h.ID] = len(ids)
			ids = append(ids, h.ID)
		}
	}
	versions, err := s.PortalVersions(ctx, p, ids)
	if err != nil {
		return nil, err
	}
	latest := map[string]*PortalObject{}
	for _, o := range versions {
		if l := latest[o.ID]; l == nil || o.Version.After(l.Version) {
			latest[o.ID] = o
		}
	}
	var out []*PortalObject
	for _, o := range latest {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b *PortalObject) int { return cmp.Compare(rank[a.ID], rank[b.ID]) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// PortalReferrers returns the latest visible versions of the objects that
// refer to object id (tearline.References: relationships, sightings,
// opinions, notes, reports, groupings; else the sightings, opinions and
// relationships the score engine links to it) that p may see, ordered by
// id. At most 500 candidates are read.
func (s *Server) PortalReferrers(ctx context.Context, p *tearline.Principal, id string) ([]*PortalObject, error) {
	var ids []string
	switch b := s.b.(type) {
	case tearline.References:
		hits, err := b.ReferringObjects(ctx, id, 500)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			ids = append(ids, h.ID)
		}
	case tearline.Scores:
		links, err := b.ScoreLinks(ctx, []string{id})
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			ids = append(ids, l.Source)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	versions, err := s.PortalVersions(ctx, p, ids)
	if err != nil {
		return nil, err
	}
	var out []*PortalObject
	for i, o := range versions {
		if i+1 < len(versions) && versions[i+1].ID == o.ID {
			continue // a later version follows
		}
		out = append(out, o)
	}
	return out, nil
}

// PortalLevel returns the effective TLP and the highest classification
// that the object markings of raw carry, as the access decision reads
// them (marking.Policy.Level): for the banner of a page that shows an
// object the user gave (a submission's receipt). EINVALID for malformed
// JSON or an unknown marking definition.
func (s *Server) PortalLevel(raw []byte) (tlp, classification string, err error) {
	t, c, _, err := s.policy.Level(raw)
	if err != nil {
		return "", "", err
	}
	return t.String(), c, nil
}
