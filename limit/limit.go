// Package limit keeps clients within their share of the server: a request
// rate and a number of requests in flight per API key (token bucket and
// counter), and a rate of failed authentications per client address.
//
// A Limiter only decides; the caller answers a refusal (TAXII: 429 Too
// Many Requests with Retry-After).
package limit

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config sets the limits. A zero rate or count turns that limit off.
type Config struct {
	// Rate is the sustained requests per second allowed to one key, and
	// Burst how many it may send at once above that (at least 1 when Rate
	// is set).
	Rate  float64
	Burst int
	// Concurrent is the number of requests of one key served at the same
	// time; more are refused, not queued.
	Concurrent int
	// AuthFailureRate is the sustained failed authentications per second
	// allowed from one client address (an IPv6 address counts by its /64),
	// and AuthFailureBurst how many may fail at once. Past them the address
	// is refused every request until its allowance refills.
	AuthFailureRate  float64
	AuthFailureBurst int
}

// Denied says why and for how long a request is refused.
type Denied struct {
	// Limit is "rate", "concurrency" or "auth_failures".
	Limit string
	// RetryAfter is when the client may try again (at least one second).
	RetryAfter time.Duration
}

// sweepAt is the number of entries of a table past which idle entries are
// dropped before a new one is added; it doubles when the sweep finds
// nothing idle, so a table of busy entries is swept rarely.
const sweepAt = 4096

// Limiter applies a Config. It is safe for concurrent use; the zero value
// and nil limit nothing.
type Limiter struct {
	cfg Config

	mu       sync.Mutex
	keys     map[string]*keyState
	keySweep int
	addrs    map[netip.Prefix]*rate.Limiter
	addrCap  int
}

type keyState struct {
	rate     *rate.Limiter // nil without a rate limit
	inflight int
}

// New returns a Limiter for cfg. Bursts below 1 are raised to 1 when their
// rate is set.
func New(cfg Config) *Limiter {
	if cfg.Rate > 0 && cfg.Burst < 1 {
		cfg.Burst = 1
	}
	if cfg.AuthFailureRate > 0 && cfg.AuthFailureBurst < 1 {
		cfg.AuthFailureBurst = 1
	}
	return &Limiter{cfg: cfg, keys: map[string]*keyState{}, keySweep: sweepAt,
		addrs: map[netip.Prefix]*rate.Limiter{}, addrCap: sweepAt}
}

// Acquire admits one request of key at now, or refuses it. When admitted,
// the caller must call release once the request is answered.
func (l *Limiter) Acquire(key string, now time.Time) (release func(), denied *Denied) {
	if l == nil || l.cfg.Rate <= 0 && l.cfg.Concurrent <= 0 {
		return func() {}, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.keys[key]
	if st == nil {
		if len(l.keys) >= l.keySweep {
			l.sweepKeys(now)
		}
		st = &keyState{}
		if l.cfg.Rate > 0 {
			st.rate = rate.NewLimiter(rate.Limit(l.cfg.Rate), l.cfg.Burst)
		}
		l.keys[key] = st
	}
	if l.cfg.Concurrent > 0 && st.inflight >= l.cfg.Concurrent {
		// Requests in flight usually end within a second.
		return nil, &Denied{Limit: "concurrency", RetryAfter: time.Second}
	}
	if st.rate != nil {
		r := st.rate.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			r.CancelAt(now)
			return nil, &Denied{Limit: "rate", RetryAfter: roundUp(d)}
		}
	}
	st.inflight++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			st.inflight--
			l.mu.Unlock()
		})
	}, nil
}

// sweepKeys drops the keys with nothing in flight and a full bucket: they
// would start again exactly as a new entry does.
func (l *Limiter) sweepKeys(now time.Time) {
	for k, st := range l.keys {
		if st.inflight == 0 && (st.rate == nil || st.rate.TokensAt(now) >= float64(l.cfg.Burst)) {
			delete(l.keys, k)
		}
	}
	if len(l.keys) >= l.keySweep {
		l.keySweep *= 2
	}
}

// AuthBlocked reports whether the client address addr (host or host:port)
// has used up its allowance of failed authentications at now, and when it
// may try again.
func (l *Limiter) AuthBlocked(addr string, now time.Time) *Denied {
	if l == nil || l.cfg.AuthFailureRate <= 0 {
		return nil
	}
	p, ok := clientPrefix(addr)
	if !ok {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.addrs[p]
	if lim == nil {
		return nil
	}
	if tokens := lim.TokensAt(now); tokens < 1 {
		wait := time.Duration((1 - tokens) / l.cfg.AuthFailureRate * float64(time.Second))
		return &Denied{Limit: "auth_failures", RetryAfter: roundUp(wait)}
	}
	return nil
}

// AuthFailed counts a failed authentication from the client address addr
// at now.
func (l *Limiter) AuthFailed(addr string, now time.Time) {
	if l == nil || l.cfg.AuthFailureRate <= 0 {
		return
	}
	p, ok := clientPrefix(addr)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.addrs[p]
	if lim == nil {
		if len(l.addrs) >= l.addrCap {
			l.sweepAddrs(now)
		}
		lim = rate.NewLimiter(rate.Limit(l.cfg.AuthFailureRate), l.cfg.AuthFailureBurst)
		l.addrs[p] = lim
	}
	// Past the allowance the bucket goes negative, up to one burst: an
	// address that keeps failing keeps waiting, but never for longer than
	// a burst takes to refill.
	if lim.TokensAt(now) > -float64(l.cfg.AuthFailureBurst) {
		lim.ReserveN(now, 1)
	}
}

func (l *Limiter) sweepAddrs(now time.Time) {
	for p, lim := range l.addrs {
		if lim.TokensAt(now) >= float64(l.cfg.AuthFailureBurst) {
			delete(l.addrs, p)
		}
	}
	if len(l.addrs) >= l.addrCap {
		l.addrCap *= 2
	}
}

// clientPrefix returns the address of addr ("host:port" or "host") as a
// prefix: the address itself for IPv4, its /64 for IPv6, where one client
// commonly holds a whole /64.
func clientPrefix(addr string) (netip.Prefix, bool) {
	ap, err := netip.ParseAddrPort(addr)
	var a netip.Addr
	if err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(addr); err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap().WithZone("")
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// roundUp rounds d up to whole seconds, at least one: Retry-After counts
// seconds.
func roundUp(d time.Duration) time.Duration {
	s := math.Ceil(d.Seconds())
	return time.Duration(max(1, s)) * time.Second
}
