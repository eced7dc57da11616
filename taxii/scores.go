package taxii

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/score"
	"github.com/tearline/tearline/stix"
)

// pathScore is the disclosure ledger's path of score lookups.
const pathScore = "score"

// initScores starts the scoring engine when the backend keeps scores.
func (s *Server) initScores() {
	st, ok := s.b.(tearline.Scores)
	if !ok {
		return
	}
	opts := s.cfg.Score
	if opts.Logger == nil {
		opts.Logger = s.log
	}
	s.scores = score.New(st, opts)
}

// Scores returns the server's scoring engine (nil when the backend keeps
// no scores), for dissemination filters and tests.
func (s *Server) Scores() *score.Engine { return s.scores }

// scoreRoutes registers the score and warning-list routes.
func (s *Server) scoreRoutes(handle func(method, path string, h http.Handler)) {
	handle("GET", "/api/v1/objects/{object}/score/", s.withRole(tearline.RoleReader, "scores", s.getScore))
	handle("GET", "/api/v1/organizations/{org}/reliability/", s.admin(s.getReliability))
	handle("PUT", "/api/v1/organizations/{org}/reliability/", s.admin(s.setReliability))
	handle("DELETE", "/api/v1/organizations/{org}/reliability/", s.admin(s.clearReliability))
	handle("GET", "/api/v1/warninglists/", s.admin(s.listWarningLists))
	handle("GET", "/api/v1/warninglists/{list}/", s.admin(s.getWarningList))
	handle("POST", "/api/v1/warninglists/{list}/", s.admin(s.addWarningEntries))
	handle("DELETE", "/api/v1/warninglists/{list}/", s.admin(s.removeWarningEntries))
}

// engine returns the scoring engine, or EUNAVAILABLE.
func (s *Server) engine() (*score.Engine, error) {
	if s.scores == nil {
		return nil, tearline.Errorf(tearline.EUNAVAILABLE, "this server's store keeps no scores")
	}
	return s.scores, nil
}

// scoreJSON is the answer of GET /api/v1/objects/{id}/score.
type scoreJSON struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	// Confidence is the confidence now, decay applied; ConfidenceBase
	// before decay.
	Confidence     int `json:"confidence"`
	ConfidenceBase int `json:"confidence_base"`
	Context        int `json:"context"`
	// Missing names what the object lacks for a full context score.
	Missing  []string     `json:"missing"`
	Evidence evidenceJSON `json:"evidence"`
	// WarningLists are the object's values on warning lists.
	WarningLists []tearline.WarningHit `json:"warning_lists"`
	// HalfLifeDays is the decay half-life (0: no decay), DecayFrom when
	// decay starts.
	HalfLifeDays float64 `json:"half_life_days"`
	DecayFrom    string  `json:"decay_from,omitempty"`
	ValidUntil   string  `json:"valid_until,omitempty"`
	Revoked      bool    `json:"revoked"`
	// Computed is when the stored score was last computed; empty when it
	// was computed for this answer.
	Computed string `json:"computed,omitempty"`
	AsOf     string `json:"as_of"`
}

// evidenceJSON is what the confidence rests on. The source's
// reliability is left out: it is the administrators' rating of another
// organization.
type evidenceJSON struct {
	// Stated is the object's confidence property; null when absent.
	Stated         *int `json:"stated"`
	Sources        int  `json:"corroborating_sources"`
	Sightings      int  `json:"sightings"`
	FalsePositives int  `json:"false_positives"`
}

