package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/score"
	"github.com/tearline/tearline/stix"
)

// pathFeedback is the disclosure ledger's path of the feedback form's
// look-up of the object it is about.
const pathFeedback = "feedback"

// Kinds of the feedback form.
const (
	kindSighting = "sighting"
	kindOpinion  = "opinion"
	kindQuestion = "question"
	kindAnswer   = "answer"
	kindNote     = "note"
)

// feedbackRequest is the feedback form: the common cases of sightings,
// opinions and notes about one object, from which the server builds the
// STIX object.
type feedbackRequest struct {
	Kind string `json:"kind"`
	// Collection is where the feedback goes (id or alias); by default a
	// collection the caller may write that holds the object.
	Collection string `json:"collection"`
	// Sighting.
	Count         *int     `json:"count"`
	FirstSeen     string   `json:"first_seen"`
	LastSeen      string   `json:"last_seen"`
	Where         string   `json:"where"`
	WhereSighted  []string `json:"where_sighted_refs"`
	FalsePositive bool     `json:"false_positive"`
	// Opinion.
	Opinion     string `json:"opinion"`
	Explanation string `json:"explanation"`
	// Question, answer, note.
	Content   string `json:"content"`
	Abstract  string `json:"abstract"`
	InReplyTo string `json:"in_reply_to"`
	// Markings: by default those of the object the feedback is about.
	Markings []string `json:"object_marking_refs"`
}

// opinionValues is the STIX opinion-enum.
var opinionValues = []string{"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"}

// maxFeedbackText is the longest text member of the form, in bytes.
const maxFeedbackText = 10000

// check returns EINVALID with the JSON path of the first fault of the form.
func (f *feedbackRequest) check() error {
	bad := func(field, format string, args ...any) error {
		return tearline.Errorf(tearline.EINVALID, "feedback.%s: %s", field, fmt.Sprintf(format, args...))
	}
	for field, v := range map[string]string{"where": f.Where, "explanation": f.Explanation, "content": f.Content, "abstract": f.Abstract} {
		if len(v) > maxFeedbackText {
			return bad(field, "%d bytes; at most %d", len(v), maxFeedbackText)
		}
	}
	only := func(allowed ...string) error {
		set := map[string]bool{
			"count": f.Count != nil, "first_seen": f.FirstSeen != "", "last_seen": f.LastSeen != "", "where": f.Where != "",
			"where_sighted_refs": f.WhereSighted != nil, "false_positive": f.FalsePositive, "opinion": f.Opinion != "",
			"explanation": f.Explanation != "", "content": f.Content != "", "abstract": f.Abstract != "", "in_reply_to": f.InReplyTo != "",
		}
		for _, name := range []string{"count", "first_seen", "last_seen", "where", "where_sighted_refs", "false_positive",
			"opinion", "explanation", "content", "abstract", "in_reply_to"} {
			if set[name] && !slices.Contains(allowed, name) {
				return bad(name, "does not apply to kind %q", f.Kind)
			}
		}
		return nil
	}
	switch f.Kind {
	case "":
		return bad("kind", "missing: give sighting, opinion, question, answer or note")
	case kindSighting:
		if err := only("count", "first_seen", "last_seen", "where", "where_sighted_refs", "false_positive"); err != nil {
			return err
		}
		if f.Count != nil && (*f.Count < 0 || *f.Count > 999999999) {
			return bad("count", "%d is outside 0-999999999", *f.Count)
		}
		var first, last time.Time
		for _, ts := range []struct {
			field, v string
			t        *time.Time
		}{{"first_seen", f.FirstSeen, &first}, {"last_seen", f.LastSeen, &last}} {
			if ts.v == "" {
				continue
			}
			t, _, err := stix.ParseTimestamp(ts.v)
			if err != nil {
				return bad(ts.field, "%q is not a timestamp such as 2024-01-31T12:00:00.000Z", ts.v)
			}
			*ts.t = t
		}
		if !first.IsZero() && !last.IsZero() && last.Before(first) {
			return bad("last_seen", "is before first_seen")
		}
		for i, ref := range f.WhereSighted {
			typ, _, err := stix.ParseID(ref)
			if err != nil || (typ != "identity" && typ != "location") {
				return bad(fmt.Sprintf("where_sighted_refs[%d]", i), "%q is not the id of an identity or a location", ref)
			}
		}
	case kindOpinion:
		if err := only("opinion", "explanation"); err != nil {
			return err
		}
		if f.Opinion == "" {
			return bad("opinion", "missing: give one of %s", strings.Join(opinionValues, ", "))
		}
		if !slices.Contains(opinionValues, f.Opinion) {
			return bad("opinion", "%q: want one of %s", f.Opinion, strings.Join(opinionValues, ", "))
		}
	case kindQuestion, kindAnswer, kindNote:
		if err := only("content", "abstract", "in_reply_to"); err != nil {
			return err
		}
		if strings.TrimSpace(f.Content) == "" {
			return bad("content", "missing: write the %s", f.Kind)
		}
		if f.Kind == kindAnswer && f.InReplyTo == "" {
			return bad("in_reply_to", "missing: an answer names the note (question) it answers")
		}
		if f.InReplyTo != "" {
			if typ, _, err := stix.ParseID(f.InReplyTo); err != nil || typ != "note" {
				return bad("in_reply_to", "%q is not the id of a note", f.InReplyTo)
			}
		}
	default:
		return bad("kind", "%q: want sighting, opinion, question, answer or note", f.Kind)
	}
	for i, ref := range f.Markings {
		if typ, _, err := stix.ParseID(ref); err != nil || typ != "marking-definition" {
			return bad(fmt.Sprintf("object_marking_refs[%d]", i), "%q is not the id of a marking definition", ref)
		}
	}
	return nil
}

