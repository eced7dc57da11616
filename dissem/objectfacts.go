package dissem

import (
	"context"

	"github.com/tearline/tearline"
)

// ObjectFacts returns the facts of an object version read outside the
// feed (the portal's search results, for instance) with the context graph
// as it now is, computed as for a feed entry: e needs the ID, Type, Raw
// and CollectionID of the version. A filter tests them with Filter.Match
// and a Subject whose Visible applies the access decision for the reader,
// so that a tag a related object contributes counts only when the reader
// may see that object and what leads to it.
func (d *Dispatcher) ObjectFacts(ctx context.Context, e *tearline.FeedEntry) *Facts {
	return d.factsOf(ctx, &Item{FeedEntry: e})
}

// Await waits until the dispatcher has read the feed up to sequence
// number seq, so that its context graph holds every context object added
// up to it (read-your-writes for ObjectFacts), or until ctx ends, whose
// error it returns. It asks the reader to read at once.
func (d *Dispatcher) Await(ctx context.Context, seq int64) error {
	d.Notify()
	for {
		d.mu.Lock()
		head, changed := d.head, d.changed
		d.mu.Unlock()
		if head >= seq {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
