package taxii

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

func (e *env) count(c *tearline.Collection) int {
	e.t.Helper()
	n, err := e.db.CountObjects(context.Background(), c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// statusOf fetches a status as the named key.
func (e *env) statusOf(who, id string) statusResource {
	e.t.Helper()
	r := e.get(who, "/taxii2/default/status/"+id+"/")
	expect(e.t, r, http.StatusOK)
	var st statusResource
	r.decode(e.t, &st)
	return st
}

// counts summarizes a status for messages.
func counts(st statusResource) string {
	s := fmt.Sprintf("%s total %d, %d successes, %d failures, %d pending", st.Status, st.TotalCount, st.SuccessCount, st.FailureCount, st.PendingCount)
	if len(st.Failures) > 0 {
		s += fmt.Sprintf(" (first failure %+v)", st.Failures[0])
	}
	return s
}

// checkCounts checks the invariants taxii2-client checks on a status.
func checkCounts(t *testing.T, st statusResource) {
	t.Helper()
	if st.SuccessCount+st.FailureCount+st.PendingCount != st.TotalCount {
		t.Errorf("counts %d + %d + %d != total %d", st.SuccessCount, st.FailureCount, st.PendingCount, st.TotalCount)
	}
	if len(st.Successes) > 0 && len(st.Successes) != st.SuccessCount ||
		len(st.Failures) > 0 && len(st.Failures) != st.FailureCount ||
		len(st.Pendings) > 0 && len(st.Pendings) != st.PendingCount {
		t.Errorf("detail lists disagree with counts: %s", counts(st))
	}
	if st.ID == "" || st.Status == "" {
		t.Errorf("status without id or status: %+v", st)
	}
}

func TestPostPartialFailure(t *testing.T) {
	e := newEnv(t, nil, false)
	e.add(e.intel, indicator(1, 0), indicator(5, 0))
	changed := strings.Replace(indicator(5, 0), "indicator 5", "changed name", 1)
	dupDiffer := strings.Replace(indicator(3, 0), "indicator 3", "other name", 1)
	noID := `{"type":"malware","spec_version":"2.1","created":"2024-03-01T12:00:00.000Z","modified":"2024-03-01T12:00:00.000Z","name":"x","is_family":true}`
	badPattern := strings.Replace(indicator(4, 0), `"valid_from":"2024-03-01T12:00:00.000Z"`, `"valid_from":"yesterday"`, 1)
	body := envelope(
		indicator(1, 0), // 0: already stored, identical
		indicator(2, 0), // 1: new
		changed,         // 2: conflicts with indicator 5 as stored
		indicator(3, 0), // 3: new
		dupDiffer,       // 4: same id and version as 3, other content
		`[1,2,3]`,       // 5: not an object
		noID,            // 6: no id
		badPattern,      // 7: invalid timestamp
		ipv4(7),         // 8: new SCO
		malware(1),      // 9: new
	)
	r := e.post("contributor", colPath(e.intel, "objects/"), body)
	expect(t, r, http.StatusAccepted)
	if got := r.header.Get("Content-Type"); got != mediaTAXII {
		t.Errorf("Content-Type %q", got)
	}
	var st statusResource
	r.decode(t, &st)
	checkCounts(t, st)
	if st.Status != tearline.StatusComplete || st.TotalCount != 10 || st.SuccessCount != 5 || st.FailureCount != 5 || st.PendingCount != 0 {
		t.Fatalf("status %s", r.body)
	}
	if _, err := time.Parse(dateAddedLayout, st.RequestTimestamp); err != nil {
		t.Errorf("request_timestamp %q: %v", st.RequestTimestamp, err)
	}
	v0 := baseTime.Format(millisLayout)
	var successIDs []string
	for _, d := range st.Successes {
		successIDs = append(successIDs, d.ID)
		if d.ID == objID("ipv4-addr", 7) {
			if _, err := time.Parse(dateAddedLayout, d.Version); err != nil {
				t.Errorf("SCO success version %q is not its date_added", d.Version)
			}
		} else if d.Version != v0 {
			t.Errorf("success %+v: version, want %s", d, v0)
		}
	}
	wantIDs := []string{objID("indicator", 1), objID("indicator", 2), objID("indicator", 3), objID("ipv4-addr", 7), objID("malware", 1)}
	if diff := cmp.Diff(wantIDs, successIDs); diff != "" {
		t.Errorf("successes (-want +got):\n%s", diff)
	}
	if st.Successes[0].Message == "" {
		t.Errorf("the duplicate's success has no message")
	}
	failures := map[string]string{}
	for _, f := range st.Failures {
		failures[f.ID+" "+f.Version] = f.Message
	}
	for _, want := range []struct{ key, mention string }{
		{objID("indicator", 5) + " " + v0, "already stored with different content"},
		{objID("indicator", 3) + " " + v0, "objects[4]"},
		{" ", "objects[5]"},
		{" " + v0, "objects[6].id"},
		{objID("indicator", 4) + " " + v0, "objects[7].valid_from"},
	} {
		msg, ok := failures[want.key]
		if !ok {
			t.Errorf("no failure for %q in %+v", want.key, st.Failures)
		} else if !strings.Contains(msg, want.mention) {
			t.Errorf("failure %q: message %q does not mention %q", want.key, msg, want.mention)
		}
	}
	// The valid objects were stored; the stored version of indicator 1 is
	// unchanged.
	if n := e.count(e.intel); n != 6 {
		t.Errorf("%d objects stored, want 6", n)
	}
	rr := e.get("reader", colPath(e.intel, "objects/"+objID("indicator", 5)+"/"))
	if !strings.Contains(string(rr.body), "indicator 5") {
		t.Errorf("conflicting object replaced the stored one: %s", rr.body)
	}

	// The status is kept and visible to the submitter's organization only.
	got := e.statusOf("contributor", st.ID)
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("GET status (-POST +GET):\n%s", diff)
	}
	e.statusOf("analyst", st.ID) // same organization, other key
	for _, path := range []string{"/taxii2/default/status/" + st.ID, "/taxii2/default/status/" + st.ID + "/"} {
		expect(t, e.get("contributor", path), http.StatusOK)
		for _, who := range []string{"reader", "nogrant", "admin"} {
			expect(t, e.get(who, path), http.StatusNotFound)
		}
	}
	expect(t, e.get("contributor", "/taxii2/second/status/"+st.ID+"/"), http.StatusNotFound)
	expect(t, e.get("contributor", "/taxii2/default/status/"+strings.ToUpper(st.ID)+"/"), http.StatusNotFound)
	expect(t, e.get("contributor", "/taxii2/default/status/not-a-status/"), http.StatusNotFound)
	expect(t, e.get("", "/taxii2/default/status/"+st.ID+"/"), http.StatusUnauthorized)
}

// TestPostBadEnvelope sends bodies that are not envelopes: each is refused
// with 400 and nothing is stored.
func TestPostBadEnvelope(t *testing.T) {
	e := newEnv(t, nil, false)
	good := indicator(1, 0)
	tests := []struct {
		name, body, mention string
	}{
		{"empty body", ``, "envelope"},
		{"malformed JSON", `{"objects":[` + good + `,}`, "JSON"},
		{"truncated", `{"objects":[` + good, "truncated"},
		{"trailing data", `{"objects":[` + good + `]} {}`, "after"},
		{"list", `[` + good + `]`, "JSON object"},
		{"string", `"objects"`, "JSON object"},
		{"bundle", `{"type":"bundle","id":"bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8","objects":[` + good + `]}`, "bundle"},
		{"no objects", `{"more":false}`, `"objects"`},
		{"objects not a list", `{"objects":{"a":1}}`, "list"},
		{"empty objects", `{"objects":[]}`, "empty"},
		{"duplicate member", `{"objects":[` + good + `],"objects":[]}`, "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.post("contributor", colPath(e.intel, "objects/"), []byte(tt.body))
			expect(t, r, http.StatusBadRequest)
			var er errorResource
			r.decode(t, &er)
			if !strings.Contains(er.Description, tt.mention) {
				t.Errorf("description %q does not mention %q", er.Description, tt.mention)
			}
			if n := e.count(e.intel); n != 0 {
				t.Errorf("%d objects stored from a refused body", n)
			}
		})
	}
	expect(t, e.do(req{method: "POST", path: colPath(e.intel, "objects/?match[type]=indicator"), token: e.tokens["contributor"], body: envelope(good)}), http.StatusBadRequest)
	// Envelope members other than objects are accepted.
	r := e.post("contributor", colPath(e.intel, "objects/"), []byte(`{"more":false,"next":"x","objects":[`+good+`]}`))
	expect(t, r, http.StatusAccepted)
}

