package dissem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/tracing"
	"github.com/tearline/tearline/webhook"
)

// hooks holds the webhook workers, one per subscription with a webhook.
type hooks struct {
	mu      sync.Mutex
	workers map[string]*hookWorker
	wg      sync.WaitGroup
}

func (h *hooks) init() { h.workers = map[string]*hookWorker{} }

// hookState is what a worker knows of its subscription; it is replaced
// whole when the subscription changes.
type hookState struct {
	sub    *tearline.Subscription
	filter *Filter
}

// hookWorker delivers one subscription's matches to its webhook, in feed
// order.
type hookWorker struct {
	d       *Dispatcher
	id      string
	state   atomic.Pointer[hookState]
	cursor  atomic.Int64 // last sequence number dealt with
	saved   atomic.Int64 // last cursor saved
	quit    chan struct{}
	redrive chan string   // dead letter ids to send again
	nudge   chan struct{} // wakes the worker for a redrive
	// lease gives the subscription to one node at a time; nil without a
	// bus.
	lease tearline.Lease
}

// reload starts, updates and stops workers to match the stored
// subscriptions.
func (h *hooks) reload(d *Dispatcher, subs []*tearline.Subscription) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-d.stop:
		return nil
	default:
	}
	keep := map[string]bool{}
	for _, sub := range subs {
		if sub.WebhookURL == "" {
			continue
		}
		f, err := Parse(sub.Filter)
		if err != nil {
			d.log.Error("dissemination: stored subscription filter does not parse; subscription left as it was", "subscription", sub.ID, "err", err)
			if h.workers[sub.ID] != nil {
				keep[sub.ID] = true
			}
			continue
		}
		keep[sub.ID] = true
		st := &hookState{sub: sub, filter: f}
		if w := h.workers[sub.ID]; w != nil {
			w.state.Store(st)
			continue
		}
		w := &hookWorker{d: d, id: sub.ID, quit: make(chan struct{}), redrive: make(chan string, 64), nudge: make(chan struct{}, 1)}
		w.state.Store(st)
		if d.cfg.Bus != nil {
			w.lease = d.cfg.Bus.Lease(leaseName(sub.ID))
		}
		w.cursor.Store(sub.Cursor)
		w.saved.Store(sub.Cursor)
		h.workers[sub.ID] = w
		h.wg.Go(w.run)
	}
	for id, w := range h.workers {
		if !keep[id] {
			close(w.quit)
			delete(h.workers, id)
		}
	}
	return nil
}

// wait waits for the workers to stop.
func (h *hooks) wait() { h.wg.Wait() }

// save stores the cursors that moved since they were last saved.
func (h *hooks) save(ctx context.Context, d *Dispatcher) error {
	h.mu.Lock()
	cursors := map[string]int64{}
	var moved []*hookWorker
	for id, w := range h.workers {
		if w.lease != nil && !w.lease.Held() {
			continue // another node delivers it now
		}
		if c := w.cursor.Load(); c > w.saved.Load() {
			cursors[id] = c
			moved = append(moved, w)
		}
	}
	h.mu.Unlock()
	if len(cursors) == 0 {
		return nil
	}
	if err := d.cfg.Store.SaveCursors(ctx, cursors); err != nil {
		return fmt.Errorf("dissem: save delivery cursors: %w", err)
	}
	for _, w := range moved {
		w.saved.Store(cursors[w.id])
	}
	return nil
}

// saveCursors saves the cursors every CursorInterval until Stop.
func (d *Dispatcher) saveCursors() {
	ctx, cancel := d.stopContext()
	defer cancel()
	t := time.NewTicker(d.cfg.CursorInterval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		}
		if err := d.hooks.save(ctx, d); err != nil && ctx.Err() == nil {
			d.log.Warn("dissemination: save delivery cursors", "err", err)
		}
	}
}

// Cursor returns the delivery cursor of a subscription's webhook worker;
// ok is false when it has none running, or (with a Bus) when another
// node delivers the subscription now.
func (d *Dispatcher) Cursor(subscriptionID string) (cursor int64, ok bool) {
	d.hooks.mu.Lock()
	w := d.hooks.workers[subscriptionID]
	d.hooks.mu.Unlock()
	if w == nil || w.lease != nil && !w.lease.Held() {
		return 0, false
	}
	return w.cursor.Load(), true
}

