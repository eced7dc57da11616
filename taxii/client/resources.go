package client

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The resources of TAXII 2.1 (sections 4 and 5) as this client returns
// them. Decoders accept what real servers send: members they do not know are
// ignored, TAXII 2.0 bundles stand in for envelopes, and a numeric next is
// read as text.

// Discovery is the discovery resource (section 4.1.1). Default and APIRoots
// are resolved to absolute URLs.
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots"`
}

// APIRoot is the API root resource (section 4.2.1).
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection is the collection resource (section 5.2.1). Alias is
// Tearline's; other servers leave it empty.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Envelope is one page of objects (section 3.7): the objects' JSON exactly
// as the server sent them, and where to go on.
type Envelope struct {
	More bool
	// Next is the server's token for the following page; "" when it gave
	// none.
	Next    string
	Objects [][]byte
	// DateAddedFirst and DateAddedLast are the X-TAXII-Date-Added-First
	// and -Last headers: the date_added of the first and last object of
	// the page, as the server wrote them; "" when absent.
	DateAddedFirst, DateAddedLast string
	// Bundle is set when the server answered with a STIX bundle (as TAXII
	// 2.0 servers do) instead of an envelope.
	Bundle bool
	// rangeNext is the first item of the following page for servers that
	// page with Range headers (TAXII 2.0); -1 when there is none.
	rangeNext int
}

// ManifestRecord is one entry of a manifest (section 5.6.1).
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type,omitempty"`
}

// Manifest is one page of a manifest resource.
type Manifest struct {
	More    bool
	Next    string
	Objects []ManifestRecord
	// DateAddedFirst and DateAddedLast are as in Envelope.
	DateAddedFirst, DateAddedLast string
}

// Versions is one page of the versions of an object (section 5.8.1).
type Versions struct {
	More     bool
	Next     string
	Versions []string
}

// StatusDetail is the outcome for one object of a submission.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Status is the status resource of a submission (section 4.3.1).
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
}

// Complete reports whether the server has finished the submission.
func (s *Status) Complete() bool { return s.Status == "complete" }

// checkMedia refuses an answer whose Content-Type is not a JSON type a
// TAXII server sends (a proxy's HTML page, say). A missing Content-Type is
// let through: the body decides.
func checkMedia(h http.Header) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("the answer's Content-Type %q is malformed", ct)
	}
	switch mt {
	case "application/taxii+json", "application/stix+json", "application/vnd.oasis.taxii+json",
		"application/vnd.oasis.stix+json", "application/json":
		return nil
	}
	return fmt.Errorf("the answer's Content-Type is %s, not a TAXII resource (%s)", mt, MediaTAXII)
}

// errorMessage returns the title and description of a TAXII error message
// in an error answer, or a short excerpt of a plain-text body.
func errorMessage(r *response) (title, description string) {
	var e struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	if json.Unmarshal(r.body, &e) == nil {
		return e.Title, e.Description
	}
	ct := r.header.Get("Content-Type")
	if strings.HasPrefix(ct, "text/plain") && utf8.Valid(r.body) {
		s := strings.Join(strings.Fields(string(r.body)), " ")
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		return "", s
	}
	return "", ""
}

// unmarshal decodes a JSON object into v with the JSON path of a fault.
func unmarshal(body []byte, what string, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return fmt.Errorf("the %s is empty", what)
	}
	if body[0] != '{' {
		return fmt.Errorf("the %s is not a JSON object", what)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("the %s is malformed: %w", what, err)
	}
	return nil
}

func decodeDiscovery(body []byte) (*Discovery, error) {
	var d Discovery
	if err := unmarshal(body, "discovery resource", &d); err != nil {
		return nil, err
	}
	if d.Title == "" && len(d.APIRoots) == 0 && d.Default == "" {
		return nil, errors.New("the discovery resource has no title, default or api_roots: this is not a TAXII discovery URL")
	}
	return &d, nil
}

func decodeAPIRoot(body []byte) (*APIRoot, error) {
	var r APIRoot
	if err := unmarshal(body, "API root resource", &r); err != nil {
		return nil, err
	}
	if r.Title == "" && len(r.Versions) == 0 {
		return nil, errors.New("the API root resource has no title or versions: this is not a TAXII API root URL")
	}
	if r.MaxContentLength < 0 {
		return nil, fmt.Errorf("the API root's max_content_length %d is negative", r.MaxContentLength)
	}
	return &r, nil
}

func decodeCollections(body []byte) ([]Collection, error) {
	var cs struct {
		Collections []Collection `json:"collections"`
	}
	if err := unmarshal(body, "collections resource", &cs); err != nil {
		return nil, err
	}
	for i, c := range cs.Collections {
		if c.ID == "" {
			return nil, fmt.Errorf("collections[%d] has no id", i)
		}
	}
	return cs.Collections, nil
}

