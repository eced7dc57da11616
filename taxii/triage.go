package taxii

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/limit"
	"github.com/tearline/tearline/marking"
)

// DefaultFeedbackLimit is the per-key limit of the feedback form: a
// sustained one every two seconds, 30 at once.
var DefaultFeedbackLimit = limit.Config{Rate: 0.5, Burst: 30}

// initExchange keeps the backend's record of exchanges, when it has one,
// and the feedback limit.
func (s *Server) initExchange() {
	if st, ok := s.b.(tearline.Exchanges); ok {
		s.ex.st = st
	}
	cfg := s.cfg.FeedbackLimit
	if cfg.Rate == 0 {
		cfg = DefaultFeedbackLimit
	}
	s.feedbackLimit = limit.New(limit.Config{Rate: cfg.Rate, Burst: cfg.Burst})
	s.registerSharing()
}

// exchangeRoutes registers the routes of two-way exchange: feedback,
// triage, the sharing metrics, the directory and translations.
func (s *Server) exchangeRoutes(handle func(method, path string, h http.Handler)) {
	handle("POST", "/api/v1/objects/{object}/feedback/", s.withRole(tearline.RoleContributor, "feedback", s.postFeedback))
	handle("GET", "/api/v1/submissions/", s.withRole(tearline.RoleReader, "submissions", s.listSubmissions))
	handle("GET", "/api/v1/submissions/{submission}/", s.withRole(tearline.RoleReader, "submissions", s.getSubmission))
	handle("POST", "/api/v1/submissions/{submission}/triage/", s.withRole(tearline.RoleAnalyst, "triage", s.setTriage))
	handle("GET", "/api/v1/metrics/sharing/", s.withRole(tearline.RoleAnalyst, "sharing metrics", s.getSharingMetrics))
	handle("GET", "/api/v1/directory/", s.withRole(tearline.RoleReader, "the directory", s.getDirectory))
	handle("PUT", "/api/v1/directory/contacts/", s.withRole(tearline.RoleAnalyst, "changing your organization's contacts", s.putContacts))
	s.translationRoutes(handle)
}

// triager reports whether p may see and move every partner's submission:
// an admin key, or an analyst of the hosting organization.
func (s *Server) triager(ctx context.Context, p *tearline.Principal) bool {
	if p.Role.AtLeast(tearline.RoleAdmin) {
		return true
	}
	host := s.hostOrg(ctx)
	return host != "" && p.Org.ID == host && p.Role.AtLeast(tearline.RoleAnalyst)
}

// submissionJSON is a submission in the API, with its measured times in
// seconds (null until they happen).
type submissionJSON struct {
	ID         string   `json:"id"`
	Org        string   `json:"org"`
	OrgName    string   `json:"org_name,omitempty"`
	Collection string   `json:"collection"`
	Objects    []string `json:"objects"`
	// ObjectsWithheld counts the objects of another organization's
	// submission that the caller may not receive: their ids are not shown.
	ObjectsWithheld int        `json:"objects_withheld,omitempty"`
	State           string     `json:"state"`
	Received        time.Time  `json:"received"`
	Available       time.Time  `json:"available"`
	Acknowledged    *time.Time `json:"acknowledged"`
	FirstFeedback   *time.Time `json:"first_feedback"`
	Updated         time.Time  `json:"updated"`
	UpdatedBy       string     `json:"updated_by,omitempty"`
	Note            string     `json:"note,omitempty"`
	// Seconds from Received to availability, acknowledgement and first
	// feedback.
	ToAvailable     float64  `json:"seconds_to_available"`
	ToAcknowledge   *float64 `json:"seconds_to_acknowledge"`
	ToFirstFeedback *float64 `json:"seconds_to_first_feedback"`
}

// submissionOf returns the JSON of sub.
func submissionOf(sub *tearline.Submission, orgName string) submissionJSON {
	j := submissionJSON{
		ID: sub.ID, Org: sub.OrgID, OrgName: orgName, Collection: sub.CollectionID, Objects: sub.Objects,
		State: sub.State, Received: sub.Received, Available: sub.Available, Updated: sub.Updated,
		UpdatedBy: sub.UpdatedBy, Note: sub.Note, ToAvailable: sub.Available.Sub(sub.Received).Seconds(),
	}
	if j.Objects == nil {
		j.Objects = []string{}
	}
	if !sub.Acknowledged.IsZero() {
		t, d := sub.Acknowledged, sub.Acknowledged.Sub(sub.Received).Seconds()
		j.Acknowledged, j.ToAcknowledge = &t, &d
	}
	if !sub.FirstFeedback.IsZero() {
		t, d := sub.FirstFeedback, sub.FirstFeedback.Sub(sub.Received).Seconds()
		j.FirstFeedback, j.ToFirstFeedback = &t, &d
	}
	return j
}

