package tearline

import (
	"context"
	"time"
)

// FeedEntry is one entry of the change feed: an object version as it was
// added to a collection.
type FeedEntry struct {
	// Seq numbers the entry. Sequence numbers are unique and increase in
	// the order entries become visible to readers: once a reader has seen
	// Seq n, no entry with a smaller Seq ever appears later. They are not
	// dense: entries whose membership was deleted are skipped by readers.
	Seq int64
	// Time is when the entry entered the feed (to the microsecond); it
	// strictly increases with Seq, so it can stand for the entry's
	// date_added in a feed that spans collections.
	Time time.Time
	// CollectionID is the collection the version was added to.
	CollectionID string
	// Entry is the version and its date_added in that collection.
	Entry
}

// MaxFeedPage is the largest FeedQuery.Limit a store honours.
const MaxFeedPage = 10000

// FeedQuery selects entries of the change feed, in Seq order.
type FeedQuery struct {
	// After keeps the entries with Seq > After.
	After int64
	// Limit bounds the entries examined (those returned and those skipped
	// by Types or as deleted); values outside 1..MaxFeedPage mean
	// MaxFeedPage.
	Limit int
	// Types, when not empty, keeps only versions of these object types.
	Types []string
	// Bare reads, of the entries whose type is not in RawTypes, only
	// what the membership holds: Raw is nil, Created zero and Revoked
	// false. It is for a reader that routes entries by collection and
	// type and needs the bytes of a few types only: reading every
	// version's stored row costs a reader of a busy feed most of the read.
	Bare bool
	// RawTypes are the types whose entries a Bare read returns whole.
	RawTypes []string
	// Spans, with Bare and no Types, lets the store return the entries
	// not in RawTypes as spans: an entry with an empty ID stands for the
	// entries after the entry before it in the page (or After) up to its
	// Seq, all of its CollectionID, some perhaps deleted. It is for a
	// reader that needs only the collections of most entries: a store
	// that keeps the feed as runs reads no membership for them. A store
	// may ignore it and return those entries one by one.
	Spans bool
}

// FeedPage is what ReadFeed returns.
type FeedPage struct {
	Entries []*FeedEntry
	// Last is the highest Seq examined (After when none was): the cursor
	// to read on from, past entries that were skipped.
	Last int64
}

// Feed is the durable change feed: every object version added to a
// collection gets a sequence number in the same transaction that adds it,
// so every delivery reads from one order that survives restarts. Errors
// are *Error values with the listed codes, or wrapped internal errors.
type Feed interface {
	// ReadFeed returns the entries after q.After in Seq order, with their
	// bytes (unless q.Bare says otherwise), examining at most q.Limit
	// sequence numbers. Entries whose membership has since been deleted
	// are skipped (but counted in Last). EINVALID for a negative After.
	ReadFeed(ctx context.Context, q FeedQuery) (*FeedPage, error)
	// FeedHead returns the highest sequence number assigned so far (0 for
	// an empty feed).
	FeedHead(ctx context.Context) (int64, error)
	// FeedSeqAt returns the highest sequence number whose entry's Time is
	// not after t (0 when there is none): the cursor that selects entries
	// added after t.
	FeedSeqAt(ctx context.Context, t time.Time) (int64, error)
	// ObjectCreators returns, for each of ids that the store holds in any
	// collection, the created_by_ref of its latest version, else the
	// organization that submitted it as the store records it: the
	// version's tearline.ScoreRecord.Org, else the Feedback.OrgID of the
	// object (sightings, opinions, notes, language content), else the
	// organization of the earliest Submission that stored it; else "".
	// Ids the store lacks are absent from the map.
	ObjectCreators(ctx context.Context, ids []string) (map[string]string, error)
}
