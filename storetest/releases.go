package storetest

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// RunReleases runs the conformance suite of tearline.Releases against the
// store returned by open: requests, listing by organization and status,
// the one-time decision under concurrency, and error codes. open is called
// once per subtest, possibly from parallel subtests, and must return a new,
// empty store that it closes with t.Cleanup.
func RunReleases(t *testing.T, open func(t *testing.T) tearline.Releases) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s tearline.Releases)
	}{
		{"Lifecycle", testReleaseLifecycle},
		{"CreateErrors", testCreateReleaseErrors},
		{"List", testListReleases},
		{"DecideErrors", testDecideReleaseErrors},
		{"DecideOnce", testDecideReleaseOnce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// newRelease returns a release request from requester about an object of
// originator.
func newRelease(requester, originator string) *tearline.Release {
	return &tearline.Release{
		ObjectID:           "indicator--" + uuid.NewString(),
		Version:            "2025-01-02T03:04:05.000000000Z",
		SourceCollectionID: uuid.NewString(),
		CollectionID:       uuid.NewString(),
		RequesterOrg:       requester,
		RequesterKey:       "key-r",
		OriginatorOrg:      originator,
		Justification:      "needed by the sector's incident responders",
	}
}

func testReleaseLifecycle(t *testing.T, s tearline.Releases) {
	ctx := t.Context()
	r := newRelease("identity--"+uuid.NewString(), "identity--"+uuid.NewString())
	if err := s.CreateRelease(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || r.Status != tearline.ReleaseRequested || r.Created.IsZero() {
		t.Fatalf("CreateRelease filled id %q, status %q, created %v", r.ID, r.Status, r.Created)
	}
	got, err := s.FindRelease(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("FindRelease after create (-want +got):\n%s", diff)
	}
	d := &tearline.Release{ID: r.ID, Status: tearline.ReleaseApproved, DeciderKey: "key-o", Reason: "fine for the sector"}
	if err := s.DecideRelease(ctx, d); err != nil {
		t.Fatal(err)
	}
	if d.Decided.IsZero() {
		t.Error("DecideRelease did not fill Decided")
	}
	want := *r
	want.Status, want.DeciderKey, want.Reason, want.Decided = d.Status, d.DeciderKey, d.Reason, d.Decided
	got, err = s.FindRelease(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("FindRelease after approval (-want +got):\n%s", diff)
	}
	again := &tearline.Release{ID: r.ID, Status: tearline.ReleaseDenied, DeciderKey: "key-x"}
	if err := s.DecideRelease(ctx, again); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("deciding an approved request: err = %v, want code %s", err, tearline.ECONFLICT)
	}
}

func testCreateReleaseErrors(t *testing.T, s tearline.Releases) {
	ctx := t.Context()
	tests := []struct {
		name string
		edit func(r *tearline.Release)
	}{
		{"no object", func(r *tearline.Release) { r.ObjectID = "" }},
		{"no version", func(r *tearline.Release) { r.Version = "" }},
		{"no source collection", func(r *tearline.Release) { r.SourceCollectionID = "" }},
		{"no collection", func(r *tearline.Release) { r.CollectionID = "" }},
		{"no requester org", func(r *tearline.Release) { r.RequesterOrg = "" }},
		{"no requester key", func(r *tearline.Release) { r.RequesterKey = "" }},
		{"no originator", func(r *tearline.Release) { r.OriginatorOrg = "" }},
	}
	for _, tt := range tests {
		r := newRelease("identity--a", "identity--b")
		tt.edit(r)
		if err := s.CreateRelease(ctx, r); tearline.ErrorCode(err) != tearline.EINVALID {
			t.Errorf("%s: err = %v, want code %s", tt.name, err, tearline.EINVALID)
		}
	}
	r := newRelease("identity--a", "identity--b")
	if err := s.CreateRelease(ctx, r); err != nil {
		t.Fatal(err)
	}
	dup := newRelease("identity--a", "identity--b")
	dup.ID = r.ID
	if err := s.CreateRelease(ctx, dup); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("taken id: err = %v, want code %s", err, tearline.ECONFLICT)
	}
	if _, err := s.FindRelease(ctx, uuid.NewString()); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("FindRelease of an unknown id: err = %v, want code %s", err, tearline.ENOTFOUND)
	}
}

