package postgres

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres/pgtest"
)

// These tests open several stores on one database, as several nodes do.

// object returns version modified of object n of the given type, with the
// writer's name in its bytes.
func object(typ string, n int, modified, writer string) *tearline.Object {
	id := fmt.Sprintf("%s--%08x-0000-4000-8000-000000000000", typ, n)
	v, err := time.Parse(time.RFC3339Nano, modified)
	if err != nil {
		panic(err)
	}
	return &tearline.Object{
		ID: id, Type: typ, SpecVersion: "2.1", Version: v,
		Raw: fmt.Appendf(nil, `{"type":%q,"id":%q,"modified":%q,"x_writer":%q}`, typ, id, modified, writer),
	}
}

// TestNodesPaginate has two stores write to one collection at once, with
// batches that overlap (the same versions from both, new versions of each
// other's objects), while a third store pages through the collection with
// added_after: every entry must be read exactly once, in strictly
// increasing date_added order, and the pages must add up to the whole
// collection.
func TestNodesPaginate(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	writers := []*DB{openURL(t, url), openURL(t, url)}
	reader := openURL(t, url)
	ctx := t.Context()
	c := &tearline.Collection{Alias: "shared"}
	if err := writers[0].CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}

	const (
		batches = 40
		size    = 12
		limit   = 7
	)
	type added struct {
		key string
		res tearline.AddResult
	}
	got := make([][]added, len(writers))
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w, db := range writers {
		wg.Go(func() {
			for b := range batches {
				var objs []*tearline.Object
				for i := range size {
					switch {
					case i < 8: // this writer's own objects
						objs = append(objs, object("indicator", (w*batches+b)*size+i, "2020-01-01T00:00:00Z", "own"))
					case i < 10: // the same versions from both writers
						objs = append(objs, object("malware", b*size+i, "2020-01-01T00:00:00Z", "shared"))
					default: // versions of the shared objects of earlier batches
						objs = append(objs, object("malware", (b/2)*size+8+i%2, fmt.Sprintf("2021-01-01T00:00:%02dZ", b), "shared"))
					}
				}
				res, err := db.AddObjects(context.Background(), c.ID, objs)
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				for i, r := range res {
					got[w] = append(got[w], added{objs[i].ID + "@" + objs[i].VersionKey(), r})
				}
			}
		})
	}
	go func() { wg.Wait(); close(done) }()

	seen := map[string]time.Time{}
	var (
		order []string
		after time.Time
	)
	for writing := true; ; {
		select {
		case <-done:
			writing = false
		default:
		}
		// Read to the current end; once the writers are done, this pass sees
		// everything.
		for {
			page, err := reader.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, Versions: []string{tearline.VersionAll}, Limit: limit, AddedAfter: after})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Entries {
				k := e.ID + "@" + e.VersionKey()
				if _, ok := seen[k]; ok {
					t.Fatalf("%s read twice", k)
				}
				if !e.DateAdded.After(after) {
					t.Fatalf("%s added %v, not after the cursor %v", k, e.DateAdded, after)
				}
				seen[k] = e.DateAdded
				order = append(order, k)
				after = e.DateAdded
			}
			if !page.More {
				break
			}
		}
		if !writing {
			break
		}
	}
	if t.Failed() {
		return
	}

	// Every version added by either writer was read, with the DateAdded
	// AddObjects reported; duplicates report the first writer's.
	addedBy := map[string]time.Time{}
	for w, as := range got {
		for _, a := range as {
			switch a.res.Status {
			case tearline.Added:
				if d, ok := addedBy[a.key]; ok {
					t.Errorf("%s added twice: %v and by writer %d %v", a.key, d, w, a.res.DateAdded)
				}
				addedBy[a.key] = a.res.DateAdded
			case tearline.Conflict:
				t.Errorf("writer %d: %s conflicts", w, a.key)
			}
		}
	}
	for w, as := range got {
		for _, a := range as {
			if d := addedBy[a.key]; !d.Equal(a.res.DateAdded) {
				t.Errorf("writer %d: %s %v with DateAdded %v, added at %v", w, a.key, a.res.Status, a.res.DateAdded, d)
			}
		}
	}
	if len(seen) != len(addedBy) {
		t.Errorf("read %d entries, %d were added", len(seen), len(addedBy))
	}
	for k, d := range addedBy {
		if s, ok := seen[k]; !ok {
			t.Errorf("%s (added %v) was skipped", k, d)
		} else if !s.Equal(d) {
			t.Errorf("%s read with DateAdded %v, added at %v", k, s, d)
		}
	}
	full, err := reader.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, Versions: []string{tearline.VersionAll}})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Entries) != len(order) {
		t.Fatalf("the collection holds %d entries, the pages %d", len(full.Entries), len(order))
	}
	for i, e := range full.Entries {
		if k := e.ID + "@" + e.VersionKey(); k != order[i] {
			t.Fatalf("entry %d is %s, the pages had %s", i, k, order[i])
		}
	}
	// The last-version flags survived the interleaving.
	last, err := reader.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, Types: []string{"malware"}})
	if err != nil {
		t.Fatal(err)
	}
	latest := map[string]string{}
	for k := range addedBy {
		id, v, _ := cut(k)
		if id[:7] == "malware" && v > latest[id] {
			latest[id] = v
		}
	}
	if len(last.Entries) != len(latest) {
		t.Errorf("%d last versions of malware, want %d", len(last.Entries), len(latest))
	}
	for _, e := range last.Entries {
		if latest[e.ID] != e.VersionKey() {
			t.Errorf("last version of %s is %s, want %s", e.ID, e.VersionKey(), latest[e.ID])
		}
	}
}

