package sqlite

import (
	"fmt"
	"testing"

	"github.com/tearline/tearline"
)

// TestObjectIDsRecent stores more versions than object_ids_recent
// gathers, in batches, and checks that a merge moved the earlier keys into
// object_ids, that the later ones wait in object_ids_recent, and that the
// versions are found by id wherever their key is: queries by id, the
// adder's own lookup (a version sent again is a duplicate, a new version
// moves the latest flag) and deletion, which takes the key with it.
func TestObjectIDsRecent(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	col := intelCollection(t, db)
	const batch = 5000
	const total = recentObjectIDs + batch
	id := func(i int) string { return fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", i) }
	const v1, v2 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
	for lo := 0; lo < total; lo += batch {
		var objs []*tearline.Object
		for i := lo; i < min(lo+batch, total); i++ {
			objs = append(objs, testObject(id(i), v1, `{}`))
		}
		if _, err := db.AddObjects(ctx, col, objs); err != nil {
			t.Fatal(err)
		}
	}
	counts := func() (merged, recent int) {
		t.Helper()
		if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM object_ids), (SELECT count(*) FROM object_ids_recent)`).Scan(&merged, &recent); err != nil {
			t.Fatal(err)
		}
		return merged, recent
	}
	// The fourth batch of 5,000 crossed recentObjectIDs and merged.
	if merged, recent := counts(); merged != 4*batch || recent != total-4*batch {
		t.Fatalf("%d keys merged and %d recent, want %d and %d", merged, recent, 4*batch, total-4*batch)
	}

	first, last := id(0), id(total-1) // merged, recent
	res, err := db.AddObjects(ctx, col, []*tearline.Object{
		testObject(first, v1, `{}`), testObject(last, v1, `{}`), // again
		testObject(first, v2, `{"v":2}`), testObject(last, v2, `{"v":2}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []tearline.AddStatus{tearline.Duplicate, tearline.Duplicate, tearline.Added, tearline.Added} {
		if res[i].Status != want {
			t.Errorf("object %d: %v, want %v", i, res[i].Status, want)
		}
	}
	page, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: col, IDs: []string{first, last}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 2 || page.Entries[0].Version != page.Entries[1].Version ||
		page.Entries[0].Version.Format("2006-01-02") != "2026-02-01" {
		t.Errorf("latest versions of %s and %s: %+v, want both of %s", first, last, page.Entries, v2)
	}
	page, err = db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: col, IDs: []string{first, last}, Versions: []string{tearline.VersionAll}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 4 {
		t.Errorf("%d versions of %s and %s, want 4", len(page.Entries), first, last)
	}

	for _, obj := range []string{first, last} {
		if n, err := db.DeleteObject(ctx, col, obj, nil, nil); err != nil || n != 2 {
			t.Fatalf("delete %s: %d versions, %v; want 2", obj, n, err)
		}
	}
	merged, recent := counts()
	if merged+recent != total+2-4 {
		t.Errorf("%d keys after deleting 4 versions of %d, want %d", merged+recent, total+2, total+2-4)
	}
	var stale int
	if err := db.r.QueryRow(`SELECT count(*) FROM object_keys k WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.pk = k.pk)`).Scan(&stale); err != nil || stale != 0 {
		t.Errorf("%d keys of deleted versions, %v", stale, err)
	}
	page, err = db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: col, IDs: []string{first, last, id(1)}, Versions: []string{tearline.VersionAll}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 1 || page.Entries[0].ID != id(1) {
		t.Errorf("after the deletes: %+v, want only %s", page.Entries, id(1))
	}
}

// TestObjectIDsMigration takes a store holding versions back before
// migration 27 and up again: their keys move into object_ids, upto is the
// highest row key, and they are found by id.
func TestObjectIDsMigration(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	col := intelCollection(t, db)
	objs := []*tearline.Object{
		testObject("indicator--0d2a7e4c-7ea8-4c3c-8d0e-3f3a0a1e2b11", "2026-01-01T00:00:00Z", `{}`),
		testObject("indicator--0d2a7e4c-7ea8-4c3c-8d0e-3f3a0a1e2b11", "2026-02-01T00:00:00Z", `{"v":2}`),
		testObject("malware--5b7f1c1e-2b4c-4f0e-9b57-0d8e6f8a9c22", "2026-01-01T00:00:00Z", `{}`),
	}
	if _, err := db.AddObjects(ctx, col, objs); err != nil {
		t.Fatal(err)
	}
	p := migrationProvider(t, db)
	if _, err := p.DownTo(ctx, 26); err != nil {
		t.Fatalf("down to 26: %v", err)
	}
	if _, err := p.UpTo(ctx, 27); err != nil {
		t.Fatalf("up to 27: %v", err)
	}
	var merged, recent, upto int
	err := db.r.QueryRow(`SELECT (SELECT count(*) FROM object_ids), (SELECT count(*) FROM object_ids_recent), (SELECT upto FROM object_ids_merged)`).
		Scan(&merged, &recent, &upto)
	if err != nil || merged != 3 || recent != 0 || upto != 3 {
		t.Errorf("%d keys merged, %d recent, upto %d, %v; want 3, 0, 3", merged, recent, upto, err)
	}
	res, err := db.AddObjects(ctx, col, objs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Status != tearline.Duplicate {
			t.Errorf("object %d sent again: %v, want a duplicate", i, r.Status)
		}
	}
}
