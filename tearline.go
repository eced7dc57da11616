// Package tearline holds the domain types of the Tearline threat intelligence
// sharing server: stored object versions, collections, and the Store interface
// that every storage backend (sqlite, postgres) implements and that the
// storetest conformance suite checks.
package tearline

import (
	"context"
	"time"
)

// Version is the build version, set at link time with
// -ldflags "-X github.com/tearline/tearline.Version=v1.2.3".
var Version = "dev"

// VersionLayout is the normalized, lexically ordered text form of an object
// version timestamp (STIX "modified"): UTC, nine fractional digits.
const VersionLayout = "2006-01-02T15:04:05.000000000Z"

// Object is one version of one STIX object as accepted: its identifying
// envelope fields, indexed for queries, and the exact bytes submitted.
type Object struct {
	ID          string // "type--uuid"
	Type        string
	SpecVersion string // "2.1"
	// Version orders the versions of one object: the "modified" timestamp,
	// else "created", else the zero time (objects such as SCOs that carry no
	// timestamps have a single version).
	Version time.Time
	Created time.Time // zero when the object has no "created"
	Revoked bool
	// Raw is the object's JSON exactly as submitted, custom properties and
	// whitespace included. It is never re-serialized.
	Raw []byte
	// Digest is the SHA-256 of the object's content in a canonical form
	// (member order, whitespace and number spelling do not count), so the
	// same version sent twice with different formatting is recognised as
	// the same and stored once, in the bytes that came first. Zero when
	// unknown; stores then hash Raw and compare ignoring whitespace.
	Digest [32]byte
	// Text, when not nil, is the object's top-level name and description,
	// read by the code that parsed it (validation), so that a store's
	// full-text index need not parse Raw again. It counts only while Raw
	// is Text.Of itself: a Raw replaced since (redaction, say) is read
	// again.
	Text *Text
}

// Text is what a full-text index reads of an object version.
type Text struct {
	// Name and Description are the top-level "name" and "description"
	// strings; "" when missing or not strings.
	Name, Description string
	// Has is true when at least one of them is a string.
	Has bool
	// Of is the Raw the text was read from.
	Of []byte
}

// TextOf returns o.Text when it was read from o.Raw as it is, else nil.
func (o *Object) TextOf() *Text {
	t := o.Text
	if t == nil || len(t.Of) != len(o.Raw) || len(o.Raw) == 0 || &t.Of[0] != &o.Raw[0] {
		return nil
	}
	return t
}

// VersionKey returns o.Version in VersionLayout, the key that identifies the
// version together with the id.
func (o *Object) VersionKey() string { return o.Version.UTC().Format(VersionLayout) }

// Entry is an object version as a member of a collection.
type Entry struct {
	Object
	// DateAdded is when the version was added to the collection. It is unique
	// and strictly increasing within a collection (microsecond resolution), so
	// it doubles as a stable pagination cursor.
	DateAdded time.Time
}

// Collection is a named set of object versions, served as a TAXII collection.
type Collection struct {
	ID          string // UUID
	Alias       string // short unique name used by the CLI, e.g. "enterprise-attack"
	Title       string
	Description string
	MediaTypes  []string
	// APIRoot names the TAXII API root that serves the collection; ""
	// means the default root.
	APIRoot string
	Created time.Time
}

// AddStatus says what AddObjects did with one object.
type AddStatus int

const (
	// Added means the version was new to the collection.
	Added AddStatus = iota + 1
	// Duplicate means the collection already held the identical version;
	// nothing changed.
	Duplicate
	// Conflict means a version with the same id and version key but
	// different content is already stored (formatting, member order and
	// number spelling do not count: see Object.Digest); the submitted object
	// was not stored.
	Conflict
)

// String returns a lower-case name of the status.
func (s AddStatus) String() string {
	switch s {
	case Added:
		return "added"
	case Duplicate:
		return "duplicate"
	case Conflict:
		return "conflict"
	}
	return "unknown"
}

// AddResult is the outcome for one object passed to AddObjects.
type AddResult struct {
	Status    AddStatus
	DateAdded time.Time // of the version in the collection; zero on Conflict
}

// VersionFirst, VersionLast and VersionAll are the keywords of a version
// filter, as in TAXII match[version]. Any other filter value is a timestamp.
const (
	VersionFirst = "first"
	VersionLast  = "last"
	VersionAll   = "all"
)

// ObjectQuery selects object versions of one collection. Empty lists match
// everything. Results come in DateAdded order.
type ObjectQuery struct {
	CollectionID string
	// AddedAfter keeps entries with DateAdded strictly after it; it is also
	// the pagination cursor (the DateAdded of the last entry of a page).
	AddedAfter   time.Time
	IDs          []string
	Types        []string
	SpecVersions []string
	// Versions holds VersionFirst, VersionLast, VersionAll or exact version
	// timestamps; several values select the union. Empty means VersionLast.
	Versions []string
	// Limit caps the page size; 0 means no limit.
	Limit int
	// NoRaw leaves Entry.Raw nil, for operator tools that need only the
	// index fields. Nothing read with it may go to a client, not even ids
	// or versions (manifests, version lists): the access decision needs
	// each entry's bytes, and withholds an entry read without them.
	NoRaw bool
}

// ObjectPage is one page of query results.
type ObjectPage struct {
	Entries []*Entry
	// More is true when entries beyond this page match the query.
	More bool
}

// Store keeps collections and object versions. Implementations must be safe
// for concurrent use. Errors are *Error values with the codes listed on each
// method, or wrapped internal errors.
type Store interface {
	// CreateCollection stores c, filling c.ID (a new UUID when empty) and
	// c.Created. EINVALID when the alias is empty or malformed; ECONFLICT when
	// the id or alias is taken.
	CreateCollection(ctx context.Context, c *Collection) error
	// FindCollection returns the collection whose id or alias is key.
	// ENOTFOUND when there is none.
	FindCollection(ctx context.Context, key string) (*Collection, error)
	// Collections returns all collections ordered by alias.
	Collections(ctx context.Context) ([]*Collection, error)
	// DeleteCollection removes a collection and its memberships; object
	// versions no longer in any collection are removed too. ENOTFOUND when
	// there is no such collection.
	DeleteCollection(ctx context.Context, id string) error

	// AddObjects adds the versions to the collection in one transaction and
	// returns one result per object, in order. Re-adding an identical version
	// is a Duplicate and changes nothing. ENOTFOUND for an unknown collection.
	AddObjects(ctx context.Context, collectionID string, objs []*Object) ([]AddResult, error)
	// QueryObjects returns a page of entries matching q. ENOTFOUND for an
	// unknown collection; EINVALID for a malformed version filter.
	QueryObjects(ctx context.Context, q ObjectQuery) (*ObjectPage, error)
	// DeleteObject removes the versions of object id selected by versions
	// and specVersions (empty lists select all) from the collection and
	// returns how many were removed. ENOTFOUND when none matched.
	DeleteObject(ctx context.Context, collectionID, id string, versions, specVersions []string) (int, error)
	// CountObjects returns the number of entries (object versions) in the
	// collection. ENOTFOUND for an unknown collection.
	CountObjects(ctx context.Context, collectionID string) (int, error)

	// Close releases the store's resources.
	Close() error
}
