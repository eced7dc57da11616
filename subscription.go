package tearline

import (
	"context"
	"time"
)

// Subscription is what one organization asked to receive from the change
// feed: a filter (package dissem defines and checks its language) and,
// optionally, a webhook it is pushed to. The same subscription can also be
// read as a server-sent events stream and as a read-only TAXII
// collection.
type Subscription struct {
	ID    string // UUID
	OrgID string // identity id of the subscribing organization
	Name  string
	// Filter is the filter as JSON text, stored as given once checked.
	Filter []byte
	// WebhookURL is where deliveries are POSTed (http or https); "" for
	// a subscription read only as a stream or a collection.
	WebhookURL string
	// WebhookSecret is the key of the HMAC-SHA256 signature of each
	// delivery.
	WebhookSecret string
	// Cursor is the sequence number of the last feed entry the webhook
	// has dealt with (delivered, or filtered out, or dead-lettered).
	// A new subscription starts at the head of the feed.
	Cursor  int64
	Created time.Time
}

// DeadLetter is a webhook delivery that failed every attempt: the feed
// entries it covered, kept so that an administrator can see it and send
// it again.
type DeadLetter struct {
	ID             string // UUID
	SubscriptionID string
	// FirstSeq and LastSeq bound the feed entries of the delivery; a new
	// attempt reads them again and re-applies the filter and the access
	// decision.
	FirstSeq, LastSeq int64
	Objects           int // objects the failed delivery held
	Attempts          int
	LastError         string
	Created           time.Time
	Updated           time.Time
}

// Subscriptions keeps subscriptions, their delivery cursors and their
// dead letters. Errors are *Error values with the listed codes, or
// wrapped internal errors.
type Subscriptions interface {
	// CreateSubscription stores s, filling s.ID (a new UUID when empty),
	// s.Created and s.Cursor (the feed's head). EINVALID for an empty
	// organization or filter; ENOTFOUND for an unknown organization;
	// ECONFLICT for a taken id.
	CreateSubscription(ctx context.Context, s *Subscription) error
	// FindSubscription returns a subscription by id. ENOTFOUND when there
	// is none.
	FindSubscription(ctx context.Context, id string) (*Subscription, error)
	// ListSubscriptions returns the subscriptions of an organization, or
	// of all when orgID is "", oldest first.
	ListSubscriptions(ctx context.Context, orgID string) ([]*Subscription, error)
	// UpdateSubscription replaces the name, filter and webhook of the
	// subscription with s.ID; its cursor, organization and creation time
	// stay. ENOTFOUND when there is none; EINVALID for an empty filter.
	UpdateSubscription(ctx context.Context, s *Subscription) error
	// DeleteSubscription removes a subscription and its dead letters.
	// ENOTFOUND when there is none.
	DeleteSubscription(ctx context.Context, id string) error
	// SaveCursors stores the delivery cursors of several subscriptions in
	// one transaction. A cursor never moves back: a smaller value than
	// the stored one is ignored, as are unknown subscriptions.
	SaveCursors(ctx context.Context, cursors map[string]int64) error
	// SaveDeadLetter stores d, filling d.ID (a new UUID when empty) and
	// d.Created for a new one, and d.Updated; a dead letter with the same
	// id is replaced. ENOTFOUND for an unknown subscription.
	SaveDeadLetter(ctx context.Context, d *DeadLetter) error
	// DeadLetters returns the dead letters of a subscription, oldest
	// first.
	DeadLetters(ctx context.Context, subscriptionID string) ([]*DeadLetter, error)
	// DeleteDeadLetter removes a dead letter of a subscription. ENOTFOUND
	// when there is none.
	DeleteDeadLetter(ctx context.Context, subscriptionID, id string) error
}
