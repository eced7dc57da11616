package tearline

import (
	"context"
	"encoding/hex"
	"strconv"
	"time"
)

// PIIAction is what a collection's privacy policy does with a submitted
// object in which package pii finds personal data.
type PIIAction string

// The PII actions. PIINone, the default, stores objects as submitted.
const (
	PIINone   PIIAction = "none"
	PIIRedact PIIAction = "redact" // store a copy with each span replaced by [REDACTED:kind]
	PIIReview PIIAction = "review" // hold the object until an analyst decides
	PIIReject PIIAction = "reject" // refuse the object
)

// PIIActions lists the valid actions.
var PIIActions = []PIIAction{PIINone, PIIRedact, PIIReview, PIIReject}

// ParsePIIAction returns the action called name ("" is PIINone). EINVALID
// for any other name.
func ParsePIIAction(name string) (PIIAction, error) {
	if name == "" {
		return PIINone, nil
	}
	for _, a := range PIIActions {
		if string(a) == name {
			return a, nil
		}
	}
	return "", Errorf(EINVALID, "PII policy %q is not one of none, redact, review, reject", name)
}

// PIIPolicy is the privacy policy of a collection.
type PIIPolicy struct {
	Action PIIAction
	// FlagIdentifiers also treats as personal data the identifiers of
	// mailboxes and accounts (the local part of email-addr values,
	// user-account ids and logins, and the literals of patterns on them):
	// pii.Options.FlagIdentifiers.
	FlagIdentifiers bool
}

// Active reports whether the policy scans objects at all.
func (p PIIPolicy) Active() bool { return p.Action != "" && p.Action != PIINone }

// PIIPolicies keeps the privacy policy of each collection. Errors are
// *Error values with the listed codes, or wrapped internal errors.
type PIIPolicies interface {
	// SetPIIPolicy sets the policy of a collection; it is removed with the
	// collection. ENOTFOUND for an unknown collection; EINVALID for an
	// action not in PIIActions.
	SetPIIPolicy(ctx context.Context, collectionID string, p PIIPolicy) error
	// PIIPolicy returns the policy of a collection: Action PIINone when
	// none was set. ENOTFOUND for an unknown collection.
	PIIPolicy(ctx context.Context, collectionID string) (PIIPolicy, error)
}

// Review status values.
const (
	ReviewPending  = "pending"
	ReviewApproved = "approved"
	ReviewRejected = "rejected"
)

// How an approved object is stored (Review.Decision).
const (
	ApproveAsIs     = "as-is"    // the object as submitted
	ApproveRedacted = "redacted" // with every finding replaced by [REDACTED:kind]
	ApproveEdited   = "edited"   // an analyst's edited copy
)

// PIIFinding is one span of personal data found in an object: the JSON
// path of the string, byte offsets in the decoded string, and the kind's
// name (pii.Kind.String). It never holds the text.
type PIIFinding struct {
	Path  string `json:"path"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Kind  string `json:"kind"`
}

// Review is a submitted object held by a collection's review policy: not
// stored in the collection until an analyst approves it.
type Review struct {
	ID           string // UUID
	CollectionID string
	// StatusID is the TAXII status of the submission, whose detail for the
	// object stays pending until the review is decided; "" for objects
	// held by other paths (import, federation, tear-line products).
	StatusID string
	// Index is the object's position in its submission.
	Index    int
	ObjectID string
	// Version is the object's modified (else created) timestamp as
	// submitted; "" when it has neither.
	Version string
	// Raw is the object exactly as submitted. It is kept whatever the
	// decision.
	Raw []byte
	// Digest is Object.Digest of Raw: holding the same content again from
	// the same path finds the review held already.
	Digest   [32]byte
	Findings []PIIFinding
	// SubmitterOrg is the submitting organization ("" for an operator's
	// import without --source); SubmitterKey its API key ("" when the
	// submission came without one: import, federation).
	SubmitterOrg string
	SubmitterKey string
	Status       string // ReviewPending, ReviewApproved or ReviewRejected
	// Decision is how an approved object is stored (ApproveAsIs,
	// ApproveRedacted or ApproveEdited); "" otherwise.
	Decision string
	// Approved holds the bytes to store for an approved review, fixed by
	// the decision so that finishing an interrupted approval stores the
	// same object.
	Approved []byte
	// Reason is the reviewer's reason for a rejection (or note on an
	// approval).
	Reason     string
	DeciderKey string
	Created    time.Time
	Decided    time.Time // zero while pending
	// Finished is when the outcome of storing an approved object was
	// recorded (zero before); Stored tells whether the collection holds
	// it, and Result is the receipt message: warnings on success, the
	// reason on failure.
	Finished time.Time
	Stored   bool
	Result   string
}

// HoldKey returns the key that identifies what r holds, for stores to
// hold it once (see Reviews.HoldForReview): the status id and index of a
// TAXII submission, else the collection, object id, version and digest.
func (r *Review) HoldKey() string {
	if r.StatusID != "" {
		return "s:" + r.StatusID + ":" + strconv.Itoa(r.Index)
	}
	return "c:" + r.CollectionID + ":" + r.ObjectID + ":" + r.Version + ":" + hex.EncodeToString(r.Digest[:])
}

// ReviewFilter selects reviews; empty fields match everything.
type ReviewFilter struct {
	CollectionID string
	Status       string
	StatusID     string
}

// Reviews keeps the review queue of held objects, and the API key of each
// TAXII submission processed in the background (whose status does not
// record it), so that the submitter's own key cannot review its objects.
// Errors are *Error values with the listed codes, or wrapped internal
// errors.
type Reviews interface {
	// HoldForReview stores pending reviews, filling ID, Status and
	// Created. An object held already from the same submission (same
	// StatusID and Index) or, without a StatusID, with the same
	// collection, id, version and Digest, is not held twice: its review is
	// read back into the given one instead, whatever its status. EINVALID
	// for an empty collection, object id or object.
	HoldForReview(ctx context.Context, rs []*Review) error
	// FindReview returns a review by id. ENOTFOUND when there is none.
	FindReview(ctx context.Context, id string) (*Review, error)
	// ListReviews returns the reviews f selects, oldest first.
	ListReviews(ctx context.Context, f ReviewFilter) ([]*Review, error)
	// DecideReview moves the pending review r.ID to r.Status (approved or
	// rejected), recording r.Decision, r.Approved, r.Reason and
	// r.DeciderKey, and fills r.Decided. ENOTFOUND when there is no such
	// review; ECONFLICT when it was decided already; EINVALID for another
	// status, an empty decider, or an approval without Decision or
	// Approved bytes.
	DecideReview(ctx context.Context, r *Review) error
	// FinishReview records the outcome of storing the object of approved
	// review id: whether the collection holds it and the receipt message.
	// Recording it again replaces it. ENOTFOUND when there is no such
	// review; ECONFLICT when it is not approved.
	FinishReview(ctx context.Context, id string, stored bool, result string) error

	// SetSubmissionKey records the API key that made the TAXII submission
	// with status id statusID. Records older than 30 days are removed.
	SetSubmissionKey(ctx context.Context, statusID, keyID string) error
	// SubmissionKey returns the key recorded for a submission. ENOTFOUND
	// when there is none.
	SubmissionKey(ctx context.Context, statusID string) (string, error)
}
