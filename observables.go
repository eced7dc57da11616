package tearline

import (
	"context"
	"time"
)

// ObservableRef is one occurrence of an observable value, for the
// observable index: the value as a source submitted it in an object
// version.
type ObservableRef struct {
	// Kind is the name of an observable kind ("ipv4", "domain",
	// "sha256", ...: see package observable) and Value its normalized form
	// (observable.Normalize).
	Kind  string
	Value string
	// ObjectID and Version name the stored object version that carries
	// the value (Version as in Object.Version). The store links the value
	// to the version when it holds it; otherwise (and with ObjectID "")
	// only the source is recorded.
	ObjectID string
	Version  time.Time
	// Source is the submitting organization (its identity id); "" for an
	// unattributed submission such as an operator's import.
	Source string
	// Time is when the source submitted the value.
	Time time.Time
}

// ObservableSource is one organization that submitted a value, with when
// it first and last did (to the second).
type ObservableSource struct {
	Org         string // identity id; "" for unattributed submissions
	First, Last time.Time
}

// ObservableObject is a stored object version that carries a value, and
// the organizations that submitted it ("" for unattributed submissions).
type ObservableObject struct {
	ID      string
	Version time.Time
	Sources []string // sorted
}

// ObservableEntry is what the observable index holds about one value.
type ObservableEntry struct {
	Kind, Value string
	// First and Last are when any source first and last submitted the
	// value.
	First, Last time.Time
	// Sources are the distinct submitters, ordered by first submission;
	// an unattributed source ("") is included.
	Sources []ObservableSource
	// Objects are the stored object versions carrying the value, the most
	// recently stored first, at most the lookup's limit; MoreObjects says
	// that more carry it.
	Objects     []ObservableObject
	MoreObjects bool
}

// Observables is the observable index: every normalized value that stored
// objects carry, with its sources and the object versions it came in.
// Errors are *Error values with the listed codes, or wrapped internal
// errors.
type Observables interface {
	// RecordObservables adds refs to the index in one transaction: the
	// value, the source's first and last submission times, and the link
	// to the object version. Recording the same ref again only widens the
	// source's first/last times. EINVALID (naming the ref) for an unknown
	// kind or a value that is not in normalized form.
	RecordObservables(ctx context.Context, refs []ObservableRef) error
	// LookupObservable returns the entry of a normalized value, with at
	// most maxObjects objects (all when maxObjects <= 0). ENOTFOUND when
	// the index does not hold it; EINVALID for an unknown kind or a value
	// not in normalized form.
	LookupObservable(ctx context.Context, kind, value string, maxObjects int) (*ObservableEntry, error)
}
