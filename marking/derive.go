package marking

import (
	"github.com/tearline/tearline"
)

// Level summarizes the object markings of the object raw: its effective TLP
// (the policy's unmarked level when it has no TLP marking), its highest
// classification, and whether it is originator controlled. EINVALID for
// malformed JSON or a reference to an unknown marking definition.
func (p *Policy) Level(raw []byte) (tlp TLP, classification string, orcon bool, err error) {
	t, err := skim(raw)
	if err != nil {
		return NoTLP, "", false, tearline.Errorf(tearline.EINVALID, "not a well-formed JSON object")
	}
	var unknown string
	if t.markingRefs.present() {
		err = eachString(raw, t.markingRefs, func(id []byte) bool {
			d := p.defs.lookupBytes(id)
			if d == nil {
				unknown = string(id)
				return false
			}
			tlp = max(tlp, d.TLP)
			if d.Classification != "" && p.level(d.Classification) > p.level(classification) {
				classification = d.Classification
			}
			orcon = orcon || d.ORCON
			return true
		})
		if err != nil {
			return NoTLP, "", false, tearline.Errorf(tearline.EINVALID, "object_marking_refs is not a list of identifiers")
		}
		if unknown != "" {
			return NoTLP, "", false, tearline.Errorf(tearline.EINVALID, "object_marking_refs references unknown marking definition %s", unknown)
		}
	}
	if tlp == NoTLP {
		tlp = p.unmarked
	}
	return tlp, classification, orcon, nil
}

// CheckDerived refuses a derived object (a tear-line product) whose object
// markings are above those of its source: a stricter TLP, a higher
// classification, or originator control the source does not have. A tear
// line exists to release at the source's marking or lower. Errors are
// *tearline.Error: EINVALID as for Level, EFORBIDDEN for a derived object
// marked above its source.
func (p *Policy) CheckDerived(derived, source []byte) error {
	dt, dc, do, err := p.Level(derived)
	if err != nil {
		return tearline.Errorf(tearline.EINVALID, "the derived object: %s", tearline.ErrorMessage(err))
	}
	st, sc, so, err := p.Level(source)
	if err != nil {
		return tearline.Errorf(tearline.EINVALID, "the source object: %s", tearline.ErrorMessage(err))
	}
	switch {
	case dt > st:
		return tearline.Errorf(tearline.EFORBIDDEN, "the derived object is marked %s, above its source's %s; a tear-line product releases at the source's marking or lower", dt, st)
	case p.level(dc) > p.level(sc):
		return tearline.Errorf(tearline.EFORBIDDEN, "the derived object is classified %s, above its source's %q", dc, sc)
	case do && !so:
		return tearline.Errorf(tearline.EFORBIDDEN, "the derived object is originator controlled and its source is not")
	}
	return nil
}

// ObjectMarkings returns the ids the object raw lists in object_marking_refs
// (nil when it has none), for copying an object's markings onto objects
// made from it. EINVALID for malformed JSON.
func ObjectMarkings(raw []byte) ([]string, error) {
	t, err := skim(raw)
	if err != nil {
		return nil, tearline.Errorf(tearline.EINVALID, "not a well-formed JSON object")
	}
	if !t.markingRefs.present() {
		return nil, nil
	}
	var ids []string
	if err := eachString(raw, t.markingRefs, func(id []byte) bool {
		ids = append(ids, string(id))
		return true
	}); err != nil {
		return nil, tearline.Errorf(tearline.EINVALID, "object_marking_refs is not a list of identifiers")
	}
	return ids, nil
}
