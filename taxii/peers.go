package taxii

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/federation"
	"github.com/tearline/tearline/normalize"
)

// The peer admin API (/api/v1/peers, /api/v1/links, /api/v1/held)
// configures federation: peers with their credentials, profile, ceiling,
// one-way flag and crosswalk; their pull and push links with their state;
// and the objects held for review, which an admin releases or drops.
// Secrets are accepted but never shown: answers say whether a token or
// password is set.

// peerRoutes registers the peer admin API with handle.
func (s *Server) peerRoutes(handle func(method, path string, h http.Handler)) {
	handle("GET", "/api/v1/peers/", s.admin(s.listPeers))
	handle("POST", "/api/v1/peers/", s.admin(s.createPeer))
	handle("GET", "/api/v1/peers/{peer}/", s.admin(s.getPeer))
	handle("PATCH", "/api/v1/peers/{peer}/", s.admin(s.updatePeer))
	handle("DELETE", "/api/v1/peers/{peer}/", s.admin(s.deletePeer))
	handle("GET", "/api/v1/peers/{peer}/links/", s.admin(s.listLinks))
	handle("POST", "/api/v1/peers/{peer}/links/", s.admin(s.createLink))
	handle("POST", "/api/v1/peers/{peer}/held/release/", s.admin(s.releaseAllHeld))
	handle("GET", "/api/v1/links/{link}/", s.admin(s.getLink))
	handle("DELETE", "/api/v1/links/{link}/", s.admin(s.deleteLink))
	handle("GET", "/api/v1/held/", s.admin(s.listHeld))
	handle("GET", "/api/v1/held/{held}/", s.admin(s.getHeld))
	handle("POST", "/api/v1/held/{held}/release/", s.admin(s.releaseHeld))
	handle("DELETE", "/api/v1/held/{held}/", s.admin(s.dropHeld))
}

// peersStore returns the federation store, or ENOTFOUND when the backend
// keeps no peers.
func (s *Server) peersStore() (federation.Store, error) {
	fs := s.federationStore()
	if fs == nil {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "this server's store does not keep federation peers yet")
	}
	return fs, nil
}

type peerJSON struct {
	ID          string                `json:"id"`
	Name        string                `json:"name"`
	OrgID       string                `json:"org"`
	Country     string                `json:"country,omitempty"`
	Communities []string              `json:"communities,omitempty"`
	Clearance   string                `json:"clearance,omitempty"`
	URL         string                `json:"url"`
	Token       bool                  `json:"token"` // set or not; never shown
	User        string                `json:"user,omitempty"`
	Password    bool                  `json:"password"`
	CertFile    string                `json:"cert_file,omitempty"`
	KeyFile     string                `json:"key_file,omitempty"`
	CAFile      string                `json:"ca_file,omitempty"`
	Ceiling     string                `json:"ceiling"`
	OneWay      bool                  `json:"one_way"`
	Crosswalk   []tearline.MarkingMap `json:"crosswalk"`
	Created     time.Time             `json:"created"`
}

func peerOf(p *tearline.Peer, o *tearline.Organization) peerJSON {
	j := peerJSON{ID: p.ID, Name: p.Name, OrgID: p.OrgID, URL: p.URL, Token: p.Token != "", User: p.User,
		Password: p.Password != "", CertFile: p.CertFile, KeyFile: p.KeyFile, CAFile: p.CAFile, Ceiling: p.Ceiling,
		OneWay: p.OneWay, Crosswalk: p.Crosswalk, Created: p.Created}
	if j.Crosswalk == nil {
		j.Crosswalk = []tearline.MarkingMap{}
	}
	if o != nil {
		j.Country, j.Communities, j.Clearance = o.Country, o.Communities, o.Clearance
	}
	return j
}

