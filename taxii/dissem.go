package taxii

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/dissem"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
)

// Dissemination configures subscriptions and their delivery: webhooks,
// the event stream (/api/v1/stream) and per-subscription TAXII
// collections. It needs a backend that keeps the change feed and
// subscriptions (tearline.Feed and tearline.Subscriptions); with another,
// none of it is served.
type Dissemination struct {
	// Disabled turns dissemination off.
	Disabled bool
	// NoWebhooks leaves webhook delivery to another node: with several
	// servers on one database and no Bus, exactly one should deliver
	// webhooks.
	NoWebhooks bool
	// Bus, when set, carries change events between the servers sharing
	// the database and gives each webhook subscription to one server at
	// a time (see dissem.Config.Bus).
	Bus tearline.Bus
	// Attempts, Backoff, MaxBackoff and Timeout tune webhook delivery
	// (see dissem.Config); zero takes the defaults.
	Attempts            int
	Backoff, MaxBackoff time.Duration
	Timeout             time.Duration
	// Poll is how often the feed is read for adds this server did not
	// make (other nodes); zero takes dissem.DefaultPoll.
	Poll time.Duration
	// Refresh is how often subscriptions and organization profiles are
	// read again; zero takes dissem.DefaultRefresh.
	Refresh time.Duration
	// CursorInterval is how often delivery cursors are saved.
	CursorInterval time.Duration
	// Transport carries webhook requests; nil for the default.
	Transport http.RoundTripper
	// Scorer replaces the confidence property as the score that filters'
	// min_confidence tests.
	Scorer dissem.Scorer
}

// dissemStore is what a backend needs for dissemination.
type dissemStore interface {
	tearline.Feed
	tearline.Subscriptions
}

// initDissem creates the dispatcher when the backend can feed it.
func (s *Server) initDissem() error {
	cfg := s.cfg.Dissemination
	st, ok := s.b.(dissemStore)
	if cfg.Disabled || !ok {
		return nil
	}
	d, err := dissem.New(dissem.Config{
		Store: struct {
			dissemStore
			tearline.Directory
		}{st, s.b},
		Gate:           &gate{s: s, views: map[viewKey]cachedView{}},
		Logger:         s.log.With("component", "dissemination"),
		Scorer:         cfg.Scorer,
		Webhooks:       !cfg.NoWebhooks,
		Bus:            cfg.Bus,
		Poll:           cfg.Poll,
		Attempts:       cfg.Attempts,
		Backoff:        cfg.Backoff,
		MaxBackoff:     cfg.MaxBackoff,
		Timeout:        cfg.Timeout,
		Refresh:        cfg.Refresh,
		CursorInterval: cfg.CursorInterval,
		Transport:      cfg.Transport,
		Observer:       deliveryObserver{s.cfg.Metrics},
	})
	if err != nil {
		return fmt.Errorf("taxii: %w", err)
	}
	s.dissem, s.subs = d, st
	return nil
}

// startDissem starts the dispatcher, if there is one.
func (s *Server) startDissem(ctx context.Context) error {
	if s.dissem == nil {
		return nil
	}
	if err := s.dissem.Start(ctx); err != nil {
		return fmt.Errorf("taxii: %w", err)
	}
	return nil
}

// stopDissem stops the dispatcher, if there is one, saving the delivery
// cursors.
func (s *Server) stopDissem(ctx context.Context) error {
	if s.dissem == nil {
		return nil
	}
	return s.dissem.Stop(ctx)
}

// Feed returns what tells federation push links that their collections
// received objects (the dispatcher's feed reader, which sees this node's
// adds at once and other nodes' on their bus events or its next poll);
// nil when the backend keeps no feed.
func (s *Server) Feed() federation.Feed {
	if s.dissem == nil {
		return nil
	}
	return s.dissem
}

// feedChanged tells the dispatcher that objects were added.
func (s *Server) feedChanged() {
	if s.dissem != nil {
		s.dissem.Notify()
	}
}

// gate is the access decision for dissemination: the one in release,
// for a subscriber's organization as a reader of each entry's collection.
// It keeps the collection views it builds (grants, client and peer
// relations) for viewTTL, since every delivery needs them: a change of
// grants reaches deliveries within that time.
type gate struct {
	s     *Server
	mu    sync.Mutex
	views map[viewKey]cachedView
}

// viewTTL is how long a subscriber's view of a collection is reused.
const viewTTL = time.Second

type viewKey struct{ org, collection string }

type cachedView struct {
	v       *collection
	expires time.Time
}

