package taxii

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/metrics"
	"github.com/tearline/tearline/webhook"
)

// dissemConfig is testConfig with webhook timers short enough for tests.
func dissemConfig() Config {
	cfg := testConfig()
	cfg.Dissemination = Dissemination{
		Attempts:       3,
		Backoff:        5 * time.Millisecond,
		MaxBackoff:     20 * time.Millisecond,
		Timeout:        300 * time.Millisecond,
		Poll:           20 * time.Millisecond,
		CursorInterval: 20 * time.Millisecond,
	}
	return cfg
}

// delivery is one webhook request a receiver got.
type delivery struct {
	header  http.Header
	body    []byte
	ids     []string
	status  int // what the receiver answered
	arrived time.Time
}

// receiver is a webhook endpoint on 127.0.0.1 that records what it gets
// and answers as its behaviour says.
type receiver struct {
	t  *testing.T
	ts *httptest.Server
	mu sync.Mutex
	// behave answers a request; nil answers 204.
	behave func(w http.ResponseWriter, r *http.Request) int
	got    []delivery
	wake   chan struct{} // closed and replaced on each request
	hang   chan struct{} // closed at the end of the test, releasing hung requests
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t, wake: make(chan struct{}), hang: make(chan struct{})}
	rc.ts = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(func() {
		close(rc.hang)
		rc.ts.CloseClientConnections()
		rc.ts.Close()
	})
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var b struct {
		Type    string
		Objects []struct{ ID string }
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Type != "bundle" {
		rc.t.Errorf("webhook body is not a STIX bundle: %v: %.200s", err, body)
	}
	d := delivery{header: r.Header.Clone(), body: body, arrived: time.Now()}
	for _, o := range b.Objects {
		d.ids = append(d.ids, o.ID)
	}
	rc.mu.Lock()
	behave := rc.behave
	rc.mu.Unlock()
	d.status = http.StatusNoContent
	if behave != nil {
		d.status = behave(w, r)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	rc.mu.Lock()
	rc.got = append(rc.got, d)
	close(rc.wake)
	rc.wake = make(chan struct{})
	rc.mu.Unlock()
}

// setBehaviour changes how the receiver answers.
func (rc *receiver) setBehaviour(f func(w http.ResponseWriter, r *http.Request) int) {
	rc.mu.Lock()
	rc.behave = f
	rc.mu.Unlock()
}

// wait waits until cond holds of the deliveries so far, failing after a
// deadline.
func (rc *receiver) wait(what string, cond func([]delivery) bool) []delivery {
	rc.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		rc.mu.Lock()
		got, wake := slices.Clone(rc.got), rc.wake
		rc.mu.Unlock()
		if cond(got) {
			return got
		}
		select {
		case <-wake:
		case <-deadline:
			rc.t.Fatalf("receiver: %s: not within 30s; got %d requests: %v", what, len(got), acceptedIDs(got))
		}
	}
}

// acceptedIDs returns the ids of the objects of the deliveries the
// receiver accepted, in order of arrival.
func acceptedIDs(ds []delivery) []string {
	var out []string
	for _, d := range ds {
		if d.status >= 200 && d.status < 300 {
			out = append(out, d.ids...)
		}
	}
	return out
}

// hasAll returns a condition: every id accepted.
func hasAll(ids ...string) func([]delivery) bool {
	return func(ds []delivery) bool {
		got := acceptedIDs(ds)
		for _, id := range ids {
			if !slices.Contains(got, id) {
				return false
			}
		}
		return true
	}
}

// subscribe creates a subscription through the admin API and returns it
// with its webhook secret.
func (e *env) subscribe(org, name, filter, url string) subscriptionJSON {
	e.t.Helper()
	body := map[string]any{"org": org, "name": name, "filter": json.RawMessage(filter)}
	if url != "" {
		body["webhook"] = map[string]string{"url": url}
	}
	r := e.admin("admin", http.MethodPost, "/api/v1/subscriptions/", body)
	expect(e.t, r, http.StatusCreated)
	var s subscriptionJSON
	r.decode(e.t, &s)
	return s
}

// profiled creates an organization with a sector and a country, a reader
// key for it and a read grant on intel.
func (e *env) profiled(name, sector, country string) *tearline.Organization {
	e.t.Helper()
	o := &tearline.Organization{Name: name, Type: "private", Country: country, Sectors: []string{sector}}
	if err := e.db.CreateOrganization(context.Background(), o); err != nil {
		e.t.Fatal(err)
	}
	e.orgs[name] = o
	e.tokens[name] = e.newKey(o, tearline.RoleReader)
	e.grant(e.intel, name, true, false)
	return o
}

