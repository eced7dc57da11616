package sqlite

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tearline/tearline"
)

// TestWriteBatch writes objects with their observables and scores in one
// transaction: what fn records names the versions the batch stored, a
// duplicate's row key is found like a new one's, and an error from fn
// leaves nothing of the batch behind.
func TestWriteBatch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	c := &tearline.Collection{Alias: "batch"}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	objs := make([]*tearline.Object, 3)
	for i := range objs {
		objs[i] = testObject(fmt.Sprintf("indicator--%d", i), "2020-01-01T00:00:00Z", fmt.Sprintf(`{"n":%d}`, i))
	}
	now := time.Unix(1700000000, 0)
	record := func(tx tearline.BatchTx, added []tearline.AddResult, batch []*tearline.Object, value string) error {
		var refs []tearline.ObservableRef
		var recs []*tearline.ScoreRecord
		for i, o := range batch {
			if added[i].Status == tearline.Conflict {
				continue
			}
			refs = append(refs, tearline.ObservableRef{Kind: "ipv4", Value: value, ObjectID: o.ID, Version: o.Version, Source: "org-a", Time: now})
			recs = append(recs, &tearline.ScoreRecord{ID: o.ID, Version: o.Version, Stated: -1, Confidence: 40 + i, Computed: now})
		}
		if err := tx.RecordObservables(refs); err != nil {
			return err
		}
		return tx.SaveScores(recs)
	}

	// A failing fn rolls back the objects too.
	boom := errors.New("boom")
	_, err := db.WriteBatch(ctx, c.ID, objs, func(tx tearline.BatchTx, added []tearline.AddResult) error {
		if err := record(tx, added, objs, "192.0.2.1"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WriteBatch = %v, want fn's error", err)
	}
	var objects, links, scores int
	count := func() {
		t.Helper()
		if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM objects), (SELECT count(*) FROM observable_objects),
			(SELECT count(*) FROM object_scores)`).Scan(&objects, &links, &scores); err != nil {
			t.Fatal(err)
		}
	}
	if count(); objects != 0 || links != 0 || scores != 0 {
		t.Fatalf("after a failed batch: %d objects, %d observable links, %d scores; want none", objects, links, scores)
	}

	// Stored, then stored again (duplicates) with a conflict added: the
	// links and scores name the stored versions.
	for _, batch := range [][]*tearline.Object{objs, append(objs[:2:2],
		testObject("indicator--0", "2020-01-01T00:00:00Z", `{"n":"changed"}`))} {
		added, err := db.WriteBatch(ctx, c.ID, batch, func(tx tearline.BatchTx, added []tearline.AddResult) error {
			return record(tx, added, batch, "192.0.2.1")
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(added) != len(batch) {
			t.Fatalf("%d results for %d objects", len(added), len(batch))
		}
	}
	if count(); objects != 3 || links != 3 || scores != 3 {
		t.Errorf("%d objects, %d observable links, %d scores; want 3 of each", objects, links, scores)
	}
	e, err := db.LookupObservable(ctx, "ipv4", "192.0.2.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Objects) != 3 || len(e.Sources) != 1 {
		t.Errorf("entry %+v, want 3 objects from 1 source", e)
	}
	recs, err := db.FindScores(ctx, []string{"indicator--0", "indicator--1", "indicator--2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d score records, want 3", len(recs))
	}

	// The sources of values new in the batch are answered without a
	// query: the same as the query's answer, with two organizations and
	// values old and new mixed.
	more := []*tearline.Object{testObject("indicator--3", "2020-01-01T00:00:00Z", `{"n":3}`)}
	_, err = db.WriteBatch(ctx, c.ID, more, func(tx tearline.BatchTx, added []tearline.AddResult) error {
		refs := []tearline.ObservableRef{
			{Kind: "ipv4", Value: "192.0.2.9", ObjectID: "indicator--3", Version: more[0].Version, Source: "org-b", Time: now.Add(time.Hour)},
			{Kind: "ipv4", Value: "192.0.2.9", ObjectID: "indicator--3", Version: more[0].Version, Source: "org-a", Time: now.Add(2 * time.Hour)},
			{Kind: "ipv4", Value: "192.0.2.1", ObjectID: "indicator--3", Version: more[0].Version, Source: "org-b", Time: now},
		}
		if err := tx.RecordObservables(refs); err != nil {
			return err
		}
		values := []tearline.ObservableValue{{Kind: "ipv4", Value: "192.0.2.9"}, {Kind: "ipv4", Value: "192.0.2.1"}, {Kind: "ipv4", Value: "192.0.2.77"}}
		got, err := tx.ObservableSources(values)
		if err != nil {
			return err
		}
		want, err := tx.(*batchTx).scoreTx.ObservableSources(values)
		if err != nil {
			return err
		}
		if len(tx.(*batchTx).fresh) != 1 {
			t.Errorf("%d values answered without a query, want 1", len(tx.(*batchTx).fresh))
		}
		if !reflect.DeepEqual(got, want) || len(got[0]) != 2 || len(got[1]) != 2 || got[2] != nil {
			t.Errorf("sources %+v, want %+v (2, 2 and none)", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
