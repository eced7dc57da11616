package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tearline/tearline"
)

// FeedbackType reports whether objects of type typ are recorded as
// feedback on the objects they reference: sightings, opinions and notes
// (tearline.CountsAsFeedback) and language-content objects.
func FeedbackType(typ string) bool {
	return tearline.CountsAsFeedback(typ) || typ == "language-content"
}

// FeedbackRefs returns the objects a feedback object of type typ is
// about, each once: a sighting's sighting_of_ref, an opinion's or note's
// object_refs, a language-content's object_ref. It returns nil for other
// types and for raw that is not a JSON object.
func FeedbackRefs(typ string, raw []byte) []string {
	if !FeedbackType(typ) {
		return nil
	}
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
	var out []string
	seen := map[string]bool{}
	for _, r := range refs {
		if r != "" && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// Feedback returns the feedback references of the stored objects of a
// batch (Added or Duplicate), attributed to the organization with id org
// at time at. Every ingest path records feedback through it (see
// recordFeedback), so that a sighting counts the same whether it came in
// a TAXII POST, a form, a review approval, from a peer or from a file.
func Feedback(org string, at time.Time, objs []*tearline.Object, added []tearline.AddResult) []*tearline.Feedback {
	var fs []*tearline.Feedback
	for i, o := range objs {
		if s := added[i].Status; s != tearline.Added && s != tearline.Duplicate {
			continue
		}
		for _, ref := range FeedbackRefs(o.Type, o.Raw) {
			fs = append(fs, &tearline.Feedback{ObjectID: o.ID, Type: o.Type, RefID: ref, OrgID: org, Created: at})
		}
	}
	return fs
}

// recordFeedback records the feedback references of a stored batch in the
// store's record of exchanges, when it keeps one and the submission is
// attributed to an organization (Options.Source).
func recordFeedback(ctx context.Context, store tearline.Store, source string, batch []*tearline.Object, added []tearline.AddResult) error {
	ex, ok := store.(tearline.Exchanges)
	if !ok {
		return nil
	}
	fs := feedbackOf(source, batch, added)
	if len(fs) == 0 {
		return nil
	}
	if err := ex.RecordFeedback(ctx, fs); err != nil {
		return fmt.Errorf("ingest: record %d feedback references: %w", len(fs), err)
	}
	return nil
}

// feedbackOf is Feedback now, for a submission attributed to source; none
// for an unattributed one.
func feedbackOf(source string, batch []*tearline.Object, added []tearline.AddResult) []*tearline.Feedback {
	if source == "" {
		return nil
	}
	return Feedback(source, time.Now().UTC().Truncate(time.Microsecond), batch, added)
}
