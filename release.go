package tearline

import (
	"context"
	"time"
)

// Release request status values.
const (
	ReleaseRequested = "requested"
	ReleaseApproved  = "approved"
	ReleaseDenied    = "denied"
)

// Release is a request for a wider release of an originator-controlled
// object version: an organization that received it asks its originator
// to let it go into another collection, whose readers it would not reach
// otherwise. Only the originator's organization decides; an approval adds
// the version to the destination collection, and the release stays as the
// record of who asked, who decided, when and why.
type Release struct {
	ID       string // UUID
	ObjectID string
	Version  string // version key (VersionLayout) of the object version
	// SourceCollectionID is where the requester received the version;
	// CollectionID is where it asks the version to go.
	SourceCollectionID string
	CollectionID       string
	RequesterOrg       string // identity id of the requesting organization
	RequesterKey       string // API key id of the requester
	OriginatorOrg      string // identity id of the originator (created_by_ref)
	Justification      string // why the requester asks
	Status             string // ReleaseRequested, ReleaseApproved or ReleaseDenied
	DeciderKey         string // API key id (or "operator") that decided; "" while requested
	Reason             string // the decider's note
	Created            time.Time
	Decided            time.Time // zero while requested
}

// ReleaseFilter selects release requests. Empty fields match everything;
// OrgID matches requests where the organization is the requester or the
// originator.
type ReleaseFilter struct {
	OrgID  string
	Status string
}

// Releases keeps release requests. Errors are *Error values with the
// listed codes, or wrapped internal errors.
type Releases interface {
	// CreateRelease stores r as requested, filling r.ID (a new UUID when
	// empty), r.Status and r.Created. EINVALID when the object, version,
	// collections, requester or originator are empty; ECONFLICT for a
	// taken id.
	CreateRelease(ctx context.Context, r *Release) error
	// FindRelease returns a release request by id. ENOTFOUND when there is
	// none.
	FindRelease(ctx context.Context, id string) (*Release, error)
	// ListReleases returns the requests matching f, oldest first.
	ListReleases(ctx context.Context, f ReleaseFilter) ([]*Release, error)
	// DecideRelease moves the request with r.ID from requested to r.Status
	// (approved or denied), recording r.DeciderKey, r.Reason and the
	// decision time, which it fills in r.Decided. It decides once:
	// ENOTFOUND when there is no such request; ECONFLICT when it is no
	// longer requested; EINVALID for another status or an empty decider.
	DecideRelease(ctx context.Context, r *Release) error
}
