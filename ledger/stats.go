package ledger

import "sync/atomic"

// Stats counts what a Ledger has written since Open.
type Stats struct {
	// Records is the number of records (lines) written to the segment
	// files, and Disclosures the disclosures they hold. Records written
	// but not yet synced count: see Options.SyncInterval.
	Records, Disclosures uint64
	// Failed is set once a write has failed: the ledger records nothing
	// more (see Err).
	Failed bool
}

// counters are the writer goroutine's counts behind Stats.
type counters struct {
	records, disclosures atomic.Uint64
	// Records encoded into the writer's buffer but not yet written; only
	// the writer goroutine touches them.
	pendRecords, pendDisclosures uint64
}

// encoded counts a record of n disclosures added to the write buffer.
func (c *counters) encoded(n int) {
	c.pendRecords++
	c.pendDisclosures += uint64(n)
}

// written moves the buffered counts to the totals once the buffer is
// written, or drops them when ok is false (the write failed).
func (c *counters) written(ok bool) {
	if ok {
		c.records.Add(c.pendRecords)
		c.disclosures.Add(c.pendDisclosures)
	}
	c.pendRecords, c.pendDisclosures = 0, 0
}

// Stats returns the ledger's counts. It is safe to call at any time, also
// after Close.
func (l *Ledger) Stats() Stats {
	return Stats{
		Records:     l.count.records.Load(),
		Disclosures: l.count.disclosures.Load(),
		Failed:      l.failed.Load() != nil,
	}
}

// Err returns nil while the ledger records, the write error once writing
// has failed (the error Record returns from then on), or ErrClosed after
// Close.
func (l *Ledger) Err() error {
	if err := l.failed.Load(); err != nil {
		return *err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	return nil
}
