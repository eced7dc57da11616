package tearline

import (
	"context"
	"time"
)

// Role is what an API key may do.
type Role string

// Roles, from least to most privileged. Each includes the rights of those
// before it.
const (
	// RoleReader reads the collections its organization may read.
	RoleReader Role = "reader"
	// RoleContributor also adds objects to collections its organization may
	// write.
	RoleContributor Role = "contributor"
	// RoleTranslator also answers translation requests with
	// language-content objects (see Translations).
	RoleTranslator Role = "translator"
	// RoleAnalyst also deletes objects and reviews submissions.
	RoleAnalyst Role = "analyst"
	// RoleManager also manages its own organization's API keys: lists
	// them, creates keys of its own role or below, and revokes keys of
	// its own role or below. A partner organization so runs its keys
	// without the server's operator.
	RoleManager Role = "manager"
	// RoleAdmin also manages organizations, every organization's keys and
	// collections.
	RoleAdmin Role = "admin"
)

// Roles lists the valid roles in order of privilege.
var Roles = []Role{RoleReader, RoleContributor, RoleTranslator, RoleAnalyst, RoleManager, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r has every right of min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }

func (r Role) rank() int {
	for i, x := range Roles {
		if r == x {
			return i + 1
		}
	}
	return 0
}

// Organization is a participant: an agency, company, ISAC or CERT. Its ID is
// the id of the STIX identity that stands for it. The profile fields (type
// to languages) are what the access decision reads about the organization.
type Organization struct {
	ID   string // "identity--<uuid>"
	Name string // unique
	// Type is one of OrganizationTypes; "" when not given.
	Type string
	// Country is an ISO 3166-1 alpha-2 code, upper case (stores accept
	// alpha-3 and store its alpha-2 form); "" when unknown.
	Country string
	// Sectors are values of the STIX industry-sector-ov vocabulary.
	Sectors []string
	// Clearance is the name of the highest classification level the
	// organization may receive (upper case, e.g. "SECRET"); "" means none:
	// only the lowest level.
	Clearance string
	// Communities are the sharing communities the organization belongs to,
	// such as "FVEY", or ACS organization tokens such as "USA.DHS"; REL TO
	// markings name them. Upper case.
	Communities []string
	// Contacts are the organization's points of contact.
	Contacts []Contact
	// Languages are the preferred languages, RFC 5646 tags in canonical
	// form (e.g. "en-US"), most preferred first.
	Languages []string
	Created   time.Time
}

// Contact is a point of contact of an organization.
type Contact struct {
	Name      string   `json:"name"`
	Role      string   `json:"role,omitempty"` // e.g. "SOC lead", "24x7 duty officer"
	Email     string   `json:"email,omitempty"`
	Phone     string   `json:"phone,omitempty"`
	Hours     string   `json:"hours,omitempty"`     // when reachable, free text
	Languages []string `json:"languages,omitempty"` // RFC 5646 tags
	PGPKey    string   `json:"pgp_key,omitempty"`   // fingerprint or armored key
	// SMIME is the contact's S/MIME certificate, PEM-encoded.
	SMIME string `json:"smime_certificate,omitempty"`
}

// OrganizationTypes is the vocabulary of Organization.Type: federal
// government, state/local/tribal/territorial government, private company,
// ISAC or ISAO, foreign government, national CERT, academic, other.
var OrganizationTypes = []string{"federal", "sltt", "private", "isac", "foreign-government", "national-cert", "academic", "other"}

// APIKey is a credential of an organization. The secret part of its token
// is shown once at creation; only its hash is stored.
type APIKey struct {
	ID          string // public part of the token, unique
	OrgID       string
	Role        Role
	Description string
	Created     time.Time
	Revoked     time.Time // zero while the key is valid
}

// Certificate binds a TLS client certificate, by the SHA-256 fingerprint of
// its DER encoding (lower-case hex), to an organization and role.
type Certificate struct {
	Fingerprint string
	OrgID       string
	Role        Role
	Subject     string // for display
	Created     time.Time
}