// sdo returns a STIX object of the given type, number and extra members.
func sdo(typ string, n int, extra string) string {
	ts := baseTime.Format(millisLayout)
	s := fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"created":%q,"modified":%q`, typ, objID(typ, n), ts, ts)
	if extra != "" {
		s += "," + extra
	}
	return s + `,"object_marking_refs":["` + marking.TLP2Green + `"]}`
}

// rel returns a relationship.
func rel(n int, typ, source, target string) string {
	return sdo("relationship", n, fmt.Sprintf(`"relationship_type":%q,"source_ref":%q,"target_ref":%q`, typ, source, target))
}

// campaign returns, for sector n, a victim identity in the sector, a
// malware family that targets it, and an indicator of the malware, with
// their relationships; ids are numbered from n*10.
func campaign(n int, sector string) (objs, ids []string) {
	victim, mal, ind := objID("identity", n*10), objID("malware", n*10), objID("indicator", n*10)
	objs = []string{
		sdo("identity", n*10, fmt.Sprintf(`"name":"victim %d","identity_class":"organization","sectors":[%q]`, n, sector)),
		sdo("malware", n*10, fmt.Sprintf(`"name":"family %d","is_family":true`, n)),
		sdo("indicator", n*10, fmt.Sprintf(`"name":"c2 %d","pattern":"[ipv4-addr:value = '203.0.113.%d']","pattern_type":"stix","valid_from":%q`,
			n, n, baseTime.Format(millisLayout))),
		rel(n*10+1, "targets", mal, victim),
		rel(n*10+2, "indicates", ind, mal),
	}
	return objs, []string{victim, mal, ind, objID("relationship", n*10+1), objID("relationship", n*10+2)}
}

// TestWebhookTailored has two organizations in different sectors
// subscribe by sector: each webhook gets what targets its sector (the
// victim, the malware, the indicator and the relationships), nothing of
// the other's, in signed bundles.
func TestWebhookTailored(t *testing.T) {
	t.Parallel()
	cfg := dissemConfig()
	e := newEnv(t, &cfg, false)
	e.profiled("Energy Co", "energy", "DE")
	e.profiled("Bank Co", "financial-services", "US")
	recvE, recvB := newReceiver(t), newReceiver(t)
	subE := e.subscribe("Energy Co", "energy", `{"sectors":["energy"]}`, recvE.ts.URL+"/hook")
	subB := e.subscribe("Bank Co", "banks", `{"sectors":["financial-services"]}`, recvB.ts.URL+"/hook")
	if subE.Webhook == nil || !strings.HasPrefix(subE.Webhook.Secret, "whsec_") {
		t.Fatalf("the new subscription shows no secret: %+v", subE.Webhook)
	}
	energy, energyIDs := campaign(1, "energy")
	bank, bankIDs := campaign(2, "financial-services")
	e.add(e.intel, append(energy, bank...)...)

	for _, tc := range []struct {
		recv       *receiver
		sub        subscriptionJSON
		want, not  []string
		secretFrom string
	}{{recvE, subE, energyIDs, bankIDs, "energy"}, {recvB, subB, bankIDs, energyIDs, "banks"}} {
		got := tc.recv.wait(tc.secretFrom+" gets its sector", hasAll(tc.want...))
		for _, id := range tc.not {
			if slices.Contains(acceptedIDs(got), id) {
				t.Errorf("%s subscription got %s, about the other sector", tc.secretFrom, id)
			}
		}
		for _, d := range got {
			if err := webhook.Verify(d.header.Get(webhook.SignatureHeader), []byte(tc.sub.Webhook.Secret), d.body, time.Now(), 0); err != nil {
				t.Errorf("%s: signature does not verify: %v", tc.secretFrom, err)
			}
			if err := webhook.Verify(d.header.Get(webhook.SignatureHeader), []byte(subB.Webhook.Secret+subE.Webhook.Secret), d.body, time.Now(), 0); err == nil {
				t.Errorf("%s: signature verifies with another secret", tc.secretFrom)
			}
			if d.header.Get(webhook.SubscriptionHeader) != tc.sub.ID || d.header.Get(webhook.DeliveryHeader) == "" ||
				!strings.Contains(d.header.Get(webhook.SequenceHeader), "-") || d.header.Get("Content-Type") != mediaSTIX {
				t.Errorf("%s: headers %v", tc.secretFrom, d.header)
			}
		}
	}
}

// TestWebhookOrder posts envelopes one after another to one subscription
// that selects everything: the webhook gets every object once, in the
// order posted, in bundles whose sequence ranges increase.
func TestWebhookOrder(t *testing.T) {
	t.Parallel()
	cfg := dissemConfig()
	e := newEnv(t, &cfg, false)
	recv := newReceiver(t)
	e.subscribe("Reader Org", "all", `{}`, recv.ts.URL)
	var want []string
	for i := range 12 {
		objs := indicators(i*3, 1+i%3, 0)
		e.add(e.intel, objs...)
		for j := range objs {
			want = append(want, objID("indicator", i*3+j))
		}
	}
	got := firstDeliveries(t, recv.wait("every object", hasAll(want...)))
	if diff := slices.Compare(want, acceptedIDs(got)); diff != 0 {
		t.Errorf("objects arrived in order\n%v\nwant\n%v", acceptedIDs(got), want)
	}
	var last int64
	for _, d := range got {
		first, end, ok := strings.Cut(d.header.Get(webhook.SequenceHeader), "-")
		a, err1 := strconv.ParseInt(first, 10, 64)
		b, err2 := strconv.ParseInt(end, 10, 64)
		if !ok || err1 != nil || err2 != nil || a > b || a <= last {
			t.Errorf("sequence %q after %d", d.header.Get(webhook.SequenceHeader), last)
		}
		last = b
	}
}

// firstDeliveries drops the accepted deliveries that repeat an earlier
// accepted one's delivery id, as a receiver does: delivery is at least
// once, and a request whose answer came after the timeout (a loaded
// machine) is sent again. A repeat must carry the same sequence and ids.
func firstDeliveries(t *testing.T, ds []delivery) []delivery {
	t.Helper()
	seen := map[string]delivery{}
	var out []delivery
	for _, d := range ds {
		if d.status < 200 || d.status >= 300 {
			out = append(out, d)
			continue
		}
		id := d.header.Get(webhook.DeliveryHeader)
		if first, ok := seen[id]; ok {
			if first.header.Get(webhook.SequenceHeader) != d.header.Get(webhook.SequenceHeader) || !slices.Equal(first.ids, d.ids) {
				t.Errorf("delivery %s sent again with sequence %s and %d objects, first with %s and %d",
					id, d.header.Get(webhook.SequenceHeader), len(d.ids), first.header.Get(webhook.SequenceHeader), len(first.ids))
			}
			continue
		}
		seen[id] = d
		out = append(out, d)
	}
	return out
}

// TestWebhookFailures has a receiver fail in each way a webhook can
// (500, no answer, a redirect, an answer too slow) beside a healthy one
// on the same server: the healthy one gets its objects while the failing
// one is still being retried; the failing delivery is tried Attempts
// times with the same delivery id and becomes a dead letter that the
// admin API shows; once the receiver is fixed, a redrive delivers it and
// clears the dead letter.
func TestWebhookFailures(t *testing.T) {
	t.Parallel()
	redirectTarget := newReceiver(t)
	for _, tc := range []struct {
		name    string
		behave  func(rc *receiver) func(w http.ResponseWriter, r *http.Request) int
		wantErr string
	}{
		{"500", func(*receiver) func(w http.ResponseWriter, r *http.Request) int {
			return func(w http.ResponseWriter, r *http.Request) int {
				w.WriteHeader(http.StatusInternalServerError)
				return http.StatusInternalServerError
			}
		}, "HTTP 500"},
		{"hangs", func(rc *receiver) func(w http.ResponseWriter, r *http.Request) int {
			return func(w http.ResponseWriter, r *http.Request) int {
				select {
				case <-rc.hang:
				case <-r.Context().Done():
				}
				return 0
			}
		}, "no answer within"},
		{"redirects", func(*receiver) func(w http.ResponseWriter, r *http.Request) int {
			return func(w http.ResponseWriter, r *http.Request) int {
				http.Redirect(w, r, redirectTarget.ts.URL, http.StatusTemporaryRedirect)
				return http.StatusTemporaryRedirect
			}
		}, "redirects are not followed"},
		// A 2xx answer is a delivery, however long its body: the body is
		// read only so far, within the timeout.
		{"answers hugely", func(rc *receiver) func(w http.ResponseWriter, r *http.Request) int {
			return func(w http.ResponseWriter, r *http.Request) int {
				w.WriteHeader(http.StatusOK)
				chunk := []byte(strings.Repeat("x", 64<<10))
				for {
					select {
					case <-rc.hang:
						return http.StatusOK
					case <-r.Context().Done():
						return http.StatusOK
					default:
					}
					if _, err := w.Write(chunk); err != nil {
						return http.StatusOK
					}
				}
			}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := dissemConfig()
			e := newEnv(t, &cfg, false)
			bad, good := newReceiver(t), newReceiver(t)
			bad.setBehaviour(tc.behave(bad))
			sub := e.subscribe("Reader Org", "bad", `{}`, bad.ts.URL)
			e.subscribe("Reader Org", "good", `{}`, good.ts.URL)
			objs := indicators(1, 3, 0)
			e.add(e.intel, objs...)
			ids := []string{objID("indicator", 1), objID("indicator", 2), objID("indicator", 3)}
			good.wait("the healthy subscriber", hasAll(ids...))
			if tc.wantErr == "" {
				bad.wait("the delivery", hasAll(ids...))
				if dls := deadLettersOf(t, e, sub.ID); len(dls) != 0 {
					t.Errorf("dead letters %+v after a 2xx answer", dls)
				}
				return
			}

			dl := waitDeadLetter(t, e, sub.ID)
			if dl.Attempts != cfg.Dissemination.Attempts || dl.Objects != 3 || !strings.Contains(dl.LastError, tc.wantErr) {
				t.Errorf("dead letter %+v, want %d attempts, 3 objects, error with %q", dl, cfg.Dissemination.Attempts, tc.wantErr)
			}
			bad.mu.Lock()
			attempts := slices.Clone(bad.got)
			bad.mu.Unlock()
			if tc.name != "hangs" {
				// A request that timed out may not have been recorded yet.
				if len(attempts) != cfg.Dissemination.Attempts {
					t.Errorf("the failing receiver got %d requests, want %d", len(attempts), cfg.Dissemination.Attempts)
				}
			}
			for _, a := range attempts {
				if a.header.Get(webhook.DeliveryHeader) != attempts[0].header.Get(webhook.DeliveryHeader) {
					t.Errorf("attempts carry different delivery ids")
				}
			}
			if len(redirectTarget.got) > 0 {
				t.Errorf("a redirect was followed")
			}
			// The receiver is fixed: a redrive delivers and clears the dead letter.
			bad.setBehaviour(nil)
			r := e.admin("admin", http.MethodPost, "/api/v1/subscriptions/"+sub.ID+"/dead-letters/"+dl.ID+"/redrive/", nil)
			expect(t, r, http.StatusAccepted)
			bad.wait("the redriven delivery", hasAll(ids...))
			waitNoDeadLetter(t, e, sub.ID)
			// A later object still flows.
			e.add(e.intel, indicator(9, 0))
			bad.wait("a later object", hasAll(objID("indicator", 9)))
		})
	}
}

// deadLettersOf returns the dead letters of a subscription.
func deadLettersOf(t *testing.T, e *env, id string) []deadLetterJSON {
	t.Helper()
	r := e.admin("admin", http.MethodGet, "/api/v1/subscriptions/"+id+"/dead-letters/", nil)
	expect(t, r, http.StatusOK)
	var res struct {
		DeadLetters []deadLetterJSON `json:"dead_letters"`
	}
	r.decode(t, &res)
	return res.DeadLetters
}

// poll calls cond until it holds, with a deadline; the state it watches
// (the store) has no event to wait on.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitDeadLetter(t *testing.T, e *env, id string) deadLetterJSON {
	t.Helper()
	var dls []deadLetterJSON
	poll(t, "a dead letter", func() bool { dls = deadLettersOf(t, e, id); return len(dls) > 0 })
	if len(dls) != 1 {
		t.Fatalf("dead letters %+v, want one", dls)
	}
	return dls[0]
}

func waitNoDeadLetter(t *testing.T, e *env, id string) {
	t.Helper()
	poll(t, "the dead letter cleared", func() bool { return len(deadLettersOf(t, e, id)) == 0 })
}

// TestWebhookRetrySucceeds has a receiver fail twice then accept: one
// delivery, no dead letter.
func TestWebhookRetrySucceeds(t *testing.T) {
	t.Parallel()
	cfg := dissemConfig()
	e := newEnv(t, &cfg, false)
	recv := newReceiver(t)
	var n int
	recv.setBehaviour(func(w http.ResponseWriter, r *http.Request) int {
		if n++; n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return http.StatusServiceUnavailable
		}
		w.WriteHeader(http.StatusOK)
		return http.StatusOK
	})
	sub := e.subscribe("Reader Org", "flaky", `{}`, recv.ts.URL)
	e.add(e.intel, indicator(1, 0))
	got := recv.wait("the third attempt", hasAll(objID("indicator", 1)))
	if len(got) != 3 || got[0].header.Get(webhook.DeliveryHeader) != got[2].header.Get(webhook.DeliveryHeader) {
		t.Errorf("%d requests, want 3 attempts of one delivery", len(got))
	}
	if dls := deadLettersOf(t, e, sub.ID); len(dls) != 0 {
		t.Errorf("dead letters %+v after a success", dls)
	}
}

// TestWebhookResumeAfterRestart stops the server while a delivery is
// being retried: after the restart what was delivered is not sent again,
// what was not is, and later objects follow.
func TestWebhookResumeAfterRestart(t *testing.T) {
	t.Parallel()
	cfg := dissemConfig()
	cfg.Dissemination.Attempts = 1000 // keep retrying through the restart
	e := newEnv(t, &cfg, false)
	recv := newReceiver(t)
	sub := e.subscribe("Reader Org", "resume", `{"types":["indicator"]}`, recv.ts.URL)
	e.add(e.intel, indicators(1, 2, 0)...)
	recv.wait("the first batch", hasAll(objID("indicator", 1), objID("indicator", 2)))

	recv.setBehaviour(func(w http.ResponseWriter, r *http.Request) int {
		w.WriteHeader(http.StatusBadGateway)
		return http.StatusBadGateway
	})
	e.add(e.intel, indicators(3, 2, 0)...)
	recv.wait("a failed attempt of the second batch", func(ds []delivery) bool { return ds[len(ds)-1].status == http.StatusBadGateway })
	e.restart(cfg, false)
	recv.setBehaviour(nil)
	e.add(e.intel, indicator(5, 0))
	got := recv.wait("everything after the restart", hasAll(objID("indicator", 3), objID("indicator", 4), objID("indicator", 5)))
	want := []string{objID("indicator", 1), objID("indicator", 2), objID("indicator", 3), objID("indicator", 4), objID("indicator", 5)}
	if diff := slices.Compare(want, acceptedIDs(got)); diff != 0 {
		t.Errorf("accepted %v, want each once in order %v", acceptedIDs(got), want)
	}
	s, err := e.db.(tearline.Subscriptions).FindSubscription(context.Background(), sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the cursor saved", func() bool {
		s, err = e.db.(tearline.Subscriptions).FindSubscription(context.Background(), sub.ID)
		return err == nil && s.Cursor >= 5
	})
}

// sseEvent is one server-sent event.
type sseEvent struct {
	id, event, data string
}

// sseClient reads events from a stream response.
type sseClient struct {
	resp   *http.Response
	events chan sseEvent
}

// openStream opens /api/v1/stream with query q as who, resuming after
// lastID when it is not empty.
func (e *env) openStream(who, q, lastID string) *sseClient {
	e.t.Helper()
	hr, err := http.NewRequest(http.MethodGet, e.ts.URL+"/api/v1/stream/"+q, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+e.tokens[who])
	hr.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		hr.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := e.ts.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e.t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	c := &sseClient{resp: resp, events: make(chan sseEvent, 1024)}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var ev sseEvent
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				ev.data = strings.Join(data, "\n")
				if ev.id != "" || ev.data != "" {
					c.events <- ev
				}
				ev, data = sseEvent{}, nil
			case strings.HasPrefix(line, ":"):
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = append(data, line[6:])
			}
		}
	}()
	e.t.Cleanup(func() { resp.Body.Close() })
	return c
}

// take reads events until it has the objects with the given ids, and
// returns their ids in order and the last event id.
func (c *sseClient) take(t *testing.T, ids ...string) ([]string, string) {
	t.Helper()
	var got []string
	last := ""
	deadline := time.After(30 * time.Second)
	for !containsAll(got, ids) {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("stream ended; got %v", got)
			}
			last = ev.id
			if ev.event != "stix" {
				continue
			}
			var o struct{ ID string }
			if err := json.Unmarshal([]byte(ev.data), &o); err != nil {
				t.Fatalf("event data is not a STIX object: %v: %q", err, ev.data)
			}
			got = append(got, o.ID)
		case <-deadline:
			t.Fatalf("stream: not within 30s; got %v, want %v", got, ids)
		}
	}
	return got, last
}

func containsAll(got, want []string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// TestStreamResume reads a subscription's stream, disconnects, and
// reconnects with Last-Event-ID: the second connection gets exactly what
// was added since, in order; the sector feed stream serves the caller's
// sector without any subscription.
func TestStreamResume(t *testing.T) {
	t.Parallel()
	cfg := dissemConfig()
	e := newEnv(t, &cfg, false)
	e.profiled("Energy Co", "energy", "DE")
	sub := e.subscribe("Energy Co", "indicators", `{"types":["indicator"]}`, "")
	s1 := e.openStream("Energy Co", "?subscription="+sub.ID, "")
	feed := e.openStream("Energy Co", "", "")
	e.add(e.intel, indicators(1, 3, 0)...)
	got, last := s1.take(t, objID("indicator", 1), objID("indicator", 2), objID("indicator", 3))
	if diff := slices.Compare(got, []string{objID("indicator", 1), objID("indicator", 2), objID("indicator", 3)}); diff != 0 {
		t.Errorf("first connection got %v", got)
	}
	s1.resp.Body.Close()

	energy, energyIDs := campaign(1, "energy")
	e.add(e.intel, indicators(4, 2, 0)...)
	e.add(e.intel, energy...)
	s2 := e.openStream("Energy Co", "?subscription="+sub.ID, last)
	got, _ = s2.take(t, objID("indicator", 4), objID("indicator", 5), objID("indicator", 10))
	want := []string{objID("indicator", 4), objID("indicator", 5), objID("indicator", 10)}
	if diff := slices.Compare(got, want); diff != 0 {
		t.Errorf("resumed connection got %v, want %v", got, want)
	}
	// The sector feed: what targets the energy sector, not the plain
	// indicators.
	got, _ = feed.take(t, energyIDs...)
	for _, id := range got {
		if !slices.Contains(energyIDs, id) {
			t.Errorf("the sector feed sent %s", id)
		}
	}

	// Someone else's subscription is not found; a bad Last-Event-ID is
	// refused.
	r := e.do(req{path: "/api/v1/stream/?subscription=" + sub.ID, token: e.tokens["reader"]})
	expect(t, r, http.StatusNotFound)
	r = e.do(req{path: "/api/v1/stream/", token: e.tokens["Energy Co"], header: map[string]string{"Last-Event-ID": "x"}})
	expect(t, r, http.StatusBadRequest)
}

// TestFeedCollection reads subscriptions as TAXII collections: listed for
// their organization only, paged with limit and next, positioned with
// added_after, read-only.
func TestFeedCollection(t *testing.T) {
	t.Parallel()
	cfg := dissemConfig()
	e := newEnv(t, &cfg, false)
	sub := e.subscribe("Reader Org", "malware feed", `{"types":["malware","indicator"]}`, "")
	e.add(e.intel, malware(1), indicator(1, 0), ipv4(1), malware(2))
	e.add(e.intel, indicator(2, 0), ipv4(2))
	want := []string{objID("malware", 1), objID("indicator", 1), objID("malware", 2), objID("indicator", 2)}

	r := e.get("reader", "/taxii2/default/collections/")
	expect(t, r, http.StatusOK)
	var cols collectionsResource
	r.decode(t, &cols)
	var ids []string
	for _, c := range cols.Collections {
		ids = append(ids, c.ID)
		if c.ID == sub.ID && (c.CanWrite || !c.CanRead || c.Title != "malware feed") {
			t.Errorf("subscription collection resource %+v", c)
		}
	}
	if !slices.Contains(ids, sub.ID) {
		t.Errorf("collections %v lack the subscription", ids)
	}
	r = e.admin("reader", http.MethodGet, "/api/v1/feeds/", nil)
	expect(t, r, http.StatusOK)
	var feeds struct{ Feeds []feedJSON }
	r.decode(t, &feeds)
	if len(feeds.Feeds) != 2 || feeds.Feeds[0].ID != sectorFeedID(e.orgs["Reader Org"].ID) || feeds.Feeds[1].ID != sub.ID ||
		feeds.Feeds[1].Collection != "/taxii2/default/collections/"+sub.ID+"/" {
		t.Errorf("feeds %s", r.body)
	}
	// The sector feed is a collection too (the reader has no sector, and
	// the objects target nothing: it is empty).
	r = e.get("reader", "/taxii2/default/collections/"+feeds.Feeds[0].ID+"/objects/")
	expect(t, r, http.StatusOK)
	r = e.get("contributor", "/taxii2/default/collections/")
	if strings.Contains(string(r.body), sub.ID) {
		t.Errorf("another organization sees the subscription collection")
	}

	path := "/taxii2/default/collections/" + sub.ID + "/"
	if got := pageAll(t, e, "reader", path+"objects/", "limit=1"); slices.Compare(got, want) != 0 {
		t.Errorf("paged objects %v, want %v", got, want)
	}
	if got := pageAll(t, e, "reader", path+"objects/", "match[type]=malware"); slices.Compare(got, []string{objID("malware", 1), objID("malware", 2)}) != 0 {
		t.Errorf("match[type]=malware: %v", got)
	}
	r = e.get("reader", path+"manifest/")
	expect(t, r, http.StatusOK)
	var m manifestResource
	r.decode(t, &m)
	if len(m.Objects) != 4 {
		t.Fatalf("manifest %s", r.body)
	}
	// added_after the second entry's date_added gives the rest.
	r = e.get("reader", path+"objects/?added_after="+m.Objects[1].DateAdded)
	expect(t, r, http.StatusOK)
	var env envelopeResource
	r.decode(t, &env)
	if got := env.ids(t); slices.Compare(got, want[2:]) != 0 {
		t.Errorf("added_after %s: %v, want %v", m.Objects[1].DateAdded, got, want[2:])
	}
	expect(t, e.get("reader", path), http.StatusOK)
	expect(t, e.post("reader", path+"objects/", envelope(indicator(7, 0))), http.StatusForbidden)
	expect(t, e.get("contributor", path+"objects/"), http.StatusNotFound)
	expect(t, e.get("reader", path+"objects/"+objID("malware", 1)+"/"), http.StatusNotFound)
	expect(t, e.get("reader", path+"objects/?match[version]=last"), http.StatusBadRequest)
}

// TestSubscriptionAPI checks the admin API's validation and lifecycle.
func TestSubscriptionAPI(t *testing.T) {
	t.Parallel()
	cfg := dissemConfig()
	e := newEnv(t, &cfg, false)
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"filter": json.RawMessage(`{}`)}, "org: missing"},
		{map[string]any{"org": "nobody", "filter": json.RawMessage(`{}`)}, `org: no organization \"nobody\"`},
		{map[string]any{"org": "Reader Org"}, "filter: missing"},
		{map[string]any{"org": "Reader Org", "filter": json.RawMessage(`{"any":[{"sectors":["banking"]}]}`)},
			`filter.any[0].sectors[0]: \"banking\" is not an industry-sector-ov value`},
		{map[string]any{"org": "Reader Org", "filter": json.RawMessage(`{}`), "webhook": map[string]string{"url": "ftp://x"}}, `webhook.url: scheme \"ftp\"`},
		{map[string]any{"org": "Reader Org", "filter": json.RawMessage(`{}`), "webhook": map[string]string{"url": "https://u:p@x"}}, "webhook.url: holds credentials"},
		{map[string]any{"org": "Reader Org", "filter": json.RawMessage(`{}`), "webhook": map[string]string{"url": "https://x", "secret": "short"}}, "webhook.secret: shorter than 16"},
	} {
		r := e.admin("admin", http.MethodPost, "/api/v1/subscriptions/", tc.body)
		expect(t, r, http.StatusBadRequest)
		if !strings.Contains(string(r.body), tc.want) {
			t.Errorf("POST %v: %s, want %q", tc.body, r.body, tc.want)
		}
	}
	expect(t, e.admin("reader", http.MethodGet, "/api/v1/subscriptions/", nil), http.StatusForbidden)

	sub := e.subscribe("Reader Org", "one", `{"types":["indicator"]}`, "https://hooks.example.org/x")
	r := e.admin("admin", http.MethodGet, "/api/v1/subscriptions/"+sub.ID+"/", nil)
	expect(t, r, http.StatusOK)
	var got subscriptionJSON
	r.decode(t, &got)
	if got.Webhook == nil || got.Webhook.Secret != "" || got.Webhook.URL != "https://hooks.example.org/x" {
		t.Errorf("GET shows webhook %+v, want the URL and no secret", got.Webhook)
	}
	r = e.admin("admin", http.MethodPatch, "/api/v1/subscriptions/"+sub.ID+"/", map[string]any{"name": "renamed"})
	expect(t, r, http.StatusOK)
	r.decode(t, &got)
	if got.Name != "renamed" || string(got.Filter) != `{"types":["indicator"]}` || got.Webhook == nil {
		t.Errorf("PATCH name left %+v", got)
	}
	r = e.admin("admin", http.MethodPut, "/api/v1/subscriptions/"+sub.ID+"/", map[string]any{"filter": json.RawMessage(`{}`)})
	expect(t, r, http.StatusOK)
	got = subscriptionJSON{}
	r.decode(t, &got)
	if got.Name != "" || got.Webhook != nil {
		t.Errorf("PUT without a webhook left %+v", got)
	}
	r = e.admin("admin", http.MethodGet, "/api/v1/subscriptions/?org=Reader%20Org", nil)
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), sub.ID) {
		t.Errorf("list: %s", r.body)
	}
	expect(t, e.admin("admin", http.MethodDelete, "/api/v1/subscriptions/"+sub.ID+"/", nil), http.StatusNoContent)
	expect(t, e.admin("admin", http.MethodGet, "/api/v1/subscriptions/"+sub.ID+"/", nil), http.StatusNotFound)
}