func decodeCollection(body []byte) (*Collection, error) {
	var c Collection
	if err := unmarshal(body, "collection resource", &c); err != nil {
		return nil, err
	}
	if c.ID == "" {
		return nil, errors.New("the collection resource has no id")
	}
	return &c, nil
}

// wirePage is what envelopes, manifests and versions share on the wire,
// with bundle members to recognise a TAXII 2.0 answer.
type wirePage struct {
	Type     string           `json:"type"`
	More     jsontext.Value   `json:"more"`
	Next     jsontext.Value   `json:"next"`
	Objects  []jsontext.Value `json:"objects"`
	Versions []string         `json:"versions"`
}

// paging reads more and next. TAXII says more is a boolean and next a
// string; a quoted boolean and a numeric next are accepted.
func (w *wirePage) paging() (more bool, next string, err error) {
	switch m := string(w.More); m {
	case "", "null", "false", `"false"`:
	case "true", `"true"`:
		more = true
	default:
		return false, "", fmt.Errorf("more is %s, not a boolean", clip(m))
	}
	if len(w.Next) > 0 {
		switch w.Next.Kind() {
		case '"':
			var s string
			if err := json.Unmarshal(w.Next, &s); err != nil {
				return false, "", fmt.Errorf("next: %w", err)
			}
			next = s
		case '0':
			next = string(w.Next)
		case 'n':
		default:
			return false, "", fmt.Errorf("next is %s, not a string", clip(string(w.Next)))
		}
	}
	return more, next, nil
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// decodeEnvelope decodes an objects answer: a TAXII 2.1 envelope, or a STIX
// bundle as TAXII 2.0 servers send. Every object must be a JSON object.
func decodeEnvelope(body []byte) (*Envelope, error) {
	var w wirePage
	if err := unmarshal(body, "envelope", &w); err != nil {
		return nil, err
	}
	env := &Envelope{rangeNext: -1}
	switch w.Type {
	case "":
	case "bundle":
		env.Bundle = true
	default:
		return nil, fmt.Errorf("the answer is a STIX %s, not a TAXII envelope or bundle", clip(w.Type))
	}
	var err error
	if env.More, env.Next, err = w.paging(); err != nil {
		return nil, fmt.Errorf("the envelope's %w", err)
	}
	env.Objects = make([][]byte, len(w.Objects))
	for i, o := range w.Objects {
		if o.Kind() != '{' {
			return nil, fmt.Errorf("objects[%d] is not a JSON object", i)
		}
		env.Objects[i] = o
	}
	return env, nil
}

func decodeManifest(body []byte) (*Manifest, error) {
	var w struct {
		More    jsontext.Value   `json:"more"`
		Next    jsontext.Value   `json:"next"`
		Objects []ManifestRecord `json:"objects"`
	}
	if err := unmarshal(body, "manifest", &w); err != nil {
		return nil, err
	}
	p := wirePage{More: w.More, Next: w.Next}
	more, next, err := p.paging()
	if err != nil {
		return nil, fmt.Errorf("the manifest's %w", err)
	}
	for i, r := range w.Objects {
		if r.ID == "" {
			return nil, fmt.Errorf("objects[%d] of the manifest has no id", i)
		}
	}
	return &Manifest{More: more, Next: next, Objects: w.Objects}, nil
}

func decodeVersions(body []byte) (*Versions, error) {
	var w wirePage
	if err := unmarshal(body, "versions resource", &w); err != nil {
		return nil, err
	}
	more, next, err := w.paging()
	if err != nil {
		return nil, fmt.Errorf("the versions resource's %w", err)
	}
	return &Versions{More: more, Next: next, Versions: w.Versions}, nil
}

func decodeStatus(body []byte) (*Status, error) {
	var s Status
	if err := unmarshal(body, "status resource", &s); err != nil {
		return nil, err
	}
	switch {
	case s.ID == "":
		return nil, errors.New("the status resource has no id")
	case s.Status != "pending" && s.Status != "complete":
		return nil, fmt.Errorf("the status resource's status is %q, not pending or complete", clip(s.Status))
	case s.TotalCount < 0 || s.SuccessCount < 0 || s.FailureCount < 0 || s.PendingCount < 0:
		return nil, errors.New("the status resource has a negative count")
	}
	return &s, nil
}

// contentRange parses a TAXII 2.0 Content-Range header, "items 0-99/500"
// (the total may be "*"), and returns the first item after the range, or
// -1 when the range reaches the end or the header is absent or malformed.
func contentRange(h string) int {
	rest, ok := strings.CutPrefix(strings.TrimSpace(h), "items ")
	if !ok {
		return -1
	}
	span, total, ok := strings.Cut(rest, "/")
	if !ok {
		return -1
	}
	a, b, ok := strings.Cut(span, "-")
	if !ok {
		return -1
	}
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || first < 0 || last < first {
		return -1
	}
	if total = strings.TrimSpace(total); total != "*" {
		n, err := strconv.Atoi(total)
		if err != nil || last+1 >= n {
			return -1
		}
	}
	return last + 1
}
