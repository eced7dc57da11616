package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii"
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
	SubmitterKey string                `json:"submitter_key"`
	Status       string                `json:"status"`
	Access       string                `json:"access"`
	Created      time.Time             `json:"created"`
	Findings     []tearline.PIIFinding `json:"findings"`
	Object       json.RawMessage       `json:"object"`
	// TLP and Classification mark the held object shown (the API's
	// access decision).
	TLP            string `json:"tlp"`
	Classification string `json:"classification"`
	// SubmitterName is the submitting organization's name; Own is true
	// when the user submitted it (the API refuses the user's decision).
	SubmitterName string `json:"-"`
	Own           bool   `json:"-"`
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
	AuthorKey    string          `json:"author_key"`
	Status       string          `json:"status"`
	Created      time.Time       `json:"created"`
	Object       json.RawMessage `json:"object"`
	// TLP and Classification mark the product shown.
	TLP            string `json:"tlp"`
	Classification string `json:"classification"`
	// AuthorName is the author's organization's name; Own is true when
	// the user wrote it (the API refuses the user's approval).
	AuthorName string `json:"-"`
	Own        bool   `json:"-"`
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
	// RequesterName is the requesting organization's name.
	RequesterName string `json:"-"`
}

// reviewPage lists what waits for a decision, through the API routes
// (GET /api/v1/review, /api/v1/products, /api/v1/releases) as the user.
func (p *Portal) reviewPage(w http.ResponseWriter, r *http.Request, s *session) {
	d := reviewData{Done: r.URL.Query().Get("done")}
	p.renderReview(w, r, s, http.StatusOK, d)
}

// renderReview reads the lists into d and renders the review page with
// status.
func (p *Portal) renderReview(w http.ResponseWriter, r *http.Request, s *session, status int, d reviewData) {
	var rv struct {
		Reviews []reviewItem `json:"reviews"`
	}
	if err := p.api(r, s, http.MethodGet, "/api/v1/review/", "", nil, &rv); err != nil {
		d.ReviewsError = tearline.ErrorMessage(err)
	}
	names := p.orgNamer(r.Context())
	for _, it := range rv.Reviews {
		if it.Status == tearline.ReviewPending {
			it.SubmitterName, it.Own = names(it.SubmitterOrg), it.SubmitterKey != "" && it.SubmitterKey == s.p.KeyID
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
			it.AuthorName, it.Own = names(it.AuthorOrg), it.AuthorKey != "" && it.AuthorKey == s.p.KeyID
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
			it.RequesterName = names(it.RequesterOrg)
			d.Releases = append(d.Releases, it)
		}
	}
	// The banner covers every held object and product the page shows.
	var b banner
	for _, it := range d.Reviews {
		b.raiseTo(it.TLP, it.Classification)
	}
	for _, it := range d.Products {
		b.raiseTo(it.TLP, it.Classification)
	}
	p.renderMarked(w, r, status, "review", s, b, d)
}

// orgNamer returns a function that names an organization by its id, as
// the directory has it; an id it cannot find names itself, and "" (an
// operator's submission) is "the operator".
func (p *Portal) orgNamer(ctx context.Context) func(id string) string {
	names := map[string]string{"": "the operator"}
	return func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := id
		if o, err := p.st.FindOrganization(ctx, id); err == nil && o.Name != "" {
			n = o.Name
		}
		names[id] = n
		return n
	}
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
	if kind == "pii" && action == "edit" && id != "" && !strings.ContainsAny(id, "/?#%") {
		p.approveEdited(w, r, s, id)
		return
	}
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

// editData is what the edit page of a held object shows: the hold as
// the API shows it to the user, the text in the form and why it was
// refused.
type editData struct {
	Review      reviewItem
	Text, Error string
}

// editPage shows a held object's JSON in a form to edit and approve it
// (GET /api/v1/review/{id}/ as the user: the object as the access
// decision lets the user see it, and its findings).
func (p *Portal) editPage(w http.ResponseWriter, r *http.Request, s *session) {
	p.renderEdit(w, r, s, http.StatusOK, r.PathValue("id"), nil, "")
}

// renderEdit renders the edit page of review id with status; text is the
// user's refused edit (nil: the held object) and msg why it was refused.
func (p *Portal) renderEdit(w http.ResponseWriter, r *http.Request, s *session, status int, id string, text *string, msg string) {
	if id == "" || strings.ContainsAny(id, "/?#%") {
		p.errorPage(w, r, s, tearline.Errorf(tearline.ENOTFOUND, "no such review"))
		return
	}
	var d editData
	if err := p.api(r, s, http.MethodGet, "/api/v1/review/"+id+"/", "", nil, &d.Review); err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	if d.Review.Status != tearline.ReviewPending {
		p.errorPage(w, r, s, tearline.Errorf(tearline.ECONFLICT, "review %s is already decided", id))
		return
	}
	d.Review.Own = d.Review.SubmitterKey != "" && d.Review.SubmitterKey == s.p.KeyID
	d.Review.SubmitterName = p.orgNamer(r.Context())(d.Review.SubmitterOrg)
	d.Text, d.Error = d.Review.ObjectText(), msg
	if text != nil {
		d.Text = *text
	}
	var b banner
	b.raiseTo(d.Review.TLP, d.Review.Classification)
	p.renderMarked(w, r, status, "reviewedit", s, b, d)
}

// approveEdited approves an analyst's edited copy of a held object
// (POST /api/v1/review/{id}/approve/ with action edit), which the API
// validates as STIX, checks for the held object's id, the marking check
// and personal data. A refusal renders the edit page again with the
// edited text kept and the fault shown next to the form: the JSON path
// the API names, or the line and column of malformed JSON.
func (p *Portal) approveEdited(w http.ResponseWriter, r *http.Request, s *session, id string) {
	text := r.PostFormValue("object")
	if msg := jsonSyntax(text); msg != "" {
		p.renderEdit(w, r, s, http.StatusBadRequest, id, &text, "The edited object is not JSON: "+msg)
		return
	}
	body, _ := json.Marshal(map[string]any{"action": tearline.ApproveEdited, "object": json.RawMessage(text),
		"reason": strings.TrimSpace(r.PostFormValue("reason"))})
	if err := p.api(r, s, http.MethodPost, "/api/v1/review/"+id+"/approve/", mediaJSON, body, nil); err != nil {
		if c := tearline.ErrorCode(err); c == tearline.EINVALID || c == tearline.EFORBIDDEN {
			p.renderEdit(w, r, s, taxii.ErrorStatus(c), id, &text, tearline.ErrorMessage(err))
			return
		}
		p.errorPage(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/ui/review?done=pii-edit", http.StatusSeeOther)
}

// jsonSyntax returns where and why text is not one JSON value ("" when
// it is): line and column of the fault.
func jsonSyntax(text string) string {
	if strings.TrimSpace(text) == "" {
		return "it is empty"
	}
	dec := json.NewDecoder(strings.NewReader(text))
	var v json.RawMessage
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); extra == nil {
			err = errors.New("more than one value")
		} else if !errors.Is(extra, io.EOF) {
			err = extra
		} else {
			return ""
		}
	}
	off := int(dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset)
	}
	off = min(off, len(text))
	line := 1 + strings.Count(text[:off], "\n")
	col := off - strings.LastIndex(text[:off], "\n")
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}