// build returns the STIX object of the form about target (its stored
// bytes give the default markings), by org, at now.
func (f *feedbackRequest) build(target *tearline.Entry, org string, now time.Time) ([]byte, string) {
	ts := now.UTC().Format(millisLayout)
	obj := map[string]any{"spec_version": "2.1", "created": ts, "modified": ts, "created_by_ref": org}
	markings := f.Markings
	if markings == nil {
		var t struct {
			Markings []string `json:"object_marking_refs"`
		}
		if json.Unmarshal(target.Raw, &t) == nil {
			markings = t.Markings
		}
	}
	if len(markings) > 0 {
		obj["object_marking_refs"] = markings
	}
	switch f.Kind {
	case kindSighting:
		obj["type"] = "sighting"
		obj["sighting_of_ref"] = target.ID
		count := 1
		if f.Count != nil {
			count = *f.Count
		}
		obj["count"] = count
		if f.FirstSeen != "" {
			obj["first_seen"] = f.FirstSeen
		}
		if f.LastSeen != "" {
			obj["last_seen"] = f.LastSeen
		}
		if f.Where != "" {
			obj["description"] = "Seen at: " + f.Where
		}
		if len(f.WhereSighted) > 0 {
			obj["where_sighted_refs"] = f.WhereSighted
		}
		if f.FalsePositive {
			obj[score.FalsePositiveProperty] = true
		}
	case kindOpinion:
		obj["type"] = "opinion"
		obj["opinion"] = f.Opinion
		obj["object_refs"] = []string{target.ID}
		if f.Explanation != "" {
			obj["explanation"] = f.Explanation
		}
	default:
		obj["type"] = "note"
		obj["content"] = f.Content
		refs := []string{target.ID}
		if f.InReplyTo != "" {
			refs = append(refs, f.InReplyTo)
		}
		obj["object_refs"] = refs
		if f.Abstract != "" {
			obj["abstract"] = f.Abstract
		}
		if f.Kind != kindNote {
			obj["labels"] = []string{f.Kind}
		}
	}
	id := obj["type"].(string) + "--" + uuid.NewString()
	obj["id"] = id
	raw, _ := json.Marshal(obj) // of strings, numbers and lists: cannot fail
	return raw, id
}

