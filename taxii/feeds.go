package taxii

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/dissem"
	"github.com/tearline/tearline/ledger"
)

// Every subscription is also a read-only TAXII collection of the default
// API root, whose id is the subscription's, and every organization has a
// sector feed collection (its default filter, dissem.DefaultFilterJSON):
// a TAXII client polls its tailored feed like any collection. Only the
// subscription's organization sees it. Objects are listed in feed order,
// each version as it was added to any collection the organization may
// read; date_added is the feed entry's time.

// sectorFeedSpace is the UUID namespace of sector feed collection ids.
var sectorFeedSpace = uuid.MustParse("6f3b0b7e-4c7e-4f3a-9a39-3d5f0c7a2e11")

// sectorFeedID returns the id of an organization's sector feed
// collection.
func sectorFeedID(orgID string) string { return uuid.NewSHA1(sectorFeedSpace, []byte(orgID)).String() }

// feedCollection is a subscription as a TAXII collection.
type feedCollection struct {
	id, title, description string
	filter                 *dissem.Filter
}

// feedCollectionOf returns the feed collection with id key of p's
// organization, or nil when key names none (then it is an ordinary
// collection, or nothing).
func (s *Server) feedCollectionOf(p *tearline.Principal, key string) (*feedCollection, error) {
	if s.dissem == nil || p == nil || p.Org == nil {
		return nil, nil
	}
	if key == sectorFeedID(p.Org.ID) {
		return &feedCollection{id: key, title: "Sector feed",
			description: "What targets your organization's sectors and country, and sightings, opinions and notes on its objects",
			filter:      dissem.DefaultFilter()}, nil
	}
	// The dispatcher's copy is read, not the store: this runs on every
	// request that names a collection.
	sub, ok := s.dissem.Subscription(key)
	if !ok || sub.OrgID != p.Org.ID {
		return nil, nil
	}
	f, err := dissem.Parse(sub.Filter)
	if err != nil {
		return nil, err
	}
	return feedCollectionFrom(sub, f), nil
}

func feedCollectionFrom(sub *tearline.Subscription, f *dissem.Filter) *feedCollection {
	title := sub.Name
	if title == "" {
		title = "Subscription " + sub.ID
	}
	return &feedCollection{id: sub.ID, title: title, description: "Tailored feed: " + f.String(), filter: f}
}

// resource returns the TAXII collection resource of fc.
func (fc *feedCollection) resource() collectionResource {
	return collectionResource{ID: fc.id, Title: fc.title, Description: fc.description, CanRead: true, MediaTypes: []string{mediaSTIX}}
}

