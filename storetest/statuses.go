package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// RunStatuses runs the conformance suite of tearline.StatusStore against the
// store returned by open: the submission lifecycle (pending with a body,
// progress, completion), status details, expiry and error codes. open is
// called once per subtest, possibly from parallel subtests, and must return
// a new, empty store that it closes with t.Cleanup.
func RunStatuses(t *testing.T, open func(t *testing.T) tearline.StatusStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s tearline.StatusStore)
	}{
		{"SubmissionLifecycle", testSubmissionLifecycle},
		{"CreateSubmissionErrors", testCreateSubmissionErrors},
		{"PendingSubmissionsOrder", testPendingSubmissionsOrder},
		{"SubmissionBodyBytes", testSubmissionBodyBytes},
		{"SaveStatus", testSaveStatus},
		{"StatusNotFound", testStatusNotFound},
		{"DeleteStatusesBefore", testDeleteStatusesBefore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// statusTime is the request time of test statuses: a whole microsecond,
// which every store keeps exactly.
var statusTime = time.Date(2025, 6, 7, 8, 9, 10, 123456000, time.UTC)

// newStatus returns a pending status of n objects requested at statusTime
// plus offset, with every object pending.
func newStatus(n int, offset time.Duration) *tearline.Status {
	s := &tearline.Status{
		ID:           uuid.NewString(),
		APIRoot:      "partners",
		CollectionID: uuid.NewString(),
		OrgID:        "identity--" + uuid.NewString(),
		Status:       tearline.StatusPending,
		RequestTime:  statusTime.Add(offset),
		TotalCount:   n,
	}
	for i := range n {
		s.Pendings = append(s.Pendings, detail(i, ""))
	}
	return s
}

// detail returns the status detail of test object i.
func detail(i int, msg string) tearline.StatusDetail {
	return tearline.StatusDetail{
		ID:      fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i),
		Version: "2020-01-01T00:00:00.000Z",
		Message: msg,
	}
}

// mustCreateSubmission stores s with body.
func mustCreateSubmission(t testing.TB, ss tearline.StatusStore, s *tearline.Status, body []byte) {
	t.Helper()
	if err := ss.CreateSubmission(t.Context(), s, body); err != nil {
		t.Fatalf("CreateSubmission(%s): %v", s.ID, err)
	}
}

// checkStatus fails t unless the stored status with want's id equals want.
func checkStatus(t testing.TB, ss tearline.StatusStore, want *tearline.Status) {
	t.Helper()
	got, err := ss.FindStatus(t.Context(), want.ID)
	if err != nil {
		t.Fatalf("FindStatus(%s): %v", want.ID, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FindStatus(%s) mismatch (-want +got):\n%s", want.ID, d)
	}
}

// checkPending fails t unless PendingSubmissions returns want.
func checkPending(t testing.TB, ss tearline.StatusStore, want ...string) {
	t.Helper()
	got, err := ss.PendingSubmissions(t.Context())
	if err != nil {
		t.Fatalf("PendingSubmissions: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("PendingSubmissions mismatch (-want +got):\n%s", d)
	}
}

func testSubmissionLifecycle(t *testing.T, ss tearline.StatusStore) {
	ctx := t.Context()
	checkPending(t, ss)

	s := newStatus(3, 0)
	body := []byte(`{"objects": [ {"type": "indicator"} ]}`)
	mustCreateSubmission(t, ss, s, body)
	checkStatus(t, ss, s)
	checkPending(t, ss, s.ID)
	got, err := ss.SubmissionBody(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("SubmissionBody = %q, want %q", got, body)
	}

	// A progress update keeps the submission pending and its body stored.
	progress := *s
	progress.Successes = []tearline.StatusDetail{detail(0, "")}
	progress.Pendings = s.Pendings[1:]
	if err := ss.SaveStatus(ctx, &progress); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, ss, &progress)
	checkPending(t, ss, s.ID)
	if got, err := ss.SubmissionBody(ctx, s.ID); err != nil || !bytes.Equal(got, body) {
		t.Errorf("SubmissionBody after progress = %q, %v; want %q", got, err, body)
	}

	done := progress
	done.Status = tearline.StatusComplete
	done.Successes = []tearline.StatusDetail{detail(0, ""), detail(2, "")}
	done.Failures = []tearline.StatusDetail{detail(1, "invalid pattern: ünïcode \"quoted\"")}
	done.Pendings = nil
	if err := ss.CompleteSubmission(ctx, &done); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, ss, &done)
	checkPending(t, ss)
	_, err = ss.SubmissionBody(ctx, s.ID)
	wantCode(t, err, tearline.ENOTFOUND)
	if got, err := ss.FindStatus(ctx, s.ID); err == nil &&
		(got.SuccessCount() != 2 || got.FailureCount() != 1 || got.PendingCount() != 0) {
		t.Errorf("counts %d/%d/%d, want 2/1/0", got.SuccessCount(), got.FailureCount(), got.PendingCount())
	}

	// A later progress save does not bring the body back.
	if err := ss.SaveStatus(ctx, &done); err != nil {
		t.Fatal(err)
	}
	checkPending(t, ss)
}

func testCreateSubmissionErrors(t *testing.T, ss tearline.StatusStore) {
	ctx := t.Context()
	s := newStatus(1, 0)
	mustCreateSubmission(t, ss, s, []byte("first"))
	taken := newStatus(2, time.Hour)
	taken.ID = s.ID
	wantCode(t, ss.CreateSubmission(ctx, taken, []byte("second")), tearline.ECONFLICT)

	invalid := newStatus(1, 0)
	invalid.Status = "done"
	wantCode(t, ss.CreateSubmission(ctx, invalid, []byte("x")), tearline.EINVALID)
	wantCode(t, ss.SaveStatus(ctx, invalid), tearline.EINVALID)
	wantCode(t, ss.CompleteSubmission(ctx, invalid), tearline.EINVALID)
	noID := newStatus(1, 0)
	noID.ID = ""
	wantCode(t, ss.SaveStatus(ctx, noID), tearline.EINVALID)
	wantCode(t, ss.CompleteSubmission(ctx, noID), tearline.EINVALID)

	// The failed creates changed nothing.
	checkStatus(t, ss, s)
	checkPending(t, ss, s.ID)
	if got, err := ss.SubmissionBody(ctx, s.ID); err != nil || string(got) != "first" {
		t.Errorf("SubmissionBody = %q, %v; want \"first\"", got, err)
	}
	_, err := ss.FindStatus(ctx, invalid.ID)
	wantCode(t, err, tearline.ENOTFOUND)
}

func testPendingSubmissionsOrder(t *testing.T, ss tearline.StatusStore) {
	ctx := t.Context()
	late := newStatus(1, 3*time.Minute)
	early := newStatus(1, time.Minute)
	middle := newStatus(1, 2*time.Minute)
	completed := newStatus(1, 0)
	for _, s := range []*tearline.Status{late, early, completed, middle} {
		mustCreateSubmission(t, ss, s, []byte(s.ID))
	}
	// A status saved without a submission is not pending.
	if err := ss.SaveStatus(ctx, newStatus(1, -time.Minute)); err != nil {
		t.Fatal(err)
	}
	checkPending(t, ss, completed.ID, early.ID, middle.ID, late.ID)
	completed.Status = tearline.StatusComplete
	if err := ss.CompleteSubmission(ctx, completed); err != nil {
		t.Fatal(err)
	}
	checkPending(t, ss, early.ID, middle.ID, late.ID)
	for _, s := range []*tearline.Status{early, middle, late} {
		if got, err := ss.SubmissionBody(ctx, s.ID); err != nil || string(got) != s.ID {
			t.Errorf("SubmissionBody(%s) = %q, %v; want its own body", s.ID, got, err)
		}
	}
}

func testSubmissionBodyBytes(t *testing.T, ss tearline.StatusStore) {
	large := bytes.Repeat([]byte(`{"type":"indicator","pattern":"[ipv4-addr:value = '10.0.0.1']"},`), 1<<15)
	tests := []struct {
		name string
		body []byte
	}{
		{"empty", []byte{}},
		{"binary", []byte{0, 0xff, '\n', 0, 0xfe, '"'}},
		{"not UTF-8", []byte("caf\xe9")},
		{"large", large},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStatus(1, 0)
			mustCreateSubmission(t, ss, s, tt.body)
			got, err := ss.SubmissionBody(t.Context(), s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.body) {
				t.Errorf("SubmissionBody returned %d bytes that differ from the %d stored", len(got), len(tt.body))
			}
		})
	}
	got, err := ss.PendingSubmissions(t.Context())
	if err != nil || len(got) != len(tests) {
		t.Errorf("PendingSubmissions = %v, %v; want %d ids, the empty body included", got, err, len(tests))
	}
}

