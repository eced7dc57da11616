package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tearline/tearline"
)

// table is a list the API answered, for display.
type table struct {
	ID      string
	Caption string
	Columns []string
	Rows    [][]string
	Error   string // why the API refused the list
}

// apiTable reads the list under key of an API answer as a table of the
// given fields (top-level JSON members; nested values shown as JSON).
func (p *Portal) apiTable(r *http.Request, s *session, id, caption, path, key string, fields []string) table {
	t := table{ID: id, Caption: caption, Columns: fields}
	var res map[string]json.RawMessage
	if err := p.api(r, s, http.MethodGet, path, "", nil, &res); err != nil {
		t.Error = tearline.ErrorMessage(err)
		return t
	}
	var items []map[string]json.RawMessage
	json.Unmarshal(res[key], &items)
	for _, it := range items {
		row := make([]string, len(fields))
		for i, f := range fields {
			row[i] = cell(it[f])
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// cell formats a JSON value for a table cell.
func cell(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		return strings.Join(ss, ", ")
	}
	return compact(raw)
}

// tablesData is what the list pages show, with their forms.
type tablesData struct {
	Intro  string
	Tables []table
	Tabs   []tab
	// What is the admin page shown ("organizations", ...).
	What string
	// Result is the outcome of the form just posted.
	Result formResult
	// DeadLetters are the failed webhook deliveries of the subscriptions
	// listed.
	DeadLetters []deadLetter
	// Orgs, Roles and PII are the choices of the forms' selects.
	Orgs  []option
	Roles []string
	PII   []string
	// Manage is true when the keys page offers its forms: the API lists
	// the keys to the user, so its rules let the user manage them.
	Manage bool
}

type tab struct {
	Name, Href string
	Current    bool
}

// subscriptions lists the subscriptions the API shows the user
// (GET /api/v1/subscriptions).
func (p *Portal) subscriptions(w http.ResponseWriter, r *http.Request, s *session) {
	p.render(w, r, http.StatusOK, "subscriptions", s, p.subscriptionsData(r, s))
}

// subscriptionsData is the subscriptions page: the list and the choices
// of its forms.
func (p *Portal) subscriptionsData(r *http.Request, s *session) tablesData {
	d := tablesData{
		Intro: "Subscriptions deliver what matches their filters to a webhook, a stream or a collection.",
		Tables: []table{p.apiTable(r, s, "subscriptions", "Subscriptions", "/api/v1/subscriptions/", "subscriptions",
			[]string{"id", "name", "org", "filter", "webhook", "collection", "dead_letters", "created"})},
	}
	d.DeadLetters = p.deadLetters(r, s, d.Tables[0])
	p.formChoices(r, s, &d)
	return d
}

// keys lists the API keys of the user's organization
// (GET /api/v1/organizations/{org}/keys: the API answers admins only).
func (p *Portal) keys(w http.ResponseWriter, r *http.Request, s *session) {
	p.render(w, r, http.StatusOK, "keys", s, p.keysData(r, s))
}

// keysData is the keys page: the list and the choices of its forms.
func (p *Portal) keysData(r *http.Request, s *session) tablesData {
	d := tablesData{
		Intro: "API keys of your organization. A key's token is shown once, when it is created.",
		Tables: []table{p.apiTable(r, s, "keys", "API keys", "/api/v1/organizations/"+url.PathEscape(s.p.Org.ID)+"/keys/", "keys",
			[]string{"id", "role", "description", "created", "revoked"})},
	}
	// The forms follow the API's rules: offered when the API lists the
	// organization's keys to the user (a manager's own, an admin's any),
	// whose create and revoke routes then answer the user too.
	d.Manage = d.Tables[0].Error == ""
	p.formChoices(r, s, &d)
	return d
}

// adminPages are the admin lists: API path, list key and columns.
var adminPages = map[string]struct {
	title, path, key string
	fields           []string
}{
	"organizations": {"Organizations", "/api/v1/organizations/", "organizations", []string{"id", "name", "type", "country", "sectors", "clearance", "communities", "created"}},
	"keys":          {"API keys", "", "", nil},
	"collections":   {"Collections", "/api/v1/collections/", "collections", []string{"id", "alias", "title", "api_root", "grants", "pii", "created"}},
	"peers":         {"Federation peers", "/api/v1/peers/", "peers", []string{"id", "name", "org", "url", "ceiling", "country", "communities"}},
}

// admin shows an admin list through the admin API, which answers admins
// only.
func (p *Portal) admin(w http.ResponseWriter, r *http.Request, s *session) {
	what := r.PathValue("what")
	if err := adminCheck(s, what); err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	p.render(w, r, http.StatusOK, "admin", s, p.adminData(r, s, what))
}

// adminCheck refuses an unknown admin page, and a user who is not an
// admin.
func adminCheck(s *session, what string) error {
	if _, ok := adminPages[what]; !ok {
		return tearline.Errorf(tearline.ENOTFOUND, "no admin page %q", what)
	}
	if !s.IsAdmin() {
		return tearline.Errorf(tearline.EFORBIDDEN, "the admin pages need the %s role; yours is %s", tearline.RoleAdmin, s.p.Role)
	}
	return nil
}

// adminData is an admin page: its list, tabs and the choices of its
// forms.
func (p *Portal) adminData(r *http.Request, s *session, what string) tablesData {
	page := adminPages[what]
	d := tablesData{What: what, Tables: []table{p.apiTable(r, s, "admin-"+what, page.title, page.path, page.key, page.fields)}}
	if what == "keys" {
		d.Tables = p.allKeys(r, s)
	}
	for _, name := range []string{"organizations", "keys", "collections", "peers"} {
		d.Tabs = append(d.Tabs, tab{Name: adminPages[name].title, Href: fmt.Sprintf("/ui/admin/%s", name), Current: name == what})
	}
	p.formChoices(r, s, &d)
	return d
}

// allKeys lists the API keys of every organization, one table each, as
// the admin API answers them.
func (p *Portal) allKeys(r *http.Request, s *session) []table {
	var orgs struct {
		Organizations []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"organizations"`
	}
	if err := p.api(r, s, http.MethodGet, "/api/v1/organizations/", "", nil, &orgs); err != nil {
		return []table{{ID: "admin-keys", Caption: "API keys", Error: tearline.ErrorMessage(err)}}
	}
	var out []table
	for i, o := range orgs.Organizations {
		out = append(out, p.apiTable(r, s, fmt.Sprintf("admin-keys-%d", i), "API keys of "+o.Name,
			"/api/v1/organizations/"+url.PathEscape(o.ID)+"/keys/", "keys", []string{"id", "role", "description", "created", "revoked"}))
	}
	return out
}
