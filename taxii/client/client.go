// Package client is a TAXII 2.1 client: discovery, API roots, collections,
// objects with every filter and paging, manifests, versions, and adding
// objects with status polling. It speaks to any TAXII 2.1 server, not only
// Tearline, and is what Tearline's federation links and the `tearline taxii`
// commands use.
//
// Requests authenticate with HTTP Basic, a bearer token or a TLS client
// certificate. Each attempt has a timeout; failed attempts (network errors,
// 429 and 5xx answers, a timed-out slow response) are retried with
// exponential backoff, honouring Retry-After. The client tolerates common
// server quirks: a page that says more but gives no next (it continues
// after X-TAXII-Date-Added-Last, or with Range headers as TAXII 2.0 did), a
// next token the server then refuses, TAXII 2.0 media types and bundles
// where envelopes are expected. Where it cannot go on it returns an *Error
// saying why.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tearline/tearline/tracing"
)

// Media types of TAXII 2.1 and, for servers that still answer with them,
// TAXII 2.0.
const (
	MediaTAXII   = "application/taxii+json;version=2.1"
	MediaSTIX    = "application/stix+json;version=2.1"
	mediaTAXII20 = "application/vnd.oasis.taxii+json; version=2.0"
	mediaSTIX20  = "application/vnd.oasis.stix+json; version=2.0"
)

// Defaults of Options.
const (
	DefaultTimeout         = 60 * time.Second
	DefaultRetries         = 4
	DefaultMinBackoff      = 250 * time.Millisecond
	DefaultMaxBackoff      = 30 * time.Second
	DefaultMaxRetryAfter   = 5 * time.Minute
	DefaultMaxResponseSize = 256 << 20
)

// Options configure a Client. Zero fields take the defaults above.
type Options struct {
	// Token, when set, is sent as "Authorization: Bearer Token".
	Token string
	// User and Password, when User is set, are sent as HTTP Basic.
	User, Password string
	// Certificate, when set, is presented as the TLS client certificate.
	Certificate *tls.Certificate
	// RootCAs verify the server's certificate; nil means the system roots.
	RootCAs *x509.CertPool
	// Transport replaces the client's own transport (Certificate and
	// RootCAs are then ignored); tests and callers with their own proxy
	// settings use it.
	Transport http.RoundTripper
	// Timeout bounds one attempt: from sending the request until the whole
	// response body is read.
	Timeout time.Duration
	// Retries is how many times a failed attempt is retried; negative
	// means never.
	Retries int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// attempts; MaxRetryAfter caps how long a Retry-After header is obeyed
	// (a longer one ends the retries).
	MinBackoff, MaxBackoff, MaxRetryAfter time.Duration
	// MaxResponseSize is the largest response body read, in bytes.
	MaxResponseSize int64
	// UserAgent is sent in User-Agent; default "tearline-taxii-client".
	UserAgent string
	// Logger receives a line for each retry; nil logs nothing.
	Logger *slog.Logger
}

// Client is a TAXII 2.1 client. It is safe for concurrent use.
type Client struct {
	opts Options
	http *http.Client
	log  *slog.Logger
	// compat is set once the server refused TAXII 2.1 media types (406 or
	// 415): requests then also offer TAXII 2.0 types.
	compat atomic.Bool
}

// New returns a client with opts. It fails when the options are
// contradictory: a token together with a user.
func New(opts Options) (*Client, error) {
	if opts.Token != "" && opts.User != "" {
		return nil, errors.New("taxii client: give a bearer token or a user and password, not both")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Retries == 0 {
		opts.Retries = DefaultRetries
	} else if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	opts.MaxBackoff = max(opts.MaxBackoff, opts.MinBackoff)
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opts.MaxResponseSize <= 0 {
		opts.MaxResponseSize = DefaultMaxResponseSize
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "tearline-taxii-client"
	}
	tr := opts.Transport
	if tr == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs}
		if opts.Certificate != nil {
			t.TLSClientConfig.Certificates = []tls.Certificate{*opts.Certificate}
		}
		tr = t
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Redirects keep the method and body only for 307 and 308; TAXII
	// servers do not redirect, so the standard policy is enough.
	return &Client{opts: opts, http: &http.Client{Transport: tracing.Transport(tr)}, log: log}, nil
}

// LoadTLS reads a client certificate and key (PEM files; both or neither)
// and CA certificates (a PEM file; "" for the system roots), for
// Options.Certificate and Options.RootCAs.
func LoadTLS(certFile, keyFile, caFile string) (*tls.Certificate, *x509.CertPool, error) {
	var cert *tls.Certificate
	if (certFile == "") != (keyFile == "") {
		return nil, nil, errors.New("a client certificate needs both its certificate and its key file")
	}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("load client certificate %s: %w", certFile, err)
		}
		cert = &c
	}
	var pool *x509.CertPool
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, nil, fmt.Errorf("read CA file: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
		}
	}
	return cert, pool, nil
}

