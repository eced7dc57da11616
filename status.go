package tearline

import (
	"context"
	"time"
)

// Status values of a Status, as in TAXII 2.1.
const (
	StatusPending  = "pending"
	StatusComplete = "complete"
)

// StatusDetail is the outcome for one object of a submission.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Status is the record of one TAXII envelope submission (POST objects).
type Status struct {
	ID           string // UUID
	APIRoot      string
	CollectionID string
	OrgID        string // submitter
	Status       string // StatusPending or StatusComplete
	RequestTime  time.Time
	TotalCount   int
	Successes    []StatusDetail
	Failures     []StatusDetail
	Pendings     []StatusDetail
}

// SuccessCount, FailureCount and PendingCount count the details.
func (s *Status) SuccessCount() int { return len(s.Successes) }

// FailureCount returns the number of failed objects.
func (s *Status) FailureCount() int { return len(s.Failures) }

// PendingCount returns the number of objects not yet processed.
func (s *Status) PendingCount() int { return len(s.Pendings) }

// StatusStore keeps submission statuses, and the bodies of submissions that
// were accepted but not yet fully processed, so that a restart resumes them
// and nothing accepted is lost.
type StatusStore interface {
	// CreateSubmission stores a new pending status together with the body
	// of the submission, in one transaction. ECONFLICT for a taken id.
	CreateSubmission(ctx context.Context, s *Status, body []byte) error
	// PendingSubmissions returns the ids of statuses whose submission body
	// is still stored, oldest first.
	PendingSubmissions(ctx context.Context) ([]string, error)
	// SubmissionBody returns the stored body of a pending submission.
	// ENOTFOUND when there is none.
	SubmissionBody(ctx context.Context, id string) ([]byte, error)
	// CompleteSubmission saves the final status and deletes the body, in
	// one transaction.
	CompleteSubmission(ctx context.Context, s *Status) error
	// SaveStatus creates or replaces a status (progress updates).
	SaveStatus(ctx context.Context, s *Status) error
	// FindStatus returns a status by id. ENOTFOUND when there is none.
	FindStatus(ctx context.Context, id string) (*Status, error)
	// DeleteStatusesBefore removes statuses requested before t and returns
	// how many it removed.
	DeleteStatusesBefore(ctx context.Context, t time.Time) (int, error)
}