// orgNames returns the names of organizations by id.
func (s *Server) orgNames(ctx context.Context) (map[string]string, error) {
	orgs, err := s.b.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(orgs))
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	return names, nil
}

// listSubmissions handles GET /api/v1/submissions/[?state=S][&org=O]
// [&limit=N]: a partner sees its own organization's submissions, a
// triager (admin, or analyst of the hosting organization) every
// partner's, newest first.
func (s *Server) listSubmissions(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	ex, err := s.exchanges()
	if err != nil {
		return err
	}
	f := tearline.SubmissionFilter{Limit: 1000}
	for name, vs := range r.URL.Query() {
		v := vs[0]
		switch {
		case len(vs) != 1:
			return tearline.Errorf(tearline.EINVALID, "parameter %s is given %d times; give it once", name, len(vs))
		case name == "state":
			if !tearline.ValidTriageState(v) {
				return tearline.Errorf(tearline.EINVALID, "state %q: want one of %s", v, strings.Join(tearline.TriageStates, ", "))
			}
			f.State = v
		case name == "org":
			o, err := s.b.FindOrganization(r.Context(), v)
			if tearline.ErrorCode(err) == tearline.ENOTFOUND {
				return tearline.Errorf(tearline.EINVALID, "org %q: no such organization", v)
			} else if err != nil {
				return err
			}
			f.OrgID = o.ID
		case name == "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				return tearline.Errorf(tearline.EINVALID, "limit %q: want a number from 1 to 10000", v)
			}
			f.Limit = n
		default:
			return tearline.Errorf(tearline.EINVALID, "unknown parameter %q: submissions take state, org and limit", name)
		}
	}
	if !s.triager(r.Context(), p) {
		if f.OrgID != "" && f.OrgID != p.Org.ID {
			return tearline.Errorf(tearline.EFORBIDDEN, "you may list only your own organization's submissions")
		}
		f.OrgID = p.Org.ID
	}
	subs, err := ex.ListSubmissions(r.Context(), f)
	if err != nil {
		return err
	}
	names, err := s.orgNames(r.Context())
	if err != nil {
		return err
	}
	res := struct {
		Submissions []submissionJSON `json:"submissions"`
	}{Submissions: []submissionJSON{}}
	tv, err := s.triageViewOf(r.Context(), p)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		j := submissionOf(sub, names[sub.OrgID])
		if j.Objects, j.ObjectsWithheld, err = tv.objects(r.Context(), sub); err != nil {
			return err
		}
		res.Submissions = append(res.Submissions, j)
	}
	if err := tv.record(r.Context()); err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

// pathTriage is the disclosure ledger path of the object ids that
// submission listings show to triagers of other organizations.
const pathTriage = "triage"

// triageView shows p the objects of submissions: all of its own
// organization's, and of another's only those p's organization may
// receive from the submission's collection, through the access decision.
type triageView struct {
	s      *Server
	p      *tearline.Principal
	grants map[string]tearline.Grant
	rec    []ledger.Disclosure
}

func (s *Server) triageViewOf(ctx context.Context, p *tearline.Principal) (*triageView, error) {
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	return &triageView{s: s, p: p, grants: grants}, nil
}

