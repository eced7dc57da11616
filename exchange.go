package tearline

import (
	"context"
	"time"
)

// Triage states of a Submission, in the order an exchange usually moves
// through them.
const (
	// TriageReceived is the state of a submission nobody has looked at.
	TriageReceived = "received"
	// TriageAcknowledged says the hosting organization has seen it.
	TriageAcknowledged = "acknowledged"
	// TriageInAnalysis says its analysts are working on it.
	TriageInAnalysis = "in-analysis"
	// TriageAnswered says the submitter has been answered.
	TriageAnswered = "answered"
	// TriageClosed says nothing more will be done.
	TriageClosed = "closed"
)

// TriageStates lists the triage states in order.
var TriageStates = []string{TriageReceived, TriageAcknowledged, TriageInAnalysis, TriageAnswered, TriageClosed}

// ValidTriageState reports whether s is one of TriageStates.
func ValidTriageState(s string) bool {
	for _, x := range TriageStates {
		if s == x {
			return true
		}
	}
	return false
}

// Submission is what the hosting organization owes a partner for one TAXII
// envelope it submitted (one TAXII status) that stored at least one
// object: a triage state, and the times that measure the exchange. It
// outlives the TAXII status, which is deleted after its retention.
type Submission struct {
	ID           string // the TAXII status id
	OrgID        string // the submitting organization
	CollectionID string
	// Objects are the ids of the objects the submission stored (added, or
	// already held), in envelope order, each once.
	Objects []string
	// Received is the TAXII request time; Available is when processing
	// ended and the objects could be read.
	Received, Available time.Time
	State               string // one of TriageStates
	// Acknowledged is when the state first left TriageReceived; zero
	// until then.
	Acknowledged time.Time
	// FirstFeedback is when the first sighting, opinion or note of
	// another organization about one of Objects was stored; zero until
	// then.
	FirstFeedback time.Time
	// Updated is when the state last changed (Available at first),
	// UpdatedBy the organization whose analyst changed it and Note what
	// the analyst wrote.
	Updated   time.Time
	UpdatedBy string
	Note      string
}

// SubmissionFilter selects submissions. Zero fields select everything.
type SubmissionFilter struct {
	OrgID string
	State string
	// From and To bound Received: From <= Received < To.
	From, To time.Time
	// Limit caps the number returned; 0 means no limit.
	Limit int
}

// TriageChange moves a submission to a new state.
type TriageChange struct {
	State string
	By    string // organization id of the analyst
	Note  string
	At    time.Time
}

// Feedback is one reference of a sighting, opinion or note (or a
// language-content object) stored in any collection to another object:
// what tells a producer how its objects are received.
type Feedback struct {
	ObjectID string // the id of the sighting, opinion, note or language-content
	Type     string // its type
	RefID    string // the object it is about
	OrgID    string // the submitting organization
	Created  time.Time
}

// Activity counts what an organization read on one day (UTC): requests
// answered with objects, and the objects released to it.
type Activity struct {
	OrgID    string
	Day      time.Time // midnight UTC
	Requests int
	Objects  int
}

// Exchanges keeps the record of two-way exchanges: submissions and their
// triage, feedback on objects and reading activity. Errors are *Error
// values with the listed codes, or wrapped internal errors.
type Exchanges interface {
	// RecordSubmission stores s in state TriageReceived (Updated is
	// s.Available), unless a submission with s.ID is stored already, in
	// which case nothing changes (a resumed submission). Feedback stored
	// before on s.Objects by other organizations sets FirstFeedback to
	// s.Available. EINVALID for an empty id or organization.
	RecordSubmission(ctx context.Context, s *Submission) error
	// FindSubmission returns a submission by id. ENOTFOUND when there is
	// none.
	FindSubmission(ctx context.Context, id string) (*Submission, error)
	// ListSubmissions returns the submissions f selects, newest first.
	// EINVALID for a state not in TriageStates.
	ListSubmissions(ctx context.Context, f SubmissionFilter) ([]*Submission, error)
	// SetTriage moves a submission to c.State and returns it as changed.
	// The first move out of TriageReceived sets Acknowledged to c.At.
	// EINVALID for a state not in TriageStates or for TriageReceived
	// (a submission is never unacknowledged); ENOTFOUND for an unknown
	// submission.
	SetTriage(ctx context.Context, id string, c TriageChange) (*Submission, error)
	// RecordFeedback stores feedback (a reference already stored changes
	// nothing) and sets FirstFeedback to its Created on every submission
	// of another organization that stored its RefID and has none yet.
	RecordFeedback(ctx context.Context, fs []*Feedback) error
	// ListFeedback returns the feedback on the given objects (all when
	// refs is empty) created in [from, to) (zero bounds are open),
	// oldest first.
	ListFeedback(ctx context.Context, refs []string, from, to time.Time) ([]*Feedback, error)
	// AddActivity adds the counts of each Activity to what is stored for
	// its organization and day.
	AddActivity(ctx context.Context, as []Activity) error
	// ListActivity returns the activity of the days in [from, to),
	// ordered by day and organization.
	ListActivity(ctx context.Context, from, to time.Time) ([]Activity, error)
}

// CountsAsFeedback reports whether objects of type typ are feedback that
// Submission.FirstFeedback measures: sightings, opinions and notes.
func CountsAsFeedback(typ string) bool {
	return typ == "sighting" || typ == "opinion" || typ == "note"
}

// Day returns the UTC midnight that begins t's day.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