// Grant gives an organization read and/or write access to a collection.
type Grant struct {
	CollectionID string
	OrgID        string
	Read, Write  bool
	// Client is set by the server, never stored: the organization reads
	// the collection only as a client of an organization that may read it
	// (see Clients), so it receives what TLP:AMBER allows, not
	// TLP:AMBER+STRICT.
	Client bool
}

// Principal is an authenticated caller.
type Principal struct {
	Org   *Organization
	Role  Role
	KeyID string // API key id or certificate fingerprint
	// Peer is the federation peer that Org stands for (see Peers); nil
	// for a member. The server sets it once per request, so that every
	// read path decides for a peer's organization as for the peer: never
	// above its ceiling, and nothing at all for the low side of a
	// one-way link.
	Peer *Peer
}

// Directory keeps organizations, their credentials and their collection
// grants. Errors are *Error values with the listed codes, or wrapped
// internal errors.
type Directory interface {
	// CreateOrganization stores o, filling o.ID (a new identity id when
	// empty) and o.Created, and normalizing its profile: the country to
	// upper-case alpha-2 (alpha-3 accepted), clearance and communities to
	// upper case, languages to canonical RFC 5646 tags. ECONFLICT when the
	// name or id is taken; EINVALID for an empty name, a type not in
	// OrganizationTypes, a sector outside the STIX industry-sector-ov, an
	// unknown country code, a malformed language tag or a contact without a
	// name.
	CreateOrganization(ctx context.Context, o *Organization) error
	// FindOrganization returns the organization whose id or name is key.
	// ENOTFOUND when there is none.
	FindOrganization(ctx context.Context, key string) (*Organization, error)
	// Organizations returns all organizations ordered by name.
	Organizations(ctx context.Context) ([]*Organization, error)
	// UpdateOrganization replaces the profile of the organization with
	// o.ID (name, type, country, sectors, clearance, communities, contacts
	// and languages; the id and creation time stay), normalizing o as
	// CreateOrganization does. ENOTFOUND when there is no such
	// organization; ECONFLICT when the new name is taken; EINVALID as for
	// CreateOrganization.
	UpdateOrganization(ctx context.Context, o *Organization) error

	// CreateAPIKey stores k with the hash of its secret, filling k.Created.
	// ENOTFOUND for an unknown organization; ECONFLICT for a taken id.
	CreateAPIKey(ctx context.Context, k *APIKey, secretHash []byte) error
	// FindAPIKey returns the key with id and the stored hash of its secret.
	// ENOTFOUND when there is none.
	FindAPIKey(ctx context.Context, id string) (*APIKey, []byte, error)
	// APIKeys returns the keys of an organization, newest first.
	APIKeys(ctx context.Context, orgID string) ([]*APIKey, error)
	// RevokeAPIKey marks a key revoked. ENOTFOUND when there is none.
	RevokeAPIKey(ctx context.Context, id string) error

	// AddCertificate binds a client certificate. ENOTFOUND for an unknown
	// organization; ECONFLICT for a fingerprint already bound.
	AddCertificate(ctx context.Context, c *Certificate) error
	// FindCertificate returns the binding of a fingerprint. ENOTFOUND when
	// there is none.
	FindCertificate(ctx context.Context, fingerprint string) (*Certificate, error)

	// SetGrant creates, changes or (with neither Read nor Write) removes an
	// organization's access to a collection. ENOTFOUND for an unknown
	// organization or collection.
	SetGrant(ctx context.Context, g Grant) error
	// Grants returns the grants on a collection, ordered by organization.
	Grants(ctx context.Context, collectionID string) ([]Grant, error)
	// OrgGrants returns the grants of an organization by collection id.
	OrgGrants(ctx context.Context, orgID string) (map[string]Grant, error)
}
