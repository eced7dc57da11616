package sqlite

import (
	"errors"
	"testing"
	"time"

	"github.com/tearline/tearline"
)

// TestBatchFinish checks what finishes a submission within the
// transaction of its last batch: the status, the triage record and the
// feedback commit with the objects, or none of them does; and the triage
// record names the versions the batch wrote or found, not those pkHints
// held from earlier batches.
func TestBatchFinish(t *testing.T) {
	t.Parallel()
	const (
		old    = "indicator--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
		fresh  = "indicator--1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
		v1, v2 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
	)
	at := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		fail bool // fn fails after recording everything
	}{
		{name: "committed"},
		{name: "rolled back", fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := openTest(t)
			col := intelCollection(t, db)
			addVersion(t, db, col, old, v1)
			addVersion(t, db, col, old, v2) // the hint of old is now v2
			objs := []*tearline.Object{
				testObject(old, v1, `{"type":"indicator","spec_version":"2.1","id":"`+old+`","modified":"`+v1+`"}`),
				testObject(fresh, v1, `{"type":"indicator","spec_version":"2.1","id":"`+fresh+`","modified":"`+v1+`"}`),
			}
			st := &tearline.Status{ID: "st1", APIRoot: "default", CollectionID: col, OrgID: "identity--a",
				Status: tearline.StatusComplete, RequestTime: at, TotalCount: 2,
				Successes: []tearline.StatusDetail{{ID: old, Version: v1}, {ID: fresh, Version: v1}}}
			sub := &tearline.Submission{ID: "st1", OrgID: "identity--a", CollectionID: col,
				Objects: []string{old, fresh}, Received: at, Available: at}
			fb := []*tearline.Feedback{{ObjectID: "sighting--2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", Type: "sighting",
				RefID: old, OrgID: "identity--b", Created: at}}
			errFail := errors.New("the finish failed")
			_, err := db.WriteBatch(ctx, col, objs, func(tx tearline.BatchTx, added []tearline.AddResult) error {
				if added[0].Status != tearline.Duplicate || added[1].Status != tearline.Added {
					t.Errorf("added %+v, want a duplicate and a new version", added)
				}
				if err := tx.RecordFeedback(fb); err != nil {
					return err
				}
				if err := tx.SaveStatus(st); err != nil {
					return err
				}
				if err := tx.RecordSubmission(sub); err != nil {
					return err
				}
				if tc.fail {
					return errFail
				}
				return nil
			})
			if tc.fail {
				if !errors.Is(err, errFail) {
					t.Fatalf("WriteBatch: %v, want the finish's error", err)
				}
				if _, err := db.FindStatus(ctx, st.ID); tearline.ErrorCode(err) != tearline.ENOTFOUND {
					t.Errorf("status of a rolled back batch: %v, want ENOTFOUND", err)
				}
				var n int
				if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM submissions) + (SELECT count(*) FROM submission_objects)
					+ (SELECT count(*) FROM feedback) + (SELECT count(*) FROM objects WHERE id = ?)`, fresh).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("%d rows of a rolled back batch are stored", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := db.FindStatus(ctx, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tearline.StatusComplete || len(got.Successes) != 2 {
				t.Errorf("status %+v", got)
			}
			rows, err := db.r.Query(`SELECT so.object, coalesce(o.version, '') FROM submission_objects so
				LEFT JOIN objects o ON o.pk = so.object_pk WHERE so.submission = 'st1' ORDER BY so.idx`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			want := map[string]string{old: versionKey(mustTime(t, v1)), fresh: versionKey(mustTime(t, v1))}
			n := 0
			for rows.Next() {
				var id, ver string
				if err := rows.Scan(&id, &ver); err != nil {
					t.Fatal(err)
				}
				n++
				if ver != want[id] {
					t.Errorf("the submission names version %q of %s, want %q (the batch's)", ver, id, want[id])
				}
			}
			if err := rows.Err(); err != nil || n != 2 {
				t.Fatalf("%d submission rows, %v", n, err)
			}
			fs, err := db.ListFeedback(ctx, []string{old}, time.Time{}, time.Time{})
			if err != nil || len(fs) != 1 {
				t.Errorf("feedback %+v, %v; want the sighting", fs, err)
			}
		})
	}
}
