package marking

import (
	"fmt"
	"github.com/tearline/tearline"
	"slices"
	"strings"
)

// DefaultLevels is the default ordered list of classification levels, lowest
// first.
var DefaultLevels = []string{"UNCLASSIFIED", "CUI", "CONFIDENTIAL", "SECRET", "TOP SECRET"}

// Options configure a Policy.
type Options struct {
	// Levels orders the classification levels, lowest first; nil means
	// DefaultLevels. Names are compared upper-cased with single spaces.
	Levels []string
	// Unmarked is the TLP level applied to an object that carries no TLP
	// marking of its own (the collection's default); NoTLP means
	// AmberStrict: only the organizations the collection is shared with.
	Unmarked TLP
}

// Policy makes the access decision. It is safe for concurrent use; it reads
// marking definitions from its Definitions as they are added.
type Policy struct {
	defs     *Definitions
	levels   []string
	unmarked TLP
}

// NewPolicy returns a policy reading definitions from defs (nil means only
// the standard TLP definitions). It fails when a level name is empty or
// repeated.
func NewPolicy(defs *Definitions, opts Options) (*Policy, error) {
	if defs == nil {
		defs = NewDefinitions()
	}
	p := &Policy{defs: defs, unmarked: opts.Unmarked}
	if p.unmarked == NoTLP {
		p.unmarked = AmberStrict
	}
	if p.unmarked > Red {
		return nil, fmt.Errorf("marking: unmarked level %d is not a TLP level", p.unmarked)
	}
	levels := opts.Levels
	if levels == nil {
		levels = DefaultLevels
	}
	for _, l := range levels {
		n := normLevel(l)
		if n == "" || slices.Contains(p.levels, n) {
			return nil, fmt.Errorf("marking: classification level %q is empty or repeated", l)
		}
		p.levels = append(p.levels, n)
	}
	return p, nil
}

// Definitions returns the definitions the policy reads.
func (p *Policy) Definitions() *Definitions { return p.defs }

// Levels returns the policy's classification levels, lowest first, in their
// normal form (upper case, single spaces). The slice is a copy.
func (p *Policy) Levels() []string { return slices.Clone(p.levels) }

// level returns the rank of a level name, -1 when unknown.
func (p *Policy) level(name string) int {
	for i, l := range p.levels {
		if l == name {
			return i
		}
	}
	return -1
}

// Recipient is who an object is about to be disclosed to. The identity
// fields come from the organization's profile; the relation fields depend on
// the collection (or other path) the object is read through and are set by
// the caller for each read.
type Recipient struct {
	// OrgID is the identity id of the recipient's organization; "" for an
	// anonymous reader.
	OrgID string
	// Country is an ISO 3166-1 code (alpha-2 or alpha-3); "" when unknown.
	Country string
	// Communities are the groups the organization belongs to, e.g. "FVEY",
	// or ACS organization tokens such as "USA.DHS".
	Communities []string
	// Clearance is a classification level name; "" means none (the lowest
	// level only).
	Clearance string

	// Member: an organization of this server.
	Member bool
	// Peer: another server receiving by federation. A peer counts as a
	// member when Ceiling allows GREEN, never receives more than Ceiling,
	// and never receives originator-controlled content.
	Peer    bool
	Ceiling TLP
	// CollectionReader: the organization holds a read grant on the
	// collection the object is read from (the producer shared with it).
	CollectionReader bool
	// ClientOf: the organization is a client of a collection reader (TLP
	// AMBER allows "and their clients").
	ClientOf bool
	// AnonymousRead: the collection serves anonymous readers; used only when
	// OrgID is "".
	AnonymousRead bool
}

// subject is a recipient prepared for deciding on one object.
type subject struct {
	r          *Recipient
	originator bool
	base       TLP // highest TLP level receivable, not counting Named
	clearance  int
	country    string
	named      int8 // 0 not yet known, 1 named, -1 not named
	raw        []byte
	dist       span
}

func (p *Policy) subject(r *Recipient, raw []byte, t *top) subject {
	s := subject{r: r, raw: raw, dist: t.distribution, clearance: 0}
	if r.Clearance != "" {
		s.clearance = p.level(normLevel(r.Clearance))
	}
	s.country, _ = CanonicalCountry(r.Country)
	if r.OrgID != "" && t.createdBy.present() {
		if cb := raw[t.createdBy.start:t.createdBy.end]; len(cb) == len(r.OrgID)+2 && string(cb[1:len(cb)-1]) == r.OrgID {
			s.originator = true
		} else if str, err := stringAt(raw, t.createdBy); err == nil && str == r.OrgID {
			s.originator = true
		}
	}
	switch {
	case r.OrgID == "":
		if r.AnonymousRead {
			s.base = Clear
		}
	case r.CollectionReader:
		s.base = AmberStrict
	case r.ClientOf:
		s.base = Amber
	case r.Member || r.Peer:
		s.base = Green
	default:
		s.base = Clear
	}
	if r.Peer && s.base > r.Ceiling {
		s.base = r.Ceiling
	}
	return s
}

