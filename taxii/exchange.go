package taxii

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/tearline/tearline"
)

// exchange is the server's record of two-way exchanges (package-level
// design: see the README section "Two-way exchange"): partners'
// submissions with their triage, feedback on objects, and reading
// activity. Its methods do nothing when the backend keeps no exchanges.
type exchange struct {
	st tearline.Exchanges // nil when the backend keeps none

	mu       sync.Mutex
	activity map[activityKey]*tearline.Activity // not yet stored
	flushed  time.Time
	// flushing is held while counts are being stored, so that a flush
	// returns only once every count taken before it is stored.
	flushing sync.Mutex
}

type activityKey struct {
	org string
	day time.Time
}

// activityFlush is how often reading activity counted in memory is
// stored; metrics answers store it first, so that they count every read.
const activityFlush = 10 * time.Second

// exchanges returns the store of exchanges, or EUNAVAILABLE.
func (s *Server) exchanges() (tearline.Exchanges, error) {
	if s.ex.st == nil {
		return nil, tearline.Errorf(tearline.EUNAVAILABLE, "this server's store keeps no record of exchanges")
	}
	return s.ex.st, nil
}

// hostOrg returns the id of the hosting organization (Config.HostOrg),
// "" when none is configured or it is unknown.
func (s *Server) hostOrg(ctx context.Context) string {
	if s.cfg.HostOrg == "" {
		return ""
	}
	o, err := s.b.FindOrganization(ctx, s.cfg.HostOrg)
	if err != nil {
		return ""
	}
	return o.ID
}

// submitted records what a processed submission means for exchanges: a
// triage record when a partner (any organization but the host) stored
// at least one object, and the references of the feedback objects it
// stored (sightings, opinions, notes, language content). Failures are
// logged: the objects are stored whatever becomes of the record.
func (s *Server) submitted(ctx context.Context, st *tearline.Status) {
	ex := s.ex.st
	if ex == nil || st.OrgID == "" {
		return
	}
	log := s.logger(ctx).With("status", st.ID)
	now := time.Now().UTC().Truncate(time.Microsecond)
	seen := map[string]bool{}
	var ids, feedbackIDs []string
	for _, d := range st.Successes {
		if d.ID == "" || seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		ids = append(ids, d.ID)
		if feedbackType(typeOfID(d.ID)) {
			feedbackIDs = append(feedbackIDs, d.ID)
		}
	}
	if len(ids) > 0 && st.OrgID != s.hostOrg(ctx) {
		sub := &tearline.Submission{ID: st.ID, OrgID: st.OrgID, CollectionID: st.CollectionID, Objects: ids,
			Received: st.RequestTime, Available: now}
		if err := ex.RecordSubmission(ctx, sub); err != nil {
			log.Error("record the submission for triage", "err", err)
		}
	}
	if len(feedbackIDs) == 0 {
		return
	}
	page, err := s.b.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: st.CollectionID, IDs: feedbackIDs,
		Versions: []string{tearline.VersionAll}})
	if err != nil {
		log.Error("read stored feedback", "err", err)
		return
	}
	var fs []*tearline.Feedback
	for _, e := range page.Entries {
		for _, ref := range feedbackRefs(e.Type, e.Raw) {
			fs = append(fs, &tearline.Feedback{ObjectID: e.ID, Type: e.Type, RefID: ref, OrgID: st.OrgID, Created: now})
		}
	}
	if err := ex.RecordFeedback(ctx, fs); err != nil {
		log.Error("record feedback", "err", err)
	}
}

// feedbackType reports whether objects of type typ are recorded as
// feedback on the objects they reference.
func feedbackType(typ string) bool {
	return tearline.CountsAsFeedback(typ) || typ == "language-content"
}

// typeOfID returns the type part of a STIX id.
func typeOfID(id string) string {
	for i := 0; i+1 < len(id); i++ {
		if id[i] == '-' && id[i+1] == '-' {
			return id[:i]
		}
	}
	return ""
}

// feedbackRefs returns the objects a feedback object of type typ is about:
// a sighting's sighting_of_ref, an opinion's or note's object_refs, a
// language-content's object_ref.
func feedbackRefs(typ string, raw []byte) []string {
	var f struct {
		SightingOf string   `json:"sighting_of_ref"`
		ObjectRefs []string `json:"object_refs"`
		ObjectRef  string   `json:"object_ref"`
	}
	if json.Unmarshal(raw, &f) != nil {
		return nil
	}
	var refs []string
	switch typ {
	case "sighting":
		refs = []string{f.SightingOf}
	case "opinion", "note":
		refs = f.ObjectRefs
	case "language-content":
		refs = []string{f.ObjectRef}
	}
	out := refs[:0]
	seen := map[string]bool{}
	for _, r := range refs {
		if r != "" && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// consumed counts that p's organization was answered n objects.
func (s *Server) consumed(p *tearline.Principal, n int) {
	if s.ex.st == nil || p == nil || p.Org == nil {
		return
	}
	now := time.Now().UTC()
	k := activityKey{p.Org.ID, tearline.Day(now)}
	s.ex.mu.Lock()
	if s.ex.activity == nil {
		s.ex.activity = map[activityKey]*tearline.Activity{}
	}
	a := s.ex.activity[k]
	if a == nil {
		a = &tearline.Activity{OrgID: k.org, Day: k.day}
		s.ex.activity[k] = a
	}
	a.Requests++
	a.Objects += n
	due := now.Sub(s.ex.flushed) > activityFlush
	if due {
		s.ex.flushed = now
	}
	s.ex.mu.Unlock()
	if due {
		go s.flushActivity(context.Background())
	}
}

// flushActivity stores the activity counted in memory. On failure the
// counts are kept for the next flush.
func (s *Server) flushActivity(ctx context.Context) error {
	if s.ex.st == nil {
		return nil
	}
	s.ex.flushing.Lock()
	defer s.ex.flushing.Unlock()
	s.ex.mu.Lock()
	as := make([]tearline.Activity, 0, len(s.ex.activity))
	for _, a := range s.ex.activity {
		as = append(as, *a)
	}
	clear(s.ex.activity)
	s.ex.mu.Unlock()
	err := s.ex.st.AddActivity(ctx, as)
	if err != nil {
		s.ex.mu.Lock()
		for _, a := range as {
			k := activityKey{a.OrgID, a.Day}
			if b := s.ex.activity[k]; b != nil {
				b.Requests += a.Requests
				b.Objects += a.Objects
			} else {
				c := a
				s.ex.activity[k] = &c
			}
		}
		s.ex.mu.Unlock()
		s.log.Error("store reading activity", "err", err)
	}
	return err
}

// approvedFeedback records the feedback references of an object stored
// when an analyst approved it in review (a sighting, opinion, note or
// language-content object held by the collection's PII policy).
func (s *Server) approvedFeedback(ctx context.Context, rv *tearline.Review) {
	typ := typeOfID(rv.ObjectID)
	if s.ex.st == nil || !rv.Stored || !feedbackType(typ) {
		return
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var fs []*tearline.Feedback
	for _, ref := range feedbackRefs(typ, rv.Approved) {
		fs = append(fs, &tearline.Feedback{ObjectID: rv.ObjectID, Type: typ, RefID: ref, OrgID: rv.SubmitterOrg, Created: now})
	}
	if err := s.ex.st.RecordFeedback(ctx, fs); err != nil {
		s.logger(ctx).Error("record feedback approved in review", "review", rv.ID, "err", err)
	}
}