func testListReleases(t *testing.T, s tearline.Releases) {
	ctx := t.Context()
	a, b, c := "identity--"+uuid.NewString(), "identity--"+uuid.NewString(), "identity--"+uuid.NewString()
	var ids []string
	for _, pair := range [][2]string{{a, b}, {b, c}, {c, a}, {a, c}} {
		r := newRelease(pair[0], pair[1])
		if err := s.CreateRelease(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if err := s.DecideRelease(ctx, &tearline.Release{ID: ids[2], Status: tearline.ReleaseDenied, DeciderKey: "k"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f    tearline.ReleaseFilter
		want []string
	}{
		{tearline.ReleaseFilter{}, ids},
		{tearline.ReleaseFilter{OrgID: a}, []string{ids[0], ids[2], ids[3]}},
		{tearline.ReleaseFilter{OrgID: b}, []string{ids[0], ids[1]}},
		{tearline.ReleaseFilter{OrgID: a, Status: tearline.ReleaseRequested}, []string{ids[0], ids[3]}},
		{tearline.ReleaseFilter{Status: tearline.ReleaseDenied}, []string{ids[2]}},
		{tearline.ReleaseFilter{OrgID: b, Status: tearline.ReleaseApproved}, nil},
	}
	for _, tt := range tests {
		rs, err := s.ListReleases(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.ID)
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ListReleases(%+v) (-want +got):\n%s", tt.f, diff)
		}
	}
}

func testDecideReleaseErrors(t *testing.T, s tearline.Releases) {
	ctx := t.Context()
	r := newRelease("identity--a", "identity--b")
	if err := s.CreateRelease(ctx, r); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		d    tearline.Release
		code string
	}{
		{"unknown", tearline.Release{ID: uuid.NewString(), Status: tearline.ReleaseApproved, DeciderKey: "k"}, tearline.ENOTFOUND},
		{"requested status", tearline.Release{ID: r.ID, Status: tearline.ReleaseRequested, DeciderKey: "k"}, tearline.EINVALID},
		{"bad status", tearline.Release{ID: r.ID, Status: "granted", DeciderKey: "k"}, tearline.EINVALID},
		{"no decider", tearline.Release{ID: r.ID, Status: tearline.ReleaseApproved}, tearline.EINVALID},
	}
	for _, tt := range tests {
		if err := s.DecideRelease(ctx, &tt.d); tearline.ErrorCode(err) != tt.code {
			t.Errorf("%s: err = %v, want code %s", tt.name, err, tt.code)
		}
	}
	got, err := s.FindRelease(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tearline.ReleaseRequested {
		t.Errorf("after refused decisions the status is %q, want %q", got.Status, tearline.ReleaseRequested)
	}
}

// testDecideReleaseOnce races deciders on one request: exactly one wins.
func testDecideReleaseOnce(t *testing.T, s tearline.Releases) {
	ctx := t.Context()
	r := newRelease("identity--a", "identity--b")
	if err := s.CreateRelease(ctx, r); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		status := tearline.ReleaseApproved
		if i%2 == 1 {
			status = tearline.ReleaseDenied
		}
		wg.Go(func() {
			errs[i] = s.DecideRelease(ctx, &tearline.Release{ID: r.ID, Status: status, DeciderKey: "k"})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch tearline.ErrorCode(err) {
		case "":
			won++
		case tearline.ECONFLICT:
		default:
			t.Errorf("concurrent decision: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent decisions won, want 1", won)
	}
}
