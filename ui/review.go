package ui

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tearline/tearline"
)

// reviewData is what the review queue page shows: PII holds, tear-line
// products and release requests, each as the API lists them to the user.
type reviewData struct {
	Reviews  []reviewItem
	Products []productItem
	Releases []releaseItem
	// Errors say why a list is missing (the API refused it, e.g. for the
	// user's role).
	ReviewsError, ProductsError, ReleasesError string
	Done                                       string
}

type reviewItem struct {
	ID           string                `json:"id"`
	CollectionID string                `json:"collection"`
	ObjectID     string                `json:"object_id"`
	Version      string                `json:"version"`
	SubmitterOrg string                `json:"submitter_org"`
	Status       string                `json:"status"`
	Access       string                `json:"access"`
	Created      time.Time             `json:"created"`
	Findings     []tearline.PIIFinding `json:"findings"`
	Object       json.RawMessage       `json:"object"`
}

// ObjectText is the held object, indented.
func (r reviewItem) ObjectText() string {
	if len(r.Object) == 0 {
		return ""
	}
	return indent(r.Object)
}

type productItem struct {
	ID           string          `json:"id"`
	SourceID     string          `json:"source_id"`
	CollectionID string          `json:"collection"`
	AuthorOrg    string          `json:"author_org"`
	Status       string          `json:"status"`
	Created      time.Time       `json:"created"`
	Object       json.RawMessage `json:"object"`
}

// ObjectText is the product, indented.
func (p productItem) ObjectText() string {
	if len(p.Object) == 0 {
		return ""
	}
	return indent(p.Object)
}

type releaseItem struct {
	ID            string    `json:"id"`
	ObjectID      string    `json:"object_id"`
	Version       string    `json:"version"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	RequesterOrg  string    `json:"requester_org"`
	OriginatorOrg string    `json:"originator_org"`
	Justification string    `json:"justification"`
	Status        string    `json:"status"`
	Created       time.Time `json:"created"`
}

// reviewPage lists what waits for a decision, through the API routes
// (GET /api/v1/review, /api/v1/products, /api/v1/releases) as the user.
func (p *Portal) reviewPage(w http.ResponseWriter, r *http.Request, s *session) {
	d := reviewData{Done: r.URL.Query().Get("done")}
	var rv struct {
		Reviews []reviewItem `json:"reviews"`
	}
	if err := p.api(r, s, http.MethodGet, "/api/v1/review/", "", nil, &rv); err != nil {
		d.ReviewsError = tearline.ErrorMessage(err)
	}
	for _, it := range rv.Reviews {
		if it.Status == tearline.ReviewPending {
			d.Reviews = append(d.Reviews, it)
		}
	}
	var pr struct {
		Products []productItem `json:"products"`
	}
	if err := p.api(r, s, http.MethodGet, "/api/v1/products/", "", nil, &pr); err != nil {
		d.ProductsError = tearline.ErrorMessage(err)
	}
	for _, it := range pr.Products {
		if it.Status == tearline.ProductDraft {
			d.Products = append(d.Products, it)
		}
	}
	var rl struct {
		Releases []releaseItem `json:"releases"`
	}
	if err := p.api(r, s, http.MethodGet, "/api/v1/releases/", "", nil, &rl); err != nil {
		d.ReleasesError = tearline.ErrorMessage(err)
	}
	for _, it := range rl.Releases {
		if it.Status == tearline.ReleaseRequested {
			d.Releases = append(d.Releases, it)
		}
	}
	p.render(w, r, http.StatusOK, "review", s, d)
}

// decisions maps the review page's forms to API routes.
var decisions = map[string]map[string]string{
	"pii":     {"approve": "/api/v1/review/%s/approve/", "redact": "/api/v1/review/%s/approve/", "reject": "/api/v1/review/%s/reject/"},
	"product": {"approve": "/api/v1/products/%s/approve/", "reject": "/api/v1/products/%s/reject/"},
	"release": {"approve": "/api/v1/releases/%s/approve/", "deny": "/api/v1/releases/%s/deny/"},
}

// decide posts a decision of the review page to the API as the user.
func (p *Portal) decide(w http.ResponseWriter, r *http.Request, s *session) {
	kind, id, action := r.PathValue("kind"), r.PathValue("id"), r.PathValue("action")
	route, ok := decisions[kind][action]
	if !ok || id == "" || strings.ContainsAny(id, "/?#%") {
		p.errorPage(w, r, s, tearline.Errorf(tearline.ENOTFOUND, "no such decision"))
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	var body []byte
	switch {
	case kind == "pii" && action == "approve":
		body, _ = json.Marshal(map[string]string{"action": tearline.ApproveAsIs, "reason": reason})
	case kind == "pii" && action == "redact":
		body, _ = json.Marshal(map[string]string{"action": tearline.ApproveRedacted, "reason": reason})
	case kind != "product":
		body, _ = json.Marshal(map[string]string{"reason": reason})
	}
	ct := ""
	if body != nil {
		ct = mediaJSON
	}
	if err := p.api(r, s, http.MethodPost, strings.Replace(route, "%s", id, 1), ct, body, nil); err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/ui/review?done="+kind+"-"+action, http.StatusSeeOther)
}
