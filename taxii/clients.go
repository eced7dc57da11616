package taxii

import (
	"context"
	"net/http"

	"github.com/tearline/tearline"
)

// grants returns the effective grants of organization orgID by collection
// id: its own, and read access as a client to what the organizations it is
// a client of may read (tearline.Clients), marked Grant.Client. Write
// access is never inherited, and reading as a client goes no further than
// one step (a client's clients receive nothing through it).
func (s *Server) grants(ctx context.Context, orgID string) (map[string]tearline.Grant, error) {
	gs, err := s.b.OrgGrants(ctx, orgID)
	if err != nil {
		return nil, err
	}
	parents, err := s.b.ClientOf(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, parent := range parents {
		pg, err := s.b.OrgGrants(ctx, parent)
		if err != nil {
			return nil, err
		}
		for colID, g := range pg {
			own := gs[colID]
			if !g.Read || own.Read {
				continue
			}
			own.CollectionID, own.OrgID, own.Read, own.Client = colID, orgID, true, true
			gs[colID] = own
		}
	}
	return gs, nil
}

// readView returns collection c (nil when only its id matters) as a reader
// with grant g sees it: reading with any grant (a writer reads what it
// wrote), as a client when the read right comes only from a client
// relation (even for a writer: writing does not make it one of the readers
// the producers shared with).
func readView(c *tearline.Collection, g tearline.Grant) *collection {
	return &collection{Collection: c, canRead: g.Read || g.Write, client: g.Client}
}

type clientsJSON struct {
	OrgID   string   `json:"organization"`
	Clients []string `json:"clients"`
}

// listClients handles GET /api/v1/organizations/{org}/clients/.
func (s *Server) listClients(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	o, err := s.organization(r)
	if err != nil {
		return err
	}
	ids, err := s.b.ClientsOf(r.Context(), o.ID)
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []string{}
	}
	writeAdmin(w, http.StatusOK, clientsJSON{OrgID: o.ID, Clients: ids})
	return nil
}

// setClient handles PUT (add) and DELETE (remove) of
// /api/v1/organizations/{org}/clients/{client}/: the client organization,
// by id or name, receives as a client what org may read.
func (s *Server) setClient(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	o, err := s.organization(r)
	if err != nil {
		return err
	}
	key := r.PathValue("client")
	c, err := s.b.FindOrganization(r.Context(), key)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return tearline.Errorf(tearline.ENOTFOUND, "no organization %q (give its id or name)", key)
	} else if err != nil {
		return err
	}
	on := r.Method == http.MethodPut
	if err := s.b.SetClient(r.Context(), o.ID, c.ID, on); err != nil {
		return err
	}
	s.logger(r.Context()).Info("client relation set", "organization", o.ID, "client", c.ID, "on", on)
	ids, err := s.b.ClientsOf(r.Context(), o.ID)
	if err != nil {
		return err
	}
	if ids == nil {
		ids = []string{}
	}
	writeAdmin(w, http.StatusOK, clientsJSON{OrgID: o.ID, Clients: ids})
	return nil
}
