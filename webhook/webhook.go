// Package webhook signs Tearline's webhook deliveries, and lets receivers
// verify them.
//
// Every delivery is an HTTP POST of a STIX 2.1 bundle (Content-Type
// application/stix+json;version=2.1) with these headers:
//
//	Tearline-Signature:    t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//	Tearline-Delivery:     a UUID, the same on every attempt of one delivery
//	Tearline-Subscription: the subscription's id
//	Tearline-Sequence:     the feed sequence numbers the bundle covers, "first-last"
//
// v1 is the lower-case hex HMAC-SHA256, keyed with the subscription's
// secret, of the decimal Unix time t, a full stop, and the body bytes
// exactly as received. A receiver recomputes it, compares in constant
// time, and refuses a t too far from its own clock (replays). While a
// secret is being replaced a header may carry several v1 values; one
// matching is enough. Deliveries are at least once: a receiver that must
// not act twice keeps the Tearline-Delivery ids it has handled.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	SignatureHeader    = "Tearline-Signature"
	DeliveryHeader     = "Tearline-Delivery"
	SubscriptionHeader = "Tearline-Subscription"
	SequenceHeader     = "Tearline-Sequence"
)

// DefaultTolerance is how far the signature time may be from the
// receiver's clock in Verify, by default.
const DefaultTolerance = 5 * time.Minute

// Sign returns the Tearline-Signature header value of body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// mac is the HMAC-SHA256 of ts + "." + body.
func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrMalformed = errors.New("webhook: malformed signature header")
	ErrMismatch  = errors.New("webhook: no signature matches the body")
	ErrTooOld    = errors.New("webhook: signature time too far from now")
)

// Verify checks the Tearline-Signature header value against body and
// secret, and that its time is within tolerance of now (DefaultTolerance
// when tolerance is 0). It returns ErrMalformed, ErrMismatch or ErrTooOld
// (wrapped with details).
func Verify(header string, secret, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sigs, err := Parse(header)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	want := mac(secret, strconv.FormatInt(ts, 10), body)
	ok := false
	for _, s := range sigs {
		ok = hmac.Equal(s, want) || ok
	}
	if !ok {
		return ErrMismatch
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %v, %v from now", ErrTooOld, time.Unix(ts, 0).UTC(), d.Round(time.Second))
	}
	return nil
}

// Parse splits a Tearline-Signature header value into its time (Unix
// seconds) and its v1 signatures. Members other than t and v1 are
// ignored, for schemes to come. ErrMalformed (wrapped) when t is missing,
// repeated or not a non-negative integer, or no v1 is 64 hex digits.
func Parse(header string) (ts int64, sigs [][]byte, err error) {
	haveT := false
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, fmt.Errorf("%w: %q is not key=value", ErrMalformed, part)
		}
		switch k {
		case "t":
			if haveT {
				return 0, nil, fmt.Errorf("%w: t given twice", ErrMalformed)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || len(v) > 19 {
				return 0, nil, fmt.Errorf("%w: t=%q is not a Unix time", ErrMalformed, v)
			}
			ts, haveT = n, true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				return 0, nil, fmt.Errorf("%w: v1 is not 64 hex digits", ErrMalformed)
			}
			sigs = append(sigs, b)
		}
	}
	if !haveT || len(sigs) == 0 {
		return 0, nil, fmt.Errorf("%w: want t=UNIX-TIME,v1=HEX", ErrMalformed)
	}
	return ts, sigs, nil
}
