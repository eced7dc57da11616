package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// adminForm checks that s may post the forms of admin page what, and
// renders the refusal when not.
func (p *Portal) adminForm(w http.ResponseWriter, r *http.Request, s *session, what string) bool {
	if err := adminCheck(s, what); err != nil {
		p.errorPage(w, r, s, err)
		return false
	}
	return true
}

// adminAct makes c and renders admin page what again.
func (p *Portal) adminAct(w http.ResponseWriter, r *http.Request, s *session, what string, c call) {
	p.act(w, r, s, "admin", c, func() tablesData { return p.adminData(r, s, what) })
}

// profile is an organization's profile from a form: the fields given
// (an empty field is left out, so an update keeps its value).
func profile(r *http.Request) map[string]any {
	body := map[string]any{}
	for _, f := range []string{"name", "type", "country", "clearance"} {
		if v := r.PostFormValue(f); v != "" {
			body[f] = v
		}
	}
	for _, f := range []string{"sectors", "communities"} {
		if v := list(r.PostFormValue(f)); v != nil {
			body[f] = v
		}
	}
	return body
}

// createOrganization creates an organization
// (POST /api/v1/organizations/).
func (p *Portal) createOrganization(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.adminForm(w, r, s, "organizations") {
		return
	}
	p.adminAct(w, r, s, "organizations", call{form: "org-create", method: http.MethodPost,
		path: "/api/v1/organizations/", body: profile(r), done: created("Organization")})
}

// updateOrganization changes the fields given of an organization's
// profile (PATCH /api/v1/organizations/{org}/).
func (p *Portal) updateOrganization(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.adminForm(w, r, s, "organizations") {
		return
	}
	p.adminAct(w, r, s, "organizations", call{form: "org-update", method: http.MethodPatch,
		path: "/api/v1/organizations/" + url.PathEscape(r.PostFormValue("org")) + "/", body: profile(r),
		done: func(a json.RawMessage, res *formResult) { res.Notice = "Organization " + idOf(a) + " updated." }})
}

// createCollection creates a collection with its PII policy
// (POST /api/v1/collections/).
func (p *Portal) createCollection(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.adminForm(w, r, s, "collections") {
		return
	}
	body := map[string]any{"alias": r.PostFormValue("alias"), "title": r.PostFormValue("title")}
	if v := r.PostFormValue("pii"); v != "" {
		body["pii"] = v
	}
	p.adminAct(w, r, s, "collections", call{form: "collection-create", method: http.MethodPost,
		path: "/api/v1/collections/", body: body, done: created("Collection")})
}

// setGrant sets what an organization may do with a collection
// (PUT /api/v1/collections/{collection}/grants/{org}/).
func (p *Portal) setGrant(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.adminForm(w, r, s, "collections") {
		return
	}
	col, org := r.PostFormValue("collection"), r.PostFormValue("org")
	body := map[string]bool{"read": r.PostFormValue("read") != "", "write": r.PostFormValue("write") != ""}
	p.adminAct(w, r, s, "collections", call{form: "grant-set", method: http.MethodPut,
		path: "/api/v1/collections/" + url.PathEscape(col) + "/grants/" + url.PathEscape(org) + "/", body: body,
		done: func(_ json.RawMessage, res *formResult) {
			res.Notice = "Grant on " + col + " set: read " + yesNo(body["read"]) + ", write " + yesNo(body["write"]) + "."
		}})
}

// createPeer adds a federation peer (POST /api/v1/peers/).
func (p *Portal) createPeer(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.adminForm(w, r, s, "peers") {
		return
	}
	body := map[string]any{}
	for _, f := range []string{"name", "url", "token", "org", "ceiling", "country"} {
		if v := r.PostFormValue(f); v != "" {
			body[f] = v
		}
	}
	p.adminAct(w, r, s, "peers", call{form: "peer-create", method: http.MethodPost,
		path: "/api/v1/peers/", body: body, done: created("Peer")})
}

// created is the notice of an object the API created.
func created(what string) func(json.RawMessage, *formResult) {
	return func(a json.RawMessage, res *formResult) { res.Notice = what + " " + idOf(a) + " created." }
}

// idOf returns the id member of an API answer.
func idOf(a json.RawMessage) string {
	var v struct{ ID string }
	json.Unmarshal(a, &v)
	return v.ID
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