// gateOf returns the server's dissemination gate.
func (s *Server) gateOf() *gate { return s.dissem.Gate().(*gate) }

// view returns p's view of a collection through the cache.
func (g *gate) view(ctx context.Context, p *tearline.Principal, collectionID string) (*collection, error) {
	k := viewKey{p.Org.ID, collectionID}
	now := time.Now()
	g.mu.Lock()
	c, ok := g.views[k]
	g.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.v, nil
	}
	v, err := g.s.subscriberView(ctx, p, collectionID)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	if len(g.views) > 100000 {
		clear(g.views) // bounded: many organizations times many collections
	}
	g.views[k] = cachedView{v: v, expires: now.Add(viewTTL)}
	g.mu.Unlock()
	return v, nil
}

// subscriberView returns collection collectionID as principal p sees it,
// as Server.collection and Server.readable build it for a request: its
// grant (or a client's), its federation peer; nil when the collection is
// gone. A one-way peer reads nothing.
func (s *Server) subscriberView(ctx context.Context, p *tearline.Principal, collectionID string) (*collection, error) {
	c, err := s.b.FindCollection(ctx, collectionID)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	g, err := s.grant(ctx, p, c.ID)
	if err != nil {
		return nil, err
	}
	root := s.roots[c.APIRoot]
	if root == nil {
		root = s.def
	}
	v := view(p, c, root, g)
	if v.peer, err = s.peerOf(ctx, p); err != nil {
		return nil, err
	}
	if v.peer != nil && v.peer.OneWay {
		v.canRead = false
	}
	return v, nil
}

// Release passes feed entries through release for org, withholds what is
// above the delivery's ceiling, and records every decision in the
// disclosure ledger in one batch. EUNAVAILABLE when the ledger cannot
// record.
func (g *gate) Release(ctx context.Context, org *tearline.Organization, d dissem.Delivery, entries []*tearline.FeedEntry) ([][]byte, error) {
	s := g.s
	p := &tearline.Principal{Org: org, Role: tearline.RoleReader, KeyID: d.Key}
	views := map[string]*collection{}
	out := make([][]byte, len(entries))
	var rec []ledger.Disclosure
	if s.cfg.Ledger != nil {
		rec = make([]ledger.Disclosure, 0, len(entries))
	}
	for i, e := range entries {
		v, ok := views[e.CollectionID]
		if !ok {
			var err error
			if v, err = g.view(ctx, p, e.CollectionID); err != nil {
				return nil, err
			}
			views[e.CollectionID] = v
		}
		var res marking.Result
		if v == nil {
			res = marking.Result{Decision: marking.Withhold, Reason: "the collection was deleted"}
		} else {
			res = s.release(s.recipient(p, v), v, &e.Entry)
		}
		if res.Decision != marking.Withhold && d.Ceiling != marking.NoTLP && res.TLP > d.Ceiling {
			res = marking.Result{Decision: marking.Withhold, TLP: res.TLP, Classification: res.Classification,
				Reason: res.TLP.String() + " is above the subscription's marking ceiling " + d.Ceiling.String()}
		}
		if rec != nil {
			rec = append(rec, ledger.Disclosure{
				Org: org.ID, Key: d.Key, Collection: e.CollectionID, Path: d.Path, Request: d.Request,
				Object: e.ID, Version: entryVersion(&e.Entry),
				Decision: res.Decision, TLP: res.TLP, Classification: res.Classification, Reason: res.Reason,
			})
		}
		if res.Decision != marking.Withhold {
			out[i] = res.Raw
		}
	}
	if err := s.disclose(ctx, d.Path, rec); err != nil {
		return nil, err
	}
	// Webhooks and streams: the subscriber's organization consumes what
	// goes to it.
	n := 0
	for _, raw := range out {
		if raw != nil {
			n++
		}
	}
	if n > 0 {
		s.consumedBy(org.ID, n)
	}
	return out, nil
}

// Visible reports whether org, as a reader of the collection, may receive
// raw at all. Nothing is sent or recorded.
func (g *gate) Visible(ctx context.Context, org *tearline.Organization, collectionID string, raw []byte) bool {
	s := g.s
	p := &tearline.Principal{Org: org, Role: tearline.RoleReader}
	v, err := g.view(ctx, p, collectionID)
	if err != nil || v == nil {
		return false
	}
	e := &tearline.Entry{Object: tearline.Object{Raw: raw}}
	return s.release(s.recipient(p, v), v, e).Decision != marking.Withhold
}
