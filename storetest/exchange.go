package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

// RunExchanges runs the conformance suite of tearline.Exchanges against
// the store returned by open: submissions recorded once, listing and
// filters, triage moves and the acknowledgement time, first feedback from
// other organizations (before and after the record), feedback listing,
// activity counts and error codes. open is called once per subtest,
// possibly from parallel subtests, and must return a new, empty store
// that it closes with t.Cleanup.
func RunExchanges(t *testing.T, open func(t *testing.T) tearline.Exchanges) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s tearline.Exchanges)
	}{
		{"Submissions", testSubmissions},
		{"Triage", testTriage},
		{"FirstFeedback", testFirstFeedback},
		{"Activity", testActivity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// exTime is the base time of exchange tests.
var exTime = time.Date(2026, 5, 4, 10, 0, 0, 123456000, time.UTC)

func testSubmissions(t *testing.T, s tearline.Exchanges) {
	ctx := t.Context()
	a := &tearline.Submission{ID: "s1", OrgID: "identity--a", CollectionID: "c1", Objects: []string{"indicator--2", "indicator--1"},
		Received: exTime, Available: exTime.Add(time.Second)}
	b := &tearline.Submission{ID: "s2", OrgID: "identity--b", CollectionID: "c1", Received: exTime.Add(time.Hour), Available: exTime.Add(time.Hour)}
	for _, sub := range []*tearline.Submission{a, b} {
		if err := s.RecordSubmission(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	// Recording again changes nothing.
	again := *a
	again.Objects = []string{"x--1"}
	again.OrgID = "identity--z"
	if err := s.RecordSubmission(ctx, &again); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindSubmission(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := &tearline.Submission{ID: "s1", OrgID: "identity--a", CollectionID: "c1", Objects: []string{"indicator--2", "indicator--1"},
		Received: exTime, Available: exTime.Add(time.Second), State: tearline.TriageReceived, Updated: exTime.Add(time.Second)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FindSubmission (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		name string
		f    tearline.SubmissionFilter
		want []string
	}{
		{"all", tearline.SubmissionFilter{}, []string{"s2", "s1"}},
		{"org", tearline.SubmissionFilter{OrgID: "identity--a"}, []string{"s1"}},
		{"from", tearline.SubmissionFilter{From: exTime.Add(time.Minute)}, []string{"s2"}},
		{"to", tearline.SubmissionFilter{To: exTime.Add(time.Hour)}, []string{"s1"}},
		{"state", tearline.SubmissionFilter{State: tearline.TriageAcknowledged}, nil},
		{"limit", tearline.SubmissionFilter{Limit: 1}, []string{"s2"}},
	} {
		subs, err := s.ListSubmissions(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, sub := range subs {
			ids = append(ids, sub.ID)
		}
		if d := cmp.Diff(tc.want, ids); d != "" {
			t.Errorf("%s: ListSubmissions (-want +got):\n%s", tc.name, d)
		}
	}
	if _, err := s.FindSubmission(ctx, "nope"); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("FindSubmission of an unknown id: %v, want not found", err)
	}
	if _, err := s.ListSubmissions(ctx, tearline.SubmissionFilter{State: "lost"}); tearline.ErrorCode(err) != tearline.EINVALID {
		t.Errorf("ListSubmissions with an unknown state: %v, want invalid", err)
	}
	if err := s.RecordSubmission(ctx, &tearline.Submission{ID: "s3"}); tearline.ErrorCode(err) != tearline.EINVALID {
		t.Errorf("RecordSubmission without an organization: %v, want invalid", err)
	}
}

func testTriage(t *testing.T, s tearline.Exchanges) {
	ctx := t.Context()
	if err := s.RecordSubmission(ctx, &tearline.Submission{ID: "s1", OrgID: "identity--a", Received: exTime, Available: exTime}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []tearline.TriageChange{
		{State: tearline.TriageAcknowledged, By: "identity--host", Note: "seen", At: exTime.Add(time.Minute)},
		{State: tearline.TriageInAnalysis, By: "identity--host2", Note: "working", At: exTime.Add(2 * time.Minute)},
	} {
		if _, err := s.SetTriage(ctx, "s1", c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FindSubmission(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.State != tearline.TriageInAnalysis || !got.Acknowledged.Equal(exTime.Add(time.Minute)) ||
		!got.Updated.Equal(exTime.Add(2*time.Minute)) || got.UpdatedBy != "identity--host2" || got.Note != "working" {
		t.Errorf("after two moves: %+v", got)
	}
	for _, tc := range []struct {
		id    string
		state string
		code  string
	}{
		{"s1", tearline.TriageReceived, tearline.EINVALID},
		{"s1", "done", tearline.EINVALID},
		{"nope", tearline.TriageClosed, tearline.ENOTFOUND},
	} {
		if _, err := s.SetTriage(ctx, tc.id, tearline.TriageChange{State: tc.state, At: exTime}); tearline.ErrorCode(err) != tc.code {
			t.Errorf("SetTriage(%s, %s): %v, want %s", tc.id, tc.state, err, tc.code)
		}
	}
}

func testFirstFeedback(t *testing.T, s tearline.Exchanges) {
	ctx := t.Context()
	// Feedback before the record of a background submission.
	early := []*tearline.Feedback{{ObjectID: "sighting--0", Type: "sighting", RefID: "indicator--late", OrgID: "identity--b", Created: exTime}}
	if err := s.RecordFeedback(ctx, early); err != nil {
		t.Fatal(err)
	}
	subs := []*tearline.Submission{
		{ID: "s1", OrgID: "identity--a", Objects: []string{"indicator--1"}, Received: exTime, Available: exTime},
		{ID: "s2", OrgID: "identity--a", Objects: []string{"indicator--late"}, Received: exTime, Available: exTime.Add(time.Second)},
	}
	for _, sub := range subs {
		if err := s.RecordSubmission(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	fs := []*tearline.Feedback{
		// The submitter's own note and a language-content object do not count.
		{ObjectID: "note--own", Type: "note", RefID: "indicator--1", OrgID: "identity--a", Created: exTime.Add(time.Minute)},
		{ObjectID: "language-content--1", Type: "language-content", RefID: "indicator--1", OrgID: "identity--b", Created: exTime.Add(2 * time.Minute)},
		{ObjectID: "opinion--1", Type: "opinion", RefID: "indicator--1", OrgID: "identity--b", Created: exTime.Add(3 * time.Minute)},
		{ObjectID: "sighting--1", Type: "sighting", RefID: "indicator--1", OrgID: "identity--c", Created: exTime.Add(4 * time.Minute)},
	}
	if err := s.RecordFeedback(ctx, fs); err != nil {
		t.Fatal(err)
	}
	// Recording again changes nothing.
	if err := s.RecordFeedback(ctx, fs); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]time.Time{"s1": exTime.Add(3 * time.Minute), "s2": exTime.Add(time.Second)} {
		got, err := s.FindSubmission(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !got.FirstFeedback.Equal(want) {
			t.Errorf("%s: first feedback %v, want %v", id, got.FirstFeedback, want)
		}
	}
	all, err := s.ListFeedback(ctx, nil, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Errorf("ListFeedback: %d references, want 5", len(all))
	}
	some, err := s.ListFeedback(ctx, []string{"indicator--1"}, exTime.Add(2*time.Minute), exTime.Add(4*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range some {
		ids = append(ids, f.ObjectID)
	}
	if d := cmp.Diff([]string{"language-content--1", "opinion--1"}, ids); d != "" {
		t.Errorf("ListFeedback with bounds (-want +got):\n%s", d)
	}
	if d := cmp.Diff(&tearline.Feedback{ObjectID: "language-content--1", Type: "language-content", RefID: "indicator--1",
		OrgID: "identity--b", Created: exTime.Add(2 * time.Minute)}, some[0]); d != "" {
		t.Errorf("feedback (-want +got):\n%s", d)
	}
}

func testActivity(t *testing.T, s tearline.Exchanges) {
	ctx := t.Context()
	day := tearline.Day(exTime)
	for range 2 {
		err := s.AddActivity(ctx, []tearline.Activity{
			{OrgID: "identity--a", Day: exTime, Requests: 1, Objects: 10},
			{OrgID: "identity--b", Day: exTime.Add(24 * time.Hour), Requests: 2, Objects: 0},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListActivity(ctx, day, day.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []tearline.Activity{
		{OrgID: "identity--a", Day: day, Requests: 2, Objects: 20},
		{OrgID: "identity--b", Day: day.Add(24 * time.Hour), Requests: 4, Objects: 0},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ListActivity (-want +got):\n%s", d)
	}
	if got, err := s.ListActivity(ctx, day, day.Add(24*time.Hour)); err != nil || len(got) != 1 {
		t.Errorf("ListActivity of one day: %v, %v", got, err)
	}
}