// TestWebhookMarkings subscribes an organization named on TLP:RED
// distribution lists and one that is not: the RED object goes only to the
// named one; an object with a granular RED marking goes whole to the
// named one and as a redacted copy (without the marked description) to
// the other; every decision is in the ledger under path webhook.
func TestWebhookMarkings(t *testing.T) {
	t.Parallel()
	e := newMarkingEnv(t)
	lg, dir := withLedger(t, e, ledger.Options{})
	fvey := e.orgs["fvey"]
	recvF, recvR := newReceiver(t), newReceiver(t)
	e.subscribe("fvey", "all", `{}`, recvF.ts.URL)
	e.subscribe("Reader Org", "all", `{}`, recvR.ts.URL)
	named := `,"x_tearline_distribution":["` + fvey.ID + `"]`
	objs := map[string]string{
		"red":       marked(101, 0, refs(marking.TLP2Red)+named),
		"red-other": marked(102, 0, refs(marking.TLP2Red)),
		"granular": marked(103, 0, refs(marking.TLP2Green)+named+
			`,"description":"seen at the ministry","granular_markings":[{"marking_ref":"`+marking.TLP2Red+`","selectors":["description"]}]`),
		"green": marked(104, 0, refs(marking.TLP2Green)),
	}
	e.add(e.intel, objs["red"], objs["red-other"], objs["granular"], objs["green"])
	id := func(n int) string { return objID("indicator", n) }

	gotF := recvF.wait("fvey's objects", hasAll(id(101), id(103), id(104)))
	gotR := recvR.wait("the reader's objects", hasAll(id(103), id(104)))
	// Everything posted in one envelope comes in one bundle: once the
	// bundle is in, nothing more will come.
	for who, ids := range map[string][]string{"fvey": acceptedIDs(gotF), "reader": acceptedIDs(gotR)} {
		for _, bad := range []string{id(102)} {
			if slices.Contains(ids, bad) {
				t.Errorf("%s got the RED object naming nobody", who)
			}
		}
	}
	if slices.Contains(acceptedIDs(gotR), id(101)) {
		t.Errorf("the reader got a RED object it is not named on")
	}
	objectIn := func(ds []delivery, want string) map[string]any {
		for _, d := range ds {
			var b struct{ Objects []map[string]any }
			json.Unmarshal(d.body, &b)
			for _, o := range b.Objects {
				if o["id"] == want {
					return o
				}
			}
		}
		return nil
	}
	if o := objectIn(gotF, id(103)); o == nil || o["description"] != "seen at the ministry" {
		t.Errorf("the named organization got %v, want the whole object", o)
	}
	if o := objectIn(gotR, id(103)); o == nil || o["description"] != nil || o["name"] == nil {
		t.Errorf("the reader got %v, want a copy without the description", o)
	}
	if err := lg.Flush(); err != nil {
		t.Fatal(err)
	}
	entries, err := ledger.Who(dir, id(101))
	if err != nil {
		t.Fatal(err)
	}
	decisions := map[string]string{}
	for _, en := range entries {
		if en.Path == ledger.PathWebhook {
			decisions[en.Org] = en.Decision.String()
		}
	}
	if decisions[fvey.ID] != "whole" || decisions[e.orgs["Reader Org"].ID] != "withhold" {
		t.Errorf("ledger decisions on the RED object: %v", decisions)
	}
}

