package score

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
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

var decoders = sync.Pool{New: func() any { return new(decoder) }}

type decoder struct {
	r   bytes.Reader
	dec *jsontext.Decoder
}

// Analyze reads the facts of a stored (validated) object. The error is for
// bytes that are not a JSON object.
func Analyze(raw []byte) (*Facts, error) {
	d := decoders.Get().(*decoder)
	defer decoders.Put(d)
	d.r.Reset(raw)
	if d.dec == nil {
		d.dec = jsontext.NewDecoder(&d.r)
	} else {
		d.dec.Reset(&d.r)
	}
	f := &Facts{Stated: -1}
	var rf rawFacts
	if err := read(d.dec, f, &rf); err != nil {
		return nil, fmt.Errorf("score: read object: %w", err)
	}
	f.links(&rf)
	return f, nil
}

// read reads the top-level members of an object.
func read(dec *jsontext.Decoder, f *Facts, rf *rawFacts) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '{' {
		return errors.New("not a JSON object")
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		var s *string
		switch name := tok.String(); name {
		case "type":
			s = &f.Type
		case "id":
			s = &f.ID
		case "created_by_ref":
			s = &f.CreatedBy
		case "modified":
			s = &rf.modified
		case "created":
			s = &rf.created
		case "last_seen":
			s = &rf.lastSeen
		case "first_seen":
			s = &rf.firstSeen
		case "sighting_of_ref":
			s = &rf.sightingOf
		case "source_ref":
			s = &rf.sourceRef
		case "target_ref":
			s = &rf.targetRef
		case "opinion":
			s = &rf.opinion
		case "valid_until":
			var v string
			if err := readString(dec, &v); err != nil {
				return err
			}
			f.ValidUntil, _ = time.Parse(time.RFC3339Nano, v)
			continue
		case "description":
			var v string
			if err := readString(dec, &v); err != nil {
				return err
			}
			if n := utf8.RuneCountInString(v); n >= LongDescriptionLen {
				f.Features |= LongDescription
			} else if strings.TrimSpace(v) != "" {
				f.Features |= ShortDescription
			}
			continue
		case "confidence":
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if tok.Kind() == '0' {
				if n, err := tok.Int(); err == nil {
					f.Stated = clamp(int(n))
				}
			}
			continue
		case "revoked", FalsePositiveProperty:
			tok, err := dec.ReadToken()
			if err != nil {
				return err
			}
			if tok.Kind() == 't' {
				if name == "revoked" {
					f.Revoked = true
				} else {
					rf.falsePositive = true
				}
			}
			continue
		case "kill_chain_phases", "external_references", "labels", "indicator_types":
			v, err := dec.ReadValue()
			if err != nil {
				return err
			}
			if nonEmptyArray(v) {
				switch name {
				case "kill_chain_phases":
					f.Features |= KillChain
				case "external_references":
					f.Features |= ExternalReferences
				default:
					f.Features |= Labels
				}
			}
			continue
		case "object_refs":
			v, err := dec.ReadValue()
			if err != nil {
				return err
			}
			// A list that is not of strings leaves no refs: the object was
			// validated, so this is not expected.
			_ = json.Unmarshal(v, &rf.objectRefs)
			continue
		default:
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if err := readString(dec, s); err != nil {
			return err
		}
	}
	return nil
}

// readString reads a value into s when it is a string, and skips it
// otherwise.
func readString(dec *jsontext.Decoder, s *string) error {
	if dec.PeekKind() != '"' {
		return dec.SkipValue()
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	*s = tok.String()
	return nil
}

// nonEmptyArray reports whether v is a JSON array with an element.
func nonEmptyArray(v jsontext.Value) bool {
	b := bytes.TrimLeft(v, " \t\r\n")
	if len(b) == 0 || b[0] != '[' {
		return false
	}
	b = bytes.TrimLeft(b[1:], " \t\r\n")
	return len(b) > 0 && b[0] != ']'
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
