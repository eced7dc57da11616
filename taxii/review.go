package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/pii"
	"github.com/tearline/tearline/score"
	"github.com/tearline/tearline/stix"
)

// The review queue (/api/v1/review): objects a collection's PII policy
// "review" holds, with their findings, decided by an analyst of an
// organization that may write the collection (never with the submitter's
// own key). Held objects reach reviewers only through the access decision,
// each view recorded in the disclosure ledger under ledgerPathReview.

// ledgerPathReview is the disclosure ledger path of held objects shown to
// reviewers.
const ledgerPathReview = "review"

// reviewRoutes registers the review queue and the collection PII policy
// routes.
func (s *Server) reviewRoutes(handle func(method, path string, h http.Handler)) {
	const what = "the review queue"
	handle("GET", "/api/v1/review/", s.withRole(tearline.RoleAnalyst, what, s.listReviews))
	handle("GET", "/api/v1/review/{review}/", s.withRole(tearline.RoleAnalyst, what, s.getReview))
	handle("POST", "/api/v1/review/{review}/approve/", s.withRole(tearline.RoleAnalyst, what, s.approveReview))
	handle("POST", "/api/v1/review/{review}/reject/", s.withRole(tearline.RoleAnalyst, what, s.rejectReview))
	handle("PATCH", "/api/v1/collections/{collection}/", s.admin(s.updateCollection))
}

// reviewJSON is a review as the API shows it. Access is the access
// decision for the caller ("whole", "redacted" or "withhold"); findings
// and the object are those of what the decision lets the caller see.
type reviewJSON struct {
	ID           string                `json:"id"`
	CollectionID string                `json:"collection"`
	StatusID     string                `json:"status_id,omitempty"`
	Index        int                   `json:"index"`
	ObjectID     string                `json:"object_id"`
	Version      string                `json:"version,omitempty"`
	SubmitterOrg string                `json:"submitter_org,omitempty"`
	SubmitterKey string                `json:"submitter_key,omitempty"`
	Status       string                `json:"status"`
	Decision     string                `json:"decision,omitempty"`
	Reason       string                `json:"reason,omitempty"`
	DeciderKey   string                `json:"decider_key,omitempty"`
	Created      time.Time             `json:"created"`
	Decided      *time.Time            `json:"decided,omitempty"`
	Finished     *time.Time            `json:"finished,omitempty"`
	Stored       bool                  `json:"stored"`
	Result       string                `json:"result,omitempty"`
	Access       string                `json:"access"`
	Findings     []tearline.PIIFinding `json:"findings"`
	Object       json.RawMessage       `json:"object,omitempty"`
	// TLP and Classification are the markings the access decision read
	// from the held object, when the caller may see it (for banners).
	TLP            string `json:"tlp,omitempty"`
	Classification string `json:"classification,omitempty"`
}

// reviewOf returns rv as recipient r may see it, with the object when
// withObject, and the access decision taken.
func (s *Server) reviewOf(r *marking.Recipient, rv *tearline.Review, withObject bool) (reviewJSON, marking.Result) {
	j := reviewJSON{
		ID: rv.ID, CollectionID: rv.CollectionID, StatusID: rv.StatusID, Index: rv.Index, ObjectID: rv.ObjectID,
		Version: rv.Version, SubmitterOrg: rv.SubmitterOrg, SubmitterKey: rv.SubmitterKey, Status: rv.Status,
		Decision: rv.Decision, Reason: rv.Reason, DeciderKey: rv.DeciderKey, Created: rv.Created,
		Stored: rv.Stored, Result: rv.Result, Findings: []tearline.PIIFinding{},
	}
	if !rv.Decided.IsZero() {
		j.Decided = &rv.Decided
	}
	if !rv.Finished.IsZero() {
		j.Finished = &rv.Finished
	}
	res := s.policy.Decide(r, rv.Raw)
	j.Access = res.Decision.String()
	if res.Decision != marking.Withhold {
		j.TLP, j.Classification = res.TLP.String(), res.Classification
	}
	switch res.Decision {
	case marking.Whole:
		j.Findings = rv.Findings
	case marking.Redacted:
		// The stored findings may lie in parts the copy leaves out; those
		// of the copy are what this reviewer may see.
		if fs, err := pii.ScanObject(res.Raw, pii.Options{FlagIdentifiers: flagsIdentifiers(rv.Findings)}); err == nil {
			j.Findings = ingest.Findings(fs)
		}
	}
	if withObject {
		j.Object = json.RawMessage("null")
		if res.Decision != marking.Withhold {
			j.Object = res.Raw
		}
	}
	return j, res
}

