package dissem

import (
	"context"
	"encoding/json"
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

// redriveTopic is the bus topic of dead letters to send again.
const redriveTopic = "redrive"

// redriveRequest asks the node delivering a subscription to send one of
// its dead letters again.
type redriveRequest struct {
	Subscription string `json:"subscription"`
	DeadLetter   string `json:"dead_letter"`
}

// passRedrive broadcasts a redrive request to the node that holds the
// subscription's lease.
func (d *Dispatcher) passRedrive(ctx context.Context, subscriptionID, deadLetterID string) error {
	data, err := json.Marshal(redriveRequest{subscriptionID, deadLetterID})
	if err != nil {
		return fmt.Errorf("dissem: %w", err)
	}
	if err := d.cfg.Bus.Broadcast(ctx, redriveTopic, data); err != nil {
		d.log.Error("dissemination: pass a redrive request on over the bus", "subscription", subscriptionID, "err", err)
		return tearline.Errorf(tearline.EUNAVAILABLE, "subscription %s is delivered by another server node, and the request could not be passed on to it; retry later", subscriptionID)
	}
	return nil
}

// onRedrive queues a redrive request passed on by another node if this
// node delivers the subscription.
func (d *Dispatcher) onRedrive(data []byte) {
	var r redriveRequest
	if json.Unmarshal(data, &r) != nil {
		return
	}
	d.hooks.mu.Lock()
	w := d.hooks.workers[r.Subscription]
	d.hooks.mu.Unlock()
	if w == nil || w.lease == nil || !w.lease.Held() {
		return
	}
	if err := w.queueRedrive(r.DeadLetter); err != nil {
		d.log.Warn("dissemination: a dead letter passed on by another node is not sent again", "subscription", r.Subscription, "dead_letter", r.DeadLetter, "err", err)
	}
}
