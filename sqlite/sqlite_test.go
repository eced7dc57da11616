package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/storetest"
)

// openTest opens a store in a new temporary directory, closed at the end of
// the test.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tearline.Store { return openTest(t) })
}

func TestDirectory(t *testing.T) {
	storetest.RunDirectory(t, func(t *testing.T) storetest.DirectoryStore { return openTest(t) })
}

func TestStatuses(t *testing.T) {
	storetest.RunStatuses(t, func(t *testing.T) tearline.StatusStore { return openTest(t) })
}

func testObject(id, modified, raw string) *tearline.Object {
	v, err := time.Parse(time.RFC3339Nano, modified)
	if err != nil {
		panic(err)
	}
	return &tearline.Object{ID: id, Type: strings.Split(id, "--")[0], SpecVersion: "2.1", Version: v, Raw: []byte(raw)}
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data", "nested")
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	c := &tearline.Collection{Alias: "persist", Title: "Persist", MediaTypes: []string{"a", "b"}}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	o := testObject("indicator--1", "2020-01-01T00:00:00.5Z", `{"id": "indicator--1",  "x": [ ] }`)
	res, err := db.AddObjects(ctx, c.ID, []*tearline.Object{o})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.FindCollection(ctx, "persist")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Errorf("collection after reopening (-want +got):\n%s", d)
	}
	page, err := db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := []*tearline.Entry{{Object: *o, DateAdded: res[0].DateAdded}}
	if d := cmp.Diff(want, page.Entries); d != "" {
		t.Errorf("entries after reopening (-want +got):\n%s", d)
	}
	// date_added keeps increasing across restarts, whatever the clock says.
	res2, err := db.AddObjects(ctx, c.ID, []*tearline.Object{testObject("indicator--2", "2020-01-01T00:00:00Z", `{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !res2[0].DateAdded.After(res[0].DateAdded) {
		t.Errorf("DateAdded %v after reopening is not after %v", res2[0].DateAdded, res[0].DateAdded)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	for range 3 {
		if err := db.migrate(t.Context()); err != nil {
			t.Fatalf("migrating again: %v", err)
		}
	}
	var version int64
	if err := db.r.QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	// Numbers are assigned ahead of time, so the set may have gaps: the
	// schema version is the highest number.
	var highest int64
	for _, f := range files {
		n, err := strconv.ParseInt(strings.SplitN(path.Base(f), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", f, err)
		}
		highest = max(highest, n)
	}
	for _, m := range goMigrations {
		highest = max(highest, m.Version)
	}
	if version != highest {
		t.Errorf("schema version %d, want %d, the highest migration", version, highest)
	}
}

func TestReadersAreReadOnly(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	if _, err := db.r.Exec(`DELETE FROM collections`); err == nil {
		t.Error("a reader connection could write")
	}
	var mode string
	if err := db.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

// TestVersionStoredOnce checks that a version in two collections is one row
// of objects, and that DeleteCollection and DeleteObject remove orphans.
func TestVersionStoredOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	c1 := &tearline.Collection{Alias: "c1"}
	c2 := &tearline.Collection{Alias: "c2"}
	for _, c := range []*tearline.Collection{c1, c2} {
		if err := db.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	x := testObject("indicator--x", "2020-01-01T00:00:00Z", `{"id":"indicator--x"}`)
	y := testObject("malware--y", "2020-01-01T00:00:00Z", `{"id":"malware--y"}`)
	for _, c := range []*tearline.Collection{c1, c2} {
		if _, err := db.AddObjects(ctx, c.ID, []*tearline.Object{x, y}); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() (objects, members int) {
		t.Helper()
		if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM objects), (SELECT count(*) FROM collection_objects)`).
			Scan(&objects, &members); err != nil {
			t.Fatal(err)
		}
		return objects, members
	}
	if o, m := rows(); o != 2 || m != 4 {
		t.Errorf("%d object rows and %d memberships, want 2 and 4", o, m)
	}
	if _, err := db.DeleteObject(ctx, c1.ID, x.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCollection(ctx, c2.ID); err != nil {
		t.Fatal(err)
	}
	if o, m := rows(); o != 1 || m != 1 {
		t.Errorf("%d object rows and %d memberships, want 1 and 1", o, m)
	}
	var raw []byte
	if err := db.r.QueryRow(`SELECT raw FROM objects`).Scan(&raw); err != nil || !bytes.Equal(raw, y.Raw) {
		t.Errorf("remaining object %q, %v; want %q", raw, err, y.Raw)
	}
}

// TestBackgroundCheckpoint checks that a large write gets the WAL copied
// into the database file by the checkpointer, not by the writer.
func TestBackgroundCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	checkpoints := make(chan error, 10)
	db, err := open(ctx, t.TempDir(), func(err error) { checkpoints <- err })
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &tearline.Collection{Alias: "big"}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	var objs []*tearline.Object
	filler := strings.Repeat("x", 100_000)
	for i := range 2 * checkpointBytes / len(filler) {
		id := fmt.Sprintf("indicator--%d", i)
		objs = append(objs, testObject(id, "2020-01-01T00:00:00Z", `{"id":"`+id+`","x":"`+filler+`"}`))
	}
	if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-checkpoints:
		if err != nil {
			t.Fatalf("checkpoint: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("no checkpoint within a minute of writing 16 MB")
	}
	// Until a checkpoint, new pages live in the WAL only.
	fi, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 2*checkpointBytes {
		t.Errorf("database file has %d bytes after the checkpoint, want the %d written", fi.Size(), 2*checkpointBytes)
	}
}

// TestAddObjectsAtomic makes the last row of a batch fail inside the write
// and checks that nothing of the batch remains.
func TestAddObjectsAtomic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	c := &tearline.Collection{Alias: "atomic"}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(`CREATE TEMP TRIGGER boom BEFORE INSERT ON collection_objects
		WHEN NEW.id = 'indicator--boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	var objs []*tearline.Object
	for i := range 200 {
		objs = append(objs, testObject(fmt.Sprintf("indicator--%d", i), "2020-01-01T00:00:00Z", `{}`))
	}
	objs = append(objs, testObject("indicator--boom", "2020-01-01T00:00:00Z", `{}`))
	if _, err := db.AddObjects(ctx, c.ID, objs); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("AddObjects = %v, want the trigger's error", err)
	}
	var objects, members, lastAdded int
	if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM objects), (SELECT count(*) FROM collection_objects),
		(SELECT last_added FROM collections)`).Scan(&objects, &members, &lastAdded); err != nil {
		t.Fatal(err)
	}
	if objects != 0 || members != 0 || lastAdded != 0 {
		t.Errorf("after a failed batch: %d objects, %d memberships, last_added %d; want none", objects, members, lastAdded)
	}
	// The store still works.
	if _, err := db.AddObjects(ctx, c.ID, objs[:200]); err != nil {
		t.Fatal(err)
	}
}

func TestObservables(t *testing.T) {
	storetest.RunObservables(t, func(t *testing.T) storetest.ObservablesStore { return openTest(t) })
}

// TestMigrationOutOfOrder opens a data directory that lacks a migration
// lower than the highest it has (as when a migration lands after a higher
// number was applied): the store applies it.
func TestMigrationOutOfOrder(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.w.Exec(`DROP TRIGGER observable_objects_gone; DROP TABLE observable_objects; DROP TABLE observable_sources;
		DROP TABLE observable_orgs; DROP TABLE observable_next; DROP TABLE observables; DELETE FROM goose_db_version WHERE version_id = 6`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopening without migration 6: %v", err)
	}
	defer db.Close()
	if _, err := db.LookupObservable(ctx, "ipv4", "1.2.3.4", 0); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("lookup after reopening: %v, want the not-found of an empty index", err)
	}
}