// peerRequest is the body of POST and PATCH on peers. In a PATCH, fields
// left out keep their value. Country, communities and clearance are the
// profile of the peer's organization; on creation, without org, an
// organization named after the peer is created with them (of type
// org_type, default "other").
type peerRequest struct {
	Name        *string                `json:"name"`
	Org         *string                `json:"org"`
	OrgType     *string                `json:"org_type"`
	Country     *string                `json:"country"`
	Communities *[]string              `json:"communities"`
	Clearance   *string                `json:"clearance"`
	URL         *string                `json:"url"`
	Token       *string                `json:"token"`
	User        *string                `json:"user"`
	Password    *string                `json:"password"`
	CertFile    *string                `json:"cert_file"`
	KeyFile     *string                `json:"key_file"`
	CAFile      *string                `json:"ca_file"`
	Ceiling     *string                `json:"ceiling"`
	OneWay      *bool                  `json:"one_way"`
	Crosswalk   *[]tearline.MarkingMap `json:"crosswalk"`
}

// apply sets the peer settings given in req.
func (req *peerRequest) apply(p *tearline.Peer) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.Name, req.Name)
	set(&p.URL, req.URL)
	set(&p.Token, req.Token)
	set(&p.User, req.User)
	set(&p.Password, req.Password)
	set(&p.CertFile, req.CertFile)
	set(&p.KeyFile, req.KeyFile)
	set(&p.CAFile, req.CAFile)
	set(&p.Ceiling, req.Ceiling)
	if req.OneWay != nil {
		p.OneWay = *req.OneWay
	}
	if req.Crosswalk != nil {
		p.Crosswalk = *req.Crosswalk
	}
}

// profile reports whether req changes the organization's profile, and
// applies the change to o.
func (req *peerRequest) profile(o *tearline.Organization) bool {
	changed := false
	if req.Country != nil {
		o.Country, changed = *req.Country, true
	}
	if req.Communities != nil {
		o.Communities, changed = *req.Communities, true
	}
	if req.Clearance != nil {
		o.Clearance, changed = *req.Clearance, true
	}
	return changed
}

// peer returns the peer named (by id or name) in the path.
func (s *Server) peer(r *http.Request, fs federation.Store) (*tearline.Peer, error) {
	key := r.PathValue("peer")
	p, err := fs.FindPeer(r.Context(), key)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no peer %q (give its id or name)", key)
	}
	return p, err
}

