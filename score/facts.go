package score

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/tearline/tearline"
)

// FalsePositiveProperty is the custom property that marks a sighting as a
// false-positive report: "x_tearline_false_positive": true.
const FalsePositiveProperty = "x_tearline_false_positive"

// Facts are what scoring reads from an object's own bytes.
type Facts struct {
	Type, ID  string
	CreatedBy string
	// Stated is the confidence property; -1 when absent.
	Stated     int
	Features   Features // from the object's own properties
	ValidUntil time.Time
	Revoked    bool
	// Links are what a sighting, opinion or relationship says about other
	// objects' scores. A version that no longer says it (revoked, or an
	// opinion that does not disagree) gives links with an empty Kind,
	// which remove what an earlier version said.
	Links []tearline.ScoreLink
}

// Scored reports whether objects of type typ get scores: every object but
// relationships, sightings and the meta objects (marking definitions,
// language content, extension definitions).
func Scored(typ string) bool {
	switch typ {
	case "relationship", "sighting", "marking-definition", "language-content", "extension-definition":
		return false
	}
	return typ != ""
}

// typeOf returns the type part of a STIX id.
func typeOf(id string) string {
	t, _, _ := strings.Cut(id, "--")
	return t
}

// rawFacts are the members Analyze reads.
type rawFacts struct {
	modified, created, lastSeen, firstSeen string
	sightingOf, sourceRef, targetRef       string
	opinion                                string
	objectRefs                             []string
	falsePositive                          bool
}

// Analyze reads the facts of a stored (validated) object. The error is for
// bytes that are not a JSON object.
func Analyze(raw []byte) (*Facts, error) {
	f := &Facts{Stated: -1}
	var rf rawFacts
	err := eachMember(raw, func(name, v []byte) {
		var dst *string
		switch string(name) {
		case "type":
			dst = &f.Type
		case "id":
			dst = &f.ID
		case "created_by_ref":
			dst = &f.CreatedBy
		case "modified":
			dst = &rf.modified
		case "created":
			dst = &rf.created
		case "last_seen":
			dst = &rf.lastSeen
		case "first_seen":
			dst = &rf.firstSeen
		case "sighting_of_ref":
			dst = &rf.sightingOf
		case "source_ref":
			dst = &rf.sourceRef
		case "target_ref":
			dst = &rf.targetRef
		case "opinion":
			dst = &rf.opinion
		case "valid_until":
			if s, ok := text(v); ok {
				f.ValidUntil, _ = time.Parse(time.RFC3339Nano, s)
			}
		case "description":
			if n := textLen(v); n >= LongDescriptionLen {
				f.Features |= LongDescription
			} else if n > 0 {
				f.Features |= ShortDescription
			}
		case "confidence":
			if n, err := strconv.Atoi(string(v)); err == nil {
				f.Stated = clamp(n)
			}
		case "revoked":
			f.Revoked = string(v) == "true"
		case FalsePositiveProperty:
			rf.falsePositive = string(v) == "true"
		case "kill_chain_phases":
			if nonEmptyList(v) {
				f.Features |= KillChain
			}
		case "external_references":
			if nonEmptyList(v) {
				f.Features |= ExternalReferences
			}
		case "labels", "indicator_types":
			if nonEmptyList(v) {
				f.Features |= Labels
			}
		case "object_refs":
			// A list that is not of strings leaves no refs: the object was
			// validated, so this is not expected.
			_ = json.Unmarshal(v, &rf.objectRefs)
		}
		if dst != nil {
			*dst, _ = text(v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("score: read object: %w", err)
	}
	f.links(&rf)
	return f, nil
}

// links fills f.Links from what a sighting, opinion or relationship says.
func (f *Facts) links(rf *rawFacts) {
	if f.ID == "" {
		return
	}
	switch f.Type {
	case "sighting":
		if rf.sightingOf == "" {
			return
		}
		l := tearline.ScoreLink{Target: rf.sightingOf, Source: f.ID, Kind: tearline.LinkSighting}
		if rf.falsePositive {
			l.Kind = tearline.LinkFalsePositive
		}
		for _, ts := range []string{rf.lastSeen, rf.firstSeen, rf.modified, rf.created} {
			if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
				l.Time = t
				break
			}
		}
		if f.Revoked {
			l.Kind = ""
		}
		f.Links = append(f.Links, l)
	case "opinion":
		kind := ""
		if !f.Revoked && (rf.opinion == "disagree" || rf.opinion == "strongly-disagree") {
			kind = tearline.LinkFalsePositive
		}
		for _, ref := range rf.objectRefs {
			if ref == "" {
				continue
			}
			f.Links = append(f.Links, tearline.ScoreLink{Target: ref, Source: f.ID, Kind: kind})
		}
	case "relationship":
		kind := tearline.LinkRelated
		if f.Revoked {
			kind = ""
		}
		if t := typeOf(rf.targetRef); rf.sourceRef != "" && Related(t) {
			f.Links = append(f.Links, tearline.ScoreLink{Target: rf.sourceRef, Source: f.ID, Kind: kind, Related: t})
		}
		if t := typeOf(rf.sourceRef); rf.targetRef != "" && Related(t) {
			f.Links = append(f.Links, tearline.ScoreLink{Target: rf.targetRef, Source: f.ID, Kind: kind, Related: t})
		}
	}
}