func testSaveStatus(t *testing.T, ss tearline.StatusStore) {
	ctx := t.Context()
	s := newStatus(2, 0)
	if err := ss.SaveStatus(ctx, s); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, ss, s)
	checkPending(t, ss)

	steps := []struct {
		name   string
		update func(s *tearline.Status)
	}{
		{"success", func(s *tearline.Status) {
			s.Successes, s.Pendings = []tearline.StatusDetail{detail(0, "")}, s.Pendings[1:]
		}},
		{"failure and completion", func(s *tearline.Status) {
			s.Failures, s.Pendings = []tearline.StatusDetail{detail(1, "conflict")}, nil
			s.Status = tearline.StatusComplete
		}},
		{"every field", func(s *tearline.Status) {
			s.APIRoot, s.CollectionID, s.OrgID = "", uuid.NewString(), "identity--"+uuid.NewString()
			s.RequestTime, s.TotalCount = s.RequestTime.Add(time.Second), 5
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.update(s)
			if err := ss.SaveStatus(ctx, s); err != nil {
				t.Fatal(err)
			}
			checkStatus(t, ss, s)
		})
	}
	checkPending(t, ss)
}

func testStatusNotFound(t *testing.T, ss tearline.StatusStore) {
	ctx := t.Context()
	for _, id := range []string{uuid.NewString(), ""} {
		_, err := ss.FindStatus(ctx, id)
		wantCode(t, err, tearline.ENOTFOUND)
		_, err = ss.SubmissionBody(ctx, id)
		wantCode(t, err, tearline.ENOTFOUND)
	}
	// A status saved without a submission has no body.
	s := newStatus(1, 0)
	if err := ss.SaveStatus(ctx, s); err != nil {
		t.Fatal(err)
	}
	_, err := ss.SubmissionBody(ctx, s.ID)
	wantCode(t, err, tearline.ENOTFOUND)
}