// objects returns the ids of sub's objects that the viewer may see, and
// how many it may not.
func (tv *triageView) objects(ctx context.Context, sub *tearline.Submission) ([]string, int, error) {
	if sub.OrgID == tv.p.Org.ID {
		return sub.Objects, 0, nil
	}
	g := tv.grants[sub.CollectionID]
	if !g.Read || len(sub.Objects) == 0 {
		return []string{}, len(sub.Objects), nil
	}
	c := readView(&tearline.Collection{ID: sub.CollectionID}, g)
	rcpt := tv.s.recipient(tv.p, c)
	seen := map[string]bool{}
	const chunk = 500
	for start := 0; start < len(sub.Objects); start += chunk {
		ids := sub.Objects[start:min(start+chunk, len(sub.Objects))]
		page, err := tv.s.b.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: sub.CollectionID, IDs: ids, Versions: []string{tearline.VersionLast}, Limit: len(ids)})
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, 0, err
		}
		for _, e := range page.Entries {
			res := tv.s.release(rcpt, c, e)
			if tv.s.cfg.Ledger != nil {
				tv.rec = append(tv.rec, ledger.Disclosure{
					Org: tv.p.Org.ID, Key: tv.p.KeyID, Collection: sub.CollectionID, Path: pathTriage, Request: requestInfoOf(ctx).id,
					Object: e.ID, Version: entryVersion(e), Decision: res.Decision, TLP: res.TLP,
					Classification: res.Classification, Reason: res.Reason,
				})
			}
			if res.Decision != marking.Withhold {
				seen[e.ID] = true
			}
		}
	}
	out := []string{}
	for _, id := range sub.Objects {
		if seen[id] {
			out = append(out, id)
		}
	}
	return out, len(sub.Objects) - len(out), nil
}

// record writes the decisions to the disclosure ledger. EUNAVAILABLE when
// it cannot: nothing may be shown unrecorded.
func (tv *triageView) record(ctx context.Context) error {
	if err := tv.s.disclose(ctx, pathTriage, tv.rec); err != nil {
		return err
	}
	tv.rec = nil
	return nil
}

// visibleSubmission returns submission id when p may see it: its own
// organization's, or any for a triager. ENOTFOUND otherwise, as for one
// that does not exist.
func (s *Server) visibleSubmission(ctx context.Context, p *tearline.Principal, id string) (*tearline.Submission, error) {
	ex, err := s.exchanges()
	if err != nil {
		return nil, err
	}
	notFound := tearline.Errorf(tearline.ENOTFOUND, "no submission %q of your organization; its id is the id of the TAXII status", id)
	sub, err := ex.FindSubmission(ctx, id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	if sub.OrgID != p.Org.ID && !s.triager(ctx, p) {
		return nil, notFound
	}
	return sub, nil
}

// getSubmission handles GET /api/v1/submissions/{id}/.
func (s *Server) getSubmission(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	sub, err := s.visibleSubmission(r.Context(), p, r.PathValue("submission"))
	if err != nil {
		return err
	}
	names, err := s.orgNames(r.Context())
	if err != nil {
		return err
	}
	tv, err := s.triageViewOf(r.Context(), p)
	if err != nil {
		return err
	}
	j := submissionOf(sub, names[sub.OrgID])
	if j.Objects, j.ObjectsWithheld, err = tv.objects(r.Context(), sub); err != nil {
		return err
	}
	if err := tv.record(r.Context()); err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, j)
	return nil
}

// setTriage handles POST /api/v1/submissions/{id}/triage/ with
// {"state": S, "note": N}: a triager moves a partner's submission.
func (s *Server) setTriage(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	if !s.triager(r.Context(), p) {
		return tearline.Errorf(tearline.EFORBIDDEN, "triage is done by the hosting organization's analysts and by admins")
	}
	var req struct {
		State string `json:"state"`
		Note  string `json:"note"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.State == "":
		return tearline.Errorf(tearline.EINVALID, "state is missing: give one of %s", strings.Join(tearline.TriageStates[1:], ", "))
	case !tearline.ValidTriageState(req.State) || req.State == tearline.TriageReceived:
		return tearline.Errorf(tearline.EINVALID, "state %q: want one of %s", req.State, strings.Join(tearline.TriageStates[1:], ", "))
	case len(req.Note) > 4000:
		return tearline.Errorf(tearline.EINVALID, "note: %d bytes; at most 4000", len(req.Note))
	}
	sub, err := s.visibleSubmission(r.Context(), p, r.PathValue("submission"))
	if err != nil {
		return err
	}
	sub, err = s.ex.st.SetTriage(r.Context(), sub.ID, tearline.TriageChange{State: req.State, By: p.Org.ID, Note: req.Note,
		At: time.Now().UTC().Truncate(time.Microsecond)})
	if err != nil {
		return err
	}
	s.logger(r.Context()).Info("triage", "submission", sub.ID, "state", sub.State)
	names, err := s.orgNames(r.Context())
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, submissionOf(sub, names[sub.OrgID]))
	return nil
}
