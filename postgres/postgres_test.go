package postgres

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres/pgtest"
	"github.com/tearline/tearline/storetest"
)

// openTest opens a store in a new schema of the test database, closed
// (and the schema dropped) at the end of the test. It skips the test when
// TEARLINE_TEST_POSTGRES is not set.
func openTest(t testing.TB) *DB {
	t.Helper()
	return openURL(t, pgtest.URL(t))
}

// openURL opens another store on the database at url, closed at the end of
// the test.
func openURL(t testing.TB, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
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

func TestProducts(t *testing.T) {
	storetest.RunProducts(t, func(t *testing.T) tearline.Products { return openTest(t) })
}

func TestReleases(t *testing.T) {
	storetest.RunReleases(t, func(t *testing.T) tearline.Releases { return openTest(t) })
}

func testObject(id, modified, raw string) *tearline.Object {
	v, err := time.Parse(time.RFC3339Nano, modified)
	if err != nil {
		panic(err)
	}
	return &tearline.Object{ID: id, Type: strings.Split(id, "--")[0], SpecVersion: "2.1", Version: v, Raw: []byte(raw)}
}

// TestReopen checks that what is stored survives the store, and that
// date_added keeps increasing when a store opens the database again.
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.URL(t)
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
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
	db.Close()

	db = openURL(t, url)
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
	res2, err := db.AddObjects(ctx, c.ID, []*tearline.Object{testObject("indicator--2", "2020-01-01T00:00:00Z", `{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if !res2[0].DateAdded.After(res[0].DateAdded) {
		t.Errorf("DateAdded %v after reopening is not after %v", res2[0].DateAdded, res[0].DateAdded)
	}
}

// TestMigrations checks that migrating again changes nothing, that stores
// opening a new database at once take turns, and that the schema version
// is the highest migration number.
func TestMigrations(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	dbs := make([]*DB, 3)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	db := dbs[0]
	for range 2 {
		if err := db.migrate(t.Context()); err != nil {
			t.Fatalf("migrating again: %v", err)
		}
	}
	var version int64
	if err := db.pool.QueryRow(t.Context(), `SELECT max(version_id) FROM goose_db_version`).Scan(&version); err != nil {
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
	if version != highest {
		t.Errorf("schema version %d, want %d, the highest migration", version, highest)
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
		if err := db.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM objects), (SELECT count(*) FROM collection_objects)`).
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
	if err := db.pool.QueryRow(ctx, `SELECT raw FROM objects`).Scan(&raw); err != nil || !bytes.Equal(raw, y.Raw) {
		t.Errorf("remaining object %q, %v; want %q", raw, err, y.Raw)
	}
}

// TestDeleteLargeCollection deletes a collection of more memberships than
// one delete statement takes, some of whose versions another collection
// holds.
func TestDeleteLargeCollection(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	big := &tearline.Collection{Alias: "big"}
	kept := &tearline.Collection{Alias: "kept"}
	for _, c := range []*tearline.Collection{big, kept} {
		if err := db.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var objs []*tearline.Object
	for i := range deleteChunk + deleteChunk/2 {
		objs = append(objs, testObject(fmt.Sprintf("indicator--%d", i), "2020-01-01T00:00:00Z", `{}`))
	}
	if _, err := db.AddObjects(ctx, big.ID, objs); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddObjects(ctx, kept.ID, objs[deleteChunk-10:deleteChunk+10]); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCollection(ctx, big.ID); err != nil {
		t.Fatal(err)
	}
	var objects int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM objects`).Scan(&objects); err != nil {
		t.Fatal(err)
	}
	if objects != 20 {
		t.Errorf("%d object versions left, want the 20 that collection kept holds", objects)
	}
	if n, err := db.CountObjects(ctx, kept.ID); err != nil || n != 20 {
		t.Errorf("CountObjects(kept) = %d, %v; want 20", n, err)
	}
}

// TestAddObjectsAtomic makes the membership of the last object of a batch
// fail, after its object versions were copied in, and checks that nothing
// of the batch remains.
func TestAddObjectsAtomic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	c := &tearline.Collection{Alias: "atomic"}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `ALTER TABLE collection_objects ADD CONSTRAINT boom CHECK (id <> 'indicator--boom')`); err != nil {
		t.Fatal(err)
	}
	var objs []*tearline.Object
	for i := range 200 {
		objs = append(objs, testObject(fmt.Sprintf("indicator--%d", i), "2020-01-01T00:00:00Z", `{}`))
	}
	objs = append(objs, testObject("indicator--boom", "2020-01-01T00:00:00Z", `{}`))
	if _, err := db.AddObjects(ctx, c.ID, objs); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("AddObjects = %v, want the constraint's error", err)
	}
	var (
		objects, members int
		lastAdded        *time.Time
	)
	if err := db.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM objects), (SELECT count(*) FROM collection_objects),
		(SELECT last_added FROM collections)`).Scan(&objects, &members, &lastAdded); err != nil {
		t.Fatal(err)
	}
	if objects != 0 || members != 0 || lastAdded != nil {
		t.Errorf("after a failed batch: %d objects, %d memberships, last_added %v; want none", objects, members, lastAdded)
	}
	if _, err := db.AddObjects(ctx, c.ID, objs[:200]); err != nil {
		t.Fatal(err)
	}
}

func TestClients(t *testing.T) {
	storetest.RunClients(t, func(t *testing.T) storetest.ClientStore { return openTest(t) })
}

// TestMigrationOutOfOrder opens a database that lacks a migration lower
// than the highest it has (as when a migration lands after a higher number
// was applied): the store applies it.
func TestMigrationOutOfOrder(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	db := openURL(t, url)
	ctx := t.Context()
	_, err := db.pool.Exec(ctx, `DROP TABLE observable_objects, observable_versions, observable_sources, observable_orgs, observables;
		DELETE FROM goose_db_version WHERE version_id = 13`)
	if err != nil {
		t.Fatal(err)
	}
	db2 := openURL(t, url)
	if _, err := db2.LookupObservable(ctx, "ipv4", "1.2.3.4", 0); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("lookup after reopening: %v, want the not-found of an empty index", err)
	}
}
