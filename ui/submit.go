package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/stix/pattern"
	"github.com/tearline/tearline/taxii"
)

// submitData is what the submit page shows.
type submitData struct {
	Collections []taxii.PortalCollection
	TLPs        []string
	Error       string
	MaxUpload   int64
	// Form values kept after a refused indicator.
	Form url.Values
}

// Get returns a kept form value.
func (d submitData) Get(name string) string { return d.Form.Get(name) }

// receiptData is what the receipt page shows: the TAXII status.
type receiptData struct {
	Collection string
	Status     statusView
	// Names are the names of the submitted objects that have one, by id
	// (the user's own submission, so nothing the user may not see).
	Names map[string]string
}

type statusView struct {
	ID           string                  `json:"id"`
	Status       string                  `json:"status"`
	TotalCount   int                     `json:"total_count"`
	SuccessCount int                     `json:"success_count"`
	Successes    []tearline.StatusDetail `json:"successes"`
	FailureCount int                     `json:"failure_count"`
	Failures     []tearline.StatusDetail `json:"failures"`
	PendingCount int                     `json:"pending_count"`
	Pendings     []tearline.StatusDetail `json:"pendings"`
}

// tlpMarkings are the TLP 2.0 marking definitions the indicator form
// offers.
var tlpMarkings = map[string]string{
	"TLP:CLEAR": marking.TLP2Clear, "TLP:GREEN": marking.TLP2Green, "TLP:AMBER": marking.TLP2Amber,
	"TLP:AMBER+STRICT": marking.TLP2AmberStrict, "TLP:RED": marking.TLP2Red,
}

func (p *Portal) submitData(r *http.Request, s *session) (submitData, error) {
	cols, err := p.srv.PortalCollections(r.Context(), s.p)
	if err != nil {
		return submitData{}, err
	}
	d := submitData{TLPs: searchTLPs, MaxUpload: p.cfg.MaxUpload, Form: url.Values{}}
	for _, c := range cols {
		if c.CanWrite {
			d.Collections = append(d.Collections, c)
		}
	}
	return d, nil
}

func (p *Portal) submitPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := p.submitData(r, s)
	if err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	p.render(w, r, http.StatusOK, "submit", s, d)
}

// refuse renders the submit page again with a message.
func (p *Portal) refuse(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, form url.Values) {
	d, err := p.submitData(r, s)
	if err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	d.Error = msg
	if form != nil {
		d.Form = form
	}
	p.render(w, r, status, "submit", s, d)
}

// submitBundle takes a STIX bundle (or a TAXII envelope) pasted or
// uploaded, and posts its objects to the chosen collection through the
// TAXII API as the user. Larger than Config.MaxUpload is refused.
func (p *Portal) submitBundle(w http.ResponseWriter, r *http.Request, s *session) {
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			p.refuse(w, r, s, http.StatusRequestEntityTooLarge, "The bundle is larger than the limit of "+strconv.FormatInt(p.cfg.MaxUpload, 10)+" bytes.", nil)
			return
		}
		p.refuse(w, r, s, http.StatusBadRequest, "The form could not be read.", nil)
		return
	}
	var body []byte
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		body, err = io.ReadAll(io.LimitReader(f, p.cfg.MaxUpload+1))
		if err != nil {
			p.refuse(w, r, s, http.StatusBadRequest, "The file could not be read.", nil)
			return
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte(r.FormValue("bundle"))
	}
	if int64(len(body)) > p.cfg.MaxUpload {
		p.refuse(w, r, s, http.StatusRequestEntityTooLarge, "The bundle is larger than the limit of "+strconv.FormatInt(p.cfg.MaxUpload, 10)+" bytes.", nil)
		return
	}
	var b struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		p.refuse(w, r, s, http.StatusBadRequest, "Not a JSON bundle: "+err.Error(), nil)
		return
	}
	if b.Type != "" && b.Type != "bundle" || len(b.Objects) == 0 {
		p.refuse(w, r, s, http.StatusBadRequest, `Give a STIX bundle ({"type": "bundle", "objects": [...]}) with at least one object.`, nil)
		return
	}
	p.post(w, r, s, r.FormValue("collection"), b.Objects)
}

// post sends objects to a collection as a TAXII envelope through the API
// as the user, and shows the receipt (the TAXII status).
func (p *Portal) post(w http.ResponseWriter, r *http.Request, s *session, collection string, objs []json.RawMessage) {
	d, err := p.submitData(r, s)
	if err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	var col *taxii.PortalCollection
	for i := range d.Collections {
		if d.Collections[i].ID == collection || d.Collections[i].Alias == collection {
			col = &d.Collections[i]
		}
	}
	if col == nil {
		p.refuse(w, r, s, http.StatusForbidden, "Choose a collection that you may write to.", nil)
		return
	}
	env, err := json.Marshal(map[string]any{"objects": objs})
	if err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	var st statusView
	err = p.api(r, s, http.MethodPost, "/taxii2/"+col.Root+"/collections/"+col.ID+"/objects/", mediaTAXII, env, &st)
	if err != nil {
		p.refuse(w, r, s, taxii.ErrorStatus(tearline.ErrorCode(err)), "The server refused the submission: "+tearline.ErrorMessage(err), nil)
		return
	}
	names := map[string]string{}
	// The banners cover every object the receipt names or lists: all of
	// the submission's.
	var b banner
	for _, o := range objs {
		if n := propString(o, "name"); n != "" {
			names[propString(o, "id")] = n
		}
		if tlp, c, err := p.srv.PortalLevel(o); err == nil {
			b.raiseTo(tlp, c)
		} else {
			// An object whose markings cannot be read here (malformed, or
			// marked by a definition not stored yet) is marked as the most
			// restrictive, to be safe.
			b.raiseTo(marking.Red.String(), "")
		}
	}
	p.renderMarked(w, r, http.StatusOK, "receipt", s, b, receiptData{Collection: col.Title, Status: st, Names: names})
}