// cut splits a key id@version.
func cut(k string) (id, version string, ok bool) {
	i := bytes.LastIndexByte([]byte(k), '@')
	if i < 0 {
		return k, "", false
	}
	return k[:i], k[i+1:], true
}

// TestNodesSameVersions has two stores add the same new versions to two
// collections at once, and delete them from one collection while the other
// store adds them to a third: the unique and foreign key violations these
// races cause are retried, and no version is lost or stored twice.
func TestNodesSameVersions(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	a, b := openURL(t, url), openURL(t, url)
	ctx := t.Context()
	var cs []*tearline.Collection
	for _, alias := range []string{"c1", "c2", "c3"} {
		c := &tearline.Collection{Alias: alias}
		if err := a.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	const rounds = 30
	for r := range rounds {
		// Reversed order in one batch: without a common insertion order the
		// two would deadlock.
		var objs, reversed []*tearline.Object
		for i := range 20 {
			objs = append(objs, object("indicator", r*20+i, "2020-01-01T00:00:00Z", "both"))
		}
		for i := range objs {
			reversed = append(reversed, objs[len(objs)-1-i])
		}
		run(t, func() error { return addAll(ctx, a, cs[0].ID, objs) }, func() error { return addAll(ctx, b, cs[1].ID, reversed) })

		// Delete from c1 and c2 (orphaning) while adding to c3.
		run(t, func() error {
			for _, c := range cs[:2] {
				for _, o := range objs {
					if _, err := a.DeleteObject(ctx, c.ID, o.ID, nil, nil); err != nil {
						return err
					}
				}
			}
			return nil
		}, func() error { return addAll(ctx, b, cs[2].ID, objs) })
		page, err := a.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: cs[2].ID, IDs: []string{objs[0].ID, objs[19].ID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) != 2 {
			t.Fatalf("round %d: c3 holds %d of the 2 versions asked for", r, len(page.Entries))
		}
		want := map[string][]byte{objs[0].ID: objs[0].Raw, objs[19].ID: objs[19].Raw}
		for _, e := range page.Entries {
			if !bytes.Equal(e.Raw, want[e.ID]) {
				t.Errorf("round %d: %s holds %q, want %q", r, e.ID, e.Raw, want[e.ID])
			}
		}
	}
	t.Logf("transactions retried: %d and %d", a.retries.Load(), b.retries.Load())
	var objects, members int
	if err := a.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM objects), (SELECT count(*) FROM collection_objects)`).
		Scan(&objects, &members); err != nil {
		t.Fatal(err)
	}
	if objects != rounds*20 || members != rounds*20 {
		t.Errorf("%d object versions and %d memberships, want %d of each", objects, members, rounds*20)
	}
	for _, c := range cs[:2] {
		if n, err := b.CountObjects(ctx, c.ID); err != nil || n != 0 {
			t.Errorf("%s: %d entries, %v; want none", c.Alias, n, err)
		}
	}
}

// addAll adds objs and fails unless each was added.
func addAll(ctx context.Context, db *DB, collectionID string, objs []*tearline.Object) error {
	res, err := db.AddObjects(ctx, collectionID, objs)
	if err != nil {
		return err
	}
	for i, r := range res {
		if r.Status != tearline.Added {
			return fmt.Errorf("%s: %v, want added", objs[i].ID, r.Status)
		}
	}
	return nil
}

// run runs the functions at once and fails t with their errors.
func run(t *testing.T, fns ...func() error) {
	t.Helper()
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() { errs[i] = fn() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriterWaitsForCollectionLock holds the row lock of a collection in a
// transaction of its own, as another node's AddObjects would, and moves
// last_added an hour ahead before it commits: a writer that came meanwhile
// must wait for the lock and then assign a date_added after it.
func TestWriterWaitsForCollectionLock(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	app := fmt.Sprintf("tearline-lock-test-%d", time.Now().UnixNano())
	db := openURL(t, pgtest.WithParam(url, "application_name", app))
	ctx := t.Context()
	c := &tearline.Collection{Alias: "locked"}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	other := openURL(t, url)
	tx, err := other.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT 1 FROM collections WHERE id = $1 FOR UPDATE`, c.ID); err != nil {
		t.Fatal(err)
	}

	type result struct {
		res []tearline.AddResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := db.AddObjects(ctx, c.ID, []*tearline.Object{object("indicator", 1, "2020-01-01T00:00:00Z", "w")})
		done <- result{res, err}
	}()
	// Wait until the writer is blocked on the lock.
	deadline := time.Now().Add(time.Minute)
	for {
		var waiting bool
		if err := other.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock')`, app).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("AddObjects finished (%v, %v) while another transaction held the collection lock", r.res, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer did not wait for the collection lock within a minute")
		}
	}
	ahead := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	if _, err := tx.Exec(ctx, `UPDATE collections SET last_added = $2 WHERE id = $1`, c.ID, ahead); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if want := ahead.Add(time.Microsecond); !r.res[0].DateAdded.Equal(want) {
		t.Errorf("DateAdded %v, want %v: 1µs after the last_added committed by the lock holder", r.res[0].DateAdded, want)
	}
}