// Redrive asks the webhook worker of a subscription to send the dead
// letter with the given id again, after the batch in progress: its
// entries are read again and pass the filter and the access decision
// anew. A success deletes the dead letter; a failure updates it.
// With a Bus, a node that does not deliver the subscription passes the
// request on to the one that does (at most once: if no node delivers it
// at that moment, the request is lost and may be made again).
// ENOTFOUND when the subscription has no webhook worker on this node or
// no such dead letter; EUNAVAILABLE when too many are waiting, or the
// bus cannot pass the request on.
func (d *Dispatcher) Redrive(ctx context.Context, subscriptionID, deadLetterID string) error {
	d.hooks.mu.Lock()
	w := d.hooks.workers[subscriptionID]
	d.hooks.mu.Unlock()
	if w == nil {
		return tearline.Errorf(tearline.ENOTFOUND, "subscription %s has no webhook delivered by this server", subscriptionID)
	}
	dls, err := d.cfg.Store.DeadLetters(ctx, subscriptionID)
	if err != nil {
		return err
	}
	found := false
	for _, dl := range dls {
		found = found || dl.ID == deadLetterID
	}
	if !found {
		return tearline.Errorf(tearline.ENOTFOUND, "no dead letter %q of subscription %s", deadLetterID, subscriptionID)
	}
	if w.lease != nil && !w.lease.Held() {
		return d.passRedrive(ctx, subscriptionID, deadLetterID)
	}
	return w.queueRedrive(deadLetterID)
}

// queueRedrive queues a dead letter for the worker to send again.
func (w *hookWorker) queueRedrive(deadLetterID string) error {
	select {
	case w.redrive <- deadLetterID:
		select {
		case w.nudge <- struct{}{}:
		default:
		}
		return nil
	default:
		return tearline.Errorf(tearline.EUNAVAILABLE, "subscription %s has too many dead letters waiting to be sent again; retry later", w.id)
	}
}

// scanMax bounds the feed entries a worker examines at once.
const scanMax = 1000

