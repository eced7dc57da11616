package sqlite

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/tearline/tearline"
)

// migrationProvider returns a goose provider of db's migrations, to take
// the store back to an earlier version.
func migrationProvider(t *testing.T, db *DB) *goose.Provider {
	t.Helper()
	p, err := db.migrations()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSubmissionObjectsMigration takes a store back before migration 20,
// stores submission rows in the old shape, and migrates again: every row
// keeps its content and gets the idh of its object, and lookups by object
// use the new index.
func TestSubmissionObjectsMigration(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	p := migrationProvider(t, db)
	if _, err := p.DownTo(ctx, 19); err != nil {
		t.Fatalf("down to 19: %v", err)
	}
	objs := []string{"indicator--0d2a7e4c-7ea8-4c3c-8d0e-3f3a0a1e2b11", "malware--5b7f1c1e-2b4c-4f0e-9b57-0d8e6f8a9c22"}
	for i, o := range objs {
		if _, err := db.w.Exec(`INSERT INTO submission_objects (submission, idx, object) VALUES ('s1', ?, ?)`, i, o); err != nil {
			t.Fatalf("old shape: %v", err)
		}
	}
	if _, err := p.UpTo(ctx, 22); err != nil {
		t.Fatalf("up to 22: %v", err)
	}
	if _, err := db.w.Exec(`INSERT INTO submission_objects (submission, idx, object, idh) VALUES ('s1', 0, 'x', 1)`); err == nil {
		t.Error("a repeated (submission, idx) was accepted")
	}
	for i, o := range objs {
		var got string
		var idx int
		err := db.r.QueryRow(`SELECT submission, idx FROM submission_objects WHERE idh = ? AND object = ?`, idHash(o), o).Scan(&got, &idx)
		if err != nil || got != "s1" || idx != i {
			t.Errorf("object %s: submission %q idx %d, %v; want s1 %d", o, got, idx, err, i)
		}
	}
	var plan string
	rows, err := db.r.Query(`EXPLAIN QUERY PLAN SELECT submission FROM submission_objects WHERE idh = ? AND object = ?`, idHash(objs[0]), objs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "\n"
	}
	if want := "USING INDEX submission_objects_idh"; !strings.Contains(plan, want) {
		t.Errorf("plan %q lacks %q", plan, want)
	}
}

// TestSubmissionRangesMigration takes a store back before migration 23,
// stores the objects of two submissions interleaved and out of order (as
// a copy from PostgreSQL may), and migrates again: each submission finds
// its objects, in order, by its range of rows.
func TestSubmissionRangesMigration(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	p := migrationProvider(t, db)
	if _, err := p.DownTo(ctx, 22); err != nil {
		t.Fatalf("down to 22: %v", err)
	}
	org := &tearline.Organization{Name: "ranges"}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"s-b", "s-a", "s-empty"} {
		if _, err := db.w.Exec(`INSERT INTO submissions (id, org, collection, received, available, state, updated)
			VALUES (?, ?, 'c', 1, 1, 'received', 1)`, id, org.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		sub string
		idx int
	}{{"s-b", 1}, {"s-a", 0}, {"s-b", 0}, {"s-a", 2}, {"s-a", 1}} {
		obj := fmt.Sprintf("indicator--%s-%d", r.sub, r.idx)
		if _, err := db.w.Exec(`INSERT INTO submission_objects (submission, idx, object, idh) VALUES (?, ?, ?, ?)`,
			r.sub, r.idx, obj, idHash(obj)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	for id, want := range map[string][]string{
		"s-a":     {"indicator--s-a-0", "indicator--s-a-1", "indicator--s-a-2"},
		"s-b":     {"indicator--s-b-0", "indicator--s-b-1"},
		"s-empty": nil,
	} {
		s, err := db.FindSubmission(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Objects, want) {
			t.Errorf("submission %s: objects %q, want %q", id, s.Objects, want)
		}
	}
}

// TestSubmissionObjectVersionsMigration takes a store back before
// migration 25, records a submission of a stored object and of one never
// stored in the old shape, and migrates again: the stored object's row
// names its latest version, the other none, and feedback on either finds
// the submission.
func TestSubmissionObjectVersionsMigration(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	col := intelCollection(t, db)
	const stored, unstored = "indicator--7c9a0f1e-3b2d-4e5f-8a6b-1c2d3e4f5a6b", "indicator--0f1e2d3c-4b5a-4697-8877-665544332211"
	addVersion(t, db, col, stored, "2026-01-01T00:00:00Z")
	addVersion(t, db, col, stored, "2026-02-01T00:00:00Z")
	var latest int64
	if err := db.r.QueryRow(`SELECT max(pk) FROM objects WHERE id = ?`, stored).Scan(&latest); err != nil {
		t.Fatal(err)
	}
	p := migrationProvider(t, db)
	if _, err := p.DownTo(ctx, 24); err != nil {
		t.Fatalf("down to 24: %v", err)
	}
	for _, sub := range []string{"s-stored", "s-unstored"} {
		if _, err := db.w.Exec(`INSERT INTO submissions (id, org, collection, received, available, state, updated)
			VALUES (?, 'identity--a', ?, 1, 1, 'received', 1)`, sub, col); err != nil {
			t.Fatal(err)
		}
	}
	for sub, obj := range map[string]string{"s-stored": stored, "s-unstored": unstored} {
		if _, err := db.w.Exec(`INSERT INTO submission_objects (submission, idx, object, idh) VALUES (?, 0, ?, ?)`,
			sub, obj, idHash(obj)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	for obj, want := range map[string]int64{stored: latest, unstored: 0} {
		var pk int64
		if err := db.r.QueryRow(`SELECT object_pk FROM submission_objects WHERE object = ?`, obj).Scan(&pk); err != nil || pk != want {
			t.Errorf("%s: object_pk %d, %v; want %d", obj, pk, err, want)
		}
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := db.RecordFeedback(ctx, []*tearline.Feedback{
		{ObjectID: "sighting--1", Type: "sighting", RefID: stored, OrgID: "identity--b", Created: at},
		{ObjectID: "sighting--2", Type: "sighting", RefID: unstored, OrgID: "identity--b", Created: at},
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"s-stored", "s-unstored"} {
		s, err := db.FindSubmission(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !s.FirstFeedback.Equal(at) {
			t.Errorf("%s: first feedback %v, want %v", id, s.FirstFeedback, at)
		}
	}
}

// TestSubmissionOfStoredVersions records submissions of stored objects
// and checks that feedback finds them through the versions' row keys,
// also once a later version of the object is stored, and that the
// submission stands in for a missing creator.
func TestSubmissionOfStoredVersions(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	col := intelCollection(t, db)
	const id = "indicator--5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
	addVersion(t, db, col, id, "2026-01-01T00:00:00Z")
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	recordSubmissionOf(t, db, col, id, at)
	var pk int64
	if err := db.r.QueryRow(`SELECT object_pk FROM submission_objects WHERE object = ?`, id).Scan(&pk); err != nil || pk == 0 {
		t.Fatalf("object_pk %d, %v; want the stored version's", pk, err)
	}
	addVersion(t, db, col, id, "2026-02-01T00:00:00Z")
	checkFound(t, db, id, at.Add(time.Hour))
}

// TestSubmissionOfDeletedVersion checks that a submission whose row
// names a version deleted since is still found by the object's id: by
// feedback on one of its remaining versions, and on the object stored
// again after all of its versions were deleted (migration 29).
func TestSubmissionOfDeletedVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		delete []string // versions deleted; empty deletes all
		again  bool     // the object is stored again afterwards
	}{
		{name: "latest version deleted", delete: []string{"2026-02-01T00:00:00Z"}},
		{name: "all versions deleted, stored again", again: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const id = "indicator--6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0"
			db, col, at := submittedVersions(t, id)
			if _, err := db.DeleteObject(t.Context(), col, id, tc.delete, nil); err != nil {
				t.Fatal(err)
			}
			if tc.again {
				addVersion(t, db, col, id, "2026-03-01T00:00:00Z")
			}
			checkFound(t, db, id, at.Add(time.Hour))
		})
	}
}

// TestSubmissionObjectsGoneMigration deletes the version a submission's
// row names in a store of migration 28, where the row kept naming it, and
// checks that migration 29 makes the row findable by the object's id.
func TestSubmissionObjectsGoneMigration(t *testing.T) {
	t.Parallel()
	const id = "indicator--8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e"
	db, col, at := submittedVersions(t, id)
	ctx := t.Context()
	p := migrationProvider(t, db)
	if _, err := p.DownTo(ctx, 28); err != nil {
		t.Fatalf("down to 28: %v", err)
	}
	if _, err := db.DeleteObject(ctx, col, id, []string{"2026-02-01T00:00:00Z"}, nil); err != nil {
		t.Fatal(err)
	}
	var pk int64
	if err := db.r.QueryRow(`SELECT object_pk FROM submission_objects WHERE object = ?`, id).Scan(&pk); err != nil || pk == 0 {
		t.Fatalf("before the migration: object_pk %d, %v; want the deleted version's", pk, err)
	}
	if err := db.migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := db.r.QueryRow(`SELECT object_pk FROM submission_objects WHERE object = ?`, id).Scan(&pk); err != nil || pk != 0 {
		t.Fatalf("after the migration: object_pk %d, %v; want 0", pk, err)
	}
	checkFound(t, db, id, at.Add(time.Hour))
}

// recordSubmissionOf records submission s1 by identity--a of object id in
// collection col, received and available at at.
func recordSubmissionOf(t *testing.T, db *DB, col, id string, at time.Time) {
	t.Helper()
	if err := db.RecordSubmission(t.Context(), &tearline.Submission{ID: "s1", OrgID: "identity--a", CollectionID: col,
		Objects: []string{id}, Received: at, Available: at}); err != nil {
		t.Fatal(err)
	}
}

// submittedVersions opens a store with the versions of indicator id
// modified on 1 January and 1 February 2026 in a collection, and submission
// s1 of the object recorded at the time it returns, after both.
func submittedVersions(t *testing.T, id string) (db *DB, col string, at time.Time) {
	t.Helper()
	db = openTest(t)
	col = intelCollection(t, db)
	addVersion(t, db, col, id, "2026-01-01T00:00:00Z")
	addVersion(t, db, col, id, "2026-02-01T00:00:00Z")
	at = time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	recordSubmissionOf(t, db, col, id, at)
	return db, col, at
}

// checkFound checks that submission s1 of recordSubmissionOf is found by
// the id of its object: the submitter stands in for the object's missing
// creator, and a sighting of it at seen by identity--b is the
// submission's first feedback.
func checkFound(t *testing.T, db *DB, id string, seen time.Time) {
	t.Helper()
	ctx := t.Context()
	creators, err := db.ObjectCreators(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if creators[id] != "identity--a" {
		t.Errorf("creator %q, want the submitter identity--a", creators[id])
	}
	if err := db.RecordFeedback(ctx, []*tearline.Feedback{
		{ObjectID: "sighting--1", Type: "sighting", RefID: id, OrgID: "identity--b", Created: seen}}); err != nil {
		t.Fatal(err)
	}
	s, err := db.FindSubmission(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if !s.FirstFeedback.Equal(seen) {
		t.Errorf("first feedback %v, want %v", s.FirstFeedback, seen)
	}
}

// intelCollection creates a collection in db and returns its id.
func intelCollection(t *testing.T, db *DB) string {
	t.Helper()
	col := &tearline.Collection{Alias: "intel", Title: "Intel"}
	if err := db.CreateCollection(t.Context(), col); err != nil {
		t.Fatal(err)
	}
	return col.ID
}

// addVersion stores the version of indicator id modified at modified in
// collection col.
func addVersion(t *testing.T, db *DB, col, id, modified string) {
	t.Helper()
	o := testObject(id, modified, `{"type":"indicator","spec_version":"2.1","id":"`+id+`","modified":"`+modified+`"}`)
	if _, err := db.AddObjects(t.Context(), col, []*tearline.Object{o}); err != nil {
		t.Fatal(err)
	}
}