// checkPattern answers the indicator form's live validation (htmx): the
// pattern parsed and checked against the STIX object model.
func (p *Portal) checkPattern(w http.ResponseWriter, r *http.Request, s *session) {
	pat := r.PostFormValue("pattern")
	msg, ok := validatePattern(pat)
	p.renderFragment(w, "pattern-check", map[string]any{"OK": ok, "Message": msg, "Empty": strings.TrimSpace(pat) == ""})
}

// validatePattern checks a STIX pattern; it returns what is wrong, or a
// confirmation.
func validatePattern(pat string) (string, bool) {
	if strings.TrimSpace(pat) == "" {
		return "Enter a STIX pattern, such as [ipv4-addr:value = '198.51.100.7'].", false
	}
	if _, err := (pattern.Parser{Schema: stix.PatternSchema}).Parse(pat); err != nil {
		var pe *pattern.Error
		if errors.As(err, &pe) {
			return "Column " + strconv.Itoa(pe.Column) + ": " + pe.Msg, false
		}
		return err.Error(), false
	}
	return "The pattern is valid.", true
}

// submitIndicator builds an indicator from the guided form (name,
// description, pattern, kill chain phase, confidence, TLP marking), with
// an "indicates" relationship to a related malware, attack pattern,
// intrusion set or threat actor when one is given, and submits them.
func (p *Portal) submitIndicator(w http.ResponseWriter, r *http.Request, s *session) {
	if err := r.ParseForm(); err != nil {
		p.refuse(w, r, s, http.StatusBadRequest, "The form could not be read.", nil)
		return
	}
	f := r.PostForm
	name, pat := strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("pattern"))
	if name == "" {
		p.refuse(w, r, s, http.StatusBadRequest, "Give the indicator a name.", f)
		return
	}
	if msg, ok := validatePattern(pat); !ok {
		p.refuse(w, r, s, http.StatusBadRequest, "The pattern is not valid: "+msg, f)
		return
	}
	now := p.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	ind := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": "indicator--" + uuid.NewString(),
		"created": now, "modified": now, "name": name, "pattern": pat, "pattern_type": "stix", "valid_from": now,
		"created_by_ref": s.p.Org.ID,
	}
	if d := strings.TrimSpace(f.Get("description")); d != "" {
		ind["description"] = d
	}
	if t := f.Get("indicator_type"); t != "" {
		ind["indicator_types"] = []string{t}
	}
	if c := strings.TrimSpace(f.Get("confidence")); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n > 100 {
			p.refuse(w, r, s, http.StatusBadRequest, "Confidence must be a number from 0 to 100.", f)
			return
		}
		ind["confidence"] = n
	}
	if phase := strings.TrimSpace(f.Get("phase")); phase != "" {
		chain := strings.TrimSpace(f.Get("kill_chain"))
		if chain == "" {
			chain = "mitre-attack"
		}
		ind["kill_chain_phases"] = []map[string]string{{"kill_chain_name": chain, "phase_name": phase}}
	}
	var refs []string
	if m, ok := tlpMarkings[f.Get("tlp")]; ok {
		refs = []string{m}
		ind["object_marking_refs"] = refs
	} else if f.Get("tlp") != "" {
		p.refuse(w, r, s, http.StatusBadRequest, "Unknown marking.", f)
		return
	}
	raw, _ := json.Marshal(ind)
	objs := []json.RawMessage{raw}
	if rel := strings.TrimSpace(f.Get("related")); rel != "" {
		typ, _, err := stix.ParseID(rel)
		if err != nil || (typ != "malware" && typ != "attack-pattern" && typ != "intrusion-set" && typ != "threat-actor" && typ != "tool" && typ != "campaign") {
			p.refuse(w, r, s, http.StatusBadRequest, "The related object must be the id of a malware, tool, attack pattern, campaign, intrusion set or threat actor.", f)
			return
		}
		relationship := map[string]any{
			"type": "relationship", "spec_version": "2.1", "id": "relationship--" + uuid.NewString(),
			"created": now, "modified": now, "relationship_type": "indicates",
			"source_ref": ind["id"], "target_ref": rel, "created_by_ref": s.p.Org.ID,
		}
		if refs != nil {
			relationship["object_marking_refs"] = refs
		}
		raw, _ := json.Marshal(relationship)
		objs = append(objs, raw)
	}
	p.post(w, r, s, f.Get("collection"), objs)
}