// flagsIdentifiers reports whether findings were made with identifiers
// flagged.
func flagsIdentifiers(fs []tearline.PIIFinding) bool {
	for _, f := range fs {
		if f.Kind == pii.PossiblePII.String() {
			return true
		}
	}
	return false
}

// mayReview reports whether p may see and decide the reviews of a
// collection: an admin, or an organization with a write grant on it. It
// returns p's grant.
func mayReview(p *tearline.Principal, grants map[string]tearline.Grant, collectionID string) (tearline.Grant, bool) {
	g := grants[collectionID]
	return g, g.Write || p.Role.AtLeast(tearline.RoleAdmin)
}

// recordReviews records the access decisions of reviews shown to p in the
// disclosure ledger. EUNAVAILABLE when it cannot record.
func (s *Server) recordReviews(ctx context.Context, p *tearline.Principal, rvs []*tearline.Review, res []marking.Result) error {
	if s.cfg.Ledger == nil || len(rvs) == 0 {
		return nil
	}
	reqID := requestInfoOf(ctx).id
	rec := make([]ledger.Disclosure, len(rvs))
	for i, rv := range rvs {
		rec[i] = ledger.Disclosure{Org: p.Org.ID, Key: p.KeyID, Collection: rv.CollectionID, Path: ledgerPathReview,
			Request: reqID, Object: rv.ObjectID, Version: rv.Version, Decision: res[i].Decision, TLP: res[i].TLP,
			Classification: res[i].Classification, Reason: res[i].Reason}
	}
	return s.disclose(ctx, ledgerPathReview, rec)
}

// listReviews handles GET /api/v1/review/[?status=pending&collection=C]:
// the reviews of the collections the caller may review (all for an
// admin), oldest first, without their objects.
func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	ctx := r.Context()
	q := r.URL.Query()
	f := tearline.ReviewFilter{Status: q.Get("status"), StatusID: q.Get("status_id")}
	switch f.Status {
	case "", tearline.ReviewPending, tearline.ReviewApproved, tearline.ReviewRejected:
	default:
		return tearline.Errorf(tearline.EINVALID, "status %q is not one of %s, %s, %s", f.Status,
			tearline.ReviewPending, tearline.ReviewApproved, tearline.ReviewRejected)
	}
	if key := q.Get("collection"); key != "" {
		c, err := s.b.FindCollection(ctx, key)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			return tearline.Errorf(tearline.ENOTFOUND, "no collection %q", key)
		} else if err != nil {
			return err
		}
		f.CollectionID = c.ID
	}
	rvs, err := s.b.ListReviews(ctx, f)
	if err != nil {
		return err
	}
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return err
	}
	res := struct {
		Reviews []reviewJSON `json:"reviews"`
	}{Reviews: []reviewJSON{}}
	var shown []*tearline.Review
	var decisions []marking.Result
	for _, rv := range rvs {
		g, ok := mayReview(p, grants, rv.CollectionID)
		if !ok {
			continue
		}
		j, d := s.reviewOf(s.recipient(p, readView(nil, g)), rv, false)
		res.Reviews = append(res.Reviews, j)
		shown, decisions = append(shown, rv), append(decisions, d)
	}
	if err := s.recordReviews(ctx, p, shown, decisions); err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

// review returns the review named in the request path and p's grant on
// its collection. ENOTFOUND when there is none p may review.
func (s *Server) review(r *http.Request, p *tearline.Principal) (*tearline.Review, tearline.Grant, error) {
	id := r.PathValue("review")
	notFound := tearline.Errorf(tearline.ENOTFOUND, "no review %q in a collection your organization may review", id)
	rv, err := s.b.FindReview(r.Context(), id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Grant{}, notFound
	} else if err != nil {
		return nil, tearline.Grant{}, err
	}
	grants, err := s.grants(r.Context(), p.Org.ID)
	if err != nil {
		return nil, tearline.Grant{}, err
	}
	g, ok := mayReview(p, grants, rv.CollectionID)
	if !ok {
		return nil, tearline.Grant{}, notFound
	}
	return rv, g, nil
}

