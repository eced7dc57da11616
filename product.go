package tearline

import (
	"context"
	"time"
)

// Product status values.
const (
	ProductDraft    = "draft"
	ProductApproved = "approved"
	ProductRejected = "rejected"
)

// Product is a tear-line product: a STIX object derived by an analyst from
// a marked object at a lower marking, held as a draft until a second
// analyst approves (and so releases) or rejects it.
type Product struct {
	ID            string // UUID
	SourceID      string // id of the object it was derived from
	SourceVersion string // version key (VersionLayout) of that object
	CollectionID  string // where it is released on approval
	// Raw is the derived STIX object, validated, exactly as submitted.
	Raw       []byte
	AuthorOrg string // organization (identity id) of the author
	AuthorKey string // API key id of the author
	Status    string // ProductDraft, ProductApproved or ProductRejected
	// ApproverKey is the key id that approved or rejected it; "" for a
	// draft.
	ApproverKey string
	// RelationshipID is the id of the derived-from relationship released
	// with the object; "" unless approved.
	RelationshipID string
	Created        time.Time
	Decided        time.Time // zero for a draft
}

// Products keeps tear-line products. Errors are *Error values with the
// listed codes, or wrapped internal errors.
type Products interface {
	// CreateProduct stores p as a draft, filling p.ID (a new UUID when
	// empty), p.Status and p.Created. EINVALID for an empty source,
	// collection, author or object; ECONFLICT for a taken id.
	CreateProduct(ctx context.Context, p *Product) error
	// FindProduct returns a product by id. ENOTFOUND when there is none.
	FindProduct(ctx context.Context, id string) (*Product, error)
	// Products returns the products of a collection (all collections when
	// collectionID is "") with the given status (any when ""), oldest
	// first.
	Products(ctx context.Context, collectionID, status string) ([]*Product, error)
	// DecideProduct moves the draft with p.ID to p.Status (approved or
	// rejected), recording p.ApproverKey, p.RelationshipID and the
	// decision time, which it fills in p.Decided. ENOTFOUND when there is
	// no such product; ECONFLICT when it is no longer a draft; EINVALID
	// for another status or an empty approver.
	DecideProduct(ctx context.Context, p *Product) error
}
