package taxii

import (
	"context"
	"net/http"
	"slices"

	"github.com/tearline/tearline"
)

// DirectoryEntry is what an organization may know about another: whom to
// call there, and why it may know (the collections and communities they
// share).
type DirectoryEntry struct {
	ID        string             `json:"id"`
	Name      string             `json:"name"`
	Type      string             `json:"type,omitempty"`
	Country   string             `json:"country,omitempty"`
	Languages []string           `json:"languages,omitempty"`
	Contacts  []tearline.Contact `json:"contacts"`
	// SharedCollections are the ids of the collections both may read or
	// write; SharedCommunities the communities both belong to.
	SharedCollections []string `json:"shared_collections,omitempty"`
	SharedCommunities []string `json:"shared_communities,omitempty"`
}

// Directory returns the points of contact that the organization with id
// orgID may know, ordered by name: its own, and those of every
// organization with which it shares a collection (both hold a read or
// write grant on it, directly or as a client of an organization that
// does) or a community. Deny by default: an organization it shares
// neither with is not listed. With orgID "" (operators) every
// organization is listed. ENOTFOUND for an unknown organization.
func Directory(ctx context.Context, b Backend, orgID string) ([]DirectoryEntry, error) {
	orgs, err := b.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	// The grants of an organization as the access decision reads them,
	// client relations included.
	grants := (&Server{b: b}).grants
	var me *tearline.Organization
	var mine map[string]tearline.Grant
	if orgID != "" {
		if me, err = b.FindOrganization(ctx, orgID); err != nil {
			return nil, err
		}
		if mine, err = grants(ctx, me.ID); err != nil {
			return nil, err
		}
	}
	out := []DirectoryEntry{}
	for _, o := range orgs {
		e := DirectoryEntry{ID: o.ID, Name: o.Name, Type: o.Type, Country: o.Country, Languages: o.Languages, Contacts: o.Contacts}
		if e.Contacts == nil {
			e.Contacts = []tearline.Contact{}
		}
		if me != nil && o.ID != me.ID {
			theirs, err := grants(ctx, o.ID)
			if err != nil {
				return nil, err
			}
			for col, g := range mine {
				if t := theirs[col]; (g.Read || g.Write) && (t.Read || t.Write) {
					e.SharedCollections = append(e.SharedCollections, col)
				}
			}
			slices.Sort(e.SharedCollections)
			for _, c := range me.Communities {
				if slices.Contains(o.Communities, c) {
					e.SharedCommunities = append(e.SharedCommunities, c)
				}
			}
			if len(e.SharedCollections) == 0 && len(e.SharedCommunities) == 0 {
				continue
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// getDirectory handles GET /api/v1/directory/: the points of contact the
// caller's organization may know (see Directory); admins see every
// organization's.
func (s *Server) getDirectory(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	if r.URL.RawQuery != "" {
		return tearline.Errorf(tearline.EINVALID, "the directory takes no parameters")
	}
	orgID := p.Org.ID
	if p.Role.AtLeast(tearline.RoleAdmin) {
		orgID = ""
	}
	entries, err := Directory(r.Context(), s.b, orgID)
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, struct {
		Organizations []DirectoryEntry `json:"organizations"`
	}{entries})
	return nil
}

// putContacts handles PUT /api/v1/directory/contacts/ with {"contacts":
// [...]}: an analyst (or admin) of an organization replaces its own
// points of contact, checked as the organization profile checks them
// (EINVALID naming the member, e.g. contacts[0].email).
func (s *Server) putContacts(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	var req struct {
		Contacts []tearline.Contact `json:"contacts"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	o, err := s.b.FindOrganization(r.Context(), p.Org.ID)
	if err != nil {
		return err
	}
	o.Contacts = req.Contacts
	if err := s.b.UpdateOrganization(r.Context(), o); err != nil {
		return err
	}
	if o, err = s.b.FindOrganization(r.Context(), p.Org.ID); err != nil {
		return err
	}
	if o.Contacts == nil {
		o.Contacts = []tearline.Contact{}
	}
	s.logger(r.Context()).Info("contacts updated", "contacts", len(o.Contacts))
	writeAdmin(w, http.StatusOK, struct {
		Contacts []tearline.Contact `json:"contacts"`
	}{o.Contacts})
	return nil
}
