package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/taxii"
)

// property is one top-level property of an object, for display.
type property struct {
	Name string
	// Text is a string value as is; JSON the indented JSON of any other.
	Text   string
	JSON   string
	IsText bool
}

// extRef is an external reference, for display.
type extRef struct {
	Source, ID, Description string
	// URL is set only for http and https URLs; Raw shows any other as
	// text.
	URL *url.URL
	Raw string
}

// diff is what changed from one version to the next.
type diff struct {
	From, To string
	Changes  []change
}

type change struct {
	Name     string
	Old, New string // compact JSON; "" when absent
}

// objectData is what the object page shows.
type objectData struct {
	Obj        *listed
	Props      []property
	ExtRefs    []extRef
	Markings   []markingView
	Granular   string
	Versions   []*taxii.PortalObject
	Diffs      []diff
	Score      *scoreView
	ScoreError string
	Referrers  []*listed
	// The feedback form.
	FeedbackSent                 bool
	FeedbackKinds, OpinionValues []string
}

// scoreView is the API's score answer (GET /api/v1/objects/{id}/score).
type scoreView struct {
	Version        string   `json:"version"`
	Confidence     int      `json:"confidence"`
	ConfidenceBase int      `json:"confidence_base"`
	Context        int      `json:"context"`
	Missing        []string `json:"missing"`
	Evidence       struct {
		Stated         *int `json:"stated"`
		Sources        int  `json:"corroborating_sources"`
		Sightings      int  `json:"sightings"`
		FalsePositives int  `json:"false_positives"`
	} `json:"evidence"`
	WarningLists []struct {
		List  string `json:"list"`
		Value string `json:"value"`
	} `json:"warning_lists"`
	HalfLifeDays float64 `json:"half_life_days"`
	ValidUntil   string  `json:"valid_until"`
	Revoked      bool    `json:"revoked"`
	AsOf         string  `json:"as_of"`
}

// firstProps are shown first, in this order; the rest alphabetically.
var firstProps = []string{"type", "id", "spec_version", "name", "description", "created", "modified", "created_by_ref"}

// objectID returns the STIX id in the path, or EINVALID.
func objectID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if _, _, err := stix.ParseID(id); err != nil {
		return "", tearline.Errorf(tearline.EINVALID, "%q is not a STIX identifier (type--UUID)", id)
	}
	return id, nil
}

// object shows one object: its latest version the user may see with all
// its properties, its markings, the versions the user may see and what
// changed between them, its score, and the sightings, opinions and
// relationships that refer to it. A user who may see no version gets the
// same 404 as for an object that does not exist.
func (p *Portal) object(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := objectID(r)
	if err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	versions, err := p.srv.PortalVersions(r.Context(), s.p, []string{id})
	if err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	if len(versions) == 0 {
		p.errorPage(w, r, s, tearline.Errorf(tearline.ENOTFOUND, "no object %s that your organization may see", id))
		return
	}
	latest := versions[len(versions)-1]
	d := objectData{Obj: listedOf([]*taxii.PortalObject{latest})[0], Versions: versions,
		FeedbackSent: r.URL.Query().Get("feedback") == "sent", FeedbackKinds: feedbackKinds, OpinionValues: opinionValues}
	var b banner
	for _, v := range versions {
		b.raise(v)
	}
	props := map[string]json.RawMessage{}
	if err := json.Unmarshal(latest.Raw, &props); err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	d.Props = properties(props)
	d.ExtRefs = extRefs(props["external_references"])
	var markingRefs []string
	json.Unmarshal(props["object_marking_refs"], &markingRefs)
	if d.Markings, err = p.markingViews(r.Context(), s, markingRefs); err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	if g := props["granular_markings"]; g != nil {
		d.Granular = indent(g)
	}
	for i := 1; i < len(versions); i++ {
		d.Diffs = append(d.Diffs, versionDiff(versions[i-1], versions[i]))
	}
	slices.Reverse(d.Diffs)
	var sc scoreView
	if err := p.api(r, s, http.MethodGet, "/api/v1/objects/"+id+"/score/?version="+url.QueryEscape(latest.VersionString()), "", nil, &sc); err == nil {
		d.Score = &sc
	} else {
		d.ScoreError = tearline.ErrorMessage(err)
	}
	// The banner covers the graph too: the objects at the other ends of
	// the relationships, which the graph names.
	su, err := p.surround(r.Context(), s, latest)
	if err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	su.raise(&b)
	d.Referrers = listedOf(su.refs)
	p.renderMarked(w, r, http.StatusOK, "object", s, b, d)
}

// properties orders an object's properties for display.
func properties(m map[string]json.RawMessage) []property {
	var names []string
	for k := range m {
		if !slices.Contains(firstProps, k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var out []property
	for _, k := range append(slices.Clone(firstProps), names...) {
		raw, ok := m[k]
		if !ok {
			continue
		}
		pr := property{Name: k}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			pr.Text, pr.IsText = s, true
		} else {
			pr.JSON = indent(raw)
		}
		out = append(out, pr)
	}
	return out
}

// indent returns raw JSON indented.
func indent(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

// extRefs reads external references for display.
func extRefs(raw json.RawMessage) []extRef {
	var refs []struct {
		Source      string `json:"source_name"`
		ExternalID  string `json:"external_id"`
		Description string `json:"description"`
		URL         string `json:"url"`
	}
	if raw == nil || json.Unmarshal(raw, &refs) != nil {
		return nil
	}
	var out []extRef
	for _, r := range refs {
		e := extRef{Source: r.Source, ID: r.ExternalID, Description: r.Description, Raw: r.URL}
		if u, err := url.Parse(r.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
			e.URL = u
		}
		out = append(out, e)
	}
	return out
}

// versionDiff returns the top-level properties that differ between two
// versions.
func versionDiff(a, b *taxii.PortalObject) diff {
	d := diff{From: a.VersionString(), To: b.VersionString()}
	var ma, mb map[string]json.RawMessage
	json.Unmarshal(a.Raw, &ma)
	json.Unmarshal(b.Raw, &mb)
	names := map[string]bool{}
	for k := range ma {
		names[k] = true
	}
	for k := range mb {
		names[k] = true
	}
	var sorted []string
	for k := range names {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		o, n := compact(ma[k]), compact(mb[k])
		if o != n {
			d.Changes = append(d.Changes, change{Name: k, Old: o, New: n})
		}
	}
	return d
}

func compact(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}

// propString returns a string property of a JSON object, "" when absent.
func propString(raw []byte, name string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	var s string
	json.Unmarshal(m[name], &s)
	return s
}

// writeJSONError writes err as a small JSON error.
func writeJSONError(w http.ResponseWriter, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	if c := tearline.ErrorCode(err); c != "" && c != tearline.EINTERNAL {
		status, msg = taxii.ErrorStatus(c), tearline.ErrorMessage(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
