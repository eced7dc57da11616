package marking

import (
	"github.com/tearline/tearline"
)

// Decision is the outcome of the access decision for one recipient and one
// object version.
type Decision uint8

// The decisions.
const (
	// Withhold: the object must not reach the recipient at all.
	Withhold Decision = iota
	// Whole: the object goes as stored, byte for byte.
	Whole
	// Redacted: a copy with the parts the recipient may not see removed goes
	// instead.
	Redacted
)

// String returns "withhold", "whole" or "redacted".
func (d Decision) String() string {
	switch d {
	case Whole:
		return "whole"
	case Redacted:
		return "redacted"
	}
	return "withhold"
}

// Result is the decision with what goes and why. Reason, TLP,
// Classification and Removed are for the server (logs, the disclosure
// ledger) and must not be sent to the recipient.
type Result struct {
	Decision Decision
	// Raw is the bytes to send: the stored object for Whole (not copied), a
	// new redacted copy for Redacted, nil for Withhold.
	Raw []byte
	// Reason says why the object was withheld or redacted.
	Reason string
	// TLP is the object's effective TLP level: the strictest of its object
	// markings, or the policy's unmarked level.
	TLP TLP
	// Classification is the highest classification of its object markings.
	Classification string
	// ORCON is set when an object marking is originator controlled: the
	// recipient may not share the object further, and it never goes to
	// peers.
	ORCON bool
	// Removed counts the selected parts cut from a redacted copy.
	Removed int
}

func withhold(reason string) Result { return Result{Decision: Withhold, Reason: reason} }

// Decide is the one access decision: whether the object raw (a stored STIX
// object version) may go to recipient r, whole or redacted. It never fails:
// anything it cannot interpret (malformed JSON, an unknown marking
// definition, a selector that does not resolve) withholds the object, with
// the reason in Result.Reason.
func (p *Policy) Decide(r *Recipient, raw []byte) Result {
	t, err := skim(raw)
	if err != nil {
		return withhold("the stored object is not a well-formed JSON object")
	}
	s := p.subject(r, raw, &t)
	res := Result{TLP: NoTLP}
	if t.markingRefs.present() {
		var why string
		err := eachString(raw, t.markingRefs, func(id []byte) bool {
			d := p.defs.lookupBytes(id)
			if d == nil {
				if !s.originator {
					why = "object_marking_refs references unknown marking definition " + string(id)
				}
				return true
			}
			res.TLP = max(res.TLP, d.TLP)
			if d.Classification != "" && p.level(d.Classification) > p.level(res.Classification) {
				res.Classification = d.Classification
			}
			res.ORCON = res.ORCON || d.ORCON
			if why == "" {
				why = p.pass(&s, d)
			}
			return true
		})
		if err != nil {
			return withhold("object_marking_refs is not a list of identifiers")
		}
		if why != "" {
			res.Reason = why
			return res
		}
	}
	if res.TLP == NoTLP {
		res.TLP = p.unmarked
		if t.typ == "marking-definition" || t.typ == "extension-definition" {
			// Every recipient needs the definitions to read markings.
			res.TLP = Clear
		}
		if !s.receives(res.TLP) {
			res.Decision = Withhold
			res.Reason = "unmarked: the default " + res.TLP.String() + " does not reach this recipient"
			return res
		}
	}
	if res.ORCON && r.Peer && !s.originator {
		res.Reason = "originator-controlled content never goes to peers"
		return res
	}
	if !t.granular.present() || s.originator {
		res.Decision = Whole
		res.Raw = raw
		return res
	}
	return p.redact(&s, raw, &t, res)
}

