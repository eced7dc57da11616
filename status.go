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

// StatusStore keeps submission statuses.
type StatusStore interface {
	// SaveStatus creates or replaces a status.
	SaveStatus(ctx context.Context, s *Status) error
	// FindStatus returns a status by id. ENOTFOUND when there is none.
	FindStatus(ctx context.Context, id string) (*Status, error)
	// DeleteStatusesBefore removes statuses requested before t and returns
	// how many it removed.
	DeleteStatusesBefore(ctx context.Context, t time.Time) (int, error)
}
