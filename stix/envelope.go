package stix

import (
	"fmt"
	"io"
	"strings"
)

// A TAXII 2.1 envelope ({"more": false, "next": "...", "objects": [...]})
// is read like a bundle: NewEnvelopeReader returns a BundleReader in
// envelope mode, which checks the envelope's own members instead of a
// bundle's, and ReadEnvelope validates its objects like ReadBundle.

// NewEnvelopeReader returns a reader of the TAXII envelope in r. Its Issues
// are envelope-level: a STIX bundle sent in place of an envelope (a "type",
// "id" or "spec_version" member) and a missing, empty or non-list
// "objects" are errors; other members are warnings.
func NewEnvelopeReader(r io.Reader) *BundleReader {
	b := NewBundleReader(r)
	b.envelope = true
	return b
}

// ReadEnvelope is ReadBundle for a TAXII envelope: it validates the objects
// of the envelope in r and calls fn with each result in order, and returns
// the envelope-level issues and the errors ReadBundle returns.
func ReadEnvelope(r io.Reader, fn func(*Result) error) (Issues, error) {
	return readObjects(NewEnvelopeReader(r), fn)
}

// envelopeMember checks an envelope member other than "objects".
func (b *BundleReader) envelopeMember(name string, v *Value) {
	switch name {
	case "more":
		if v.Kind != Bool {
			b.Issues = append(b.Issues, Issue{Path: name, Rule: "envelope-more", Warning: true,
				Message: `envelope property "more" should be a boolean, not ` + describe(v)})
		}
	case "next":
		if v.Kind != String {
			b.Issues = append(b.Issues, Issue{Path: name, Rule: "envelope-next", Warning: true,
				Message: `envelope property "next" should be a string, not ` + describe(v)})
		}
	case "type", "id", "spec_version":
		if !b.Issues.has("envelope-bundle") {
			b.Issues = append(b.Issues, Issue{Path: name, Rule: "envelope-bundle",
				Message: fmt.Sprintf(`this looks like a STIX bundle (it has %s), not a TAXII envelope: send {"objects": [...]} with no "type", "id" or "spec_version"`, quote(name))})
		}
	default:
		b.Issues = append(b.Issues, Issue{Path: name, Rule: "envelope-property", Warning: true,
			Message: fmt.Sprintf("envelope property %s is not defined by TAXII 2.1 and is ignored", quote(name))})
	}
}

// envelopeFinish records a missing "objects" and words the bundle reader's
// findings on "objects" for an envelope.
func (b *BundleReader) envelopeFinish() {
	for i, is := range b.Issues {
		if is.Path == "objects" {
			b.Issues[i].Message = strings.Replace(is.Message, "bundle property", "envelope property", 1)
			if is.Rule == "empty-list" {
				b.Issues[i].Message = `envelope property "objects" is an empty list: there is nothing to add`
			}
		}
	}
	if !b.sawObjects {
		b.Issues = append(b.Issues, Issue{Path: "objects", Rule: "required",
			Message: `required envelope property "objects" is missing: send {"objects": [...]}`})
	}
}

// has reports whether any issue has the rule.
func (is Issues) has(rule string) bool {
	for _, i := range is {
		if i.Rule == rule {
			return true
		}
	}
	return false
}
