package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// lease is one key of the lease bucket as this node sees it.
type lease struct {
	b   *Bus
	key string

	mu       sync.Mutex
	want     bool               // Hold was called, and Release not since
	rev      uint64             // the revision this node wrote last; 0 when not held
	until    time.Time          // when the hold ends unless renewed
	ctx      context.Context    // live while held
	cancel   context.CancelFunc // ends ctx
	timer    *time.Timer        // calls expire at until
	acquired chan struct{}      // closed when taken; replaced when lost
}

// Hold waits until this node holds the lease; see tearline.Lease.
func (l *lease) Hold(ctx context.Context) (context.Context, error) {
	for {
		l.mu.Lock()
		if l.b.isClosed() {
			l.mu.Unlock()
			return nil, errors.New("bus: closed")
		}
		l.want = true
		if l.rev != 0 {
			lctx := l.ctx
			l.mu.Unlock()
			hctx, cancel := context.WithCancel(ctx)
			context.AfterFunc(lctx, cancel)
			return hctx, nil
		}
		ch := l.acquired
		l.mu.Unlock()
		l.b.poke()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Held reports whether this node holds the lease now.
func (l *lease) Held() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rev != 0 && time.Now().Before(l.until)
}

// Release gives the lease up and stops taking it.
func (l *lease) Release(ctx context.Context) error {
	l.mu.Lock()
	l.want = false
	rev := l.rev
	if rev != 0 {
		l.drop()
	}
	l.mu.Unlock()
	if rev == 0 {
		return nil
	}
	err := l.b.kv.Delete(ctx, l.key, jetstream.LastRevision(rev))
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSeq(err) {
		// A renewal in flight may have written a later revision; the
		// key is still this node's then (no other node can write it
		// while it lives, and this node no longer takes it).
		e, gerr := l.b.kv.Get(ctx, l.key)
		if gerr != nil || string(e.Value()) != l.b.cfg.Node {
			return nil // expired, or another node's now
		}
		err = l.b.kv.Delete(ctx, l.key, jetstream.LastRevision(e.Revision()))
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSeq(err) {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("bus: release lease %s: %w", l.key, err)
	}
	return nil
}

// drop ends the hold; l.mu is held.
func (l *lease) drop() {
	l.rev = 0
	l.cancel()
	l.timer.Stop()
	l.acquired = make(chan struct{})
}

// expire ends the hold if it was not renewed in time.
func (l *lease) expire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rev == 0 {
		return
	}
	if d := time.Until(l.until); d > 0 {
		l.timer.Reset(d) // renewed meanwhile
		return
	}
	l.b.log.Warn("bus: lease expired unrenewed; its work stops", "lease", l.key, "node", l.b.cfg.Node)
	l.drop()
}

// valid is how long a hold lasts after its request was sent: the TTL less
// a fifth, so that it ends before the bucket can let another node in.
func (l *lease) valid() time.Duration { return l.b.cfg.LeaseTTL - l.b.cfg.LeaseTTL/5 }

// tend renews the lease if held and renew is set, or tries to take it if
// wanted and free. It returns the error of a request that failed
// otherwise than by the lease being another node's.
func (l *lease) tend(ctx context.Context, renew bool) error {
	l.mu.Lock()
	want, rev := l.want, l.rev
	l.mu.Unlock()
	if !want || (rev != 0 && !renew) || (rev == 0 && l.b.renewedElsewhere(l.key)) {
		return nil
	}
	node := []byte(l.b.cfg.Node)
	rctx, cancel := context.WithTimeout(ctx, l.b.cfg.LeaseTTL/4)
	defer cancel()
	sent := time.Now()
	if rev == 0 {
		r, err := l.b.kv.Create(rctx, l.key, node)
		if err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				return nil
			}
			if ctx.Err() == nil {
				l.b.log.Warn("bus: take a lease", "lease", l.key, "err", err)
			}
			return err
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.want || l.rev != 0 {
			// Released while it was being taken: give it back.
			go l.b.kv.Delete(context.Background(), l.key, jetstream.LastRevision(r))
			return nil
		}
		l.rev, l.until = r, sent.Add(l.valid())
		l.ctx, l.cancel = context.WithCancel(context.Background())
		l.timer = time.AfterFunc(time.Until(l.until), l.expire)
		close(l.acquired)
		return nil
	}
	r, err := l.b.kv.Update(rctx, l.key, node, rev)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rev != rev {
		return nil // released or expired meanwhile
	}
	switch {
	case err == nil:
		l.rev, l.until = r, sent.Add(l.valid())
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch) || isWrongLastSeq(err):
		l.b.log.Warn("bus: lease lost to another node; its work stops", "lease", l.key, "node", l.b.cfg.Node)
		l.drop()
	default:
		// Not answered: the hold lasts until it expires, and the next
		// tick tries again.
		if ctx.Err() == nil {
			l.b.log.Warn("bus: renew a lease", "lease", l.key, "err", err)
		}
		return err
	}
	return nil
}

// isWrongLastSeq reports whether err is JetStream's answer to a write at
// a revision that is not the key's last.
func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// isClosed reports whether Close was called.
func (b *Bus) isClosed() bool {
	select {
	case <-b.stop:
		return true
	default:
		return false
	}
}
