package taxii

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/stix"
)

// Federation (package federation) meets the server in three places, each
// through the server's own paths:
//
//   - a peer's organization reading over TAXII is a peer to the access
//     decision (recipient: Peer, with the peer's TLP ceiling), and the low
//     side of a one-way link is refused reads altogether (readable);
//   - push links release through ReleaseToPeer, which is releasePage with
//     the peer as recipient and the ledger path federation;
//   - a peer's organization posting objects goes through the federation
//     inbound pipeline (crosswalk, objects held for review, provenance)
//     instead of the plain submission path.
//
// The backend keeps peers when it implements federation.Store; otherwise
// no organization is a peer and the peer admin API answers 404.

// federationStore returns the backend as a federation store, or nil.
func (s *Server) federationStore() federation.Store {
	fs, _ := s.b.(federation.Store)
	return fs
}

// Inbound returns the federation inbound pipeline over the server's
// backend and access decision (whose marking definitions it extends), or
// nil when the backend keeps no peers.
func (s *Server) Inbound() *federation.Inbound {
	fs := s.federationStore()
	if fs == nil {
		return nil
	}
	return &federation.Inbound{Store: fs, Policy: s.policy}
}

// peerOf returns the peer that p's organization stands for; nil when none.
func (s *Server) peerOf(ctx context.Context, p *tearline.Principal) (*tearline.Peer, error) {
	if p != nil && p.Peer != nil {
		return p.Peer, nil
	}
	fs := s.federationStore()
	if fs == nil || p == nil || p.Org == nil {
		return nil, nil
	}
	peer, err := fs.PeerByOrg(ctx, p.Org.ID)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, nil
	}
	return peer, err
}

// withPeer returns p with Peer set to the peer its organization stands
// for, when it stands for one and p does not say so yet.
func (s *Server) withPeer(ctx context.Context, p *tearline.Principal) (*tearline.Principal, error) {
	if p == nil || p.Peer != nil {
		return p, nil
	}
	peer, err := s.peerOf(ctx, p)
	if err != nil || peer == nil {
		return p, err
	}
	cp := *p
	cp.Peer = peer
	return &cp, nil
}

// refuseOneWay returns EFORBIDDEN when peer is the low side of a one-way
// link: the high side shows it nothing, not even its collections, and
// sends it only the tear-line products its products-only push links
// carry. It returns nil for nil (not a peer) and other peers.
func refuseOneWay(peer *tearline.Peer) error {
	if peer != nil && peer.OneWay {
		return tearline.Errorf(tearline.EFORBIDDEN, "peer %s is the low side of a one-way link: this server sends it nothing but the tear-line products it pushes", peer.Name)
	}
	return nil
}

// ReleaseToPeer passes a page of entries of the link's local collection
// through the one access decision with the link's peer as recipient: the
// profile of the peer's organization, its read grant on the collection
// (without one nothing goes; as a client of a reader, only what clients
// receive), and the peer's ceiling. Every decision is
// recorded in the disclosure ledger under path federation, with the key
// "link:<id>". It returns the entries that may go and the bytes to send
// for each. EFORBIDDEN for a push link to the low side of a one-way link
// that is not limited to tear-line products; EUNAVAILABLE when the ledger
// cannot record.
func (s *Server) ReleaseToPeer(ctx context.Context, peer *tearline.Peer, link *tearline.Link, page *tearline.ObjectPage) ([]*tearline.Entry, [][]byte, error) {
	if peer.OneWay && !link.ProductsOnly {
		return nil, nil, tearline.Errorf(tearline.EFORBIDDEN, "peer %s is the low side of a one-way link: only tear-line products go to it", peer.Name)
	}
	org, err := s.b.FindOrganization(ctx, peer.OrgID)
	if err != nil {
		return nil, nil, err
	}
	col, err := s.b.FindCollection(ctx, link.CollectionID)
	if err != nil {
		return nil, nil, err
	}
	p := &tearline.Principal{Org: org, Role: tearline.RoleReader, KeyID: "link:" + link.ID}
	g, err := s.grant(ctx, p, col.ID)
	if err != nil {
		return nil, nil, err
	}
	var id [6]byte
	rand.Read(id[:])
	ctx = context.WithValue(ctx, infoKey{}, &requestInfo{id: "push-" + hex.EncodeToString(id[:]), p: p})
	// As for the peer's own TAXII reads: a read grant (its own, or as a
	// client of a reader) and the peer's ceiling.
	view := &collection{Collection: col, canRead: g.Read, client: g.Client, peer: peer}
	rel, err := s.releasePage(ctx, ledger.PathFederation, p, view, page)
	if err != nil {
		return nil, nil, err
	}
	return rel.entries, rel.raws, nil
}

