package dissem

import (
	"context"

	"github.com/tearline/tearline"
)

// Selection is what Select returns.
type Selection struct {
	// Entries pass the filter; they have not passed the access decision
	// yet.
	Entries []*tearline.FeedEntry
	// Cursor is where to continue from: the last entry examined.
	Cursor int64
	// More is true when entries after Cursor were known to exist.
	More bool
}

// Select returns the feed entries after cursor that filter f wants for
// organization orgID, at most limit of them, examining at most scan
// entries. With wait, when none of the entries there are passes, it waits
// for more until one does or ctx ends. Streams and per-subscription
// collections read their subscription through it; what it returns must
// still pass the access decision (Gate.Release).
func (d *Dispatcher) Select(ctx context.Context, orgID string, f *Filter, cursor int64, scan, limit int, wait bool) (*Selection, error) {
	sel := &Selection{Cursor: cursor}
	subj := d.subjects.subject(ctx, orgID)
	if subj == nil {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no organization %q", orgID)
	}
	examined := 0
	for examined < scan && len(sel.Entries) < limit {
		block := wait && len(sel.Entries) == 0
		items, next, err := d.next(ctx, sel.Cursor, min(scan-examined, scanMax), block, nil)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 && next == sel.Cursor {
			if block && ctx.Err() == nil {
				continue // woken for a change that brought nothing yet
			}
			break
		}
		examined += len(items)
		done := false
		for _, it := range items {
			if f.Match(it.FeedEntry, d.factsOf(ctx, it), subj) {
				sel.Entries = append(sel.Entries, it.FeedEntry)
				if len(sel.Entries) == limit {
					next, done = it.Seq, true
					break
				}
			}
		}
		sel.Cursor = next
		if done || len(items) == 0 && !block {
			break
		}
	}
	sel.More = sel.Cursor < d.Head()
	return sel, nil
}