// run is the worker's loop, until Stop or the subscription goes: with a
// bus, it delivers while this node holds the subscription's lease.
func (w *hookWorker) run() {
	ctx, cancel := w.d.stopContext()
	defer cancel()
	go func() {
		select {
		case <-w.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	if w.lease == nil {
		w.loop(ctx)
		return
	}
	w.leased(ctx)
}

// loop delivers the subscription's matches from the cursor on, until
// ctx (Stop, the subscription's end, or a lease's hold) ends.
func (w *hookWorker) loop(ctx context.Context) {
	d := w.d
	failures := 0
	for ctx.Err() == nil {
		select {
		case id := <-w.redrive:
			w.resend(ctx, id)
			continue
		default:
		}
		cursor := w.cursor.Load()
		items, next, err := d.next(ctx, cursor, scanMax, true, w.nudge)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			d.log.Error("dissemination: read the feed", "subscription", w.id, "err", err)
			if !sleep(ctx, d.backoff(failures)) {
				return
			}
			continue
		}
		failures = 0
		st := w.state.Load()
		batch, upTo := w.select_(ctx, st, items, next)
		if len(batch) > 0 {
			if !w.deliver(ctx, st, batch, nil) {
				return // stopped: the batch is delivered again after the next start
			}
		}
		if upTo > cursor {
			w.cursor.Store(upTo)
		}
	}
}

// select_ returns the items the subscription's filter wants, at most one
// batch, and the cursor that the batch covers: next when all fit, else
// the last item of the batch.
func (w *hookWorker) select_(ctx context.Context, st *hookState, items []*Item, next int64) ([]*Item, int64) {
	subj := w.d.subjects.subject(ctx, st.sub.OrgID)
	if subj == nil {
		return nil, next // the organization is gone: nothing may go
	}
	var (
		batch []*Item
		size  int
	)
	for _, it := range items {
		if !st.filter.Match(it.FeedEntry, w.d.factsOf(ctx, it), subj) {
			continue
		}
		if len(batch) > 0 && (len(batch) == w.d.cfg.MaxBatch || size+len(it.Raw) > w.d.cfg.MaxBatchBytes) {
			return batch, batch[len(batch)-1].Seq
		}
		batch = append(batch, it)
		size += len(it.Raw)
	}
	return batch, next
}

// deliver passes batch through the access decision and posts what may go
// as one bundle, trying up to Attempts times. After the last attempt it
// records a dead letter (or, for a dead letter sent again, updates dl).
// It returns false only when stopped before the delivery was done or
// given up.
func (w *hookWorker) deliver(ctx context.Context, st *hookState, batch []*Item, dl *tearline.DeadLetter) bool {
	d := w.d
	org := d.subjects.org(ctx, st.sub.OrgID)
	if org == nil {
		return true
	}
	entries := make([]*tearline.FeedEntry, len(batch))
	for i, it := range batch {
		entries[i] = it.FeedEntry
	}
	delivery := uuid.NewString()
	var raws [][]byte
	for attempt := 1; ; attempt++ {
		var err error
		if raws, err = d.cfg.Gate.Release(ctx, org, Delivery{
			Path: ledger.PathWebhook, Key: "subscription:" + w.id, Request: delivery, Ceiling: st.filter.Ceiling()}, entries); err == nil {
			break
		}
		if ctx.Err() != nil {
			return false
		}
		// The ledger cannot record: nothing may go, and nothing is given
		// up either; the delivery waits for the ledger.
		d.log.Error("dissemination: access decision failed; delivery waits", "subscription", w.id, "err", err)
		if !sleep(ctx, d.backoff(attempt)) {
			return false
		}
	}
	body, n := bundle(raws)
	if n == 0 {
		if dl != nil {
			w.resolved(ctx, dl)
		}
		return true
	}
	first, last := batch[0].Seq, batch[len(batch)-1].Seq
	var err error
	for attempt := 1; attempt <= d.cfg.Attempts; attempt++ {
		if err = w.post(ctx, st.sub, body, delivery, first, last); err == nil {
			if o := d.cfg.Observer; o != nil {
				o.Webhook("delivered")
				for i, it := range batch {
					if raws[i] != nil {
						o.Delivered(it.FeedEntry)
					}
				}
			}
			d.log.Debug("webhook delivered", "subscription", w.id, "delivery", delivery, "objects", n, "first_seq", first, "last_seq", last)
			if dl != nil {
				w.resolved(ctx, dl)
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if o := d.cfg.Observer; o != nil {
			if attempt < d.cfg.Attempts {
				o.Webhook("failed")
			} else {
				o.Webhook("dead_lettered")
			}
		}
		d.log.Warn("webhook delivery failed", "subscription", w.id, "delivery", delivery, "attempt", attempt, "err", err)
		if attempt < d.cfg.Attempts && !sleep(ctx, d.backoff(attempt)) {
			return false
		}
	}
	if dl == nil {
		dl = &tearline.DeadLetter{SubscriptionID: w.id, FirstSeq: first, LastSeq: last}
	}
	dl.Objects, dl.LastError = n, err.Error()
	dl.Attempts += d.cfg.Attempts
	for attempt := 1; ; attempt++ {
		serr := d.cfg.Store.SaveDeadLetter(ctx, dl)
		if serr == nil || tearline.ErrorCode(serr) == tearline.ENOTFOUND { // the subscription was deleted
			break
		}
		d.log.Error("dissemination: record a dead letter", "subscription", w.id, "err", serr)
		if !sleep(ctx, d.backoff(attempt)) {
			return false
		}
	}
	d.log.Warn("webhook delivery dead-lettered", "subscription", w.id, "delivery", delivery, "dead_letter", dl.ID,
		"objects", n, "first_seq", first, "last_seq", last, "err", err)
	return true
}

// resolved deletes a dead letter that was sent again.
func (w *hookWorker) resolved(ctx context.Context, dl *tearline.DeadLetter) {
	if err := w.d.cfg.Store.DeleteDeadLetter(ctx, w.id, dl.ID); err != nil && tearline.ErrorCode(err) != tearline.ENOTFOUND {
		w.d.log.Error("dissemination: delete a resent dead letter", "subscription", w.id, "dead_letter", dl.ID, "err", err)
	}
}

// resend sends the entries of a dead letter again.
func (w *hookWorker) resend(ctx context.Context, id string) {
	d := w.d
	dls, err := d.cfg.Store.DeadLetters(ctx, w.id)
	if err != nil {
		d.log.Error("dissemination: read dead letters", "subscription", w.id, "err", err)
		return
	}
	var dl *tearline.DeadLetter
	for _, x := range dls {
		if x.ID == id {
			dl = x
		}
	}
	if dl == nil {
		return // resolved or deleted meanwhile
	}
	st := w.state.Load()
	subj := d.subjects.subject(ctx, st.sub.OrgID)
	var batch []*Item
	for cursor := dl.FirstSeq - 1; cursor < dl.LastSeq; {
		page, err := d.cfg.Store.ReadFeed(ctx, tearline.FeedQuery{After: cursor, Limit: int(min(dl.LastSeq-cursor, scanMax))})
		if err != nil {
			d.log.Error("dissemination: read the feed for a dead letter", "subscription", w.id, "err", err)
			return
		}
		for _, it := range d.prepare(page.Entries) {
			if subj != nil && st.filter.Match(it.FeedEntry, d.factsOf(ctx, it), subj) {
				batch = append(batch, it)
			}
		}
		if page.Last == cursor {
			break
		}
		cursor = page.Last
	}
	if len(batch) == 0 {
		w.resolved(ctx, dl)
		return
	}
	w.deliver(ctx, st, batch, dl)
}

// bundle returns a STIX bundle of the released objects (nil ones are
// withheld) and how many it holds.
func bundle(raws [][]byte) ([]byte, int) {
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--` + uuid.NewString() + `","objects":[`)
	n := 0
	for _, raw := range raws {
		if raw == nil {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(raw)
		n++
	}
	b.WriteString("]}")
	return b.Bytes(), n
}

// maxAnswer is how much of a webhook's answer is read before the
// connection is closed.
const maxAnswer = 64 << 10

// post sends one attempt of a delivery. Any answer other than 2xx is a
// failure; redirects are not followed.
func (w *hookWorker) post(ctx context.Context, sub *tearline.Subscription, body []byte, delivery string, first, last int64) error {
	ctx, cancel := context.WithTimeout(ctx, w.d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/stix+json;version=2.1")
	req.Header.Set("User-Agent", "Tearline/"+tearline.Version)
	req.Header.Set(webhook.SignatureHeader, webhook.Sign([]byte(sub.WebhookSecret), w.d.cfg.Now(), body))
	req.Header.Set(webhook.DeliveryHeader, delivery)
	req.Header.Set(webhook.SubscriptionHeader, sub.ID)
	req.Header.Set(webhook.SequenceHeader, strconv.FormatInt(first, 10)+"-"+strconv.FormatInt(last, 10))
	resp, err := w.d.client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %v", w.d.cfg.Timeout)
		}
		return err
	}
	// Read a little of the answer so the connection can be reused, but
	// never a huge or endless one.
	_, _ = io.CopyN(io.Discard, resp.Body, maxAnswer)
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fmt.Errorf("HTTP %d redirect to %q: redirects are not followed; register the final URL", resp.StatusCode, resp.Header.Get("Location"))
	}
	return fmt.Errorf("HTTP %d", resp.StatusCode)
}

// newClient returns the HTTP client of webhook requests: no redirects
// followed, and per-host connection pools large enough for many
// subscriptions on one receiver.
func newClient(cfg Config) *http.Client {
	tr := cfg.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 4096
		t.MaxIdleConnsPerHost = 1024
		t.ResponseHeaderTimeout = cfg.Timeout
		tr = t
	}
	return &http.Client{
		Transport:     tracing.Transport(tr),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// backoff returns the wait after the attempt-th failure: Backoff doubled
// each time, at most MaxBackoff, less up to a fifth at random so that
// many subscribers of one failed receiver do not retry in step.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	b := d.cfg.Backoff
	for i := 1; i < attempt && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.cfg.MaxBackoff)
	return b - time.Duration(rand.Int64N(int64(b)/5+1))
}

// sleep waits for d or ctx; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