// Check is the ingest side of the decision: it refuses an object whose
// markings the server could not enforce or the submitter may not assert.
// Errors are *tearline.Error: EINVALID for malformed JSON or markings,
// unknown marking definitions, definitions the server cannot interpret,
// contradictory object markings (two TLP levels or two classifications),
// granular selectors that do not resolve, originator-controlled content
// without created_by_ref; EFORBIDDEN for content classified above the
// submitter's clearance, and for originator-controlled content that an
// organization other than its originator submits (it may only ask the
// originator for a wider release); ECONFLICT for a marking definition that
// changes a known one (definitions are immutable).
//
// A submitter without OrgID is the operator (tearline import), trusted to
// load originator-controlled content on the originator's behalf.
func (p *Policy) Check(submitter *Recipient, raw []byte) error {
	t, err := skim(raw)
	if err != nil {
		return tearline.Errorf(tearline.EINVALID, "the object is not a well-formed JSON object")
	}
	clearance := 0
	if submitter != nil && submitter.Clearance != "" {
		if clearance = p.level(normLevel(submitter.Clearance)); clearance < 0 {
			return tearline.Errorf(tearline.EFORBIDDEN, "the submitter's clearance %q is not a configured level", submitter.Clearance)
		}
	}
	if t.typ == "marking-definition" {
		def, err := ParseDefinition(raw)
		if err != nil {
			return err
		}
		if err := p.usable(def, "the marking definition"); err != nil {
			return err
		}
		if old := p.defs.Lookup(def.ID); old != nil && old.digest != def.digest {
			if _, std := standardTLP[def.ID]; !std {
				return tearline.Errorf(tearline.ECONFLICT, "marking definition %s is already defined differently; marking definitions cannot be modified", def.ID)
			}
		}
		if def.Classification != "" && p.level(def.Classification) > clearance {
			return tearline.Errorf(tearline.EFORBIDDEN, "the marking definition classifies content %s, above the submitter's clearance", def.Classification)
		}
	}
	if t.markingRefs.present() {
		var tlpSeen TLP
		var classSeen string
		var ferr error
		orcon := false
		i := 0
		err := eachString(raw, t.markingRefs, func(id []byte) bool {
			path := "object_marking_refs[" + itoa(i) + "]"
			i++
			d := p.defs.lookupBytes(id)
			if d == nil {
				ferr = tearline.Errorf(tearline.EINVALID, "%s references marking definition %s, which this server does not know; submit the marking-definition first", path, id)
				return false
			}
			if ferr = p.usable(d, path); ferr != nil {
				return false
			}
			orcon = orcon || d.ORCON
			if d.TLP != NoTLP {
				if tlpSeen != NoTLP && tlpSeen != d.TLP {
					ferr = tearline.Errorf(tearline.EINVALID, "contradictory markings: object_marking_refs holds both %s and %s; give one TLP level", tlpSeen, d.TLP)
					return false
				}
				tlpSeen = d.TLP
			}
			if c := d.Classification; c != "" {
				if classSeen != "" && classSeen != c {
					ferr = tearline.Errorf(tearline.EINVALID, "contradictory markings: object_marking_refs classifies the object both %s and %s; give one classification", classSeen, c)
					return false
				}
				classSeen = c
				if p.level(c) > clearance {
					ferr = tearline.Errorf(tearline.EFORBIDDEN, "%s classifies the object %s, above the submitter's clearance", path, c)
					return false
				}
			}
			return true
		})
		if err != nil {
			return tearline.Errorf(tearline.EINVALID, "object_marking_refs must be a list of marking-definition identifiers")
		}
		if ferr != nil {
			return ferr
		}
		if orcon {
			if err := checkOriginator(submitter, raw, &t, "object_marking_refs"); err != nil {
				return err
			}
		}
	}
	if t.granular.present() {
		return p.checkGranular(submitter, raw, &t, clearance)
	}
	return nil
}

// checkOriginator refuses originator-controlled content (marked so by the
// marking at where) unless the submitter is its originator: the
// organization that created_by_ref names. The operator (no OrgID) passes.
func checkOriginator(submitter *Recipient, raw []byte, t *top, where string) error {
	if !t.createdBy.present() {
		return tearline.Errorf(tearline.EINVALID, "%s marks the object originator-controlled, but it has no created_by_ref naming its originator", where)
	}
	if submitter == nil || submitter.OrgID == "" {
		return nil
	}
	cb, err := stringAt(raw, t.createdBy)
	if err != nil {
		return tearline.Errorf(tearline.EINVALID, "created_by_ref must be an identity identifier")
	}
	if cb != submitter.OrgID {
		return tearline.Errorf(tearline.EFORBIDDEN, "%s marks the object originator-controlled and its originator is %s: only the originator may share it; ask the originator for a wider release (POST /api/v1/releases)", where, cb)
	}
	return nil
}

// usable returns an error when a definition cannot be enforced here.
func (p *Policy) usable(d *Definition, where string) error {
	if d.Unknown != "" {
		return tearline.Errorf(tearline.EINVALID, "%s: marking %s uses %s, which this server cannot interpret or enforce", where, d.ID, d.Unknown)
	}
	if d.Classification != "" && p.level(d.Classification) < 0 {
		return tearline.Errorf(tearline.EINVALID, "%s: marking %s classifies content %s, which is not a configured classification level", where, d.ID, d.Classification)
	}
	return nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
