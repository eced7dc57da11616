package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
	"golang.org/x/text/language"
)

// pathTranslations is the disclosure ledger's path of translation
// look-ups.
const pathTranslations = "translations"

// Labels of the notes that announce a translation request and its answer.
const (
	labelTranslationRequest = "translation-request"
	labelTranslationAnswer  = "translation-answer"
)

// translationRoutes registers the translation routes.
func (s *Server) translationRoutes(handle func(method, path string, h http.Handler)) {
	handle("POST", "/api/v1/translations/", s.withRole(tearline.RoleReader, "translation requests", s.requestTranslation))
	handle("GET", "/api/v1/translations/", s.withRole(tearline.RoleReader, "translation requests", s.listTranslations))
	handle("GET", "/api/v1/translations/{translation}/", s.withRole(tearline.RoleReader, "translation requests", s.getTranslation))
	handle("POST", "/api/v1/translations/{translation}/answer/", s.withRole(tearline.RoleTranslator, "answering translation requests", s.answerTranslation))
	handle("GET", "/api/v1/objects/{object}/translations/", s.withRole(tearline.RoleReader, "translations", s.getTranslations))
}

// translationStore returns the backend's translation requests, or
// EUNAVAILABLE.
func (s *Server) translationStore() (tearline.Translations, error) {
	t, ok := s.b.(tearline.Translations)
	if !ok {
		return nil, tearline.Errorf(tearline.EUNAVAILABLE, "this server's store keeps no translation requests")
	}
	return t, nil
}

// translationJSON is a translation request in the API.
type translationJSON struct {
	ID         string     `json:"id"`
	ObjectID   string     `json:"object_id"`
	Language   string     `json:"language"`
	Note       string     `json:"note,omitempty"`
	Requester  string     `json:"requester"`
	NoteID     string     `json:"note_id,omitempty"`
	State      string     `json:"state"`
	Created    time.Time  `json:"created"`
	AnswerID   string     `json:"answer_id,omitempty"`
	AnsweredBy string     `json:"answered_by,omitempty"`
	Answered   *time.Time `json:"answered,omitempty"`
}

func translationOf(r *tearline.TranslationRequest) translationJSON {
	j := translationJSON{ID: r.ID, ObjectID: r.ObjectID, Language: r.Language, Note: r.Note, Requester: r.RequesterOrg,
		NoteID: r.NoteID, State: r.State, Created: r.Created, AnswerID: r.AnswerID, AnsweredBy: r.AnsweredBy}
	if !r.Answered.IsZero() {
		t := r.Answered
		j.Answered = &t
	}
	return j
}

// canonicalLanguage returns tag as a canonical RFC 5646 tag. EINVALID,
// naming field, for a malformed one.
func canonicalLanguage(field, tag string) (string, error) {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil || tag == "" {
		return "", tearline.Errorf(tearline.EINVALID, "%s: %q is not an RFC 5646 language tag such as fr or pt-BR", field, tag)
	}
	return t.String(), nil
}