func TestPostTooLarge(t *testing.T) {
	e := newEnv(t, nil, false)
	e.grant(e.second, "Contributor Org", true, true)
	path := colPath(e.second, "objects/")
	small := envelope(indicators(0, 3, 0)...)
	big := envelope(indicators(0, 20, 0)...) // over the root's 4096 bytes
	if len(small) > 4096 || len(big) <= 4096 {
		t.Fatalf("sizes %d, %d", len(small), len(big))
	}
	expect(t, e.post("contributor", path, small), http.StatusAccepted)
	r := e.post("contributor", path, big)
	expect(t, r, http.StatusRequestEntityTooLarge)
	if !strings.Contains(string(r.body), "4096") {
		t.Errorf("413 does not give the limit: %s", r.body)
	}
	// Without a Content-Length the limit holds as the body is read.
	hr, err := http.NewRequest("POST", e.ts.URL+path, io.MultiReader(strings.NewReader(string(big))))
	if err != nil {
		t.Fatal(err)
	}
	hr.ContentLength = -1
	hr.Header.Set("Content-Type", mediaTAXII)
	hr.Header.Set("Authorization", "Bearer "+e.tokens["contributor"])
	resp, err := e.ts.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || len(resp.TransferEncoding) != 0 && resp.TransferEncoding[0] != "chunked" {
		t.Errorf("chunked oversized body: %d", resp.StatusCode)
	}
	if n := e.count(e.second); n != 3 {
		t.Errorf("%d objects stored, want 3", n)
	}
}

