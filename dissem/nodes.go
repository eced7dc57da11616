package dissem

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tearline/tearline"
)

// leaseName returns the name of the lease of a subscription's webhook.
func leaseName(subscriptionID string) string { return "webhook." + subscriptionID }

// publish publishes a change event on the bus for each Notify (several
// Notifies while one is published make one more event), until Stop.
func (d *Dispatcher) publish() {
	ctx, cancel := d.stopContext()
	defer cancel()
	for {
		select {
		case <-d.stop:
			return
		case <-d.pub:
		}
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		err := d.cfg.Bus.Publish(pctx)
		pcancel()
		if err != nil && ctx.Err() == nil {
			// The other nodes see the adds at their next poll.
			d.log.Warn("dissemination: publish a change event", "err", err)
		}
	}
}

// listen wakes the feed reader on the other nodes' change events, until
// Stop.
func (d *Dispatcher) listen() {
	for {
		select {
		case <-d.stop:
			return
		case <-d.cfg.Bus.Changes():
			d.wake()
		}
	}
}

// leased delivers the subscription while this node holds its lease,
// taking it again whenever it is free, until ctx ends. When the
// subscription goes (not at Stop, which saves every cursor first), it
// saves its cursor and gives the lease up.
func (w *hookWorker) leased(ctx context.Context) {
	d := w.d
	defer func() {
		select {
		case <-w.quit:
		default:
			return // Stop releases after saving the cursors
		}
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if w.lease.Held() {
			if err := w.save(sctx); err != nil {
				d.log.Warn("dissemination: save a delivery cursor", "subscription", w.id, "err", err)
			}
		}
		if err := w.lease.Release(sctx); err != nil {
			d.log.Warn("dissemination: give a subscription's lease up", "subscription", w.id, "err", err)
		}
	}()
	for failures := 0; ctx.Err() == nil; {
		hold, err := w.lease.Hold(ctx)
		if err != nil {
			return
		}
		// The store's cursor is the truth: another node may have moved
		// it since this one last delivered.
		sub, err := d.cfg.Store.FindSubscription(hold, w.id)
		if err != nil {
			if ctx.Err() != nil || tearline.ErrorCode(err) == tearline.ENOTFOUND {
				return // stopped, or deleted: Reload stops the worker
			}
			failures++
			d.log.Error("dissemination: read a subscription's cursor", "subscription", w.id, "err", err)
			sleep(hold, d.backoff(failures))
			continue
		}
		failures = 0
		w.cursor.Store(max(w.cursor.Load(), sub.Cursor))
		w.saved.Store(sub.Cursor)
		d.log.Info("dissemination: this node delivers the subscription", "subscription", w.id, "cursor", w.cursor.Load())
		w.loop(hold)
		if ctx.Err() == nil {
			d.log.Warn("dissemination: lease of the subscription lost; another node delivers it", "subscription", w.id, "cursor", w.cursor.Load())
		}
	}
}

// save stores the worker's cursor if it moved.
func (w *hookWorker) save(ctx context.Context) error {
	c := w.cursor.Load()
	if c <= w.saved.Load() {
		return nil
	}
	if err := w.d.cfg.Store.SaveCursors(ctx, map[string]int64{w.id: c}); err != nil {
		return fmt.Errorf("dissem: save the cursor of subscription %s: %w", w.id, err)
	}
	w.saved.Store(c)
	return nil
}

// release gives up the leases of the workers, which have stopped.
func (h *hooks) release(ctx context.Context) error {
	h.mu.Lock()
	var leases []tearline.Lease
	for _, w := range h.workers {
		if w.lease != nil {
			leases = append(leases, w.lease)
		}
	}
	h.mu.Unlock()
	var errs []error
	for _, l := range leases {
		errs = append(errs, l.Release(ctx))
	}
	return errors.Join(errs...)
}
