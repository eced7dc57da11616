package limit

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestRate(t *testing.T) {
	t.Parallel()
	l := New(Config{Rate: 2, Burst: 3})
	// The burst goes at once, the next one is refused until a token
	// refills (half a second at 2/s, rounded up to a second).
	for i := range 3 {
		release, d := l.Acquire("k", t0)
		if d != nil {
			t.Fatalf("request %d of the burst refused: %+v", i, d)
		}
		release()
	}
	_, d := l.Acquire("k", t0)
	if d == nil || d.Limit != "rate" || d.RetryAfter != time.Second {
		t.Fatalf("request past the burst: %+v", d)
	}
	// A refused request costs nothing: half a second later one token is
	// back, and exactly one request goes.
	if _, d := l.Acquire("k", t0.Add(500*time.Millisecond)); d != nil {
		t.Fatalf("after refill: %+v", d)
	}
	if _, d := l.Acquire("k", t0.Add(500*time.Millisecond)); d == nil {
		t.Fatal("second request after a one-token refill admitted")
	}
	// Keys are independent.
	if _, d := l.Acquire("other", t0); d != nil {
		t.Fatalf("other key: %+v", d)
	}
}

func TestRetryAfterCoversTheWait(t *testing.T) {
	t.Parallel()
	l := New(Config{Rate: 0.25, Burst: 1}) // one request per 4 s
	if _, d := l.Acquire("k", t0); d != nil {
		t.Fatal(d)
	}
	_, d := l.Acquire("k", t0.Add(time.Second))
	if d == nil || d.RetryAfter != 3*time.Second {
		t.Fatalf("RetryAfter %+v, want 3s", d)
	}
	if _, d := l.Acquire("k", t0.Add(time.Second+d.RetryAfter)); d != nil {
		t.Fatalf("refused after waiting RetryAfter: %+v", d)
	}
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	l := New(Config{Concurrent: 2})
	r1, d1 := l.Acquire("k", t0)
	r2, d2 := l.Acquire("k", t0)
	if d1 != nil || d2 != nil {
		t.Fatal(d1, d2)
	}
	if _, d := l.Acquire("k", t0); d == nil || d.Limit != "concurrency" || d.RetryAfter < time.Second {
		t.Fatalf("third concurrent request: %+v", d)
	}
	if _, d := l.Acquire("other", t0); d != nil {
		t.Fatalf("other key: %+v", d)
	}
	r1()
	r1() // a second release changes nothing
	r3, d := l.Acquire("k", t0)
	if d != nil {
		t.Fatalf("after a release: %+v", d)
	}
	if _, d := l.Acquire("k", t0); d == nil {
		t.Fatal("double release freed two places")
	}
	r2()
	r3()
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	l := New(Config{AuthFailureRate: 0.1, AuthFailureBurst: 3}) // one per 10 s
	tests := []struct {
		addr, same, other string
	}{
		{"192.0.2.7:4711", "192.0.2.7:1234", "192.0.2.8:4711"},
		{"[2001:db8:1:2::5]:80", "[2001:db8:1:2:ffff::1]:81", "[2001:db8:1:3::5]:80"},
		{"[::ffff:198.51.100.1]:80", "198.51.100.1:9", "198.51.100.2:9"},
	}
	for _, tt := range tests {
		for i := range 3 {
			if d := l.AuthBlocked(tt.addr, t0); d != nil {
				t.Fatalf("%s blocked after %d failures: %+v", tt.addr, i, d)
			}
			l.AuthFailed(tt.addr, t0)
		}
		d := l.AuthBlocked(tt.same, t0)
		if d == nil || d.Limit != "auth_failures" || d.RetryAfter != 10*time.Second {
			t.Errorf("%s after 3 failures of %s: %+v", tt.same, tt.addr, d)
		}
		if d := l.AuthBlocked(tt.other, t0); d != nil {
			t.Errorf("%s blocked by the failures of %s", tt.other, tt.addr)
		}
		if d := l.AuthBlocked(tt.addr, t0.Add(10*time.Second)); d != nil {
			t.Errorf("%s still blocked after the refill: %+v", tt.addr, d)
		}
	}
	// Failing on while blocked extends the wait, up to one burst.
	for range 100 {
		l.AuthFailed("203.0.113.1", t0)
	}
	if d := l.AuthBlocked("203.0.113.1", t0); d == nil || d.RetryAfter != 40*time.Second {
		t.Errorf("after 100 failures: %+v, want a 40s wait (3 below zero plus one)", d)
	}
	if d := l.AuthBlocked("not an address", t0); d != nil {
		t.Errorf("unparseable address blocked: %+v", d)
	}
}

func TestOff(t *testing.T) {
	t.Parallel()
	for _, l := range []*Limiter{nil, New(Config{})} {
		for range 1000 {
			if _, d := l.Acquire("k", t0); d != nil {
				t.Fatal(d)
			}
			l.AuthFailed("192.0.2.1:1", t0)
		}
		if d := l.AuthBlocked("192.0.2.1:1", t0); d != nil {
			t.Fatal(d)
		}
	}
}

// TestSweep checks that idle entries are dropped, so that tables keyed by
// client addresses cannot grow without bound, while busy ones are kept.
func TestSweep(t *testing.T) {
	t.Parallel()
	l := New(Config{Rate: 1, Burst: 1, Concurrent: 1, AuthFailureRate: 1, AuthFailureBurst: 1})
	busy, d := l.Acquire("busy", t0)
	if d != nil {
		t.Fatal(d)
	}
	for i := range 3 * sweepAt {
		release, d := l.Acquire(fmt.Sprint("key", i), t0.Add(time.Duration(i)*time.Second))
		if d != nil {
			t.Fatal(d)
		}
		release()
		l.AuthFailed(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), t0.Add(time.Duration(i)*time.Second))
	}
	l.mu.Lock()
	keys, addrs := len(l.keys), len(l.addrs)
	_, kept := l.keys["busy"]
	l.mu.Unlock()
	if keys > sweepAt+1 || addrs > sweepAt+1 {
		t.Errorf("tables hold %d keys and %d addresses after sweeps at %d", keys, addrs, sweepAt)
	}
	if !kept {
		t.Error("the key with a request in flight was swept")
	}
	if _, d := l.Acquire("busy", t0.Add(time.Hour)); d == nil || d.Limit != "concurrency" {
		t.Errorf("busy key after the sweeps: %+v", d)
	}
	busy()
}
