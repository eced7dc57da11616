package taxii

import (
	"context"
	"strconv"
	"strings"

	"github.com/tearline/tearline"
)

// The score filters are Tearline's extension of the TAXII match
// parameters on GET objects and manifest:
//
//	match[confidence_gte]=N  objects whose confidence score (package
//	                         score, decay applied at the time of the
//	                         request) is at least N
//	match[context_gte]=N     objects whose context score is at least N
//
// N is an integer from 0 to 100, given once. Objects without scores
// (relationships, sightings, marking definitions, language content,
// extension definitions) never match, as with any match filter on a
// property an object lacks. The store is read page by page in date_added
// order and the entries that pass are kept until the page is full, so a
// selective filter reads further than its page; next continues after the
// last entry returned.

// parseScoreFilter parses the value of a score filter: an integer from 0
// to 100. EINVALID otherwise.
func parseScoreFilter(name, v string) (*int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 100 {
		return nil, tearline.Errorf(tearline.EINVALID, "%s %q must be an integer from 0 to 100", name, v)
	}
	return &n, nil
}

// scoreFiltered reports whether f has a score filter.
func (f *filter) scoreFiltered() bool { return f.minConfidence != nil || f.minContext != nil }

// queryScored is Store.QueryObjects with f's score filters applied: it
// reads pages of q and keeps the entries whose scores pass until it has
// q.Limit of them (all when q.Limit is 0) or the store has no more.
// EINVALID when the filters are given and the store keeps no scores.
func (s *Server) queryScored(ctx context.Context, f *filter, q tearline.ObjectQuery) (*tearline.ObjectPage, error) {
	if !f.scoreFiltered() {
		return s.b.QueryObjects(ctx, q)
	}
	if s.scores == nil {
		return nil, tearline.Errorf(tearline.EINVALID, "this server's store keeps no scores: match[confidence_gte] and match[context_gte] are not available")
	}
	out := &tearline.ObjectPage{}
	for {
		page, err := s.b.QueryObjects(ctx, q)
		if err != nil {
			return nil, err
		}
		objs := make([]*tearline.Object, len(page.Entries))
		for i, e := range page.Entries {
			objs[i] = &e.Object
		}
		results, err := s.scores.Scores(ctx, objs)
		if err != nil {
			return nil, err
		}
		for i, e := range page.Entries {
			r := results[i]
			if r == nil || f.minConfidence != nil && r.Confidence < *f.minConfidence ||
				f.minContext != nil && r.Context < *f.minContext {
				continue
			}
			if q.Limit > 0 && len(out.Entries) == q.Limit {
				// One more passes: the page is full and there is more.
				out.More = true
				return out, nil
			}
			out.Entries = append(out.Entries, e)
		}
		if !page.More || len(page.Entries) == 0 {
			return out, nil
		}
		if q.Limit > 0 && len(out.Entries) == q.Limit {
			// Whether more pass is not known without reading on; saying so
			// costs the client at most one empty page.
			out.More = true
			return out, nil
		}
		q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
	}
}
