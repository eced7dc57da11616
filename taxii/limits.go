package taxii

import (
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/limit"
)

// eTooManyRequests is the error code of a request refused by a limit
// (429, with Retry-After).
const eTooManyRequests = "too_many_requests"

// limitError is a refusal by a limit: the TAXII error and when to retry.
type limitError struct {
	err        *tearline.Error
	retryAfter time.Duration
}

func (e *limitError) Error() string { return e.err.Error() }
func (e *limitError) Unwrap() error { return e.err }

// retryAfter returns the Retry-After value of a limit's refusal, in
// seconds, or "" for another error.
func retryAfter(err error) string {
	if le, ok := err.(*limitError); ok {
		return strconv.Itoa(int(le.retryAfter / time.Second))
	}
	return ""
}

// refusal returns the error of a request refused by a limit, and counts it.
func (s *Server) refusal(d *limit.Denied) error {
	s.cfg.Metrics.Limited(d.Limit)
	var msg string
	secs := int(d.RetryAfter / time.Second)
	switch d.Limit {
	case "auth_failures":
		msg = "too many failed authentications from your address; retry in %d seconds with valid credentials"
	case "concurrency":
		msg = "too many requests of your API key are in progress; retry in %d seconds, or send fewer at a time"
	default:
		msg = "your API key sent more requests than its rate limit allows; retry in %d seconds"
	}
	return &limitError{err: tearline.Errorf(eTooManyRequests, msg, secs), retryAfter: d.RetryAfter}
}

// authBlocked returns the refusal of a request whose client address has
// failed to authenticate too often, or nil.
func (s *Server) authBlocked(r *http.Request) error {
	if d := s.cfg.Limiter.AuthBlocked(r.RemoteAddr, time.Now()); d != nil {
		return s.refusal(d)
	}
	return nil
}

// authFailed counts a failed authentication of r's client address.
func (s *Server) authFailed(r *http.Request) {
	s.cfg.Metrics.AuthFailed()
	s.cfg.Limiter.AuthFailed(r.RemoteAddr, time.Now())
}

// admit applies the rate and concurrency limits of p's key (of the client
// address for anonymous requests). When it returns no error, the caller
// calls release once the request is answered.
func (s *Server) admit(r *http.Request, p *tearline.Principal) (release func(), err error) {
	key := "anonymous:" + r.RemoteAddr
	if p != nil {
		key = "key:" + p.KeyID
	} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		key = "anonymous:" + host
	}
	release, d := s.cfg.Limiter.Acquire(key, time.Now())
	if d != nil {
		return nil, s.refusal(d)
	}
	return release, nil
}