// isNamed reports whether the recipient is on the object's distribution
// list (x_tearline_distribution).
func (s *subject) isNamed() bool {
	if s.named == 0 {
		s.named = -1
		if s.r.OrgID != "" && s.dist.present() {
			_ = eachString(s.raw, s.dist, func(b []byte) bool {
				if string(b) == s.r.OrgID {
					s.named = 1
					return false
				}
				return true
			})
		}
	}
	return s.named > 0
}

// receives reports whether the recipient may receive content at TLP level t.
func (s *subject) receives(t TLP) bool {
	if s.originator || t <= s.base {
		return true
	}
	// A recipient named on the distribution list may receive the object at
	// any level, up to a peer's ceiling.
	if s.r.Peer && t > s.r.Ceiling {
		return false
	}
	return s.isNamed()
}

// pass decides one marking definition for the subject, returning "" when the
// recipient passes, else why not.
func (p *Policy) pass(s *subject, d *Definition) string {
	if s.originator {
		return ""
	}
	if d.Unknown != "" {
		return "marking " + d.ID + " uses " + d.Unknown + ", which this server cannot interpret"
	}
	if d.TLP != NoTLP && !s.receives(d.TLP) {
		return d.TLP.String() + " does not reach this recipient"
	}
	if d.ORCON && (!s.receives(AmberStrict) || s.r.Peer) {
		return "originator-controlled content goes only to the originator's chosen readers"
	}
	if d.Classification != "" {
		l := p.level(d.Classification)
		if l < 0 {
			return "classification " + d.Classification + " is not a configured level"
		}
		if s.clearance < l {
			return "classified " + d.Classification + ", above the recipient's clearance"
		}
	}
	if len(d.RelTo) > 0 && !s.inRelTo(d.RelTo) {
		return "not releasable to the recipient's country or communities"
	}
	if a := d.ACS; a != nil {
		if s.r.OrgID == "" && !a.Anonymous {
			return "ACS marking does not permit anonymous access"
		}
		if len(a.Nationalities) > 0 && a.Nationalities[0] != "ALL" && (s.country == "" || !slices.Contains(a.Nationalities, s.country)) {
			return "ACS permitted_nationalities excludes the recipient's country"
		}
		if len(a.Organizations) > 0 && a.Organizations[0] != "ALL" && !s.inOrgs(a.Organizations) {
			return "ACS permitted_organizations excludes the recipient"
		}
		if len(a.FurtherSharing) > 0 && s.onward() && !s.furtherSharing(a.FurtherSharing) {
			return "ACS further_sharing does not permit sharing with this recipient"
		}
	}
	return ""
}

// onward reports whether giving the object to the recipient is further
// sharing: to a peer server, or to a client of the collection's readers,
// rather than to the readers the producer shared with.
func (s *subject) onward() bool {
	return s.r.Peer || (s.r.ClientOf && !s.r.CollectionReader)
}

// furtherSharing applies ACS further_sharing rules: the recipient must match
// the scope of a permit rule and of no deny rule. A scope token matches
// "ALL", the recipient's country (alpha-2 or alpha-3), or a community that
// equals it or lies under it (USA.USG admits USA.USG.DHS).
func (s *subject) furtherSharing(rules []FurtherSharing) bool {
	permitted := false
	for _, rule := range rules {
		if !s.inScope(rule.Scope) {
			continue
		}
		switch strings.ToLower(rule.Effect) {
		case "deny":
			return false
		case "permit":
			permitted = true
		}
	}
	return permitted
}

func (s *subject) inScope(scope []string) bool {
	for _, tok := range scope {
		tok = strings.ToUpper(tok)
		if tok == "ALL" {
			return true
		}
		if c, ok := CanonicalCountry(tok); ok && c == s.country {
			return true
		}
		for _, c := range s.r.Communities {
			c = strings.ToUpper(c)
			if c == tok || strings.HasPrefix(c, tok+".") {
				return true
			}
		}
	}
	return false
}

func (s *subject) inRelTo(list []string) bool {
	if s.country != "" && slices.Contains(list, s.country) {
		return true
	}
	for _, c := range s.r.Communities {
		if slices.Contains(list, canonicalAudience(c)) {
			return true
		}
	}
	return false
}

// inOrgs matches ACS organization tokens against the recipient's
// communities; "USA.DHS" admits "USA.DHS" and "USA.DHS.US-CERT".
func (s *subject) inOrgs(list []string) bool {
	for _, c := range s.r.Communities {
		c = strings.ToUpper(c)
		for _, o := range list {
			if c == o || strings.HasPrefix(c, o+".") {
				return true
			}
		}
	}
	return false
}

// MemberRecipient returns organization o of this server as a recipient: the
// identity fields from its profile, and Member set (every organization of
// the server is in its community). Callers set the relation fields of the
// path the object is read through, such as CollectionReader.
func MemberRecipient(o *tearline.Organization) *Recipient {
	return &Recipient{OrgID: o.ID, Country: o.Country, Communities: o.Communities, Clearance: o.Clearance, Member: true}
}
