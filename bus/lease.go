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
	want     bool                 // Hold was called, and Release not since
	rev      uint64               // the revision this node wrote last; 0 when not held
	until    time.Time            // when the hold ends unless renewed
	ctx      context.Context      // live while held
	cancel   context.CancelFunc   // ends ctx
	timer    *time.Timer          // calls expire at until
	acquired chan struct{}        // closed when taken; replaced when lost
	holds    []context.CancelFunc // end the contexts Hold returned for this hold
	free     time.Time            // since when it is wanted and not held here
}

// Hold waits until this node holds the lease; see tearline.Lease.
func (l *lease) Hold(ctx context.Context) (context.Context, error) {
	for {
		l.mu.Lock()
		if l.b.isClosed() {
			l.mu.Unlock()
			return nil, errors.New("bus: closed")
		}
		if !l.want && l.rev == 0 {
			l.free = time.Now()
		}
		l.want = true
		if l.rev != 0 {
			// Canceled by drop itself, so that the hold has ended when
			// Release returns or the lease is seen lost (an AfterFunc on
			// l.ctx would cancel it later, from another goroutine).
			hctx, cancel := context.WithCancel(ctx)
			l.holds = append(l.holds, cancel)
			l.mu.Unlock()
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
	l.free = time.Now()
	l.cancel()
	for _, cancel := range l.holds {
		cancel()
	}
	l.holds = nil
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

// state reports whether the lease is wanted (Hold called and not
// released) and held.
func (l *lease) state() (want, held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.want, l.rev != 0
}

// unclaimed reports whether the lease has gone unheld here for twice the
// TTL and no other node was seen renewing it: the other nodes may all be
// at their shares (a node that runs no work counts too), so this node
// takes it beyond its own.
func (l *lease) unclaimed() bool {
	l.mu.Lock()
	free := l.rev == 0 && time.Since(l.free) > 2*l.b.cfg.LeaseTTL
	l.mu.Unlock()
	return free && !l.b.renewedElsewhere(l.key)
}

// shed gives the lease up to spread the leases over the nodes: as
// Release, but the lease stays wanted, so that this node takes it again
// when its share allows.
func (l *lease) shed(ctx context.Context) error {
	l.mu.Lock()
	rev := l.rev
	if rev == 0 {
		l.mu.Unlock()
		return nil
	}
	l.b.log.Info("bus: lease given up for another node to take (more nodes share the work)", "lease", l.key, "node", l.b.cfg.Node)
	l.drop()
	l.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, l.b.cfg.LeaseTTL/4)
	defer cancel()
	err := l.b.kv.Delete(rctx, l.key, jetstream.LastRevision(rev))
	if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !isWrongLastSeq(err) {
		// The key expires by itself.
		return fmt.Errorf("bus: give lease %s up: %w", l.key, err)
	}
	return nil
}

// tend renews the lease if held and renew is set, or tries to take it if
// wanted, free and take is set. It reports whether it took the lease, and
// returns the error of a request that failed otherwise than by the lease
// being another node's.
func (l *lease) tend(ctx context.Context, renew, take bool) (bool, error) {
	l.mu.Lock()
	want, rev := l.want, l.rev
	l.mu.Unlock()
	if !want || (rev != 0 && !renew) || (rev == 0 && (!take || l.b.renewedElsewhere(l.key))) {
		return false, nil
	}
	node := []byte(l.b.cfg.Node)
	rctx, cancel := context.WithTimeout(ctx, l.b.cfg.LeaseTTL/4)
	defer cancel()
	sent := time.Now()
	if rev == 0 {
		r, err := l.b.kv.Create(rctx, l.key, node)
		if err != nil {
			if errors.Is(err, jetstream.ErrKeyExists) {
				return false, nil
			}
			if ctx.Err() == nil {
				l.b.log.Warn("bus: take a lease", "lease", l.key, "err", err)
			}
			return false, err
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if !l.want || l.rev != 0 {
			// Released while it was being taken: give it back.
			go l.b.kv.Delete(context.Background(), l.key, jetstream.LastRevision(r))
			return false, nil
		}
		l.rev, l.until = r, sent.Add(l.valid())
		l.ctx, l.cancel = context.WithCancel(context.Background())
		l.timer = time.AfterFunc(time.Until(l.until), l.expire)
		close(l.acquired)
		return true, nil
	}
	r, err := l.b.kv.Update(rctx, l.key, node, rev)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rev != rev {
		return false, nil // released or expired meanwhile
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
		return false, err
	}
	return false, nil
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