// scoreTime formats a time of a score answer; "" for the zero time.
func scoreTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// getScore answers GET /api/v1/objects/{id}/score[?version=V] for any
// caller whose organization may receive the object (the latest version it
// may receive, or the given version): the same access decision as TAXII
// reads, recorded in the disclosure ledger (path score). An object the
// caller may not receive is the same 404 as one that does not exist.
// Scores aggregate evidence the caller may not see itself (counts of
// corroborating organizations and sightings, never who or what); context
// from the object's own properties is read from what the caller receives.
func (s *Server) getScore(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	eng, err := s.engine()
	if err != nil {
		return err
	}
	id, err := objectID(r)
	if err != nil {
		return err
	}
	versions := []string{tearline.VersionLast}
	for name, vs := range r.URL.Query() {
		if name != "version" || len(vs) != 1 {
			return tearline.Errorf(tearline.EINVALID, "the score takes one optional parameter, version (a timestamp)")
		}
		if _, _, err := stix.ParseTimestamp(vs[0]); err != nil {
			return tearline.Errorf(tearline.EINVALID, "version %q is not a timestamp such as 2024-01-31T12:00:00.000Z", vs[0])
		}
		versions = vs
	}
	e, res, _, err := s.visibleVersion(r.Context(), p, id, versions, pathScore)
	if err != nil {
		return err
	}
	sc, err := eng.Score(r.Context(), &e.Object)
	if err != nil {
		return err
	}
	if sc == nil {
		return tearline.Errorf(tearline.ENOTFOUND, "objects of type %s have no score", e.Type)
	}
	if res.Decision == marking.Redacted {
		// Context from what the caller receives, not what it does not.
		if f, err := score.Analyze(res.Raw); err == nil {
			sc.Own = f.Features
			sc.Context, sc.Missing = score.Context(sc.Own|sc.Related), score.Missing(sc.Own|sc.Related)
		}
	}
	writeAdmin(w, http.StatusOK, scoreResult(sc, entryVersion(e), eng.Now()))
	return nil
}

// scoreResult returns the JSON of a score.
func scoreResult(sc *score.Result, version string, now time.Time) scoreJSON {
	j := scoreJSON{
		ID: sc.ID, Version: version, Confidence: sc.Confidence, ConfidenceBase: sc.Base, Context: sc.Context,
		Missing: sc.Missing, WarningLists: sc.Warnings,
		Evidence: evidenceJSON{Sources: sc.Evidence.Sources, Sightings: sc.Evidence.Sightings,
			FalsePositives: sc.Evidence.FalsePositives},
		HalfLifeDays: sc.Timing.HalfLife.Hours() / 24,
		DecayFrom:    scoreTime(sc.Timing.Reference),
		ValidUntil:   scoreTime(sc.Timing.ValidUntil),
		Revoked:      sc.Timing.Revoked,
		Computed:     scoreTime(sc.Computed),
		AsOf:         scoreTime(now),
	}
	if sc.Evidence.Stated >= 0 {
		stated := sc.Evidence.Stated
		j.Evidence.Stated = &stated
	}
	if j.Missing == nil {
		j.Missing = []string{}
	}
	if j.WarningLists == nil {
		j.WarningLists = []tearline.WarningHit{}
	}
	return j
}

// visibleVersion returns the latest of the versions of object id selected
// by versions that a collection p's organization reads holds and the
// access decision lets it receive, with the decision, recorded in the
// disclosure ledger under path, and the collections holding a version p
// may receive. ENOTFOUND when there is none, as for an object that does
// not exist.
func (s *Server) visibleVersion(ctx context.Context, p *tearline.Principal, id string, versions []string, path string) (*tearline.Entry, marking.Result, []string, error) {
	notFound := tearline.Errorf(tearline.ENOTFOUND, "no object %s in the collections your organization may read", id)
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return nil, marking.Result{}, nil, err
	}
	var (
		best    *tearline.Entry
		bestRes marking.Result
		bestCol string
		cols    []string
	)
	for colID, g := range grants {
		if !g.Read {
			continue
		}
		page, err := s.b.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: colID, IDs: []string{id}, Versions: versions})
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			continue // the collection was deleted meanwhile
		} else if err != nil {
			return nil, marking.Result{}, nil, err
		}
		c := readView(&tearline.Collection{ID: colID}, g)
		held := false
		for _, e := range page.Entries {
			res := s.release(s.recipient(p, c), c, e)
			if res.Decision == marking.Withhold {
				continue
			}
			held = true
			if best == nil || e.Version.After(best.Version) {
				best, bestRes, bestCol = e, res, colID
			}
		}
		if held {
			cols = append(cols, colID)
		}
	}
	if best == nil {
		return nil, marking.Result{}, nil, notFound
	}
	err = s.disclose(ctx, path, []ledger.Disclosure{{
		Org: p.Org.ID, Key: p.KeyID, Collection: bestCol, Path: path, Request: requestInfoOf(ctx).id,
		Object: best.ID, Version: entryVersion(best), Decision: bestRes.Decision, TLP: bestRes.TLP,
		Classification: bestRes.Classification, Reason: bestRes.Reason,
	}})
	if err != nil {
		return nil, marking.Result{}, nil, err
	}
	slices.Sort(cols)
	return best, bestRes, cols, nil
}