// fromPeers routes a peer's POST of objects to postFromPeer, and any
// other to h.
func (s *Server) fromPeers(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
		peer, err := s.peerOf(r.Context(), p)
		if err != nil {
			return err
		}
		if peer == nil {
			return h(w, r, p)
		}
		return s.postFromPeer(w, r, p, peer)
	}
}

// postFromPeer adds the objects a peer pushes to a collection through the
// federation inbound pipeline: its crosswalk maps their markings, objects
// with markings unknown here are held for review (and reported as
// failures), and the provenance of each version is recorded, so that no
// push link sends it back. The envelope is processed before the answer, a
// 202 with the complete status.
func (s *Server) postFromPeer(w http.ResponseWriter, r *http.Request, p *tearline.Principal, peer *tearline.Peer) error {
	c, err := s.collection(r, p)
	if err != nil {
		return err
	}
	if !c.canWrite {
		return tearline.Errorf(tearline.EFORBIDDEN, "peer %s may not add objects to collection %s: its organization needs a write grant and a key with role %q or higher", peer.Name, c.ID, tearline.RoleContributor)
	}
	if err := taxiiContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if err := checkParams(r); err != nil {
		return err
	}
	body, err := readBody(w, r, c.root.MaxContentLength)
	if err != nil {
		return err
	}
	n, err := checkEnvelope(body)
	if err != nil {
		return err
	}
	st := &tearline.Status{
		ID:           uuid.NewString(),
		APIRoot:      c.root.Name,
		CollectionID: c.ID,
		OrgID:        p.Org.ID,
		Status:       tearline.StatusComplete,
		RequestTime:  time.Now().UTC().Truncate(time.Microsecond),
		TotalCount:   n,
	}
	var objs [][]byte
	br := stix.NewEnvelopeReader(bytes.NewReader(body))
	for {
		raw, _, err := br.Next()
		var tooLarge *stix.TooLargeError
		if err == io.EOF {
			break
		} else if errors.As(err, &tooLarge) {
			st.Failures = append(st.Failures, tearline.StatusDetail{Message: tooLarge.Error()})
			continue
		} else if err != nil {
			return tearline.Errorf(tearline.EINVALID, "the body is not a valid TAXII envelope: %v", err)
		}
		objs = append(objs, raw)
	}
	// The peer may hang up; what was accepted is finished anyway so that
	// its status tells the truth.
	ctx := context.WithoutCancel(r.Context())
	res, err := s.Inbound().Accept(ctx, &federation.Batch{Peer: peer, CollectionID: c.ID, Objects: objs})
	if err != nil {
		return err
	}
	st.Successes = append(st.Successes, res.Stored...)
	st.Failures = append(st.Failures, res.Refused...)
	for _, h := range res.Held {
		st.Failures = append(st.Failures, tearline.StatusDetail{ID: h.ObjectID, Version: h.Version,
			Message: "held for review by this server's administrators: " + h.Reason})
	}
	st.Successes = append(st.Successes, res.Replaced...)
	if err := s.b.SaveStatus(ctx, st); err != nil {
		return err
	}
	s.logger(ctx).Info("peer submission processed", "peer", peer.Name, "status", st.ID, "collection", c.ID,
		"objects", n, "successes", st.SuccessCount(), "failures", st.FailureCount(), "held", len(res.Held))
	writeTAXII(w, http.StatusAccepted, statusResourceOf(st))
	return nil
}