// postFeedback handles POST /api/v1/objects/{id}/feedback/ with the
// feedback form: it builds the STIX sighting, opinion or note about an
// object the caller's organization may receive and submits it through the
// same pipeline as a TAXII POST (markings, PII policy, scoring, the
// change feed that notifies the object's producer). An object the caller
// may not receive is the 404 of one that does not exist; the form is
// limited per key (429).
func (s *Server) postFeedback(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	release, d := s.feedbackLimit.Acquire("feedback:"+p.KeyID, time.Now())
	if d != nil {
		return s.refusal(d)
	}
	release() // a rate limit only: nothing stays in flight
	id, err := objectID(r)
	if err != nil {
		return err
	}
	var req feedbackRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	ctx := r.Context()
	target, cols, err := s.feedbackTarget(ctx, p, id)
	if err != nil {
		return err
	}
	if req.InReplyTo != "" {
		if _, _, err := s.feedbackTarget(ctx, p, req.InReplyTo); tearline.ErrorCode(err) == tearline.ENOTFOUND {
			return tearline.Errorf(tearline.EINVALID, "feedback.in_reply_to: no note %s among the objects your organization may read", req.InReplyTo)
		} else if err != nil {
			return err
		}
	}
	c, err := s.feedbackCollection(ctx, p, id, req.Collection, cols)
	if err != nil {
		return err
	}
	raw, fid := req.build(target, p.Org.ID, time.Now())
	ctx = context.WithoutCancel(ctx)
	st, err := s.submitBuilt(ctx, p, c, raw)
	if err != nil {
		return err
	}
	if len(st.Failures) > 0 {
		return tearline.Errorf(tearline.EINVALID, "the %s built from the form was refused: %s", req.Kind, st.Failures[0].Message)
	}
	s.logger(ctx).Info("feedback", "object", id, "feedback", fid, "kind", req.Kind, "collection", c.ID)
	status := http.StatusCreated
	if st.Status == tearline.StatusPending {
		status = http.StatusAccepted // held for review by the PII policy
	}
	writeAdmin(w, status, struct {
		ID         string          `json:"id"`
		Collection string          `json:"collection"`
		Object     json.RawMessage `json:"object"`
		Status     statusResource  `json:"status"`
	}{fid, c.ID, raw, statusResourceOf(st)})
	return nil
}

// feedbackTarget returns the latest version of object id that p's
// organization may receive, and the collections it reads that hold a
// version it may receive, recording the look-up in the disclosure ledger
// (path feedback). ENOTFOUND when there is none.
func (s *Server) feedbackTarget(ctx context.Context, p *tearline.Principal, id string) (*tearline.Entry, []string, error) {
	e, _, cols, err := s.visibleAnywhere(ctx, p, id, pathFeedback)
	return e, cols, err
}

// visibleAnywhere returns the latest version of object id that p's
// organization may receive in any collection it reads, as visibleVersion
// does.
func (s *Server) visibleAnywhere(ctx context.Context, p *tearline.Principal, id, path string) (*tearline.Entry, marking.Result, []string, error) {
	return s.visibleVersion(ctx, p, id, []string{tearline.VersionLast}, path)
}

// feedbackCollection returns the collection feedback goes to: key (id or
// alias) when given, which p must be able to write, else the first of
// cols (collections holding the object) that p may write.
func (s *Server) feedbackCollection(ctx context.Context, p *tearline.Principal, id, key string, cols []string) (*collection, error) {
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	open := func(id string) (*collection, error) {
		c, err := s.b.FindCollection(ctx, id)
		if err != nil {
			return nil, err
		}
		root := s.roots[c.APIRoot]
		if root == nil {
			root = s.def
		}
		return view(p, c, root, grants[c.ID]), nil
	}
	if key != "" {
		c, err := open(key)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND || err == nil && !c.canWrite && !c.canRead {
			return nil, tearline.Errorf(tearline.EINVALID, "feedback.collection: no collection %q that your organization may use", key)
		} else if err != nil {
			return nil, err
		}
		if !c.canWrite {
			return nil, tearline.Errorf(tearline.EFORBIDDEN, "feedback.collection: your organization may not add objects to collection %s", c.ID)
		}
		return c, nil
	}
	for _, col := range cols {
		if g := grants[col]; g.Write && !g.Client {
			return open(col)
		}
	}
	return nil, tearline.Errorf(tearline.EFORBIDDEN,
		"your organization may not add objects to any collection that holds %s; give feedback.collection, a collection you may write", id)
}

// submitBuilt submits objects the server built from a form to collection
// c as p, through the pipeline of a TAXII POST (markings, PII policy,
// scoring, the change feed), with a TAXII status of its own, and records
// the submission for exchanges. The status tells what became of each.
func (s *Server) submitBuilt(ctx context.Context, p *tearline.Principal, c *collection, raws ...[]byte) (*tearline.Status, error) {
	body := []byte(`{"objects":[`)
	for i, raw := range raws {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, raw...)
	}
	body = append(body, "]}"...)
	st := &tearline.Status{ID: uuid.NewString(), APIRoot: c.root.Name, CollectionID: c.ID, OrgID: p.Org.ID,
		Status: tearline.StatusPending, RequestTime: time.Now().UTC().Truncate(time.Microsecond), TotalCount: len(raws)}
	if err := s.processNow(ctx, st, p.KeyID, body); err != nil {
		return nil, err
	}
	return st, nil
}