func (s *Server) listPeers(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	ps, err := fs.ListPeers(r.Context())
	if err != nil {
		return err
	}
	res := struct {
		Peers []peerJSON `json:"peers"`
	}{Peers: []peerJSON{}}
	for _, peer := range ps {
		o, err := s.b.FindOrganization(r.Context(), peer.OrgID)
		if err != nil {
			return err
		}
		res.Peers = append(res.Peers, peerOf(peer, o))
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

func (s *Server) getPeer(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	peer, err := s.peer(r, fs)
	if err != nil {
		return err
	}
	o, err := s.b.FindOrganization(r.Context(), peer.OrgID)
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, peerOf(peer, o))
	return nil
}

// createPeer creates a peer and, unless the request names an existing
// organization, the organization that stands for it.
func (s *Server) createPeer(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	var req peerRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	peer := &tearline.Peer{}
	req.apply(peer)
	ctx := r.Context()
	// The settings are checked before an organization is created for them.
	check := *peer
	check.OrgID = normalize.IdentityPrefix + "00000000-0000-4000-8000-000000000000"
	if _, err := normalize.Peer(&check); err != nil {
		return err
	}
	var o *tearline.Organization
	if req.Org != nil && *req.Org != "" {
		if o, err = s.b.FindOrganization(ctx, *req.Org); tearline.ErrorCode(err) == tearline.ENOTFOUND {
			return tearline.Errorf(tearline.EINVALID, "org: no organization %q (give its id or name)", *req.Org)
		} else if err != nil {
			return err
		}
		if req.profile(o) {
			if err := s.checkClearance(o.Clearance); err != nil {
				return err
			}
			if err := s.b.UpdateOrganization(ctx, o); err != nil {
				return err
			}
		}
	} else {
		o = &tearline.Organization{Name: peer.Name, Type: "other"}
		if req.OrgType != nil {
			o.Type = *req.OrgType
		}
		req.profile(o)
		if err := s.checkClearance(o.Clearance); err != nil {
			return err
		}
		if err := s.b.CreateOrganization(ctx, o); err != nil {
			return err
		}
	}
	peer.OrgID = o.ID
	if err := fs.CreatePeer(ctx, peer); err != nil {
		return err
	}
	s.logger(ctx).Info("peer created", "peer", peer.ID, "name", peer.Name, "peer_org", o.ID, "url", peer.URL)
	w.Header().Set("Location", "/api/v1/peers/"+peer.ID)
	writeAdmin(w, http.StatusCreated, peerOf(peer, o))
	return nil
}

// updatePeer changes the settings given (PATCH), and the profile of the
// peer's organization when country, communities or clearance are given.
func (s *Server) updatePeer(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	peer, err := s.peer(r, fs)
	if err != nil {
		return err
	}
	var req peerRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Org != nil || req.OrgType != nil {
		return tearline.Errorf(tearline.EINVALID, "a peer's organization cannot change; change its profile with country, communities and clearance")
	}
	ctx := r.Context()
	o, err := s.b.FindOrganization(ctx, peer.OrgID)
	if err != nil {
		return err
	}
	req.apply(peer)
	if _, err := normalize.Peer(peer); err != nil {
		return err
	}
	if req.profile(o) {
		if err := s.checkClearance(o.Clearance); err != nil {
			return err
		}
		if err := s.b.UpdateOrganization(ctx, o); err != nil {
			return err
		}
	}
	if err := fs.UpdatePeer(ctx, peer); err != nil {
		return err
	}
	s.logger(ctx).Info("peer updated", "peer", peer.ID, "name", peer.Name)
	writeAdmin(w, http.StatusOK, peerOf(peer, o))
	return nil
}

func (s *Server) deletePeer(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	peer, err := s.peer(r, fs)
	if err != nil {
		return err
	}
	if err := fs.DeletePeer(r.Context(), peer.ID); err != nil {
		return err
	}
	s.logger(r.Context()).Info("peer deleted", "peer", peer.ID, "name", peer.Name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type linkStateJSON struct {
	Cursor      string     `json:"cursor,omitempty"`
	LastRun     *time.Time `json:"last_run,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	Failures    int        `json:"failures"`
	Objects     int64      `json:"objects"`
	Refused     int64      `json:"refused"`
	Held        int64      `json:"held"`
	Withheld    int64      `json:"withheld"`
}

type linkJSON struct {
	ID               string        `json:"id"`
	PeerID           string        `json:"peer"`
	Direction        string        `json:"direction"`
	CollectionID     string        `json:"collection"`
	RemoteCollection string        `json:"remote_collection"`
	Interval         string        `json:"interval"`
	ProductsOnly     bool          `json:"products_only"`
	Created          time.Time     `json:"created"`
	State            linkStateJSON `json:"state"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func linkOf(l *tearline.Link, st *tearline.LinkState) linkJSON {
	j := linkJSON{ID: l.ID, PeerID: l.PeerID, Direction: l.Direction, CollectionID: l.CollectionID,
		RemoteCollection: l.RemoteCollection, Interval: l.Interval.String(), ProductsOnly: l.ProductsOnly, Created: l.Created}
	if st != nil {
		j.State = linkStateJSON{Cursor: st.Cursor, LastRun: optTime(st.LastRun), LastSuccess: optTime(st.LastSuccess),
			LastError: st.LastError, Failures: st.Failures, Objects: st.Objects, Refused: st.Refused, Held: st.Held, Withheld: st.Withheld}
	}
	return j
}

func (s *Server) listLinks(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	peer, err := s.peer(r, fs)
	if err != nil {
		return err
	}
	ls, err := fs.ListLinks(r.Context(), peer.ID)
	if err != nil {
		return err
	}
	res := struct {
		Links []linkJSON `json:"links"`
	}{Links: []linkJSON{}}
	for _, l := range ls {
		st, err := fs.LinkState(r.Context(), l.ID)
		if err != nil && tearline.ErrorCode(err) != tearline.ENOTFOUND {
			return err
		}
		res.Links = append(res.Links, linkOf(l, st))
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

// createLink creates a pull or push link of a peer: {"direction",
// "collection" (local id or alias), "remote_collection", "interval" (a Go
// duration such as "5m"), "products_only"}. A push link gives the peer's
// organization a read grant on the local collection, since a push sends
// what the peer could read: the access decision withholds everything from
// a peer without one.
func (s *Server) createLink(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	peer, err := s.peer(r, fs)
	if err != nil {
		return err
	}
	var req struct {
		Direction        string `json:"direction"`
		Collection       string `json:"collection"`
		RemoteCollection string `json:"remote_collection"`
		Interval         string `json:"interval"`
		ProductsOnly     bool   `json:"products_only"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	interval := 5 * time.Minute
	if req.Interval != "" {
		if interval, err = time.ParseDuration(req.Interval); err != nil {
			return tearline.Errorf(tearline.EINVALID, "interval %q is not a duration such as 30s or 5m", req.Interval)
		}
	}
	ctx := r.Context()
	c, err := s.b.FindCollection(ctx, req.Collection)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return tearline.Errorf(tearline.EINVALID, "collection: no collection %q (give its id or alias)", req.Collection)
	} else if err != nil {
		return err
	}
	l := &tearline.Link{PeerID: peer.ID, Direction: req.Direction, CollectionID: c.ID, RemoteCollection: req.RemoteCollection,
		Interval: interval, ProductsOnly: req.ProductsOnly}
	if err := normalize.Link(l); err != nil {
		return err
	}
	if l.Direction == tearline.LinkPush && peer.OneWay && !l.ProductsOnly {
		return tearline.Errorf(tearline.EINVALID, "peer %s is the low side of a one-way link: a push link to it must set products_only", peer.Name)
	}
	if l.Direction == tearline.LinkPush {
		grants, err := s.b.OrgGrants(ctx, peer.OrgID)
		if err != nil {
			return err
		}
		if g := grants[c.ID]; !g.Read {
			g.CollectionID, g.OrgID, g.Read = c.ID, peer.OrgID, true
			if err := s.b.SetGrant(ctx, g); err != nil {
				return err
			}
		}
	}
	if err := fs.CreateLink(ctx, l); err != nil {
		return err
	}
	s.logger(ctx).Info("peer link created", "peer", peer.Name, "link", l.ID, "direction", l.Direction, "collection", c.ID,
		"remote_collection", l.RemoteCollection, "interval", l.Interval)
	w.Header().Set("Location", "/api/v1/links/"+l.ID)
	writeAdmin(w, http.StatusCreated, linkOf(l, &tearline.LinkState{LinkID: l.ID}))
	return nil
}

// link returns the link named in the path.
func (s *Server) link(r *http.Request, fs federation.Store) (*tearline.Link, error) {
	id := r.PathValue("link")
	l, err := fs.FindLink(r.Context(), id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no link %q", id)
	}
	return l, err
}

func (s *Server) getLink(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	l, err := s.link(r, fs)
	if err != nil {
		return err
	}
	st, err := fs.LinkState(r.Context(), l.ID)
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, linkOf(l, st))
	return nil
}

func (s *Server) deleteLink(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	l, err := s.link(r, fs)
	if err != nil {
		return err
	}
	if err := fs.DeleteLink(r.Context(), l.ID); err != nil {
		return err
	}
	s.logger(r.Context()).Info("peer link deleted", "link", l.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type heldJSON struct {
	ID               string          `json:"id"`
	PeerID           string          `json:"peer"`
	LinkID           string          `json:"link,omitempty"`
	CollectionID     string          `json:"collection"`
	RemoteCollection string          `json:"remote_collection,omitempty"`
	ObjectID         string          `json:"object_id"`
	Version          string          `json:"version,omitempty"`
	Reason           string          `json:"reason"`
	Created          time.Time       `json:"created"`
	Object           json.RawMessage `json:"object,omitempty"`
}

// heldOf shows a held object to an admin; the object is shown as the peer
// sent it, as a string when it is not valid JSON.
func heldOf(h *tearline.Held, withObject bool) heldJSON {
	j := heldJSON{ID: h.ID, PeerID: h.PeerID, LinkID: h.LinkID, CollectionID: h.CollectionID, RemoteCollection: h.RemoteCollection,
		ObjectID: h.ObjectID, Version: h.Version, Reason: h.Reason, Created: h.Created}
	if withObject {
		if json.Valid(h.Raw) {
			j.Object = h.Raw
		} else {
			j.Object, _ = json.Marshal(string(h.Raw))
		}
	}
	return j
}

// listHeld lists the held objects, of one peer with ?peer=NAME.
func (s *Server) listHeld(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	peerID := ""
	if key := r.URL.Query().Get("peer"); key != "" {
		peer, err := fs.FindPeer(r.Context(), key)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			return tearline.Errorf(tearline.ENOTFOUND, "no peer %q", key)
		} else if err != nil {
			return err
		}
		peerID = peer.ID
	}
	hs, err := fs.ListHeld(r.Context(), peerID)
	if err != nil {
		return err
	}
	res := struct {
		Held []heldJSON `json:"held"`
	}{Held: []heldJSON{}}
	for _, h := range hs {
		res.Held = append(res.Held, heldOf(h, false))
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

func (s *Server) getHeld(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	h, err := fs.FindHeld(r.Context(), r.PathValue("held"))
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, heldOf(h, true))
	return nil
}

// releaseHeld retries a held object with the peer's crosswalk and the
// marking definitions known now: 200 when it is stored, 409 when its
// markings are still unknown, 400 when it is refused (drop it).
func (s *Server) releaseHeld(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	if _, err := s.peersStore(); err != nil {
		return err
	}
	id := r.PathValue("held")
	res, err := s.Inbound().Release(r.Context(), id)
	if err != nil {
		return err
	}
	switch {
	case len(res.Held) > 0:
		return tearline.Errorf(tearline.ECONFLICT, "still held: %s; add the marking definition or map it in the peer's crosswalk first", res.Held[0].Reason)
	case len(res.Refused) > 0:
		return tearline.Errorf(tearline.EINVALID, "the object is refused: %s; drop it", res.Refused[0].Message)
	}
	s.logger(r.Context()).Info("held object released", "held", id, "added", res.Added, "duplicates", res.Duplicates)
	writeAdmin(w, http.StatusOK, map[string]any{"released": id, "added": res.Added, "duplicates": res.Duplicates})
	return nil
}

// releaseAllHeld retries every object held for a peer.
func (s *Server) releaseAllHeld(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	peer, err := s.peer(r, fs)
	if err != nil {
		return err
	}
	stored, remaining, err := s.Inbound().ReleaseAll(r.Context(), peer.ID)
	if err != nil {
		return err
	}
	s.logger(r.Context()).Info("held objects released", "peer", peer.Name, "stored", stored, "remaining", remaining)
	writeAdmin(w, http.StatusOK, map[string]int{"stored": stored, "remaining": remaining})
	return nil
}

func (s *Server) dropHeld(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	fs, err := s.peersStore()
	if err != nil {
		return err
	}
	id := r.PathValue("held")
	if err := fs.DeleteHeld(r.Context(), id); err != nil {
		return err
	}
	s.logger(r.Context()).Info("held object dropped", "held", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