// Error is a request that failed: an error answer of the server (Status
// set, with the TAXII error message's title and description when it sent
// one), a response that cannot be used, or a transport failure after the
// retries (Status 0, Err set).
type Error struct {
	Method, URL string
	// Status is the HTTP status of the last answer; 0 when none came.
	Status int
	// Title and Description come from the TAXII error message, if any.
	Title, Description string
	// Attempts is how many times the request was sent.
	Attempts int
	// Err is the underlying cause: a transport error, or what is wrong
	// with a response that could not be used.
	Err error
}

// Error describes the failure with the request it belongs to.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "taxii client: %s %s", e.Method, e.URL)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Title != "" {
		fmt.Fprintf(&b, ": %s", e.Title)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", e.Description)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of err when it is an *Error from an
// answer of the server, else 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request is one logical request, sent in one or more attempts.
type request struct {
	method string
	url    string
	accept string
	body   []byte // nil for none
	ctype  string
	header http.Header // extra headers (Range)
	// ok lists the statuses that are answers; others are errors.
	ok []int
}

// retryable reports whether a status is worth another attempt.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout ||
		status >= 500 && status != http.StatusNotImplemented && status != http.StatusHTTPVersionNotSupported
}

// do sends rq, retrying failed attempts, and returns the answer. The error
// is an *Error, or ctx's error when ctx ends.
func (c *Client) do(ctx context.Context, rq request) (*response, error) {
	fail := &Error{Method: rq.method, URL: rq.url}
	backoff := c.opts.MinBackoff
	for attempt := 0; ; attempt++ {
		fail.Attempts = attempt + 1
		resp, err := c.attempt(ctx, rq)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			fail.Status, fail.Title, fail.Description, fail.Err = 0, "", "", err
		case (resp.status == http.StatusNotAcceptable || resp.status == http.StatusUnsupportedMediaType) && !c.compat.Load():
			// A TAXII 2.0 server: offer its media types too, at once.
			c.compat.Store(true)
			c.log.Info("TAXII server refused TAXII 2.1 media types; offering TAXII 2.0 ones too", "url", rq.url, "status", resp.status)
			attempt--
			continue
		case slices.Contains(rq.ok, resp.status):
			return resp, nil
		default:
			fail.Status, fail.Err = resp.status, nil
			fail.Title, fail.Description = errorMessage(resp)
			if !retryable(resp.status) {
				return nil, fail
			}
			if ra, ok := retryAfter(resp.header.Get("Retry-After"), time.Now()); ok {
				if ra > c.opts.MaxRetryAfter {
					fail.Err = fmt.Errorf("the server asks to retry after %v, longer than the %v this client waits", ra, c.opts.MaxRetryAfter)
					return nil, fail
				}
				wait = ra
			}
		}
		if attempt >= c.opts.Retries {
			return nil, fail
		}
		if wait == 0 {
			// Full jitter over the upper half spreads clients that failed
			// together.
			wait = backoff/2 + rand.N(backoff/2+1)
			backoff = min(2*backoff, c.opts.MaxBackoff)
		}
		c.log.Warn("TAXII request failed; retrying", "method", rq.method, "url", rq.url,
			"attempt", attempt+1, "wait", wait, "err", fail.Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// attempt sends rq once and reads the whole answer within the timeout.
func (c *Client) attempt(ctx context.Context, rq request) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, rq.url, body)
	if err != nil {
		return nil, err
	}
	accept := rq.accept
	if c.compat.Load() {
		switch accept {
		case MediaTAXII:
			accept += ", " + mediaTAXII20
		case MediaSTIX:
			accept += ", " + mediaSTIX20
		}
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if rq.body != nil {
		ctype := rq.ctype
		if c.compat.Load() && ctype == MediaTAXII {
			ctype = mediaSTIX20 // TAXII 2.0 servers take a bundle as STIX
		}
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range rq.header {
		req.Header[k] = v
	}
	switch {
	case c.opts.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	case c.opts.User != "":
		req.SetBasicAuth(c.opts.User, c.opts.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > c.opts.MaxResponseSize {
		return nil, fmt.Errorf("the response is %d bytes, more than the %d this client reads", resp.ContentLength, c.opts.MaxResponseSize)
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, c.opts.MaxResponseSize+1))
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	if n > c.opts.MaxResponseSize {
		return nil, fmt.Errorf("the response is more than the %d bytes this client reads", c.opts.MaxResponseSize)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()}, nil
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 1<<31)) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// resolve returns ref resolved against base; TAXII allows relative API
// root URLs.
func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(r).String(), nil
}

// dir returns u with exactly one trailing slash, as TAXII URLs end.
func dir(u string) string {
	return strings.TrimRight(u, "/") + "/"
}
