package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tearline/tearline"
)

// textObject returns an indicator-like object named name.
func textObject(i int, name string) *tearline.Object {
	id := fmt.Sprintf("malware--%08x-0000-4000-8000-000000000000", i)
	v := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	raw := fmt.Appendf(nil, `{"type":"malware","spec_version":"2.1","id":%q,"created":"2025-05-01T00:00:00.000Z","modified":"2025-05-01T00:00:00.000Z","name":%q,"is_family":false}`, id, name)
	return &tearline.Object{ID: id, Type: "malware", SpecVersion: "2.1", Version: v, Created: v, Raw: raw}
}

// searchIDs returns the ids a search finds, sorted.
func searchIDs(t *testing.T, db *DB, q string) []string {
	t.Helper()
	hits, err := db.SearchText(t.Context(), q, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids
}

// addTo creates a collection and adds objs to it.
func addTo(t *testing.T, db *DB, objs ...*tearline.Object) *tearline.Collection {
	t.Helper()
	c := &tearline.Collection{Alias: fmt.Sprintf("c%d", time.Now().UnixNano()), Title: "text"}
	if err := db.CreateCollection(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddObjects(t.Context(), c.ID, objs); err != nil {
		t.Fatal(err)
	}
	return c
}

// removeDerived removes the derived file of dir and its WAL.
func removeDerived(t *testing.T, dir string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dir, DerivedFileName+suffix)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// TestTextIndexRebuilt checks that a store whose derived file is gone,
// or belongs to another database, indexes its stored objects again on
// open, reading them from the main file.
func TestTextIndexRebuilt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	a, err := Open(ctx, dirA)
	if err != nil {
		t.Fatal(err)
	}
	// More versions than the indexer reads from the file at once.
	var objs []*tearline.Object
	want := map[string]int{}
	for i := range textBatchRows + 10 {
		name := fmt.Sprintf("alpha%d", i%3)
		objs = append(objs, textObject(i, name))
		want[name]++
	}
	addTo(t, a, objs...)
	if got := searchIDs(t, a, "alpha1"); len(got) != want["alpha1"] {
		t.Fatalf("alpha1 found %d versions, want %d", len(got), want["alpha1"])
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	b, err := Open(ctx, dirB)
	if err != nil {
		t.Fatal(err)
	}
	addTo(t, b, textObject(1<<20, "bravo"))
	if got := searchIDs(t, b, "bravo"); len(got) != 1 {
		t.Fatalf("bravo found %v", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// A's derived file is lost; B's is copied beside A's database.
	removeDerived(t, dirA)
	raw, err := os.ReadFile(filepath.Join(dirB, DerivedFileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirA, DerivedFileName), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err = Open(ctx, dirA)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := searchIDs(t, a, "bravo"); len(got) != 0 {
		t.Errorf("A's search finds B's objects: %v", got)
	}
	if got := searchIDs(t, a, "alpha2"); len(got) != want["alpha2"] {
		t.Errorf("alpha2 found %d versions after the rebuild, want %d", len(got), want["alpha2"])
	}

	removeDerived(t, dirB)
	b, err = Open(ctx, dirB)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := searchIDs(t, b, "bravo"); len(got) != 1 {
		t.Errorf("bravo found %v after the rebuild", got)
	}
}

// TestTextIndexDeleted checks that deleted versions leave the index and
// that their row keys are not handed out again.
func TestTextIndexDeleted(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	gone := textObject(1, "charlie")
	c := addTo(t, db, textObject(0, "delta"), gone)
	if got := searchIDs(t, db, "charlie"); len(got) != 1 {
		t.Fatalf("charlie found %v", got)
	}
	var gonePK int64
	if err := db.r.QueryRowContext(ctx, `SELECT pk FROM objects WHERE id = ?`, gone.ID).Scan(&gonePK); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCollection(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	kept := textObject(2, "echo")
	addTo(t, db, kept)
	var keptPK int64
	if err := db.r.QueryRowContext(ctx, `SELECT pk FROM objects WHERE id = ?`, kept.ID).Scan(&keptPK); err != nil {
		t.Fatal(err)
	}
	if keptPK <= gonePK {
		t.Errorf("the new version got row key %d, not above the deleted %d", keptPK, gonePK)
	}
	if err := db.text.catchUp(); err != nil {
		t.Fatal(err)
	}
	var rows, queued int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM object_text WHERE rowid = ?`, gonePK).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM text_gone`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if rows != 0 || queued != 0 {
		t.Errorf("after catching up: %d index rows of the deleted version, %d row keys queued", rows, queued)
	}
	for _, q := range []string{"charlie", "delta"} {
		if got := searchIDs(t, db, q); len(got) != 0 {
			t.Errorf("%s: deleted versions found: %v", q, got)
		}
	}
	if got := searchIDs(t, db, "echo"); !slices.Equal(got, []string{kept.ID}) {
		t.Errorf("echo found %v", got)
	}
}

// TestTextIndexTwoOpeners checks that two stores open on one data
// directory (a server and a command-line tool) each find every version,
// once, whichever of them added it. (FTS5 would also keep one row for a
// row key indexed twice; write's progress check spares that work.)
func TestTextIndexTwoOpeners(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var want []string
	for round := range 5 {
		var objs []*tearline.Object
		for i := range 300 {
			o := textObject(round*1000+i, "foxtrot")
			objs = append(objs, o)
			want = append(want, o.ID)
		}
		// Each store indexes what the other added, and its own.
		addTo(t, []*DB{a, b}[round%2], objs...)
		for _, db := range []*DB{a, b} {
			if err := db.text.catchUp(); err != nil {
				t.Fatal(err)
			}
		}
	}
	slices.Sort(want)
	for _, db := range []*DB{a, b} {
		if got := searchIDs(t, db, "foxtrot"); !slices.Equal(got, want) {
			t.Errorf("found %d versions, want %d once each", len(got), len(want))
		}
	}
}

// TestTextIndexAutomerge checks that the full-text index merges its
// segments textAutomerge at a time, in a new derived file and in one made
// before the setting (FTS5's default, 4), and that searches still work.
func TestTextIndexAutomerge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	automerge := func(db *DB) int {
		t.Helper()
		var v int
		if err := db.text.w.QueryRowContext(ctx, `SELECT v FROM object_text_config WHERE k = 'automerge'`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := automerge(db); got != textAutomerge {
		t.Errorf("new derived file: automerge %d, want %d", got, textAutomerge)
	}
	if _, err := db.text.w.ExecContext(ctx, `INSERT INTO object_text (object_text, rank) VALUES ('automerge', 4)`); err != nil {
		t.Fatal(err)
	}
	addTo(t, db, textObject(1, "charlie"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(ctx, dir); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := automerge(db); got != textAutomerge {
		t.Errorf("derived file made with automerge 4: %d after open, want %d", got, textAutomerge)
	}
	if got := searchIDs(t, db, "charlie"); len(got) != 1 {
		t.Errorf("charlie found %v", got)
	}
}
