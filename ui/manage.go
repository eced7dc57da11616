package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii"
)

// The forms of the keys, subscriptions and admin pages. Each calls the
// admin API route as the signed-in user (Portal.api), so the API's role
// checks and validation apply unchanged; its error is shown next to the
// form, and the page is rendered again with the list as it is now. A
// secret the API shows once (a key's token, a webhook's secret) is shown
// in the answer to the form and nowhere else.

// formResult is the outcome of the form just posted.
type formResult struct {
	Form   string // the form's id
	Error  string
	Notice string
	Secret string // shown once
	Values url.Values
}

// Get returns a value posted in the form, to fill it again after an
// error.
func (f formResult) Get(name string) string { return f.Values.Get(name) }

// formError is the error shown next to a form.
type formError struct{ ID, Error string }

// Err returns the error to show next to form id: the result's error if
// that form was the one posted.
func (f formResult) Err(id string) formError {
	if f.Form == id {
		return formError{id, f.Error}
	}
	return formError{ID: id}
}

// option is a choice of a select.
type option struct{ Value, Label string }

// formChoices fills the choices of the forms: the organizations an admin
// may pick, the roles up to the user's own and the PII actions.
func (p *Portal) formChoices(r *http.Request, s *session, d *tablesData) {
	for _, role := range tearline.Roles {
		if s.p.Role.AtLeast(role) {
			d.Roles = append(d.Roles, string(role))
		}
	}
	for _, a := range tearline.PIIActions {
		d.PII = append(d.PII, string(a))
	}
	d.Orgs = []option{{s.p.Org.ID, s.p.Org.Name}}
	if !s.IsAdmin() {
		return
	}
	var orgs struct {
		Organizations []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"organizations"`
	}
	if p.api(r, s, http.MethodGet, "/api/v1/organizations/", "", nil, &orgs) != nil {
		return
	}
	d.Orgs = d.Orgs[:0]
	for _, o := range orgs.Organizations {
		d.Orgs = append(d.Orgs, option{o.ID, o.Name})
	}
}

// call is an API call a form makes: the body is sent as JSON; done reads
// the answer into the result shown.
type call struct {
	form, method, path string
	body               any
	done               func(answer json.RawMessage, res *formResult)
	// notice is shown when the call succeeds and done is nil.
	notice string
}

// act makes c and renders page again (data builds it, after the call)
// with the outcome.
func (p *Portal) act(w http.ResponseWriter, r *http.Request, s *session, page string, c call, data func() tablesData) {
	res := formResult{Form: c.form}
	status := http.StatusOK
	var body []byte
	if c.body != nil {
		body, _ = json.Marshal(c.body)
	}
	var answer json.RawMessage
	var out any = &answer
	if c.method == http.MethodDelete {
		out = nil // 204, no body to decode
	}
	if err := p.api(r, s, c.method, c.path, mediaJSON, body, out); err != nil {
		res.Error = tearline.ErrorMessage(err)
		res.Values = r.PostForm
		status = taxii.ErrorStatus(tearline.ErrorCode(err))
	} else if c.done != nil {
		c.done(answer, &res)
	} else {
		res.Notice = c.notice
	}
	d := data()
	d.Result = res
	p.render(w, r, status, page, s, d)
}

// list splits a comma-separated field; nil when it is empty.
func list(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// formOrg is the organization a form names, the user's own by default.
func formOrg(r *http.Request, s *session) string {
	if o := r.PostFormValue("org"); o != "" {
		return o
	}
	return s.p.Org.ID
}

// createKey creates an API key (POST /api/v1/organizations/{org}/keys/)
// and shows its token once.
func (p *Portal) createKey(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]string{"role": r.PostFormValue("role"), "description": r.PostFormValue("description")}
	p.act(w, r, s, "keys", call{form: "key-create", method: http.MethodPost,
		path: "/api/v1/organizations/" + url.PathEscape(formOrg(r, s)) + "/keys/", body: body,
		done: func(a json.RawMessage, res *formResult) {
			var k struct{ ID, Token string }
			json.Unmarshal(a, &k)
			res.Notice, res.Secret = "Key "+k.ID+" created. Copy its token now: it is not shown again.", k.Token
		}}, func() tablesData { return p.keysData(r, s) })
}

// revokeKey revokes an API key (DELETE /api/v1/keys/{key}/).
func (p *Portal) revokeKey(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PostFormValue("key")
	p.act(w, r, s, "keys", call{form: "key-revoke", method: http.MethodDelete,
		path: "/api/v1/keys/" + url.PathEscape(id) + "/",
		done: func(_ json.RawMessage, res *formResult) { res.Notice = "Key " + id + " revoked." }},
		func() tablesData { return p.keysData(r, s) })
}

// createSubscription creates a subscription (POST /api/v1/subscriptions/)
// and shows its webhook secret once.
func (p *Portal) createSubscription(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{"org": formOrg(r, s), "name": r.PostFormValue("name")}
	filter := strings.TrimSpace(r.PostFormValue("filter"))
	if filter == "" {
		filter = "{}"
	}
	if json.Valid([]byte(filter)) {
		body["filter"] = json.RawMessage(filter)
	} else {
		// Sent as a string, so that the API's own message names the fault.
		body["filter"] = filter
	}
	if u := strings.TrimSpace(r.PostFormValue("webhook")); u != "" {
		body["webhook"] = map[string]string{"url": u}
	}
	p.act(w, r, s, "subscriptions", call{form: "subscription-create", method: http.MethodPost,
		path: "/api/v1/subscriptions/", body: body,
		done: func(a json.RawMessage, res *formResult) {
			var sub struct {
				ID      string
				Webhook *struct{ Secret string }
			}
			json.Unmarshal(a, &sub)
			res.Notice = "Subscription " + sub.ID + " created."
			if sub.Webhook != nil && sub.Webhook.Secret != "" {
				res.Notice += " Copy its webhook secret now: it is not shown again."
				res.Secret = sub.Webhook.Secret
			}
		}}, func() tablesData { return p.subscriptionsData(r, s) })
}

// deleteSubscription deletes a subscription
// (DELETE /api/v1/subscriptions/{id}/).
func (p *Portal) deleteSubscription(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PostFormValue("subscription")
	p.act(w, r, s, "subscriptions", call{form: "subscription-delete", method: http.MethodDelete,
		path: "/api/v1/subscriptions/" + url.PathEscape(id) + "/",
		done: func(_ json.RawMessage, res *formResult) { res.Notice = "Subscription " + id + " deleted." }},
		func() tablesData { return p.subscriptionsData(r, s) })
}