// requestTranslation handles POST /api/v1/translations/ with {"object_id",
// "language", "note", "collection"}: the caller's organization asks for a
// translation of an object it may receive (404 otherwise, as for a missing
// one). When the caller may add objects to a collection holding the object
// (or to "collection"), a note labelled translation-request announces it
// there: the producer's feed gets it as feedback, and the translator's
// answer refers to it, which notifies the requester through its feed.
func (s *Server) requestTranslation(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	ts, err := s.translationStore()
	if err != nil {
		return err
	}
	var req struct {
		ObjectID   string `json:"object_id"`
		Language   string `json:"language"`
		Note       string `json:"note"`
		Collection string `json:"collection"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.ObjectID == "" {
		return tearline.Errorf(tearline.EINVALID, "translation.object_id: missing: give the id of the object to translate")
	}
	if _, _, err := stix.ParseID(req.ObjectID); err != nil {
		return tearline.Errorf(tearline.EINVALID, "translation.object_id: %q is not a STIX identifier", req.ObjectID)
	}
	lang, err := canonicalLanguage("translation.language", req.Language)
	if err != nil {
		return err
	}
	if len(req.Note) > maxFeedbackText {
		return tearline.Errorf(tearline.EINVALID, "translation.note: %d bytes; at most %d", len(req.Note), maxFeedbackText)
	}
	ctx := r.Context()
	target, _, cols, err := s.visibleAnywhere(ctx, p, req.ObjectID, pathTranslations)
	if err != nil {
		return err
	}
	tr := &tearline.TranslationRequest{ID: uuid.NewString(), ObjectID: target.ID, Language: lang, Note: req.Note,
		RequesterOrg: p.Org.ID, RequesterKey: p.KeyID}
	if p.Role.AtLeast(tearline.RoleContributor) {
		c, err := s.feedbackCollection(ctx, p, target.ID, req.Collection, cols)
		switch {
		case err == nil:
			form := feedbackRequest{Kind: kindNote, Content: fmt.Sprintf("Translation into %s requested (request %s). %s", lang, tr.ID, req.Note)}
			raw, noteID := form.build(target, p.Org.ID, time.Now())
			raw = withLabel(raw, labelTranslationRequest)
			st, err := s.submitBuilt(context.WithoutCancel(ctx), p, c, raw)
			if err != nil {
				return err
			}
			if len(st.Successes) == 1 {
				tr.NoteID = noteID
			}
		case req.Collection != "" || tearline.ErrorCode(err) != tearline.EFORBIDDEN:
			return err
		}
	}
	if err := ts.CreateTranslationRequest(ctx, tr); err != nil {
		return err
	}
	s.logger(ctx).Info("translation requested", "request", tr.ID, "object", tr.ObjectID, "language", lang)
	writeAdmin(w, http.StatusCreated, translationOf(tr))
	return nil
}

// withLabel replaces the labels of a built note with label.
func withLabel(raw []byte, label string) []byte {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	m["labels"] = []string{label}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

// visibleTranslation returns request id when p may see it: its own
// organization's, or, for a translator, one about an object p's
// organization may receive. ENOTFOUND otherwise, as for a missing one.
func (s *Server) visibleTranslation(ctx context.Context, p *tearline.Principal, id string) (*tearline.TranslationRequest, *tearline.Entry, error) {
	ts, err := s.translationStore()
	if err != nil {
		return nil, nil, err
	}
	notFound := tearline.Errorf(tearline.ENOTFOUND, "no translation request %q that your organization may see", id)
	tr, err := ts.FindTranslationRequest(ctx, id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, nil, notFound
	} else if err != nil {
		return nil, nil, err
	}
	own := tr.RequesterOrg == p.Org.ID
	if !own && !p.Role.AtLeast(tearline.RoleTranslator) {
		return nil, nil, notFound
	}
	target, _, _, err := s.visibleAnywhere(ctx, p, tr.ObjectID, pathTranslations)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		if own {
			return tr, nil, nil // the requester may no longer receive the object
		}
		return nil, nil, notFound
	} else if err != nil {
		return nil, nil, err
	}
	return tr, target, nil
}

// listTranslations handles GET /api/v1/translations/[?state=open|answered]:
// the caller's organization's requests and, for translators, the requests
// about objects its organization may receive, oldest first.
func (s *Server) listTranslations(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	ts, err := s.translationStore()
	if err != nil {
		return err
	}
	var f tearline.TranslationFilter
	for name, vs := range r.URL.Query() {
		if name != "state" || len(vs) != 1 {
			return tearline.Errorf(tearline.EINVALID, "translation requests take one optional parameter, state (open or answered)")
		}
		f.State = vs[0]
	}
	if !p.Role.AtLeast(tearline.RoleTranslator) {
		f.RequesterOrg = p.Org.ID
	}
	trs, err := ts.ListTranslationRequests(r.Context(), f)
	if err != nil {
		return err
	}
	out := []translationJSON{}
	for _, tr := range trs {
		if tr.RequesterOrg != p.Org.ID {
			if _, _, err := s.visibleTranslation(r.Context(), p, tr.ID); tearline.ErrorCode(err) == tearline.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
		}
		out = append(out, translationOf(tr))
	}
	writeAdmin(w, http.StatusOK, struct {
		Translations []translationJSON `json:"translations"`
	}{out})
	return nil
}

// getTranslation handles GET /api/v1/translations/{id}/.
func (s *Server) getTranslation(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	tr, _, err := s.visibleTranslation(r.Context(), p, r.PathValue("translation"))
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, translationOf(tr))
	return nil
}

// answerTranslation handles POST /api/v1/translations/{id}/answer/ with
// {"contents": {"name": "...", "description": "..."}, "collection"}: a
// translator whose organization may receive the object answers the
// request with a STIX language-content object (the object's markings,
// object_modified of the version it received), submitted through the
// pipeline of a TAXII POST with, when the request was announced by a
// note, a note labelled translation-answer that refers to it: the
// requester's feed gets it as feedback on its own note.
func (s *Server) answerTranslation(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	var req struct {
		Contents   map[string]json.RawMessage `json:"contents"`
		Collection string                     `json:"collection"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Contents) == 0 {
		return tearline.Errorf(tearline.EINVALID, "answer.contents: missing: give the translated properties, e.g. {\"name\": \"...\", \"description\": \"...\"}")
	}
	for k, v := range req.Contents {
		if k == "" || v == nil || string(v) == "null" {
			return tearline.Errorf(tearline.EINVALID, "answer.contents.%s: give the translated text", k)
		}
	}
	ctx := r.Context()
	tr, target, err := s.visibleTranslation(ctx, p, r.PathValue("translation"))
	if err != nil {
		return err
	}
	if target == nil {
		return tearline.Errorf(tearline.ENOTFOUND, "no translation request %q that your organization may see", tr.ID)
	}
	if tr.State != tearline.TranslationOpen {
		return tearline.Errorf(tearline.ECONFLICT, "translation request %s was answered already by %s", tr.ID, tr.AnswerID)
	}
	_, _, cols, err := s.visibleAnywhere(ctx, p, tr.ObjectID, pathTranslations)
	if err != nil {
		return err
	}
	c, err := s.feedbackCollection(ctx, p, tr.ObjectID, req.Collection, cols)
	if err != nil {
		return err
	}
	now := time.Now()
	ts := now.UTC().Format(millisLayout)
	lcID := "language-content--" + uuid.NewString()
	lc := map[string]any{
		"type": "language-content", "spec_version": "2.1", "id": lcID, "created": ts, "modified": ts,
		"created_by_ref": p.Org.ID, "object_ref": target.ID, "contents": map[string]any{tr.Language: req.Contents},
	}
	if !target.Version.IsZero() {
		lc["object_modified"] = versionString(target.Version)
	}
	var markings struct {
		Refs []string `json:"object_marking_refs"`
	}
	if json.Unmarshal(target.Raw, &markings) == nil && len(markings.Refs) > 0 {
		lc["object_marking_refs"] = markings.Refs
	}
	raw, err := json.Marshal(lc)
	if err != nil {
		return tearline.Errorf(tearline.EINVALID, "answer.contents: %v", err)
	}
	raws := [][]byte{raw}
	var noteID string
	if tr.NoteID != "" {
		form := feedbackRequest{Kind: kindNote, Content: fmt.Sprintf("Translation into %s: %s (request %s)", tr.Language, lcID, tr.ID)}
		var note []byte
		note, noteID = form.build(target, p.Org.ID, now)
		var m map[string]any
		if err := json.Unmarshal(note, &m); err != nil {
			return err
		}
		m["labels"] = []string{labelTranslationAnswer}
		m["object_refs"] = []string{tr.NoteID, lcID}
		if note, err = json.Marshal(m); err != nil {
			return err
		}
		raws = append(raws, note)
	}
	st, err := s.submitBuilt(context.WithoutCancel(ctx), p, c, raws...)
	if err != nil {
		return err
	}
	if len(st.Failures) > 0 {
		return tearline.Errorf(tearline.EINVALID, "the language-content object built from the answer was refused: %s", st.Failures[0].Message)
	}
	tstore, err := s.translationStore()
	if err != nil {
		return err
	}
	tr, err = tstore.AnswerTranslationRequest(context.WithoutCancel(ctx), tr.ID, lcID, p.Org.ID, now.UTC().Truncate(time.Microsecond))
	if err != nil {
		return err
	}
	s.logger(ctx).Info("translation answered", "request", tr.ID, "object", tr.ObjectID, "answer", lcID)
	writeAdmin(w, http.StatusCreated, struct {
		translationJSON
		Object     json.RawMessage `json:"object"`
		AnswerNote string          `json:"answer_note_id,omitempty"`
	}{translationOf(tr), raw, noteID})
	return nil
}

