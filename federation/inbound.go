package federation

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
)

// Store is what federation needs of a store: collections and objects,
// organizations, peers and tear-line products.
type Store interface {
	tearline.Store
	tearline.Directory
	tearline.Peers
	tearline.Products
}

// Inbound takes objects that a peer sent into a local collection: it maps
// the peer's markings through its crosswalk, holds for review the objects
// whose markings this server does not know, records where each version
// came from, and ingests the rest as a submission of the peer's
// organization (validation, the marking check, the store's de-duplication
// by content).
type Inbound struct {
	Store  Store
	Policy *marking.Policy
}

// Batch is objects a peer sent for a local collection.
type Batch struct {
	Peer *tearline.Peer
	// LinkID is the pull link they came by; "" when the peer pushed them.
	LinkID           string
	CollectionID     string
	RemoteCollection string
	Objects          [][]byte
}

// Result is what became of a batch.
type Result struct {
	// Added counts the versions new to the collection; Duplicates those it
	// held already (by another route, or from an earlier run).
	Added, Duplicates int
	// Stored are the objects added or found stored already, the latter
	// with the message "already in the collection".
	Stored []tearline.StatusDetail
	// Refused are the objects not stored: invalid, refused by the marking
	// check, or conflicting with a stored version.
	Refused []tearline.StatusDetail
	// Held are the objects held for review.
	Held []*tearline.Held
	// Replaced are the peer's marking definitions that its crosswalk
	// replaces by local ones, which are not stored.
	Replaced []tearline.StatusDetail
	// Definitions counts the marking definitions stored: objects held
	// earlier may now be known.
	Definitions int
}

// prepared is a batch after the crosswalk and the hold check. objects keep
// the batch's indices; skipped and held ones are nil.
type prepared struct {
	objects  [][]byte
	held     []*tearline.Held
	replaced []tearline.StatusDetail
	prov     []tearline.Provenance
	defs     map[int]bool // indices of marking definitions
}

// prepare maps the batch through the peer's crosswalk and sorts out the
// objects to hold.
func (in *Inbound) prepare(b *Batch) *prepared {
	cw := NewCrosswalk(b.Peer.Crosswalk)
	known := in.Policy.Definitions()
	inBatch := map[string]bool{}
	p := &prepared{objects: make([][]byte, len(b.Objects)), defs: map[int]bool{}}
	for i, raw := range b.Objects {
		f, err := scan(raw)
		if err != nil {
			p.objects[i] = raw // malformed: ingest says why
			continue
		}
		if f.typ == "marking-definition" {
			if local, ok := cw.Local(f.id); ok {
				p.replaced = append(p.replaced, tearline.StatusDetail{ID: f.id, Version: f.modified,
					Message: "replaced by this server's marking definition " + local + " (crosswalk)"})
				continue
			}
		}
		raw = cw.inbound(raw, &f)
		reason := ""
		for _, id := range f.markingIDs() {
			if inBatch[id] {
				continue
			}
			if d := known.Lookup(id); d == nil {
				reason = "marking definition " + id + " is neither known to this server nor mapped by the peer's crosswalk"
			} else if d.Unknown != "" {
				reason = "marking definition " + id + " uses " + d.Unknown + ", which this server cannot interpret"
			}
			if reason != "" {
				break
			}
		}
		if reason == "" && f.typ == "marking-definition" {
			if d, err := marking.ParseDefinition(raw); err == nil {
				if d.Unknown != "" {
					reason = "the marking definition uses " + d.Unknown + ", which this server cannot interpret; map it to a local marking in the peer's crosswalk"
				} else {
					inBatch[f.id] = true
					p.defs[i] = true
				}
			}
		}
		if reason != "" {
			version := f.modified
			if version == "" {
				version = f.created
			}
			p.held = append(p.held, &tearline.Held{PeerID: b.Peer.ID, LinkID: b.LinkID, CollectionID: b.CollectionID,
				RemoteCollection: b.RemoteCollection, ObjectID: f.id, Version: version, Raw: b.Objects[i], Reason: reason})
			continue
		}
		p.objects[i] = raw
		if key, ok := versionKey(&f); ok {
			p.prov = append(p.prov, tearline.Provenance{VersionRef: tearline.VersionRef{ID: f.id, Version: key},
				PeerID: b.Peer.ID, RemoteCollection: b.RemoteCollection})
		}
	}
	return p
}

