package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

func testDateAddedIncreasing(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	other := mustCreate(t, s, "other")
	var results []tearline.AddResult
	n := 0
	for batch := range 6 {
		var objs []*tearline.Object
		for range batch * 3 {
			n++
			objs = append(objs, newObject(t, "indicator", n, "2020-01-01T00:00:00Z"))
		}
		results = append(results, mustAdd(t, s, c.ID, objs...)...)
		// Writes to another collection do not disturb this one's order.
		mustAdd(t, s, other.ID, objs...)
	}
	entries := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID}).Entries
	if len(entries) != len(results) {
		t.Fatalf("got %d entries, want %d", len(entries), len(results))
	}
	checkStrictlyIncreasing(t, entries)
	for i, r := range results {
		if !r.DateAdded.Equal(entries[i].DateAdded) {
			t.Errorf("result %d: DateAdded %v, entry has %v", i, r.DateAdded, entries[i].DateAdded)
		}
	}
}

func testConcurrentWriters(t *testing.T, s tearline.Store) {
	const (
		writers = 4
		batches = 8
		size    = 25
	)
	c := mustCreate(t, s, "c")
	other := mustCreate(t, s, "other")
	type added struct {
		key string
		res tearline.AddResult
	}
	got := make([][]added, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var objs []*tearline.Object
				for i := range size {
					objs = append(objs, newObject(t, "indicator", (w*batches+b)*size+i, "2020-01-01T00:00:00Z"))
				}
				collection := c.ID
				if b%4 == 3 {
					collection = other.ID
				}
				res, err := s.AddObjects(context.Background(), collection, objs)
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				if collection != c.ID {
					continue
				}
				for i, r := range res {
					got[w] = append(got[w], added{key(objs[i]), r})
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	want := map[string]time.Time{}
	for w, as := range got {
		for i, a := range as {
			if a.res.Status != tearline.Added {
				t.Fatalf("writer %d: %s %v, want added", w, a.key, a.res.Status)
			}
			if i > 0 && !a.res.DateAdded.After(as[i-1].res.DateAdded) {
				t.Errorf("writer %d: DateAdded %v of a later add is not after %v", w, a.res.DateAdded, as[i-1].res.DateAdded)
			}
			want[a.key] = a.res.DateAdded
		}
	}
	entries := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID}).Entries
	if len(entries) != len(want) {
		t.Fatalf("got %d entries, want %d", len(entries), len(want))
	}
	checkStrictlyIncreasing(t, entries)
	for _, e := range entries {
		if d, ok := want[key(&e.Object)]; !ok || !d.Equal(e.DateAdded) {
			t.Errorf("%s: DateAdded %v, AddObjects said %v", key(&e.Object), e.DateAdded, d)
		}
	}
}

// testPaginationWhileWriting pages through a collection while another
// goroutine adds objects and new versions to it: every entry is visited
// exactly once, in date_added order, and none is skipped.
func testPaginationWhileWriting(t *testing.T, s tearline.Store) {
	const (
		seed    = 30
		batches = 20
		size    = 5
		limit   = 4
	)
	c := mustCreate(t, s, "c")
	var seeded []*tearline.Object
	for i := range seed {
		seeded = append(seeded, newObject(t, "indicator", i, "2020-01-01T00:00:00Z"))
	}
	mustAdd(t, s, c.ID, seeded...)

	progress := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range batches {
			objs := []*tearline.Object{newVersion(t, seeded[b], "2021-01-01T00:00:00Z")}
			for i := range size {
				objs = append(objs, newObject(t, "malware", b*size+i, "2020-01-01T00:00:00Z"))
			}
			if _, err := s.AddObjects(context.Background(), c.ID, objs); err != nil {
				t.Errorf("writer: %v", err)
				return
			}
			select {
			case progress <- struct{}{}:
			default:
			}
		}
	}()

	var got []*tearline.Entry
	seen := map[string]bool{}
	var after time.Time
	writing := true
	for {
		page, err := s.QueryObjects(t.Context(), tearline.ObjectQuery{CollectionID: c.ID, Versions: all, Limit: limit, AddedAfter: after})
		if err != nil {
			<-done
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			if k := key(&e.Object); seen[k] {
				t.Errorf("%s visited twice", k)
			} else {
				seen[k] = true
			}
			if !e.DateAdded.After(after) {
				t.Errorf("%s added %v, not after the cursor %v", key(&e.Object), e.DateAdded, after)
			}
		}
		got = append(got, page.Entries...)
		if len(page.Entries) > 0 {
			after = page.Entries[len(page.Entries)-1].DateAdded
		}
		if page.More {
			continue
		}
		if !writing {
			break // the writer had finished before this page was read
		}
		// At the end for now: wait for the writer to add more.
		select {
		case <-progress:
		case <-done:
			writing = false
		}
	}
	if t.Failed() {
		return
	}
	full := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, Versions: all})
	if len(full.Entries) != seed+batches*(size+1) {
		t.Errorf("got %d entries, want %d", len(full.Entries), seed+batches*(size+1))
	}
	if d := cmp.Diff(keys(full.Entries), keys(got)); d != "" {
		t.Errorf("paging while writing (-want +got):\n%s", d)
	}
}
