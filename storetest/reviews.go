package storetest

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// ReviewStore is what RunReviews needs: collections, their privacy
// policies and the review queue.
type ReviewStore interface {
	tearline.Store
	tearline.PIIPolicies
	tearline.Reviews
}

// RunReviews runs the conformance suite of tearline.PIIPolicies and
// tearline.Reviews against the store returned by open: policies kept with
// their collection, holding objects once, listing, the one-time decision
// (under racing deciders too), the recorded outcome, submission keys and
// error codes. open is called once per subtest, possibly from parallel
// subtests, and must return a new, empty store that it closes with
// t.Cleanup.
func RunReviews(t *testing.T, open func(t *testing.T) ReviewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ReviewStore)
	}{
		{"PIIPolicy", testPIIPolicy},
		{"PIIPolicyDeletedCollection", testPIIPolicyDeletedCollection},
		{"Lifecycle", testReviewLifecycle},
		{"HoldOnce", testHoldOnce},
		{"HoldErrors", testHoldErrors},
		{"List", testListReviews},
		{"DecideErrors", testDecideReviewErrors},
		{"RacingDeciders", testRacingDeciders},
		{"Finish", testFinishReview},
		{"SubmissionKey", testSubmissionKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// reviewCollection creates a collection for review tests.
func reviewCollection(t *testing.T, s ReviewStore) *tearline.Collection {
	t.Helper()
	c := &tearline.Collection{Alias: "rv-" + uuid.NewString()[:8], Title: "reviews"}
	if err := s.CreateCollection(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func testPIIPolicy(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	c := reviewCollection(t, s)
	got, err := s.PIIPolicy(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != (tearline.PIIPolicy{Action: tearline.PIINone}) {
		t.Errorf("policy of a new collection = %+v, want action none", got)
	}
	for _, p := range []tearline.PIIPolicy{
		{Action: tearline.PIIRedact, FlagIdentifiers: true},
		{Action: tearline.PIIReview},
		{Action: tearline.PIIReject, FlagIdentifiers: true},
		{Action: tearline.PIINone},
	} {
		if err := s.SetPIIPolicy(ctx, c.ID, p); err != nil {
			t.Fatal(err)
		}
		got, err := s.PIIPolicy(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != p {
			t.Errorf("policy after setting %+v = %+v", p, got)
		}
	}
	if err := s.SetPIIPolicy(ctx, c.ID, tearline.PIIPolicy{Action: "scrub"}); tearline.ErrorCode(err) != tearline.EINVALID {
		t.Errorf("SetPIIPolicy with action scrub: err = %v, want code %s", err, tearline.EINVALID)
	}
	unknown := uuid.NewString()
	if err := s.SetPIIPolicy(ctx, unknown, tearline.PIIPolicy{Action: tearline.PIIRedact}); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("SetPIIPolicy of an unknown collection: err = %v, want code %s", err, tearline.ENOTFOUND)
	}
	if _, err := s.PIIPolicy(ctx, unknown); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("PIIPolicy of an unknown collection: err = %v, want code %s", err, tearline.ENOTFOUND)
	}
}

// testPIIPolicyDeletedCollection checks that a policy goes with its
// collection: a new collection with the same id starts with none.
func testPIIPolicyDeletedCollection(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	c := reviewCollection(t, s)
	if err := s.SetPIIPolicy(ctx, c.ID, tearline.PIIPolicy{Action: tearline.PIIReject}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCollection(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	again := &tearline.Collection{ID: c.ID, Alias: c.Alias, Title: c.Title}
	if err := s.CreateCollection(ctx, again); err != nil {
		t.Fatal(err)
	}
	got, err := s.PIIPolicy(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Action != tearline.PIINone {
		t.Errorf("policy of a re-created collection = %+v, want none", got)
	}
}

// newReview returns a review to hold in collection, from submission
// statusID ("" for none) at index, with bytes a re-serializing store would
// not reproduce.
func newReview(collection, statusID string, index int) *tearline.Review {
	id := "note--" + uuid.NewString()
	raw := []byte(`{"type":"note",  "id":"` + id + `", "content":"call  +1 202 555 0143", "x_n": 1.50 }`)
	return &tearline.Review{
		CollectionID: collection,
		StatusID:     statusID,
		Index:        index,
		ObjectID:     id,
		Version:      "2025-01-02T03:04:05.000Z",
		Raw:          raw,
		Digest:       sha256.Sum256(raw),
		Findings:     []tearline.PIIFinding{{Path: "content", Start: 5, End: 20, Kind: "phone"}},
		SubmitterOrg: "identity--" + uuid.NewString(),
		SubmitterKey: "key-a",
	}
}

func testReviewLifecycle(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	r := newReview(uuid.NewString(), uuid.NewString(), 3)
	raw := string(r.Raw)
	if err := s.HoldForReview(ctx, []*tearline.Review{r}); err != nil {
		t.Fatal(err)
	}
	if r.ID == "" || r.Status != tearline.ReviewPending || r.Created.IsZero() {
		t.Fatalf("HoldForReview filled id %q, status %q, created %v", r.ID, r.Status, r.Created)
	}
	got, err := s.FindReview(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("FindReview after hold (-want +got):\n%s", diff)
	}
	if string(got.Raw) != raw {
		t.Errorf("Raw = %s, want the bytes as given %s", got.Raw, raw)
	}
	approved := []byte(`{"type":"note", "id":"` + r.ObjectID + `", "content":"call  [REDACTED:phone]", "x_n": 1.50 }`)
	d := &tearline.Review{ID: r.ID, Status: tearline.ReviewApproved, Decision: tearline.ApproveRedacted,
		Approved: approved, Reason: "checked", DeciderKey: "key-b"}
	if err := s.DecideReview(ctx, d); err != nil {
		t.Fatal(err)
	}
	if d.Decided.IsZero() {
		t.Error("DecideReview did not fill Decided")
	}
	want := *r
	want.Status, want.Decision, want.Approved, want.Reason, want.DeciderKey, want.Decided =
		d.Status, d.Decision, approved, d.Reason, d.DeciderKey, d.Decided
	got, err = s.FindReview(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("FindReview after approval (-want +got):\n%s", diff)
	}
	if string(got.Raw) != raw {
		t.Errorf("after approval Raw = %s, want the bytes as submitted %s", got.Raw, raw)
	}
	again := &tearline.Review{ID: r.ID, Status: tearline.ReviewRejected, DeciderKey: "key-c", Reason: "no"}
	if err := s.DecideReview(ctx, again); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("deciding an approved review: err = %v, want code %s", err, tearline.ECONFLICT)
	}

	rej := newReview(uuid.NewString(), "", 0)
	if err := s.HoldForReview(ctx, []*tearline.Review{rej}); err != nil {
		t.Fatal(err)
	}
	// A rejection keeps no decision and no bytes to store.
	d = &tearline.Review{ID: rej.ID, Status: tearline.ReviewRejected, Decision: tearline.ApproveAsIs,
		Approved: rej.Raw, Reason: "personal data of a victim", DeciderKey: "key-b"}
	if err := s.DecideReview(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err = s.FindReview(ctx, rej.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tearline.ReviewRejected || got.Decision != "" || got.Approved != nil || got.Reason != d.Reason {
		t.Errorf("rejected review = status %q, decision %q, approved %q, reason %q", got.Status, got.Decision, got.Approved, got.Reason)
	}
}

// testHoldOnce holds the same objects again: by status and index for a
// submission, by content otherwise, and finds the reviews held already,
// decided ones included.
func testHoldOnce(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	col := uuid.NewString()
	a, b := newReview(col, uuid.NewString(), 0), newReview(col, "", 0)
	if err := s.HoldForReview(ctx, []*tearline.Review{a, b}); err != nil {
		t.Fatal(err)
	}
	if err := s.DecideReview(ctx, &tearline.Review{ID: b.ID, Status: tearline.ReviewRejected, DeciderKey: "k"}); err != nil {
		t.Fatal(err)
	}
	a2, b2 := *a, *b
	a2.ID, b2.ID, a2.Status, b2.Status = "", "", "", ""
	c := newReview(col, a.StatusID, 1) // the next object of a's submission
	if err := s.HoldForReview(ctx, []*tearline.Review{&a2, &b2, c}); err != nil {
		t.Fatal(err)
	}
	if a2.ID != a.ID || a2.Status != tearline.ReviewPending {
		t.Errorf("holding a submission's object again gave review %s (%s), want %s (pending)", a2.ID, a2.Status, a.ID)
	}
	if b2.ID != b.ID || b2.Status != tearline.ReviewRejected {
		t.Errorf("holding the same content again gave review %s (%s), want %s (rejected)", b2.ID, b2.Status, b.ID)
	}
	if c.ID == a.ID || c.ID == "" {
		t.Errorf("another object of the submission got review %q", c.ID)
	}
	// The same content in another collection is another review.
	d := *b
	d.ID, d.CollectionID = "", uuid.NewString()
	if err := s.HoldForReview(ctx, []*tearline.Review{&d}); err != nil {
		t.Fatal(err)
	}
	if d.ID == b.ID || d.Status != tearline.ReviewPending {
		t.Errorf("the same content in another collection gave review %s (%s)", d.ID, d.Status)
	}
	rs, err := s.ListReviews(ctx, tearline.ReviewFilter{CollectionID: col})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Errorf("collection holds %d reviews, want 3", len(rs))
	}
}

func testHoldErrors(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	tests := []struct {
		name string
		edit func(r *tearline.Review)
	}{
		{"no collection", func(r *tearline.Review) { r.CollectionID = "" }},
		{"no object id", func(r *tearline.Review) { r.ObjectID = "" }},
		{"no object", func(r *tearline.Review) { r.Raw = nil }},
	}
	for _, tt := range tests {
		ok, bad := newReview(uuid.NewString(), "", 0), newReview(uuid.NewString(), "", 0)
		tt.edit(bad)
		if err := s.HoldForReview(ctx, []*tearline.Review{ok, bad}); tearline.ErrorCode(err) != tearline.EINVALID {
			t.Errorf("%s: err = %v, want code %s", tt.name, err, tearline.EINVALID)
		}
		if rs, err := s.ListReviews(ctx, tearline.ReviewFilter{CollectionID: ok.CollectionID}); err != nil || len(rs) != 0 {
			t.Errorf("%s: a refused hold stored %d reviews (err %v)", tt.name, len(rs), err)
		}
	}
	if _, err := s.FindReview(ctx, uuid.NewString()); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("FindReview of an unknown id: err = %v, want code %s", err, tearline.ENOTFOUND)
	}
	if err := s.HoldForReview(ctx, nil); err != nil {
		t.Errorf("holding nothing: %v", err)
	}
}

func testListReviews(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	c1, c2, st := uuid.NewString(), uuid.NewString(), uuid.NewString()
	var ids []string
	for i, c := range []string{c1, c2, c1, c1} {
		statusID := ""
		if i%2 == 0 {
			statusID = st
		}
		r := newReview(c, statusID, i)
		if err := s.HoldForReview(ctx, []*tearline.Review{r}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if err := s.DecideReview(ctx, &tearline.Review{ID: ids[2], Status: tearline.ReviewRejected, DeciderKey: "k"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f    tearline.ReviewFilter
		want []string
	}{
		{tearline.ReviewFilter{}, ids},
		{tearline.ReviewFilter{CollectionID: c1}, []string{ids[0], ids[2], ids[3]}},
		{tearline.ReviewFilter{CollectionID: c1, Status: tearline.ReviewPending}, []string{ids[0], ids[3]}},
		{tearline.ReviewFilter{Status: tearline.ReviewRejected}, []string{ids[2]}},
		{tearline.ReviewFilter{StatusID: st}, []string{ids[0], ids[2]}},
		{tearline.ReviewFilter{StatusID: st, Status: tearline.ReviewPending}, []string{ids[0]}},
		{tearline.ReviewFilter{CollectionID: c2, Status: tearline.ReviewApproved}, nil},
	}
	for _, tt := range tests {
		rs, err := s.ListReviews(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.ID)
		}
		// Other subtests share no store, but be exact about this one's.
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ListReviews(%+v) (-want +got):\n%s", tt.f, diff)
		}
	}
}

func testDecideReviewErrors(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	r := newReview(uuid.NewString(), "", 0)
	if err := s.HoldForReview(ctx, []*tearline.Review{r}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		d    tearline.Review
		code string
	}{
		{"unknown", tearline.Review{ID: uuid.NewString(), Status: tearline.ReviewRejected, DeciderKey: "k"}, tearline.ENOTFOUND},
		{"pending status", tearline.Review{ID: r.ID, Status: tearline.ReviewPending, DeciderKey: "k"}, tearline.EINVALID},
		{"bad status", tearline.Review{ID: r.ID, Status: "released", DeciderKey: "k"}, tearline.EINVALID},
		{"no decider", tearline.Review{ID: r.ID, Status: tearline.ReviewRejected}, tearline.EINVALID},
		{"approval without bytes", tearline.Review{ID: r.ID, Status: tearline.ReviewApproved, Decision: tearline.ApproveAsIs, DeciderKey: "k"}, tearline.EINVALID},
		{"approval without decision", tearline.Review{ID: r.ID, Status: tearline.ReviewApproved, Approved: r.Raw, DeciderKey: "k"}, tearline.EINVALID},
	}
	for _, tt := range tests {
		if err := s.DecideReview(ctx, &tt.d); tearline.ErrorCode(err) != tt.code {
			t.Errorf("%s: err = %v, want code %s", tt.name, err, tt.code)
		}
	}
	got, err := s.FindReview(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tearline.ReviewPending {
		t.Errorf("after refused decisions the status is %q, want %q", got.Status, tearline.ReviewPending)
	}
}

// testRacingDeciders decides one review from several goroutines at once:
// exactly one decision is taken, the others get ECONFLICT.
func testRacingDeciders(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	r := newReview(uuid.NewString(), uuid.NewString(), 0)
	if err := s.HoldForReview(ctx, []*tearline.Review{r}); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d := &tearline.Review{ID: r.ID, Status: tearline.ReviewRejected, DeciderKey: fmt.Sprint("key-", i)}
			if i%2 == 0 {
				d.Status, d.Decision, d.Approved = tearline.ReviewApproved, tearline.ApproveAsIs, r.Raw
			}
			errs[i] = s.DecideReview(ctx, d)
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("deciders %d and %d both decided", won, i)
		case err == nil:
			won = i
		case tearline.ErrorCode(err) != tearline.ECONFLICT:
			t.Errorf("decider %d: err = %v, want code %s", i, err, tearline.ECONFLICT)
		}
	}
	if won < 0 {
		t.Fatal("no decider won")
	}
	got, err := s.FindReview(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DeciderKey != fmt.Sprint("key-", won) {
		t.Errorf("stored decider %q, want the winner key-%d", got.DeciderKey, won)
	}
}

func testFinishReview(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	r := newReview(uuid.NewString(), uuid.NewString(), 0)
	if err := s.HoldForReview(ctx, []*tearline.Review{r}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishReview(ctx, r.ID, true, "stored"); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("finishing a pending review: err = %v, want code %s", err, tearline.ECONFLICT)
	}
	if err := s.FinishReview(ctx, uuid.NewString(), true, "stored"); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("finishing an unknown review: err = %v, want code %s", err, tearline.ENOTFOUND)
	}
	if err := s.DecideReview(ctx, &tearline.Review{ID: r.ID, Status: tearline.ReviewApproved,
		Decision: tearline.ApproveAsIs, Approved: r.Raw, DeciderKey: "k"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindReview(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Finished.IsZero() || got.Stored || got.Result != "" {
		t.Errorf("an approved review is finished before FinishReview: %v %v %q", got.Finished, got.Stored, got.Result)
	}
	for _, tt := range []struct {
		stored bool
		result string
	}{{false, "conflict"}, {true, "warnings: pii-approved as-is"}} {
		if err := s.FinishReview(ctx, r.ID, tt.stored, tt.result); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindReview(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Finished.IsZero() || got.Stored != tt.stored || got.Result != tt.result {
			t.Errorf("after FinishReview(%v, %q): finished %v, stored %v, result %q", tt.stored, tt.result, got.Finished, got.Stored, got.Result)
		}
	}
	rej := newReview(uuid.NewString(), "", 0)
	if err := s.HoldForReview(ctx, []*tearline.Review{rej}); err != nil {
		t.Fatal(err)
	}
	if err := s.DecideReview(ctx, &tearline.Review{ID: rej.ID, Status: tearline.ReviewRejected, DeciderKey: "k"}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishReview(ctx, rej.ID, true, "stored"); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("finishing a rejected review: err = %v, want code %s", err, tearline.ECONFLICT)
	}
}

func testSubmissionKey(t *testing.T, s ReviewStore) {
	ctx := t.Context()
	st := uuid.NewString()
	if _, err := s.SubmissionKey(ctx, st); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("SubmissionKey before any: err = %v, want code %s", err, tearline.ENOTFOUND)
	}
	for _, key := range []string{"key-a", "key-b"} {
		if err := s.SetSubmissionKey(ctx, st, key); err != nil {
			t.Fatal(err)
		}
		got, err := s.SubmissionKey(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if got != key {
			t.Errorf("SubmissionKey = %q, want %q", got, key)
		}
	}
}