// versionKey returns the version key (tearline.VersionLayout) the store
// gives the object: modified, else created, else the zero time.
func versionKey(f *fields) (string, bool) {
	if f.id == "" {
		return "", false
	}
	ts := f.modified
	if ts == "" {
		ts = f.created
	}
	var t time.Time
	if ts != "" {
		var err error
		if t, _, err = stix.ParseTimestamp(ts); err != nil {
			return "", false
		}
	}
	return t.UTC().Format(tearline.VersionLayout), true
}

// submitter returns the peer's organization as the submitter of what it
// sends: its clearance bounds the classification it may assert, and only
// content it originated may be originator-controlled.
func (in *Inbound) submitter(ctx context.Context, p *tearline.Peer) (*marking.Recipient, error) {
	o, err := in.Store.FindOrganization(ctx, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("organization of peer %s: %w", p.Name, err)
	}
	return marking.MemberRecipient(o), nil
}

// Accept takes a batch into its collection: provenance is recorded first
// (so that a crash cannot leave a pulled version without it, which would
// let it be pushed back), then the held objects, then the rest is ingested
// in one store transaction. A store failure is returned; what was stored
// before it stays, and accepting the batch again changes nothing more.
func (in *Inbound) Accept(ctx context.Context, b *Batch) (*Result, error) {
	p := in.prepare(b)
	if err := in.Store.AddProvenance(ctx, p.prov); err != nil {
		return nil, err
	}
	return in.store(ctx, b, p)
}

// store holds and ingests a prepared batch whose provenance is recorded.
func (in *Inbound) store(ctx context.Context, b *Batch, p *prepared) (*Result, error) {
	res := &Result{Replaced: p.replaced, Held: p.held}
	if err := in.Store.HoldObjects(ctx, p.held); err != nil {
		return nil, err
	}
	var kept [][]byte
	var index []int
	for i, o := range p.objects {
		if o != nil {
			kept = append(kept, o)
			index = append(index, i)
		}
	}
	if len(kept) == 0 {
		return res, nil
	}
	submitter, err := in.submitter(ctx, b.Peer)
	if err != nil {
		return nil, err
	}
	opts := ingest.Options{
		BatchSize: len(kept),
		Policy:    in.Policy,
		Submitter: submitter,
		Source:    b.Peer.OrgID,
		OnObject: func(o *ingest.Outcome) {
			version := o.Version
			if version == "" && !o.DateAdded.IsZero() {
				version = o.DateAdded.UTC().Format(dateAddedLayout)
			}
			switch o.Status {
			case tearline.Added:
				res.Added++
				res.Stored = append(res.Stored, tearline.StatusDetail{ID: o.ID, Version: version})
				if o.Index < len(index) && p.defs[index[o.Index]] {
					res.Definitions++
				}
			case tearline.Duplicate:
				res.Duplicates++
				res.Stored = append(res.Stored, tearline.StatusDetail{ID: o.ID, Version: version, Message: "already in the collection"})
			default:
				msg := "not stored"
				if errs := o.Issues.Errors(); len(errs) > 0 {
					msg = errs[0].String()
				}
				res.Refused = append(res.Refused, tearline.StatusDetail{ID: o.ID, Version: o.Version, Message: msg})
			}
		},
	}
	if idx, ok := in.Store.(tearline.Observables); ok {
		opts.Observables = idx
	}
	if _, err := ingest.Envelope(ctx, in.Store, b.CollectionID, bytes.NewReader(envelope(kept)), opts); err != nil {
		return nil, err
	}
	return res, nil
}