// TestPostLarge posts an envelope larger than SyncObjects: it is answered
// pending at once, processed in the background with counts that advance
// after each batch, and completes.
func TestPostLarge(t *testing.T) {
	e := newEnv(t, nil, false)
	e.srv.batchSize.Store(50)
	saves := e.saves()
	objs := indicators(0, 228, 0)
	objs = append(objs[:100], append([]string{`{"type":"indicator"}`}, objs[100:]...)...)
	objs = append(objs, `"not an object"`)
	r := e.post("contributor", colPath(e.intel, "objects/"), envelope(objs...))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	checkCounts(t, st)
	if st.Status != tearline.StatusPending || st.TotalCount != 230 || st.PendingCount != 230 {
		t.Fatalf("first status %s", r.body)
	}
	var last int
	for {
		sv := receive(t, saves)
		// While the worker waits, the status endpoint shows the progress.
		got := e.statusOf("contributor", st.ID)
		close(sv.resume)
		checkCounts(t, got)
		if got.Status != sv.Status.Status || got.SuccessCount != sv.SuccessCount() || got.FailureCount != sv.FailureCount() {
			t.Fatalf("GET status: %s; saved %s, %d successes, %d failures", counts(got), sv.Status.Status, sv.SuccessCount(), sv.FailureCount())
		}
		done := got.SuccessCount + got.FailureCount
		if done <= last && got.Status == tearline.StatusPending {
			t.Errorf("progress did not advance: %d after %d", done, last)
		}
		last = done
		if got.Status == tearline.StatusComplete {
			if got.SuccessCount != 228 || got.FailureCount != 2 || got.PendingCount != 0 {
				t.Errorf("final status: %s", counts(got))
			}
			break
		}
	}
	if last != 230 {
		t.Errorf("last progress %d", last)
	}
	if n := e.count(e.intel); n != 228 {
		t.Errorf("%d objects stored, want 228", n)
	}
}

// TestResumeAfterRestart stops the server while a large submission is in
// progress and checks that a new server over the same data finishes it,
// and that completed statuses survive.
func TestResumeAfterRestart(t *testing.T) {
	cfg := testConfig()
	e := newEnv(t, &cfg, false)
	done := e.add(e.intel, indicator(1000, 0))
	e.srv.batchSize.Store(40)
	saves := e.saves()
	r := e.post("contributor", colPath(e.intel, "objects/"), envelope(indicators(0, 200, 0)...))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.Status != tearline.StatusPending {
		t.Fatalf("status %s", r.body)
	}
	first := receive(t, saves)
	if first.SuccessCount() != 40 {
		t.Fatalf("first progress %d", first.SuccessCount())
	}
	// The worker is held after its first batch; Shutdown lets it go, and
	// it stops before the next one.
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shut <- e.srv.Shutdown(ctx)
	}()
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	// Large envelopes are refused while shut down; small ones still work.
	expect(t, e.post("contributor", colPath(e.intel, "objects/"), envelope(indicators(500, 150, 0)...)), http.StatusServiceUnavailable)
	mid := e.statusOf("contributor", st.ID)
	if mid.Status != tearline.StatusPending || mid.SuccessCount != 40 {
		t.Fatalf("status after shutdown: %s", counts(mid))
	}
	pending, err := e.db.PendingSubmissions(context.Background())
	if err != nil || len(pending) != 1 || pending[0] != st.ID {
		t.Fatalf("pending submissions %v, %v", pending, err)
	}

	e.restart(cfg, true)
	saves = e.saves()
	if err := e.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	completion(t, saves)
	final := e.statusOf("contributor", st.ID)
	checkCounts(t, final)
	if final.Status != tearline.StatusComplete || final.SuccessCount != 200 || final.FailureCount != 0 {
		t.Errorf("resumed status: %s", counts(final))
	}
	if n := e.count(e.intel); n != 201 {
		t.Errorf("%d objects, want 201", n)
	}
	if got := e.statusOf("contributor", done.ID); got.Status != tearline.StatusComplete || got.SuccessCount != 1 {
		t.Errorf("status from before the restart: %s", counts(got))
	}
	if pending, _ := e.db.PendingSubmissions(context.Background()); len(pending) != 0 {
		t.Errorf("still pending: %v", pending)
	}
}

