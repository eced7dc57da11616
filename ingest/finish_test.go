package ingest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
)

// TestFinish checks Options.Finish: it is called once, in the transaction
// of the last batch, after OnObject has had every object; what it records
// commits with the objects, and its error rolls the batch back, feedback
// included. It is not called when the last batch stores nothing.
func TestFinish(t *testing.T) {
	t.Parallel()
	const sighting = `{"type":"sighting","spec_version":"2.1","id":"sighting--2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f","created":"2016-04-07T00:00:00.000Z","modified":"2016-04-07T00:00:00.000Z","sighting_of_ref":"indicator--0f4c6a5e-3b1e-4c7d-9a51-1f0b8f2c3d4e"}`
	errFail := errors.New("finish failed")
	for _, tc := range []struct {
		name      string
		objects   []string
		batchSize int
		fail      bool
		calls     int // of Finish
		stored    int // objects in the collection afterwards
	}{
		{name: "one batch", objects: []string{ind1, bad, sighting}, calls: 1, stored: 2},
		{name: "last of two batches", objects: []string{ind1, sighting}, batchSize: 1, calls: 1, stored: 2},
		{name: "nothing stored", objects: []string{bad}},
		{name: "finish fails", objects: []string{ind1, sighting}, fail: true, calls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, c := open(t)
			ctx := t.Context()
			// The sighting is of ind2, stored before by another organization.
			if _, err := ingest.Envelope(ctx, db, c.ID, strings.NewReader(`{"objects":[`+ind2+`]}`),
				ingest.Options{Source: "identity--b"}); err != nil {
				t.Fatal(err)
			}
			st := &tearline.Status{ID: "st-" + strings.ReplaceAll(tc.name, " ", "-"), APIRoot: "default", CollectionID: c.ID,
				Status: tearline.StatusComplete, RequestTime: time.Now().UTC().Truncate(time.Microsecond), TotalCount: len(tc.objects)}
			outcomes, calls := 0, 0
			rep, err := ingest.Envelope(ctx, db, c.ID, strings.NewReader(`{"objects":[`+strings.Join(tc.objects, ",")+`]}`), ingest.Options{
				BatchSize: tc.batchSize,
				Source:    "identity--a",
				OnObject:  func(*ingest.Outcome) { outcomes++ },
				Finish: func(tx tearline.BatchTx) error {
					calls++
					if outcomes != len(tc.objects) {
						t.Errorf("Finish called after %d outcomes, want all %d", outcomes, len(tc.objects))
					}
					if err := tx.SaveStatus(st); err != nil {
						return err
					}
					if tc.fail {
						return errFail
					}
					return nil
				},
			})
			if tc.fail != errors.Is(err, errFail) || (!tc.fail && err != nil) {
				t.Fatalf("Envelope: %v", err)
			}
			if calls != tc.calls || rep.Finished != (tc.calls == 1 && !tc.fail) {
				t.Errorf("Finish called %d times, report finished %v", calls, rep.Finished)
			}
			_, err = db.FindStatus(ctx, st.ID)
			if saved := err == nil; saved != rep.Finished {
				t.Errorf("status saved %v (%v), report finished %v", saved, err, rep.Finished)
			}
			page, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(page.Entries) - 1; got != tc.stored {
				t.Errorf("%d objects stored, want %d", got, tc.stored)
			}
			fs, err := db.ListFeedback(ctx, []string{"indicator--0f4c6a5e-3b1e-4c7d-9a51-1f0b8f2c3d4e"}, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if want := min(tc.stored, 1); len(fs) != want {
				t.Errorf("%d feedback references to ind2, want %d", len(fs), want)
			}
		})
	}
}