// getTranslations handles GET /api/v1/objects/{id}/translations/[?lang=L]:
// the language-content objects about an object the caller may receive
// (404 otherwise), each as the access decision releases it to the caller,
// that hold a translation into one of its organization's preferred
// languages (the languages of lang, a comma-separated list, instead; "*"
// for every language). Languages match by their base language ("fr"
// matches "fr-CA").
func (s *Server) getTranslations(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	ex, err := s.exchanges()
	if err != nil {
		return err
	}
	id, err := objectID(r)
	if err != nil {
		return err
	}
	want := p.Org.Languages
	for name, vs := range r.URL.Query() {
		if name != "lang" || len(vs) != 1 {
			return tearline.Errorf(tearline.EINVALID, "translations take one optional parameter, lang (language tags, comma-separated, or *)")
		}
		want = nil
		if vs[0] != "*" {
			for i, t := range strings.Split(vs[0], ",") {
				tag, err := canonicalLanguage(fmt.Sprintf("lang[%d]", i), t)
				if err != nil {
					return err
				}
				want = append(want, tag)
			}
		}
	}
	if len(want) == 0 {
		want = nil // no preference: every language
	}
	ctx := r.Context()
	if _, _, _, err := s.visibleAnywhere(ctx, p, id, pathTranslations); err != nil {
		return err
	}
	fs, err := ex.ListFeedback(ctx, []string{id}, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	out := []json.RawMessage{}
	seen := map[string]bool{}
	for _, f := range fs {
		if f.Type != "language-content" || seen[f.ObjectID] {
			continue
		}
		seen[f.ObjectID] = true
		_, res, _, err := s.visibleAnywhere(ctx, p, f.ObjectID, pathTranslations)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		if res.Decision == marking.Withhold || !hasLanguage(res.Raw, want) {
			continue
		}
		out = append(out, json.RawMessage(res.Raw))
	}
	writeAdmin(w, http.StatusOK, struct {
		Object       string            `json:"object"`
		Languages    []string          `json:"languages"`
		Translations []json.RawMessage `json:"translations"`
	}{id, want, out})
	return nil
}

// hasLanguage reports whether a language-content object holds contents
// in one of the languages of want (all when want is nil).
func hasLanguage(raw []byte, want []string) bool {
	var lc struct {
		Contents map[string]json.RawMessage `json:"contents"`
	}
	if json.Unmarshal(raw, &lc) != nil {
		return false
	}
	if want == nil {
		return len(lc.Contents) > 0
	}
	for tag := range lc.Contents {
		t, err := language.Parse(tag)
		if err != nil {
			continue
		}
		base, _ := t.Base()
		for _, w := range want {
			if wb, _ := language.Make(w).Base(); wb == base {
				return true
			}
		}
	}
	return false
}