// getReview handles GET /api/v1/review/{id}/: the review with the held
// object and its findings (path, byte offsets in the decoded string, and
// kind), as the access decision lets the caller see them.
func (s *Server) getReview(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	rv, g, err := s.review(r, p)
	if err != nil {
		return err
	}
	j, d := s.reviewOf(s.recipient(p, readView(nil, g)), rv, true)
	if err := s.recordReviews(r.Context(), p, []*tearline.Review{rv}, []marking.Result{d}); err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, j)
	return nil
}

// approveReview handles POST /api/v1/review/{id}/approve/ with an optional
// body {"action": "as-is"|"redact"|"edit", "object": {...}, "reason"}: no
// body approves the object as submitted; an object means "edit".
func (s *Server) approveReview(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	var req struct {
		Action string          `json:"action"`
		Object json.RawMessage `json:"object"`
		Reason string          `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	d := ReviewDecision{Approve: true, Reason: req.Reason}
	switch req.Action {
	case "", tearline.ApproveAsIs:
		d.Action = tearline.ApproveAsIs
		if len(req.Object) > 0 && string(req.Object) != "null" {
			d.Action = tearline.ApproveEdited
		}
	case "redact", tearline.ApproveRedacted:
		d.Action = tearline.ApproveRedacted
	case "edit", tearline.ApproveEdited:
		d.Action = tearline.ApproveEdited
	default:
		return tearline.Errorf(tearline.EINVALID, "action %q is not one of as-is, redact, edit", req.Action)
	}
	if d.Action == tearline.ApproveEdited {
		if len(req.Object) == 0 || string(req.Object) == "null" {
			return tearline.Errorf(tearline.EINVALID, "action edit needs the edited object in \"object\"")
		}
		d.Object = bytes.Clone(req.Object)
	} else if len(req.Object) > 0 && string(req.Object) != "null" {
		return tearline.Errorf(tearline.EINVALID, "an object is given only with action edit, not %s", req.Action)
	}
	return s.decideReview(w, r, p, d)
}

// rejectReview handles POST /api/v1/review/{id}/reject/ with the body
// {"reason"}.
func (s *Server) rejectReview(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	return s.decideReview(w, r, p, ReviewDecision{Reason: req.Reason})
}

func (s *Server) decideReview(w http.ResponseWriter, r *http.Request, p *tearline.Principal, d ReviewDecision) error {
	if err := checkParams(r); err != nil {
		return err
	}
	// Who may see it at all is checked first, so that a review outside
	// the caller's collections is a 404 like any unknown one.
	if _, _, err := s.review(r, p); err != nil {
		return err
	}
	ctx := context.WithoutCancel(r.Context())
	rv, err := decideReview(ctx, s.b, s.policy, s.scores, r.PathValue("review"), p, d)
	if err != nil {
		return err
	}
	s.logger(ctx).Info("held object decided", "review", rv.ID, "status", rv.Status, "decision", rv.Decision,
		"collection", rv.CollectionID, "object", rv.ObjectID, "stored", rv.Stored)
	if rv.Stored {
		s.approvedSubmission(ctx, rv)
	}
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return err
	}
	g, _ := mayReview(p, grants, rv.CollectionID)
	j, res := s.reviewOf(s.recipient(p, readView(nil, g)), rv, true)
	if err := s.recordReviews(ctx, p, []*tearline.Review{rv}, []marking.Result{res}); err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, j)
	return nil
}

// ReviewDecision is an analyst's decision on a held object.
type ReviewDecision struct {
	// Approve approves (stores) the object; false rejects it.
	Approve bool
	// Action says what an approval stores: tearline.ApproveAsIs (the
	// object as submitted; the default), ApproveRedacted (every finding
	// replaced by [REDACTED:kind]) or ApproveEdited (Object).
	Action string
	// Object is the analyst's edited object for ApproveEdited: it must
	// keep the held object's id, be valid STIX, pass the marking check for
	// the submitter, and hold no personal data the collection's policy
	// finds.
	Object []byte
	// Reason explains a rejection (required) or notes an approval.
	Reason string
}

// DecideReview decides the held object of review id on behalf of decider:
// an API key with role analyst or higher, not the key that submitted the
// object, of an organization with a write grant on the review's collection
// that the access decision lets see the held object whole (else a reviewer
// of an organization cleared for it must decide).
//
// The decision is taken in the store before the object is stored, so of
// two deciders racing exactly one wins and the other gets ECONFLICT; a
// rejected object is never stored. An approval fixes the bytes to store
// (as submitted, redacted or edited, checked first: valid STIX, the
// marking check for the submitter's organization, and for an edited object
// no personal data found again), then ingests them into the collection
// with the collection's PII policy set aside, and records the outcome,
// which the submission's TAXII status shows in place of its pending
// detail. The approving key approving again a review whose object was not
// stored (the server stopped, the store failed) finishes storing it. It
// returns the decided review.
//
// ENOTFOUND for an unknown review; ECONFLICT when it was decided already;
// EFORBIDDEN when decider may not decide it; EINVALID for a rejection
// without a reason, or an approval whose object does not pass the checks.
func DecideReview(ctx context.Context, b Backend, policy *marking.Policy, id string, decider *tearline.Principal, d ReviewDecision) (*tearline.Review, error) {
	return decideReview(ctx, b, policy, nil, id, decider, d)
}

// decideReview is DecideReview; scorer, when set, scores an approved
// object as it is stored, as a submission's objects are.
func decideReview(ctx context.Context, b Backend, policy *marking.Policy, scorer *score.Engine, id string, decider *tearline.Principal, d ReviewDecision) (*tearline.Review, error) {
	rv, err := b.FindReview(ctx, id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no review %q", id)
	} else if err != nil {
		return nil, err
	}
	if err := checkReviewer(ctx, b, policy, rv, decider); err != nil {
		return nil, err
	}
	// Only the decider finishes its own interrupted approval: another
	// analyst racing it must not be told that its own decision was taken.
	resume := d.Approve && rv.Status == tearline.ReviewApproved && rv.Finished.IsZero() && rv.DeciderKey == decider.KeyID
	if rv.Status != tearline.ReviewPending && !resume {
		return nil, tearline.Errorf(tearline.ECONFLICT, "review %s was %s already (by key %s)", rv.ID, rv.Status, rv.DeciderKey)
	}
	if !d.Approve {
		if d.Reason == "" {
			return nil, tearline.Errorf(tearline.EINVALID, "a rejection needs a reason, which the submitter's status shows")
		}
		rv.Status, rv.Reason, rv.DeciderKey = tearline.ReviewRejected, d.Reason, decider.KeyID
		if err := b.DecideReview(ctx, rv); err != nil {
			return nil, err
		}
		return rv, nil
	}
	if !resume {
		approved, err := approvedBytes(ctx, b, policy, rv, d)
		if err != nil {
			return nil, err
		}
		rv.Status, rv.Decision, rv.Approved, rv.Reason, rv.DeciderKey =
			tearline.ReviewApproved, d.Action, approved, d.Reason, decider.KeyID
		if err := b.DecideReview(ctx, rv); err != nil {
			return nil, err
		}
	}
	if err := storeApproved(ctx, b, policy, scorer, rv); err != nil {
		return nil, fmt.Errorf("review %s is approved but its object was not stored (approve it again to finish): %w", rv.ID, err)
	}
	return rv, nil
}

// checkReviewer returns the error that keeps decider from deciding rv, or
// nil.
func checkReviewer(ctx context.Context, b Backend, policy *marking.Policy, rv *tearline.Review, decider *tearline.Principal) error {
	switch {
	case decider == nil || decider.Org == nil:
		return tearline.Errorf(tearline.EFORBIDDEN, "a held object is decided by an analyst's API key")
	case !decider.Role.AtLeast(tearline.RoleAnalyst):
		return tearline.Errorf(tearline.EFORBIDDEN, "deciding a held object needs role %q or higher; key %s has role %q", tearline.RoleAnalyst, decider.KeyID, decider.Role)
	case rv.SubmitterKey != "" && decider.KeyID == rv.SubmitterKey:
		return tearline.Errorf(tearline.EFORBIDDEN, "key %s submitted the object of review %s: another analyst must decide", decider.KeyID, rv.ID)
	}
	grants, err := b.OrgGrants(ctx, decider.Org.ID)
	if err != nil {
		return err
	}
	if !grants[rv.CollectionID].Write {
		return tearline.Errorf(tearline.EFORBIDDEN, "organization %s may not write collection %s, which holds review %s", decider.Org.ID, rv.CollectionID, rv.ID)
	}
	r := marking.MemberRecipient(decider.Org)
	r.CollectionReader = true
	if res := policy.Decide(r, rv.Raw); res.Decision != marking.Whole {
		return tearline.Errorf(tearline.EFORBIDDEN, "the markings of the object of review %s do not let your organization see all of it (%s): a reviewer of an organization cleared for it must decide", rv.ID, res.Decision)
	}
	return nil
}

// reviewSubmitter returns the recipient that the marking check of a held
// object's approval applies: its submitting organization, or an operator
// cleared to the top level for an import without a source.
func reviewSubmitter(ctx context.Context, b Backend, policy *marking.Policy, orgID string) (*marking.Recipient, error) {
	if orgID == "" {
		levels := policy.Levels()
		return &marking.Recipient{Clearance: levels[len(levels)-1]}, nil
	}
	return recipientOf(ctx, b, orgID)
}

// approvedBytes returns the object an approval stores, checked.
func approvedBytes(ctx context.Context, b Backend, policy *marking.Policy, rv *tearline.Review, d ReviewDecision) ([]byte, error) {
	var raw []byte
	switch d.Action {
	case tearline.ApproveAsIs:
		raw = rv.Raw
	case tearline.ApproveRedacted:
		fs, err := ingest.PIIFindings(rv.Findings)
		if err != nil {
			return nil, fmt.Errorf("review %s: %w", rv.ID, err)
		}
		if raw, _, err = pii.Redact(rv.Raw, fs); err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "the object of review %s cannot be redacted: %s; approve an edited copy", rv.ID, tearline.ErrorMessage(err))
		}
	case tearline.ApproveEdited:
		raw = d.Object
	default:
		return nil, tearline.Errorf(tearline.EINVALID, "an approval is %s, %s or %s, not %q", tearline.ApproveAsIs, tearline.ApproveRedacted, tearline.ApproveEdited, d.Action)
	}
	obj, issues := stix.ValidateObject(raw, "object")
	if obj == nil {
		return nil, tearline.Errorf(tearline.EINVALID, "the object to approve is not valid STIX 2.1: %s", issuesText(issues.Errors(), 2000))
	}
	if obj.ID != rv.ObjectID {
		return nil, tearline.Errorf(tearline.EINVALID, "the edited object has id %s; it must keep the held object's id %s", obj.ID, rv.ObjectID)
	}
	if d.Action == tearline.ApproveEdited {
		pol, err := b.PIIPolicy(ctx, rv.CollectionID)
		if err != nil {
			return nil, err
		}
		fs, err := pii.ScanObject(raw, pii.Options{FlagIdentifiers: pol.FlagIdentifiers || flagsIdentifiers(rv.Findings)})
		if err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "the edited object cannot be scanned: %v", err)
		}
		if len(fs) > 0 {
			var spans []string
			for _, f := range fs {
				spans = append(spans, ingest.PIIArg(f.Path, f.Kind.String(), f.End-f.Start))
			}
			return nil, tearline.Errorf(tearline.EINVALID, "the edited object still holds personal data: %s; remove it, or approve with action redact", strings.Join(spans, " "))
		}
	}
	submitter, err := reviewSubmitter(ctx, b, policy, rv.SubmitterOrg)
	if err != nil {
		return nil, err
	}
	if err := policy.Check(submitter, raw); err != nil {
		return nil, tearline.Errorf(tearline.ErrorCode(err), "the object to approve is refused by the marking check: %s", tearline.ErrorMessage(err))
	}
	return raw, nil
}

// storeApproved ingests the approved object of rv into its collection,
// with the collection's PII policy set aside, and records the outcome. A
// store failure is returned with nothing recorded.
func storeApproved(ctx context.Context, b Backend, policy *marking.Policy, scorer *score.Engine, rv *tearline.Review) error {
	submitter, err := reviewSubmitter(ctx, b, policy, rv.SubmitterOrg)
	if err != nil {
		return err
	}
	var out *ingest.Outcome
	opts := ingest.Options{
		PII:       &tearline.PIIPolicy{Action: tearline.PIINone},
		Policy:    policy,
		Submitter: submitter,
		Source:    rv.SubmitterOrg,
		Scorer:    scorer,
		OnObject:  func(o *ingest.Outcome) { out = o },
	}
	if idx, ok := b.(tearline.Observables); ok {
		opts.Observables = idx
	}
	env := append(append([]byte(`{"objects":[`), rv.Approved...), "]}"...)
	_, err = ingest.Envelope(ctx, b, rv.CollectionID, bytes.NewReader(env), opts)
	stored, result := false, ""
	switch {
	case tearline.ErrorCode(err) == tearline.ENOTFOUND:
		result = "the collection was deleted before the object was stored"
	case err != nil:
		return err
	case out == nil:
		return fmt.Errorf("review %s: ingest reported nothing", rv.ID)
	case out.Stored():
		stored = true
		ws := []ingest.Warning{{Code: ingest.WarnPIIApproved, Args: []string{rv.Decision}}}
		if rv.Decision == tearline.ApproveRedacted {
			ws = append(ws, ingest.FindingsWarning(ingest.WarnPIIRedacted, nil, rv.Findings))
		}
		result = ingest.FormatWarnings(append(ws, out.Warnings...))
	default:
		result = "approved in review but not stored: " + issuesText(out.Issues.Errors(), 1000)
	}
	if err := b.FinishReview(ctx, rv.ID, stored, result); err != nil {
		return err
	}
	rv.Stored, rv.Result, rv.Finished = stored, result, time.Now().UTC()
	return nil
}

// withReviews moves the pending details of st that reviews have decided to
// its successes (stored after approval, with the review's receipt) or
// failures (rejected, with the reason, or not stored), and completes st
// when nothing is left pending.
func (s *Server) withReviews(ctx context.Context, st *tearline.Status) error {
	if len(st.Pendings) == 0 {
		return nil
	}
	rvs, err := s.b.ListReviews(ctx, tearline.ReviewFilter{StatusID: st.ID})
	if err != nil {
		return err
	}
	for _, rv := range rvs {
		i := slices.IndexFunc(st.Pendings, func(d tearline.StatusDetail) bool {
			return d.ID == rv.ObjectID && d.Version == rv.Version
		})
		if i < 0 {
			continue
		}
		d := st.Pendings[i]
		switch {
		case rv.Status == tearline.ReviewRejected:
			d.Message = "rejected in review: " + rv.Reason
			st.Failures = append(st.Failures, d)
		case rv.Status == tearline.ReviewApproved && !rv.Finished.IsZero():
			d.Message = rv.Result
			if rv.Stored {
				st.Successes = append(st.Successes, d)
			} else {
				st.Failures = append(st.Failures, d)
			}
		default:
			continue // still pending
		}
		st.Pendings = slices.Delete(st.Pendings, i, i+1)
	}
	if st.TotalCount-len(st.Successes)-len(st.Failures) <= 0 {
		st.Status = tearline.StatusComplete
	}
	return nil
}

// afterProcessing returns the status of a submission whose objects have
// all been processed: complete, unless some are held for review.
func afterProcessing(st *tearline.Status) string {
	if len(st.Pendings) > 0 {
		return tearline.StatusPending
	}
	return tearline.StatusComplete
}

// updateCollection handles PATCH /api/v1/collections/{collection}/ with
// {"pii": "none"|"redact"|"review"|"reject", "pii_identifiers": bool}:
// the collection's PII policy; a field left out keeps its value.
func (s *Server) updateCollection(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	key := r.PathValue("collection")
	c, err := s.b.FindCollection(r.Context(), key)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return tearline.Errorf(tearline.ENOTFOUND, "no collection %q (give its id or alias)", key)
	} else if err != nil {
		return err
	}
	var req struct {
		PII            *string `json:"pii"`
		PIIIdentifiers *bool   `json:"pii_identifiers"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.setPIIPolicy(r.Context(), c.ID, req.PII, req.PIIIdentifiers); err != nil {
		return err
	}
	j, err := s.adminCollection(r, c)
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, j)
	return nil
}

// setPIIPolicy changes the given parts of a collection's PII policy.
func (s *Server) setPIIPolicy(ctx context.Context, collectionID string, action *string, identifiers *bool) error {
	if action == nil && identifiers == nil {
		return nil
	}
	pol, err := s.b.PIIPolicy(ctx, collectionID)
	if err != nil {
		return err
	}
	if action != nil {
		if pol.Action, err = tearline.ParsePIIAction(*action); err != nil {
			return err
		}
	}
	if identifiers != nil {
		pol.FlagIdentifiers = *identifiers
	}
	if err := s.b.SetPIIPolicy(ctx, collectionID, pol); err != nil {
		return err
	}
	s.logger(ctx).Info("collection PII policy set", "collection", collectionID, "pii", pol.Action, "pii_identifiers", pol.FlagIdentifiers)
	return nil
}

// piiJSON is a collection's PII policy in the admin API.
type piiJSON struct {
	Action          tearline.PIIAction `json:"action"`
	FlagIdentifiers bool               `json:"flag_identifiers"`
}
