package sqlite

import (
	"path/filepath"
	"testing"
	"time"
)

// TestSubmissionHints checks the row keys that recording a submission
// takes from pkHints: a hint that still holds a version of the object is
// used (an earlier version posted again is named, where the search would
// name the latest), and one whose version another opener of the data
// directory deleted is not, the submission then naming the object as it
// would without hints.
func TestSubmissionHints(t *testing.T) {
	t.Parallel()
	const (
		id     = "indicator--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
		v1, v2 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
	)
	at := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		again   bool     // v1 is posted again after v2, a duplicate
		delete  []string // versions the other opener deletes; nil deletes none
		wantVer string   // the version the row names; "" for none stored
	}{
		{name: "hint holds the object", again: true, wantVer: v1},
		{name: "hinted version deleted", delete: []string{v2}, wantVer: v1},
		{name: "every version deleted", delete: []string{v1, v2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := openTest(t)
			col := intelCollection(t, db)
			addVersion(t, db, col, id, v1)
			addVersion(t, db, col, id, v2)
			if tc.again {
				addVersion(t, db, col, id, v1)
			}
			if hint := db.pks.get([]string{id})[0]; hint == 0 {
				t.Fatal("adding the object left no hint")
			}
			if tc.delete != nil {
				// Another process, here another opener, deletes: this
				// store's hints do not learn of it.
				other, err := Open(t.Context(), filepath.Dir(db.path))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := other.DeleteObject(t.Context(), col, id, tc.delete, nil); err != nil {
					t.Fatal(err)
				}
				if err := other.Close(); err != nil {
					t.Fatal(err)
				}
			}
			recordSubmissionOf(t, db, col, id, at)
			var ver string
			if err := db.r.QueryRow(`SELECT coalesce((SELECT o.version FROM objects o WHERE o.pk = so.object_pk), '')
				FROM submission_objects so WHERE so.submission = 's1'`).Scan(&ver); err != nil {
				t.Fatal(err)
			}
			if want := tc.wantVer; want != "" {
				want = versionKey(mustTime(t, want))
				if ver != want {
					t.Fatalf("the submission names version %q, want %q", ver, want)
				}
			} else if ver != "" {
				t.Fatalf("the submission names version %q of an object no longer stored", ver)
			}
			if tc.wantVer == "" {
				addVersion(t, db, col, id, "2026-03-01T00:00:00Z")
			}
			checkFound(t, db, id, at.Add(time.Hour))
		})
	}
}

// mustTime parses an RFC 3339 time.
func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
