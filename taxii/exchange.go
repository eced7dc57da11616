package taxii

import (
	"context"
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

// submitted records a triage record for a processed submission when a
// partner (any organization but the host) stored at least one object.
// Its feedback references were recorded as it was stored (package
// ingest, which every ingest path shares). Failures are logged: the
// objects are stored whatever becomes of the record.
func (s *Server) submitted(ctx context.Context, st *tearline.Status) {
	sub := s.submission(ctx, st)
	if sub == nil {
		return
	}
	if err := s.ex.st.RecordSubmission(ctx, sub); err != nil {
		s.logger(ctx).Error("record the submission for triage", "status", st.ID, "err", err)
	}
}

// submission returns the triage record of a processed submission: nil
// when the backend keeps none, or when the host or no organization made
// it, or it stored nothing.
func (s *Server) submission(ctx context.Context, st *tearline.Status) *tearline.Submission {
	if s.ex.st == nil || st.OrgID == "" {
		return nil
	}
	seen := map[string]bool{}
	var ids []string
	for _, d := range st.Successes {
		if d.ID == "" || seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		ids = append(ids, d.ID)
	}
	if len(ids) == 0 || st.OrgID == s.hostOrg(ctx) {
		return nil
	}
	return &tearline.Submission{ID: st.ID, OrgID: st.OrgID, CollectionID: st.CollectionID, Objects: ids,
		Received: st.RequestTime, Available: time.Now().UTC().Truncate(time.Microsecond)}
}

// approvedSubmission gives the submission of an object stored on
// approval in review a triage record when it has none yet: a partner
// whose every object was held has its submission triaged once one is
// approved. A record that exists already is left as it is (the approved
// object does not join its list). Failures are logged.
func (s *Server) approvedSubmission(ctx context.Context, rv *tearline.Review) {
	ex := s.ex.st
	if ex == nil || rv.StatusID == "" || rv.SubmitterOrg == "" || rv.SubmitterOrg == s.hostOrg(ctx) {
		return
	}
	st, err := s.b.FindStatus(ctx, rv.StatusID)
	if err != nil {
		s.logger(ctx).Error("record the submission of an approved object for triage", "status", rv.StatusID, "err", err)
		return
	}
	sub := &tearline.Submission{ID: st.ID, OrgID: rv.SubmitterOrg, CollectionID: rv.CollectionID, Objects: []string{rv.ObjectID},
		Received: st.RequestTime, Available: time.Now().UTC().Truncate(time.Microsecond)}
	if err := ex.RecordSubmission(ctx, sub); err != nil {
		s.logger(ctx).Error("record the submission of an approved object for triage", "status", rv.StatusID, "err", err)
	}
}

// consumed counts that p's organization was answered n objects.
func (s *Server) consumed(p *tearline.Principal, n int) {
	if p == nil || p.Org == nil {
		return
	}
	s.consumedBy(p.Org.ID, n)
}

// consumedBy counts that organization orgID was answered (or sent) n
// objects.
func (s *Server) consumedBy(orgID string, n int) {
	if s.ex.st == nil {
		return
	}
	now := time.Now().UTC()
	k := activityKey{orgID, tearline.Day(now)}
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