// feedResources returns the subscription collections of p's
// organization, for the collection list of API root root. The sector
// feed is not listed there (every organization has one; GET
// /api/v1/feeds/ shows it with the others).
func (s *Server) feedResources(ctx context.Context, p *tearline.Principal, root *APIRoot) ([]collectionResource, error) {
	if s.dissem == nil || p == nil || p.Org == nil || root != s.def {
		return nil, nil
	}
	subs, err := s.subs.ListSubscriptions(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	var out []collectionResource
	for _, sub := range subs {
		if f, err := dissem.Parse(sub.Filter); err == nil {
			out = append(out, feedCollectionFrom(sub, f).resource())
		}
	}
	return out, nil
}

// feedJSON is one feed of the caller's organization in GET /api/v1/feeds.
type feedJSON struct {
	ID          string          `json:"id"`
	Title       string          `json:"title"`
	Filter      json.RawMessage `json:"filter"`
	Collection  string          `json:"collection"` // the TAXII collection's path
	Stream      string          `json:"stream"`     // the event stream's path
	SectorFeed  bool            `json:"sector_feed,omitempty"`
	HasWebhook  bool            `json:"webhook"`
	Description string          `json:"description,omitempty"`
}

// listFeeds answers GET /api/v1/feeds/: the caller's organization's sector
// feed and subscriptions, with where to read each (TAXII collection,
// event stream). Webhook URLs and secrets are not shown.
func (s *Server) listFeeds(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	if err := s.noDissem(); err != nil {
		return err
	}
	col := func(id string) string { return rootURL(s.def) + "collections/" + id + "/" }
	id := sectorFeedID(p.Org.ID)
	res := struct {
		Feeds []feedJSON `json:"feeds"`
	}{Feeds: []feedJSON{{ID: id, Title: "Sector feed", Filter: json.RawMessage(dissem.DefaultFilterJSON), Collection: col(id),
		Stream: "/api/v1/stream/", SectorFeed: true,
		Description: "What targets your organization's sectors and country, and sightings, opinions and notes on its objects"}}}
	subs, err := s.subs.ListSubscriptions(r.Context(), p.Org.ID)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		title := sub.Name
		if title == "" {
			title = "Subscription " + sub.ID
		}
		res.Feeds = append(res.Feeds, feedJSON{ID: sub.ID, Title: title, Filter: json.RawMessage(sub.Filter), Collection: col(sub.ID),
			Stream: "/api/v1/stream/?subscription=" + sub.ID, HasWebhook: sub.WebhookURL != ""})
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

// feeds routes the TAXII requests that name a feed collection of the
// caller's organization to the feed handlers, and the others to h.
func (s *Server) feeds(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
		key := r.PathValue("collection")
		if key == "" || s.dissem == nil || p == nil || r.PathValue("root") != s.def.Name {
			return h(w, r, p)
		}
		fc, err := s.feedCollectionOf(p, key)
		if err != nil {
			return err
		}
		if fc == nil {
			return h(w, r, p)
		}
		route := r.Pattern
		if i := strings.Index(route, "{collection}"); i >= 0 {
			route = strings.TrimSuffix(strings.TrimSuffix(route[i+len("{collection}"):], "{$}"), "/")
		}
		switch {
		case r.Method != http.MethodGet:
			return tearline.Errorf(tearline.EFORBIDDEN, "collection %s is a subscription's feed, read-only; add objects to the collections it selects from", fc.id)
		case route == "":
			writeTAXII(w, http.StatusOK, fc.resource())
			return nil
		case route == "/objects":
			return s.getFeed(w, r, p, fc, false)
		case route == "/manifest":
			return s.getFeed(w, r, p, fc, true)
		}
		return tearline.Errorf(tearline.ENOTFOUND, "collection %s is a subscription's feed: it serves objects/ and manifest/ (with added_after, limit, next and match[type]), not single objects or their versions", fc.id)
	}
}

// feedSyncWait bounds how long a read of a feed collection waits for the
// feed reader to catch up with the store.
const feedSyncWait = 5 * time.Second

// getFeed serves the objects or the manifest of a feed collection: a
// page of the entries after the position that added_after and next give,
// that the filter selects and the access decision lets go.
func (s *Server) getFeed(w http.ResponseWriter, r *http.Request, p *tearline.Principal, fc *feedCollection, manifest bool) error {
	f, err := s.parseFilter(r, pAddedAfter|pLimit|pNext|pType|pSpecVersion, fc.id)
	if err != nil {
		return err
	}
	for _, v := range f.specVersions {
		if v != "2.1" {
			return tearline.Errorf(tearline.EINVALID, "match[spec_version]=%s: a feed holds STIX 2.1 objects only", v)
		}
	}
	ctx := r.Context()
	var cursor int64
	if !f.addedAfter.IsZero() {
		if cursor, err = s.subs.FeedSeqAt(ctx, f.addedAfter); err != nil {
			return err
		}
	}
	if f.hasNext {
		cursor = max(cursor, f.next.UnixMicro()) // the token carries a sequence number
	}
	filter := fc.filter
	if len(f.types) > 0 {
		filter = &dissem.Filter{Types: f.types, Any: []*dissem.Filter{fc.filter}}
	}
	// What was added before this request is in the answer, even when the
	// feed reader has not read it yet. A reader that cannot catch up in
	// feedSyncWait (the store failing it) does not hold the request: the
	// answer then ends where the reader is, and the client's next poll
	// gets the rest.
	sctx, cancel := context.WithTimeout(ctx, feedSyncWait)
	err = s.dissem.Sync(sctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.logger(ctx).Warn("feed collection: the feed reader did not catch up; answering with what it has read", "collection", fc.id, "err", err)
	}
	sel, err := s.dissem.Select(ctx, p.Org.ID, filter, cursor, tearline.MaxFeedPage, f.limit, false)
	if err != nil {
		return err
	}
	path := ledger.PathObjects
	if manifest {
		path = ledger.PathManifest
	}
	raws, err := s.gateOf().Release(ctx, p.Org, dissem.Delivery{Path: path, Key: p.KeyID, Request: requestInfoOf(ctx).id,
		Ceiling: fc.filter.Ceiling()}, sel.Entries)
	if err != nil {
		return err
	}
	rel := &released{more: sel.More}
	if sel.More {
		rel.next = nextToken(time.UnixMicro(sel.Cursor), fc.id)
	}
	for i, e := range sel.Entries {
		if raws[i] == nil {
			continue
		}
		entry := &tearline.Entry{Object: e.Object, DateAdded: e.Time}
		if rel.first.IsZero() {
			rel.first = e.Time
		}
		rel.last = e.Time
		rel.entries = append(rel.entries, entry)
		rel.raws = append(rel.raws, raws[i])
	}
	if !manifest {
		return writeEnvelope(w, rel)
	}
	res := manifestResource{More: rel.more, Next: rel.next}
	for _, e := range rel.entries {
		res.Objects = append(res.Objects, manifestRecord{ID: e.ID, DateAdded: dateAdded(e.DateAdded), Version: entryVersion(e), MediaType: mediaSTIX})
	}
	setDateAddedHeaders(w, rel)
	writeTAXII(w, http.StatusOK, res)
	return nil
}
