package tearline

import (
	"context"
	"time"
)

// ScoreRecord is the server's scoring of one stored object version
// (package score computes it): the inputs that change as the server learns
// more about the object, and the scores they gave when last computed.
// Scores are server metadata, never written into the object.
type ScoreRecord struct {
	ID      string
	Version time.Time // as Object.Version
	// Org is the submitting organization, whose reliability weighs the
	// confidence; "" for an unattributed submission.
	Org string
	// Stated is the object's own confidence property (0-100), -1 when it
	// has none.
	Stated int
	// Features are the context features the object's own properties
	// give (score.Features).
	Features uint32
	// HalfLife is the decay half-life of the confidence; 0 for none.
	HalfLife time.Duration
	// Reference is when the confidence starts to decay: the latest of the
	// version's timestamp, independent corroboration and positive
	// sightings.
	Reference time.Time
	// ValidUntil is the object's valid_until; zero when it has none.
	ValidUntil time.Time
	Revoked    bool
	// Sources is the number of independent organizations that corroborate
	// the object's values.
	Sources int
	// Sightings and FalsePositives count the positive sightings of the
	// object and the reports that it is a false positive.
	Sightings, FalsePositives int
	// Related are the context features its relationships give
	// (score.Features).
	Related uint32
	// Warnings are the object's values found on warning lists.
	Warnings []WarningHit
	// Confidence and Context are the scores (0-100) as computed at
	// Computed, before decay.
	Confidence, Context int
	Computed            time.Time
}

// WarningHit is a value of an object found on a warning list.
type WarningHit struct {
	List  string `json:"list"`
	Value string `json:"value"`
}

// Kinds of ScoreLink.
const (
	// LinkSighting is a positive sighting of the target.
	LinkSighting = "sighting"
	// LinkFalsePositive is a report that the target is a false positive:
	// a sighting marked so, or a disagreeing opinion.
	LinkFalsePositive = "false-positive"
	// LinkRelated is a relationship between the target and an object of
	// type Related.
	LinkRelated = "related"
)

// ScoreLink is what one object (a sighting, an opinion, a relationship)
// says about another's score.
type ScoreLink struct {
	Target string // id of the object scored
	Source string // id of the sighting, opinion or relationship
	// Kind is one of the Link constants; "" in SaveScoreLinks removes the
	// link.
	Kind string
	// Related is, for LinkRelated, the type of the object at the other
	// end.
	Related string
	// Time is, for a sighting, when it was last seen.
	Time time.Time
}

// Scores keeps the score records of object versions and the links that
// feed them. Errors are *Error values with the listed codes, or wrapped
// internal errors.
type Scores interface {
	// UpdateScores runs fn in one write transaction, with tx reading what
	// is stored and what fn wrote before: scoring reads its inputs and
	// writes its records at once, so that the reads see the pages the
	// submission just wrote. Everything fn wrote is committed when it
	// returns nil, nothing when it or the commit fails. A store may call
	// fn again when the transaction failed because of a concurrent one,
	// so fn must start from what it reads. fn's error is returned.
	UpdateScores(ctx context.Context, fn func(tx ScoreTx) error) error
	// FindScores returns the records of every stored version of the ids,
	// in no particular order.
	FindScores(ctx context.Context, ids []string) ([]*ScoreRecord, error)
	// ScoreLinks returns the links whose targets are among targets.
	ScoreLinks(ctx context.Context, targets []string) ([]ScoreLink, error)
}

// ScoreTx reads and writes scores within one Scores.UpdateScores
// transaction. Errors are *Error values with the listed codes, or wrapped
// internal errors.
type ScoreTx interface {
	// FindScores and ScoreLinks are Scores.FindScores and
	// Scores.ScoreLinks within the transaction.
	FindScores(ids []string) ([]*ScoreRecord, error)
	ScoreLinks(targets []string) ([]ScoreLink, error)
	// ObservableSources returns, for each value in order, its sources in
	// the observable index (see ObservableEntry.Sources; nil for a value
	// the index lacks, and for every value when the store keeps no
	// index). EINVALID for an unknown kind or a value not in normalized
	// form.
	ObservableSources(values []ObservableValue) ([][]ObservableSource, error)
	// SaveScores creates or replaces the records, keyed by id and
	// version. Records of versions the store does not hold are skipped.
	// EINVALID for a record without an id.
	SaveScores(recs []*ScoreRecord) error
	// SaveScoreLinks creates, replaces (same target and source) or, with
	// an empty Kind, removes links. EINVALID for a link without a target
	// or source, or of an unknown kind.
	SaveScoreLinks(links []ScoreLink) error
}

// ObservableValue is a normalized value of the observable index (see
// ObservableRef).
type ObservableValue struct{ Kind, Value string }

// Reliability is the admin-set reliability of an organization as a
// source: a grade of the Admiralty scale (A completely reliable to E
// unreliable, F cannot be judged) or a number, as a value from 0 to 100.
type Reliability struct {
	OrgID   string
	Grade   string // "A" to "F", or "" when set as a number
	Value   int    // 0-100
	Updated time.Time
}

// Reliabilities keeps the reliability of organizations, apart from their
// profile. Errors are *Error values with the listed codes, or wrapped
// internal errors.
type Reliabilities interface {
	// SetReliability sets or replaces r.OrgID's reliability, filling
	// r.Updated. ENOTFOUND for an unknown organization; EINVALID for a
	// value outside 0-100 or a grade other than A-F.
	SetReliability(ctx context.Context, r *Reliability) error
	// ClearReliability removes an organization's reliability. ENOTFOUND
	// when none is set.
	ClearReliability(ctx context.Context, orgID string) error
	// Reliabilities returns every reliability set, ordered by
	// organization id.
	Reliabilities(ctx context.Context) ([]*Reliability, error)
}

// WarningEntry is a value on an admin-kept warning list (package warnlist
// checks and normalizes values before they are stored).
type WarningEntry struct {
	List    string // list name: 1-64 lower-case letters, digits, '-' or '_'
	Value   string
	Comment string
	Added   time.Time
}

// WarningLists keeps the admin-extended warning lists. Errors are *Error
// values with the listed codes, or wrapped internal errors.
type WarningLists interface {
	// AddWarningEntries adds entries (filling Added) in one transaction
	// and returns how many were new; an entry already on its list keeps
	// its time and takes the new comment. EINVALID for a malformed list
	// name or an empty value.
	AddWarningEntries(ctx context.Context, entries []WarningEntry) (int, error)
	// RemoveWarningEntries removes values from a list and returns how many
	// it removed.
	RemoveWarningEntries(ctx context.Context, list string, values []string) (int, error)
	// WarningEntries returns the entries of a list ("" for every list),
	// ordered by list and value.
	WarningEntries(ctx context.Context, list string) ([]WarningEntry, error)
}

// ValidListName reports whether name can name a warning list.
func ValidListName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