func testDeleteStatusesBefore(t *testing.T, ss tearline.StatusStore) {
	ctx := t.Context()
	var saved []*tearline.Status
	for i := range 4 {
		s := newStatus(1, time.Duration(i)*time.Hour)
		s.Status = tearline.StatusComplete
		if err := ss.SaveStatus(ctx, s); err != nil {
			t.Fatal(err)
		}
		saved = append(saved, s)
	}
	// An old submission that is still pending is kept until it completes,
	// so that nothing accepted is lost.
	pending := newStatus(1, -time.Hour)
	mustCreateSubmission(t, ss, pending, []byte("body"))

	tests := []struct {
		name   string
		before time.Time
		want   int
		kept   []*tearline.Status
	}{
		{"before all", statusTime, 0, saved},
		{"exactly the second", statusTime.Add(time.Hour), 1, saved[1:]},
		{"just after the second", statusTime.Add(time.Hour + time.Nanosecond), 1, saved[2:]},
		{"again", statusTime.Add(time.Hour + time.Nanosecond), 0, saved[2:]},
		{"after all", statusTime.Add(10 * time.Hour), 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ss.DeleteStatusesBefore(ctx, tt.before)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want {
				t.Errorf("removed %d statuses, want %d", n, tt.want)
			}
			keep := map[string]bool{}
			for _, s := range tt.kept {
				keep[s.ID] = true
				checkStatus(t, ss, s)
			}
			for _, s := range saved {
				if !keep[s.ID] {
					_, err := ss.FindStatus(ctx, s.ID)
					wantCode(t, err, tearline.ENOTFOUND)
				}
			}
			checkStatus(t, ss, pending)
			checkPending(t, ss, pending.ID)
		})
	}

	// Once complete, it expires like the others.
	pending.Status = tearline.StatusComplete
	if err := ss.CompleteSubmission(ctx, pending); err != nil {
		t.Fatal(err)
	}
	if n, err := ss.DeleteStatusesBefore(ctx, statusTime); err != nil || n != 1 {
		t.Errorf("DeleteStatusesBefore after completion = %d, %v; want 1", n, err)
	}
	_, err := ss.FindStatus(ctx, pending.ID)
	wantCode(t, err, tearline.ENOTFOUND)
}
