package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tearline/tearline"
)

// addIndicators adds indicators numbered from..to-1 to collection col.
func addIndicators(t testing.TB, db *DB, col string, from, to int) {
	t.Helper()
	var objs []*tearline.Object
	for i := from; i < to; i++ {
		id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i)
		objs = append(objs, testObject(id, "2024-01-01T00:00:00.000Z", fmt.Sprintf(`{"type":"indicator","id":%q,"n":%d}`, id, i)))
	}
	if _, err := db.AddObjects(context.Background(), col, objs); err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotWhileWriting takes snapshots while a writer adds objects
// without pause, and checks that each one is a consistent prefix: whole
// batches only, a clean integrity check, and summaries that do not depend
// on the copy.
func TestSnapshotWhileWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	col := &tearline.Collection{Alias: "intel", Title: "Intel"}
	if err := db.CreateCollection(ctx, col); err != nil {
		t.Fatal(err)
	}
	const batch = 50
	addIndicators(t, db, col.ID, 0, batch)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		// Bounded, so that snapshots stay small under the race detector.
		for n := batch; !stop.Load() && n < 40*batch; n += batch {
			var objs []*tearline.Object
			for i := n; i < n+batch; i++ {
				id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i)
				objs = append(objs, testObject(id, "2024-01-01T00:00:00.000Z", fmt.Sprintf(`{"type":"indicator","id":%q,"n":%d}`, id, i)))
			}
			if _, err := db.AddObjects(ctx, col.ID, objs); err != nil {
				writeErr = err
				return
			}
		}
	})
	var prev int64
	for i := range 3 {
		dst := filepath.Join(dir, fmt.Sprintf("snap-%d.db", i))
		if err := Snapshot(ctx, filepath.Join(dir, "data"), dst); err != nil {
			t.Fatal(err)
		}
		s, err := Summarize(ctx, dst)
		if err != nil {
			t.Fatal(err)
		}
		n := s.Tables["objects"]
		if s.Integrity != "ok" || n%batch != 0 || n < prev || s.Collections[col.ID] != n || s.Tables["collection_objects"] != n {
			t.Fatalf("snapshot %d: %+v", i, s)
		}
		prev = n
		// A byte copy summarizes the same; the snapshot opens as a store.
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		cp := dst + ".copy"
		if err := os.WriteFile(cp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s2, err := Summarize(ctx, cp)
		if err != nil {
			t.Fatal(err)
		}
		if s2.Content != s.Content || s2.Objects != s.Objects || len(s.Content) != 64 {
			t.Fatalf("summaries of a copy differ: %+v, %+v", s, s2)
		}
	}
	stop.Store(true)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	if err := Snapshot(ctx, filepath.Join(dir, "data"), filepath.Join(dir, "snap-0.db")); err == nil {
		t.Error("Snapshot over an existing file succeeded")
	}
	if err := Snapshot(ctx, filepath.Join(dir, "none"), filepath.Join(dir, "x.db")); err == nil {
		t.Error("Snapshot of a missing database succeeded")
	}
}

// TestSummaryDetectsChanges checks that a change to any stored value, or
// a damaged file, shows in the summary.
func TestSummaryDetectsChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	col := &tearline.Collection{Alias: "intel", Title: "Intel"}
	if err := db.CreateCollection(ctx, col); err != nil {
		t.Fatal(err)
	}
	addIndicators(t, db, col.ID, 0, 100)
	db.Close()
	snap := filepath.Join(dir, "snap.db")
	if err := Snapshot(ctx, filepath.Join(dir, "data"), snap); err != nil {
		t.Fatal(err)
	}
	base, err := Summarize(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(snap)
	for name, stmt := range map[string]string{
		"object bytes":  `UPDATE objects SET raw = CAST(replace(CAST(raw AS TEXT), '"n":7}', '"n":8}') AS BLOB) WHERE id LIKE '%000000000007'`,
		"collection":    `UPDATE collections SET title = 'Other'`,
		"membership":    `DELETE FROM collection_objects WHERE object = (SELECT min(object) FROM collection_objects)`,
		"a null column": `UPDATE objects SET created = '2024-01-01T00:00:00.000Z' WHERE id LIKE '%000000000009'`,
	} {
		p := filepath.Join(dir, "changed.db")
		os.WriteFile(p, b, 0o600)
		w, err := sql.Open("sqlite", p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w.Close()
		s, err := Summarize(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if s.Content == base.Content {
			t.Errorf("%s changed, content hash did not", name)
		}
		if name == "object bytes" && s.Objects == base.Objects {
			t.Errorf("%s changed, objects hash did not", name)
		}
		os.Remove(p)
	}
	// Damage the root page of the objects table, which holds rows (a page
	// in the middle of the file may be the unused space of an empty
	// table's page, whose damage no check can see).
	var root, pageSize int
	r, err := sql.Open("sqlite", snap)
	if err != nil {
		t.Fatal(err)
	}
	err = r.QueryRow(`SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_schema WHERE name = 'objects'`).Scan(&root, &pageSize)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	damaged := append([]byte(nil), b...)
	for i := (root - 1) * pageSize; i < root*pageSize; i++ {
		damaged[i] ^= 0x5a
	}
	p := filepath.Join(dir, "damaged.db")
	os.WriteFile(p, damaged, 0o600)
	if s, err := Summarize(ctx, p); err == nil && s.Integrity == "ok" {
		t.Error("damaged file passes the integrity check")
	}
}
