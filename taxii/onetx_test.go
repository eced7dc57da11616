package taxii

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/sqlite"
)

// countingStore is a SQLite store that counts the writes a submission
// makes outside a batch's transaction.
type countingStore struct {
	*sqlite.DB
	batches, statuses, records atomic.Int32
}

func (c *countingStore) WriteBatch(ctx context.Context, collectionID string, objs []*tearline.Object,
	fn func(tx tearline.BatchTx, added []tearline.AddResult) error) ([]tearline.AddResult, error) {
	c.batches.Add(1)
	return c.DB.WriteBatch(ctx, collectionID, objs, fn)
}

func (c *countingStore) SaveStatus(ctx context.Context, st *tearline.Status) error {
	c.statuses.Add(1)
	return c.DB.SaveStatus(ctx, st)
}

func (c *countingStore) RecordSubmission(ctx context.Context, s *tearline.Submission) error {
	c.records.Add(1)
	return c.DB.RecordSubmission(ctx, s)
}

// TestPostOneTransaction checks that a synchronous POST to a SQLite store
// commits its objects, its status and its triage record in its batch's
// transaction: the server saves no status and records no submission on
// its own.
func TestPostOneTransaction(t *testing.T) {
	t.Parallel()
	var cs *countingStore
	e := &env{t: t, dir: t.TempDir(), tokens: map[string]string{}, orgs: map[string]*tearline.Organization{},
		wrap: func(b Backend) Backend {
			db, ok := b.(*sqlite.DB)
			if !ok {
				b.Close()
				t.Skipf("the store is %T, not a SQLite store", b)
			}
			cs = &countingStore{DB: db}
			return cs
		}}
	e.open(testConfig(), false)
	e.fixtures()

	r := e.post("contributor", colPath(e.intel, "objects/"), envelope(indicators(1, 5, 0)...))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.Status != "complete" || st.SuccessCount != 5 {
		t.Fatalf("status: %s", counts(st))
	}
	if n := cs.batches.Load(); n != 1 {
		t.Errorf("%d batch transactions, want 1", n)
	}
	if n, m := cs.statuses.Load(), cs.records.Load(); n != 0 || m != 0 {
		t.Errorf("%d statuses saved and %d submissions recorded outside the batch's transaction, want none", n, m)
	}
	// What the transaction committed: the status and the triage record.
	if got := e.statusOf("contributor", st.ID); got.Status != "complete" || got.SuccessCount != 5 {
		t.Errorf("stored status: %s", counts(got))
	}
	sub, err := cs.FindSubmission(t.Context(), st.ID)
	if err != nil {
		t.Fatalf("triage record: %v", err)
	}
	if sub.OrgID != e.orgs["Contributor Org"].ID || len(sub.Objects) != 5 {
		t.Errorf("triage record: org %s, %d objects; want %s, 5", sub.OrgID, len(sub.Objects), e.orgs["Contributor Org"].ID)
	}
}
