package normalize

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
	"golang.org/x/text/language"
)

// IdentityPrefix starts the id of every organization: the id of the STIX
// identity that stands for it.
const IdentityPrefix = "identity--"

// OrganizationID returns the canonical form of an organization id,
// "identity--" and a lower-case UUID, or a new random one when id is empty.
// EINVALID when id is not an identity id.
func OrganizationID(id string) (string, error) {
	if id == "" {
		return IdentityPrefix + uuid.NewString(), nil
	}
	s, ok := strings.CutPrefix(id, IdentityPrefix)
	u, err := uuid.Parse(s)
	if !ok || err != nil {
		return "", tearline.Errorf(tearline.EINVALID, "organization id %q is not identity--<uuid>", id)
	}
	return IdentityPrefix + u.String(), nil
}

// OrganizationName returns EINVALID for an empty name and one that starts
// with "identity--", which would be ambiguous with another organization's
// id in FindOrganization.
func OrganizationName(name string) error {
	if strings.TrimSpace(name) == "" {
		return tearline.Errorf(tearline.EINVALID, "organization name is empty")
	}
	if strings.HasPrefix(name, IdentityPrefix) {
		return tearline.Errorf(tearline.EINVALID, "organization name %q must not start with %q", name, IdentityPrefix)
	}
	return nil
}

// Organization returns a copy of o with its profile in canonical form:
// type and sectors lower case and from their vocabularies, the country as
// upper-case ISO 3166-1 alpha-2 (alpha-3 accepted), clearance and
// communities upper case with single spaces, languages (of the organization
// and its contacts) as canonical RFC 5646 tags; repeated list values are
// dropped. EINVALID for a value outside a vocabulary, an unknown country, a
// malformed language tag, a contact without a name or with a malformed
// member (see checkContact: the error names it, e.g. contacts[0].email).
func Organization(o *tearline.Organization) (*tearline.Organization, error) {
	p := *o
	p.Type = strings.ToLower(strings.TrimSpace(o.Type))
	if p.Type != "" && !slices.Contains(tearline.OrganizationTypes, p.Type) {
		return nil, tearline.Errorf(tearline.EINVALID, "organization type %q is not one of %s", o.Type, strings.Join(tearline.OrganizationTypes, ", "))
	}
	if c := strings.TrimSpace(o.Country); c != "" {
		cc, ok := marking.CanonicalCountry(c)
		if !ok {
			return nil, tearline.Errorf(tearline.EINVALID, "country %q is not an ISO 3166-1 alpha-2 or alpha-3 code", o.Country)
		}
		p.Country = cc
	} else {
		p.Country = ""
	}
	p.Sectors = nil
	for _, s := range o.Sectors {
		s = strings.ToLower(strings.TrimSpace(s))
		if !stix.IsIndustrySector(s) {
			return nil, tearline.Errorf(tearline.EINVALID, "sector %q is not in the STIX industry-sector-ov vocabulary (%s)", s, strings.Join(stix.IndustrySectors(), ", "))
		}
		p.Sectors = appendNew(p.Sectors, s)
	}
	p.Clearance = upperWords(o.Clearance)
	p.Communities = nil
	for _, c := range o.Communities {
		c = upperWords(c)
		if c == "" {
			return nil, tearline.Errorf(tearline.EINVALID, "a community name is empty")
		}
		p.Communities = appendNew(p.Communities, c)
	}
	var err error
	if p.Languages, err = languageTags(o.Languages); err != nil {
		return nil, err
	}
	p.Contacts = nil
	for i, c := range o.Contacts {
		c.Name = strings.TrimSpace(c.Name)
		if c.Name == "" {
			return nil, tearline.Errorf(tearline.EINVALID, "contact %d has no name", i+1)
		}
		if c.Languages, err = languageTags(c.Languages); err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "contact %q: %s", c.Name, tearline.ErrorMessage(err))
		}
		if err := checkContact(&c, fmt.Sprintf("contacts[%d]", i)); err != nil {
			return nil, err
		}
		p.Contacts = append(p.Contacts, c)
	}
	return &p, nil
}

// languageTags returns tags as canonical RFC 5646 (BCP 47) tags, without
// repeats. EINVALID for a malformed tag.
func languageTags(tags []string) ([]string, error) {
	var out []string
	for _, t := range tags {
		tag, err := language.Parse(strings.TrimSpace(t))
		if err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "language %q is not an RFC 5646 language tag such as en or fr-CA", t)
		}
		out = appendNew(out, tag.String())
	}
	return out, nil
}

// upperWords upper-cases s and collapses its runs of spaces.
func upperWords(s string) string { return strings.Join(strings.Fields(strings.ToUpper(s)), " ") }

// appendNew appends v to list unless it holds it already.
func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}