// TestDeliveryMetrics checks the delivery metrics: webhook requests by
// outcome, the delivery lag of each object a receiver accepted or a
// stream was sent, and the webhook backlog once everything is delivered.
func TestDeliveryMetrics(t *testing.T) {
	t.Parallel()
	cfg := dissemConfig()
	cfg.Metrics = metrics.New()
	e := newEnv(t, &cfg, false)
	m := cfg.Metrics
	flaky, dead := newReceiver(t), newReceiver(t)
	var n int
	flaky.setBehaviour(func(w http.ResponseWriter, r *http.Request) int {
		if n++; n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return http.StatusServiceUnavailable
		}
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent
	})
	dead.setBehaviour(func(w http.ResponseWriter, r *http.Request) int {
		w.WriteHeader(http.StatusInternalServerError)
		return http.StatusInternalServerError
	})
	e.subscribe("Reader Org", "flaky", `{}`, flaky.ts.URL)
	deadSub := e.subscribe("Reader Org", "dead", `{}`, dead.ts.URL)
	e.profiled("Energy Co", "energy", "DE")
	sub := e.subscribe("Energy Co", "indicators", `{"types":["indicator"]}`, "")
	stream := e.openStream("Energy Co", "?subscription="+sub.ID, "")

	e.add(e.intel, indicators(1, 2, 0)...)
	flaky.wait("the retried delivery", hasAll(objID("indicator", 1), objID("indicator", 2)))
	waitDeadLetter(t, e, deadSub.ID)
	stream.take(t, objID("indicator", 1), objID("indicator", 2))

	// Three attempts to the dead receiver (two failed, the last dead
	// lettered), two to the flaky one (one failed, one delivered).
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"tearline_webhook_requests_total", map[string]string{"outcome": "delivered"}, 1},
		{"tearline_webhook_requests_total", map[string]string{"outcome": "failed"}, 3},
		{"tearline_webhook_requests_total", map[string]string{"outcome": "dead_lettered"}, 1},
		{"tearline_delivery_lag_seconds", map[string]string{"channel": "webhook"}, 2},
		{"tearline_delivery_lag_seconds", map[string]string{"channel": "stream"}, 2},
	} {
		poll(t, fmt.Sprintf("%s%v = %v", tt.name, tt.labels, tt.want), func() bool {
			return counterValue(t, m, tt.name, tt.labels) == tt.want
		})
	}
	poll(t, "an empty webhook backlog", func() bool { return counterValue(t, m, "tearline_webhook_backlog_entries", nil) == 0 })
}
