package taxii

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tearline/tearline/limit"
	"github.com/tearline/tearline/metrics"
)

// limitedEnv starts a server with the given limits and metrics.
func limitedEnv(t *testing.T, lc limit.Config) (*env, *metrics.Metrics) {
	t.Helper()
	cfg := testConfig()
	cfg.Limiter = limit.New(lc)
	cfg.Metrics = metrics.New()
	return newEnv(t, &cfg, false), cfg.Metrics
}

// expect429 checks a refusal by a limit: a TAXII error with status 429,
// error code too_many_requests, and a Retry-After of whole seconds within
// [min, max].
func expect429(t *testing.T, r *response, min, max int) {
	t.Helper()
	expect(t, r, http.StatusTooManyRequests)
	var er errorResource
	r.decode(t, &er)
	// TAXII paths answer with the TAXII media type, the admin API with JSON.
	if ct := r.header.Get("Content-Type"); er.ErrorCode != eTooManyRequests || ct != mediaTAXII && ct != "application/json" {
		t.Errorf("429 body %s, Content-Type %q", r.body, r.header.Get("Content-Type"))
	}
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < min || secs > max {
		t.Errorf("Retry-After %q, want %d to %d seconds", r.header.Get("Retry-After"), min, max)
	}
	if !strings.Contains(er.Description, "retry in "+r.header.Get("Retry-After")+" seconds") {
		t.Errorf("description %q does not say when to retry", er.Description)
	}
}

func TestRateLimitPerKey(t *testing.T) {
	t.Parallel()
	// One request per 100 s after a burst of 3: no refill during the test.
	e, m := limitedEnv(t, limit.Config{Rate: 0.01, Burst: 3})
	path := "/taxii2/default/collections/"
	for i := range 3 {
		if r := e.get("reader", path); r.status != 200 {
			t.Fatalf("request %d of the burst: %s", i, r)
		}
	}
	r := e.get("reader", path)
	expect429(t, r, 1, 100)
	if !strings.Contains(string(r.body), "rate limit") {
		t.Errorf("429 body does not name the rate limit: %s", r.body)
	}
	// Another key of the same address, and admin routes of another key,
	// go on.
	expect(t, e.get("contributor", path), 200)
	expect(t, e.get("admin", "/api/v1/collections/"), 200)
	// The admin API counts against the key's rate like TAXII does.
	for range 2 {
		e.get("admin", "/api/v1/collections/")
	}
	expect429(t, e.get("admin", "/api/v1/collections/"), 1, 100)
	// The probes are never limited.
	for range 5 {
		expect(t, e.do(req{path: "/healthz"}), 200)
	}
	if got := counterValue(t, m, "tearline_requests_limited_total", map[string]string{"limit": "rate"}); got != 2 {
		t.Errorf("tearline_requests_limited_total{limit=rate} = %v, want 2", got)
	}
}

// TestConcurrencyLimitPerKey holds one request of a key in flight (its
// body not yet sent) and checks that a second one of the same key is
// refused while another key's goes through.
func TestConcurrencyLimitPerKey(t *testing.T) {
	t.Parallel()
	e, m := limitedEnv(t, limit.Config{Concurrent: 1})
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	body := string(envelope(indicator(1, 0)))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAccept: %s\r\nContent-Type: %s\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", colPath(e.intel, "objects/"), e.tokens["contributor"], mediaTAXII, mediaTAXII, len(body))
	// net/http answers 100 Continue when the handler starts reading the
	// body: the request is then admitted and in flight.
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("waiting for 100 Continue: %q, %v", line, err)
	}
	br.ReadString('\n') // the empty line after the interim response

	expect429(t, e.get("contributor", colPath(e.intel, "")), 1, 1)
	expect(t, e.get("reader", colPath(e.intel, "")), 200)

	if _, err := conn.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("the held POST: %d", resp.StatusCode)
	}
	// Its place is free again.
	expect(t, e.get("contributor", colPath(e.intel, "")), 200)
	if got := counterValue(t, m, "tearline_requests_limited_total", map[string]string{"limit": "concurrency"}); got != 1 {
		t.Errorf("tearline_requests_limited_total{limit=concurrency} = %v, want 1", got)
	}
}

// fromAddr returns a client whose connections come from the loopback
// address ip (any of 127.0.0.0/8 on Linux).
func fromAddr(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func TestAuthFailureLimitPerAddress(t *testing.T) {
	t.Parallel()
	e, m := limitedEnv(t, limit.Config{AuthFailureRate: 0.01, AuthFailureBurst: 2})
	path := "/taxii2/default/collections/"
	attacker, other := fromAddr("127.0.0.2"), fromAddr("127.0.0.3")
	if _, err := attacker.Get(e.ts.URL + "/healthz"); err != nil {
		t.Skipf("cannot connect from 127.0.0.2: %v", err)
	}
	good := e.tokens["reader"]
	wrong := good[:len(good)-4] + "AAAA"
	if wrong == good {
		wrong = good[:len(good)-4] + "BBBB"
	}
	// Requests without credentials are not failures: they are not guesses.
	for range 5 {
		expect(t, doWith(t, attacker, e.ts.URL, req{path: path}), http.StatusUnauthorized)
	}
	for _, tok := range []string{wrong, "tl_malformed"} {
		expect(t, doWith(t, attacker, e.ts.URL, req{path: path, token: tok}), http.StatusUnauthorized)
	}
	// The allowance is used up: the address is refused, even with a valid
	// token, and also on the admin API.
	expect429(t, doWith(t, attacker, e.ts.URL, req{path: path, token: good}), 1, 100)
	expect429(t, doWith(t, attacker, e.ts.URL, req{path: "/api/v1/collections/", token: e.tokens["admin"]}), 1, 100)
	// Another address is not affected.
	expect(t, doWith(t, other, e.ts.URL, req{path: path, token: good}), 200)
	if got := counterValue(t, m, "tearline_auth_failures_total", nil); got != 2 {
		t.Errorf("tearline_auth_failures_total = %v, want 2", got)
	}
	if got := counterValue(t, m, "tearline_requests_limited_total", map[string]string{"limit": "auth_failures"}); got != 2 {
		t.Errorf("tearline_requests_limited_total{limit=auth_failures} = %v, want 2", got)
	}
}

// TestLimitsOff checks that a server without a Limiter serves a burst of
// one key and repeated failures of one address.
func TestLimitsOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, false)
	for range 50 {
		expect(t, e.do(req{path: "/taxii2/", token: "tl_wrong"}), http.StatusUnauthorized)
	}
	for range 50 {
		expect(t, e.get("reader", "/taxii2/"), 200)
	}
}

// counterValue returns the value of the counter or gauge name with the
// given labels from m's registry (0 when absent).
func counterValue(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, mt := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range mt.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			switch {
			case mt.GetCounter() != nil:
				return mt.GetCounter().GetValue()
			case mt.GetGauge() != nil:
				return mt.GetGauge().GetValue()
			case mt.GetHistogram() != nil:
				return float64(mt.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}
