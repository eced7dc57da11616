package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
)

// The admin API (/api/v1) manages organizations, their credentials,
// collections and grants. It speaks plain JSON, needs the admin role, and
// answers errors as TAXII error objects.

// maxAdminBody bounds admin request bodies.
const maxAdminBody = 1 << 20

type organizationJSON struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Type        string             `json:"type,omitempty"`
	Country     string             `json:"country,omitempty"`
	Sectors     []string           `json:"sectors,omitempty"`
	Clearance   string             `json:"clearance,omitempty"`
	Communities []string           `json:"communities,omitempty"`
	Contacts    []tearline.Contact `json:"contacts,omitempty"`
	Languages   []string           `json:"languages,omitempty"`
	Created     time.Time          `json:"created"`
}

func organizationOf(o *tearline.Organization) organizationJSON {
	return organizationJSON{
		ID: o.ID, Name: o.Name, Type: o.Type, Country: o.Country, Sectors: o.Sectors,
		Clearance: o.Clearance, Communities: o.Communities, Contacts: o.Contacts, Languages: o.Languages,
		Created: o.Created,
	}
}

// organizationProfile is the body of POST and PUT on organizations: every
// field of the profile. In a PATCH, fields left out (null) keep their
// value.
type organizationProfile struct {
	Name        *string             `json:"name"`
	Type        *string             `json:"type"`
	Country     *string             `json:"country"`
	Sectors     *[]string           `json:"sectors"`
	Clearance   *string             `json:"clearance"`
	Communities *[]string           `json:"communities"`
	Contacts    *[]tearline.Contact `json:"contacts"`
	Languages   *[]string           `json:"languages"`
}

// apply sets the fields of o given in req; with replace, the fields not
// given are cleared (the name must then be given).
func (req *organizationProfile) apply(o *tearline.Organization, replace bool) {
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		} else if replace {
			*dst = ""
		}
	}
	strs := func(dst *[]string, v *[]string) {
		if v != nil {
			*dst = *v
		} else if replace {
			*dst = nil
		}
	}
	str(&o.Name, req.Name)
	str(&o.Type, req.Type)
	str(&o.Country, req.Country)
	strs(&o.Sectors, req.Sectors)
	str(&o.Clearance, req.Clearance)
	strs(&o.Communities, req.Communities)
	strs(&o.Languages, req.Languages)
	if req.Contacts != nil {
		o.Contacts = *req.Contacts
	} else if replace {
		o.Contacts = nil
	}
}

// checkClearance refuses a clearance that is not one of the server's
// classification levels.
func (s *Server) checkClearance(c string) error {
	if c == "" {
		return nil
	}
	levels := s.policy.Levels()
	norm := strings.Join(strings.Fields(strings.ToUpper(c)), " ")
	if !slices.Contains(levels, norm) {
		return tearline.Errorf(tearline.EINVALID, "clearance %q is not one of this server's classification levels (%s)", c, strings.Join(levels, ", "))
	}
	return nil
}

type keyJSON struct {
	ID          string        `json:"id"`
	OrgID       string        `json:"org"`
	Role        tearline.Role `json:"role"`
	Description string        `json:"description,omitempty"`
	Created     time.Time     `json:"created"`
	Revoked     *time.Time    `json:"revoked,omitempty"`
	// Token is the whole secret token, shown once, in the answer to its
	// creation only.
	Token string `json:"token,omitempty"`
}

func keyOf(k *tearline.APIKey) keyJSON {
	j := keyJSON{ID: k.ID, OrgID: k.OrgID, Role: k.Role, Description: k.Description, Created: k.Created}
	if !k.Revoked.IsZero() {
		j.Revoked = &k.Revoked
	}
	return j
}

type certificateJSON struct {
	Fingerprint string        `json:"fingerprint"`
	OrgID       string        `json:"org"`
	Role        tearline.Role `json:"role"`
	Subject     string        `json:"subject"`
	Created     time.Time     `json:"created"`
}

type grantJSON struct {
	CollectionID string `json:"collection"`
	OrgID        string `json:"org"`
	Read         bool   `json:"read"`
	Write        bool   `json:"write"`
}