// dateAddedLayout is how TAXII shows a date_added, and the version of an
// object without timestamps.
const dateAddedLayout = "2006-01-02T15:04:05.000000Z"

// envelope wraps objects in a TAXII envelope.
func envelope(objs [][]byte) []byte {
	n := len(`{"objects":[]}`) + len(objs)
	for _, o := range objs {
		n += len(o)
	}
	b := make([]byte, 0, n)
	b = append(b, `{"objects":[`...)
	for i, o := range objs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, o...)
	}
	return append(b, "]}"...)
}

// Release retries a held object with the peer's current crosswalk and the
// marking definitions known now. It returns the result: the object stored
// (Added or Duplicates), held again (the record stays, with the new
// reason), or refused (the record stays; drop it). The record is deleted
// once the object is stored. ENOTFOUND for an unknown held object, or a
// peer deleted meanwhile.
func (in *Inbound) Release(ctx context.Context, id string) (*Result, error) {
	h, err := in.Store.FindHeld(ctx, id)
	if err != nil {
		return nil, err
	}
	p, err := in.Store.FindPeer(ctx, h.PeerID)
	if err != nil {
		return nil, err
	}
	res, err := in.Accept(ctx, &Batch{Peer: p, LinkID: h.LinkID, CollectionID: h.CollectionID,
		RemoteCollection: h.RemoteCollection, Objects: [][]byte{h.Raw}})
	if err != nil {
		return nil, err
	}
	if res.Added+res.Duplicates+len(res.Replaced) > 0 {
		if err := in.Store.DeleteHeld(ctx, id); err != nil && tearline.ErrorCode(err) != tearline.ENOTFOUND {
			return nil, err
		}
	}
	return res, nil
}

// releaseBatch is how many held objects ReleaseAll retries at once.
const releaseBatch = 1000

// ReleaseAll retries every object held for the peer (every peer when
// peerID is ""), in the order they were held, a thousand at a time per
// link and collection, and returns how many were stored and how many stay
// held or were refused.
func (in *Inbound) ReleaseAll(ctx context.Context, peerID string) (stored, remaining int, err error) {
	hs, err := in.Store.ListHeld(ctx, peerID)
	if err != nil {
		return 0, 0, err
	}
	type route struct{ peer, link, collection, remote string }
	groups := map[route][]*tearline.Held{}
	var order []route
	for _, h := range hs {
		r := route{h.PeerID, h.LinkID, h.CollectionID, h.RemoteCollection}
		if groups[r] == nil {
			order = append(order, r)
		}
		groups[r] = append(groups[r], h)
	}
	peers := map[string]*tearline.Peer{}
	for _, r := range order {
		p := peers[r.peer]
		if p == nil {
			if p, err = in.Store.FindPeer(ctx, r.peer); tearline.ErrorCode(err) == tearline.ENOTFOUND {
				continue // deleted meanwhile, with its held objects
			} else if err != nil {
				return stored, remaining, err
			}
			peers[r.peer] = p
		}
		group := groups[r]
		for start := 0; start < len(group); start += releaseBatch {
			part := group[start:min(start+releaseBatch, len(group))]
			b := &Batch{Peer: p, LinkID: r.link, CollectionID: r.collection, RemoteCollection: r.remote}
			for _, h := range part {
				b.Objects = append(b.Objects, h.Raw)
			}
			res, err := in.Accept(ctx, b)
			if err != nil {
				return stored, remaining, err
			}
			still := map[string]bool{}
			for _, h := range res.Held {
				still[h.ObjectID+"|"+h.Version] = true
			}
			for _, d := range res.Refused {
				still[d.ID] = true
			}
			for _, h := range part {
				if still[h.ObjectID+"|"+h.Version] || still[h.ObjectID] {
					remaining++
					continue
				}
				if err := in.Store.DeleteHeld(ctx, h.ID); err != nil && tearline.ErrorCode(err) != tearline.ENOTFOUND {
					return stored, remaining, err
				}
				stored++
			}
		}
	}
	return stored, remaining, nil
}