// TestPendingWithoutWorkers checks that a submission accepted before Start
// is processed once the server starts.
func TestPendingWithoutWorkers(t *testing.T) {
	cfg := testConfig()
	e := newEnv(t, &cfg, true)
	r := e.post("contributor", colPath(e.intel, "objects/"), envelope(indicators(0, 150, 0)...))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if got := e.statusOf("contributor", st.ID); got.Status != tearline.StatusPending || got.PendingCount != 150 {
		t.Fatalf("status: %s", counts(got))
	}
	saves := e.saves()
	if err := e.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	completion(t, saves)
	if got := e.statusOf("contributor", st.ID); got.Status != tearline.StatusComplete || got.SuccessCount != 150 {
		t.Errorf("status: %s", counts(got))
	}
}

// TestSubmissionCollectionDeleted deletes the collection of a pending
// submission: it completes with every object failed.
func TestSubmissionCollectionDeleted(t *testing.T) {
	e := newEnv(t, nil, true)
	r := e.post("contributor", colPath(e.intel, "objects/"), envelope(indicators(0, 120, 0)...))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if err := e.db.DeleteCollection(context.Background(), e.intel.ID); err != nil {
		t.Fatal(err)
	}
	saves := e.saves()
	if err := e.srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	completion(t, saves)
	got := e.statusOf("contributor", st.ID)
	checkCounts(t, got)
	if got.FailureCount != 120 || !strings.Contains(got.Failures[0].Message, "deleted") {
		t.Errorf("status: %s", counts(got))
	}
}

func TestStatusCleanup(t *testing.T) {
	e := newEnv(t, nil, false)
	ctx := context.Background()
	old := &tearline.Status{ID: "0f4c6a5e-3b1e-4c7d-9a51-1f0b8f2c3d4e", APIRoot: "default", CollectionID: e.intel.ID,
		OrgID: e.orgs["Contributor Org"].ID, Status: tearline.StatusComplete, RequestTime: time.Now().Add(-8 * 24 * time.Hour), TotalCount: 1,
		Successes: []tearline.StatusDetail{{ID: objID("indicator", 1), Version: "2024-03-01T12:00:00.000Z"}}}
	if err := e.db.SaveStatus(ctx, old); err != nil {
		t.Fatal(err)
	}
	recent := e.add(e.intel, indicator(1, 0))
	e.statusOf("contributor", old.ID)
	e.srv.cleanup()
	expect(t, e.get("contributor", "/taxii2/default/status/"+old.ID+"/"), http.StatusNotFound)
	e.statusOf("contributor", recent.ID)

	if _, err := New(Config{StatusRetention: time.Hour}, e.db); err == nil {
		t.Error("a retention under 24 hours was accepted")
	}
}

func TestNewConfig(t *testing.T) {
	e := newEnv(t, nil, false)
	for _, cfg := range []Config{
		{APIRoots: []APIRoot{{Name: "a/b"}}},
		{APIRoots: []APIRoot{{Name: ".."}}},
		{APIRoots: []APIRoot{{Name: "a"}, {Name: "a"}}},
		{APIRoots: []APIRoot{{Name: "a"}}, DefaultRoot: "b"},
	} {
		if _, err := New(cfg, e.db); err == nil {
			t.Errorf("New accepted %+v", cfg)
		}
	}
	s, err := New(Config{}, e.db)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(DefaultMaxContentLength, DefaultMaxPageSize, DefaultPageSize, DefaultSyncObjects, DefaultStatusRetention, "default")
	if got := fmt.Sprint(s.cfg.MaxContentLength, s.cfg.MaxPageSize, s.cfg.DefaultPageSize, s.cfg.SyncObjects, s.cfg.StatusRetention, s.def.Name); got != want {
		t.Errorf("defaults %s, want %s", got, want)
	}
}