type adminCollectionJSON struct {
	ID          string      `json:"id"`
	Alias       string      `json:"alias"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	APIRoot     string      `json:"api_root"`
	Created     time.Time   `json:"created"`
	Grants      []grantJSON `json:"grants"`
	PII         piiJSON     `json:"pii"`
}

// writeAdmin writes an admin API answer.
func writeAdmin(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, "application/json", v)
}

// decodeJSON reads the JSON request body into v, strictly: no unknown
// fields, no trailing data. EINVALID with what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return tearline.Errorf(eUnsupportedMedia, "Content-Type %s is not supported: send application/json", ct)
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tearline.Errorf(tearline.ETOOLARGE, "the request body is larger than %d bytes", maxAdminBody)
		}
		if err == io.EOF {
			return tearline.Errorf(tearline.EINVALID, "the request body is empty; send a JSON object")
		}
		return tearline.Errorf(tearline.EINVALID, "the request body is not the expected JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return tearline.Errorf(tearline.EINVALID, "the request body holds data after the JSON object")
	}
	return nil
}

func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	orgs, err := s.b.Organizations(r.Context())
	if err != nil {
		return err
	}
	res := struct {
		Organizations []organizationJSON `json:"organizations"`
	}{Organizations: []organizationJSON{}}
	for _, o := range orgs {
		res.Organizations = append(res.Organizations, organizationOf(o))
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	var req organizationProfile
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	o := &tearline.Organization{}
	req.apply(o, true)
	if err := s.checkClearance(o.Clearance); err != nil {
		return err
	}
	if err := s.b.CreateOrganization(r.Context(), o); err != nil {
		return err
	}
	s.logger(r.Context()).Info("organization created", "created_org", o.ID, "name", o.Name)
	w.Header().Set("Location", "/api/v1/organizations/"+o.ID)
	writeAdmin(w, http.StatusCreated, organizationOf(o))
	return nil
}

// updateOrganization changes an organization's profile: PUT replaces it
// (fields left out are cleared; the name is required), PATCH changes the
// fields given.
func (s *Server) updateOrganization(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	o, err := s.organization(r)
	if err != nil {
		return err
	}
	var req organizationProfile
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	replace := r.Method == http.MethodPut
	if replace && req.Name == nil {
		return tearline.Errorf(tearline.EINVALID, "PUT replaces the whole profile and needs the name; use PATCH to change some fields")
	}
	req.apply(o, replace)
	if err := s.checkClearance(o.Clearance); err != nil {
		return err
	}
	if err := s.b.UpdateOrganization(r.Context(), o); err != nil {
		return err
	}
	s.logger(r.Context()).Info("organization updated", "updated_org", o.ID, "name", o.Name)
	writeAdmin(w, http.StatusOK, organizationOf(o))
	return nil
}

// organization returns the organization named (by id or name) in the path.
func (s *Server) organization(r *http.Request) (*tearline.Organization, error) {
	key := r.PathValue("org")
	o, err := s.b.FindOrganization(r.Context(), key)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no organization %q (give its id or name)", key)
	}
	return o, err
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	o, err := s.organization(r)
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, organizationOf(o))
	return nil
}

// parseRole checks a role given in a request.
func parseRole(role string) (tearline.Role, error) {
	r := tearline.Role(role)
	if !r.Valid() {
		return "", tearline.Errorf(tearline.EINVALID, "role %q is not one of %v", role, tearline.Roles)
	}
	return r, nil
}

// keyOrganization is the organization of a key route, which a manager
// (not an admin) may only name as its own.
func (s *Server) keyOrganization(r *http.Request, p *tearline.Principal) (*tearline.Organization, error) {
	o, err := s.organization(r)
	if err != nil {
		return nil, err
	}
	if !p.Role.AtLeast(tearline.RoleAdmin) && o.ID != p.Org.ID {
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "a %s manages the keys of its own organization only", p.Role)
	}
	return o, nil
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	o, err := s.keyOrganization(r, p)
	if err != nil {
		return err
	}
	var req struct {
		Role        string `json:"role"`
		Description string `json:"description"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	role, err := parseRole(req.Role)
	if err != nil {
		return err
	}
	if !p.Role.AtLeast(role) {
		return tearline.Errorf(tearline.EFORBIDDEN, "role: a %s creates keys of its own role or below, not %q", p.Role, role)
	}
	tok, err := auth.NewToken()
	if err != nil {
		return fmt.Errorf("new token: %w", err)
	}
	k := &tearline.APIKey{ID: tok.KeyID, OrgID: o.ID, Role: role, Description: req.Description}
	if err := s.b.CreateAPIKey(r.Context(), k, tok.Hash()); err != nil {
		return err
	}
	s.logger(r.Context()).Info("API key created", "key_org", o.ID, "new_key", k.ID, "role", role)
	res := keyOf(k)
	res.Token = tok.String()
	writeAdmin(w, http.StatusCreated, res)
	return nil
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	o, err := s.keyOrganization(r, p)
	if err != nil {
		return err
	}
	keys, err := s.b.APIKeys(r.Context(), o.ID)
	if err != nil {
		return err
	}
	res := struct {
		Keys []keyJSON `json:"keys"`
	}{Keys: []keyJSON{}}
	for _, k := range keys {
		res.Keys = append(res.Keys, keyOf(k))
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	id := r.PathValue("key")
	if !p.Role.AtLeast(tearline.RoleAdmin) {
		// A manager revokes its own organization's keys of its role or
		// below; another organization's key is as unknown to it as a
		// missing one.
		k, _, err := s.b.FindAPIKey(r.Context(), id)
		switch {
		case tearline.ErrorCode(err) == tearline.ENOTFOUND || err == nil && k.OrgID != p.Org.ID:
			return tearline.Errorf(tearline.ENOTFOUND, "no API key %q", id)
		case err != nil:
			return err
		case !p.Role.AtLeast(k.Role):
			return tearline.Errorf(tearline.EFORBIDDEN, "a %s revokes keys of its own role or below; key %q has role %q", p.Role, id, k.Role)
		}
	}
	if err := s.b.RevokeAPIKey(r.Context(), id); tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return tearline.Errorf(tearline.ENOTFOUND, "no API key %q", id)
	} else if err != nil {
		return err
	}
	s.logger(r.Context()).Info("API key revoked", "revoked_key", id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) addCertificate(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	o, err := s.organization(r)
	if err != nil {
		return err
	}
	var req struct {
		PEM  string `json:"pem"`
		Role string `json:"role"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	role, err := parseRole(req.Role)
	if err != nil {
		return err
	}
	c, err := auth.ParseCertificatePEM([]byte(req.PEM))
	if err != nil {
		return tearline.Errorf(tearline.EINVALID, "pem holds no usable certificate: %v", err)
	}
	c.OrgID, c.Role = o.ID, role
	if err := s.b.AddCertificate(r.Context(), c); err != nil {
		return err
	}
	s.logger(r.Context()).Info("client certificate bound", "cert_org", o.ID, "fingerprint", c.Fingerprint, "role", role)
	writeAdmin(w, http.StatusCreated, certificateJSON{
		Fingerprint: c.Fingerprint, OrgID: c.OrgID, Role: c.Role, Subject: c.Subject, Created: c.Created,
	})
	return nil
}

func (s *Server) adminCollection(r *http.Request, c *tearline.Collection) (adminCollectionJSON, error) {
	gs, err := s.b.Grants(r.Context(), c.ID)
	if err != nil {
		return adminCollectionJSON{}, err
	}
	j := adminCollectionJSON{
		ID: c.ID, Alias: c.Alias, Title: c.Title, Description: c.Description,
		APIRoot: c.APIRoot, Created: c.Created, Grants: []grantJSON{},
	}
	if j.APIRoot == "" {
		j.APIRoot = s.def.Name
	}
	pol, err := s.b.PIIPolicy(r.Context(), c.ID)
	if err != nil {
		return adminCollectionJSON{}, err
	}
	j.PII = piiJSON{Action: pol.Action, FlagIdentifiers: pol.FlagIdentifiers}
	for _, g := range gs {
		j.Grants = append(j.Grants, grantJSON{CollectionID: g.CollectionID, OrgID: g.OrgID, Read: g.Read, Write: g.Write})
	}
	return j, nil
}

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	cs, err := s.b.Collections(r.Context())
	if err != nil {
		return err
	}
	res := struct {
		Collections []adminCollectionJSON `json:"collections"`
	}{Collections: []adminCollectionJSON{}}
	for _, c := range cs {
		j, err := s.adminCollection(r, c)
		if err != nil {
			return err
		}
		res.Collections = append(res.Collections, j)
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	var req struct {
		Alias       string   `json:"alias"`
		Title       string   `json:"title"`
		Description string   `json:"description"`
		APIRoot     string   `json:"api_root"`
		Read        []string `json:"read"`
		Write       []string `json:"write"`
		// PII and PIIIdentifiers set the PII policy (see review.go).
		PII            *string `json:"pii"`
		PIIIdentifiers *bool   `json:"pii_identifiers"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.APIRoot != "" && s.roots[req.APIRoot] == nil {
		return tearline.Errorf(tearline.EINVALID, "api_root %q is not configured on this server", req.APIRoot)
	}
	if req.APIRoot == s.def.Name {
		req.APIRoot = ""
	}
	if req.PII != nil {
		if _, err := tearline.ParsePIIAction(*req.PII); err != nil {
			return err
		}
	}
	// Resolve every organization first, so that a typo creates nothing.
	grants := map[string]*tearline.Grant{}
	var order []string
	for _, l := range []struct {
		keys  []string
		field string
	}{{req.Read, "read"}, {req.Write, "write"}} {
		for _, key := range l.keys {
			o, err := s.b.FindOrganization(r.Context(), key)
			if tearline.ErrorCode(err) == tearline.ENOTFOUND {
				return tearline.Errorf(tearline.EINVALID, "%s: no organization %q (give its id or name)", l.field, key)
			} else if err != nil {
				return err
			}
			g := grants[o.ID]
			if g == nil {
				g = &tearline.Grant{OrgID: o.ID}
				grants[o.ID] = g
				order = append(order, o.ID)
			}
			if l.field == "read" {
				g.Read = true
			} else {
				g.Write = true
			}
		}
	}
	title := req.Title
	if title == "" {
		title = req.Alias
	}
	c := &tearline.Collection{Alias: req.Alias, Title: title, Description: req.Description, APIRoot: req.APIRoot}
	if err := s.b.CreateCollection(r.Context(), c); err != nil {
		return err
	}
	for _, id := range order {
		g := grants[id]
		g.CollectionID = c.ID
		if err := s.b.SetGrant(r.Context(), *g); err != nil {
			return err
		}
	}
	if err := s.setPIIPolicy(r.Context(), c.ID, req.PII, req.PIIIdentifiers); err != nil {
		return err
	}
	s.logger(r.Context()).Info("collection created", "collection", c.ID, "alias", c.Alias)
	j, err := s.adminCollection(r, c)
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusCreated, j)
	return nil
}

func (s *Server) setGrant(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	key := r.PathValue("collection")
	c, err := s.b.FindCollection(r.Context(), key)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return tearline.Errorf(tearline.ENOTFOUND, "no collection %q (give its id or alias)", key)
	} else if err != nil {
		return err
	}
	o, err := s.organization(r)
	if err != nil {
		return err
	}
	var req struct {
		Read  bool `json:"read"`
		Write bool `json:"write"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	g := tearline.Grant{CollectionID: c.ID, OrgID: o.ID, Read: req.Read, Write: req.Write}
	if err := s.b.SetGrant(r.Context(), g); err != nil {
		return err
	}
	s.logger(r.Context()).Info("grant set", "collection", c.ID, "grant_org", o.ID, "read", g.Read, "write", g.Write)
	writeAdmin(w, http.StatusOK, grantJSON{CollectionID: g.CollectionID, OrgID: g.OrgID, Read: g.Read, Write: g.Write})
	return nil
}
