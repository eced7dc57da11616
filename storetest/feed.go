package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

// FeedStore is what the change feed and subscription suites need: the
// object store, the directory (subscriptions belong to organizations),
// the feed and the subscriptions.
type FeedStore interface {
	tearline.Store
	tearline.Directory
	tearline.Feed
	tearline.Subscriptions
}

// RunFeed runs the conformance suite of tearline.Feed and
// tearline.Subscriptions against the store returned by open: feed entries
// for every added version (none for duplicates), sequence and time order,
// paging past skipped entries, deletes, concurrent writers read by a
// concurrent tailing reader without a gap, creators, subscriptions,
// cursors and dead letters. open is called once per subtest, possibly
// from parallel subtests, and must return a new, empty store that it
// closes with t.Cleanup.
func RunFeed(t *testing.T, open func(t *testing.T) FeedStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s FeedStore)
	}{
		{"Append", testFeedAppend},
		{"Paging", testFeedPaging},
		{"Deletes", testFeedDeletes},
		{"SpansDeletes", testFeedSpansDeletes},
		{"SeqAt", testFeedSeqAt},
		{"TailWhileWriting", testFeedTailWhileWriting},
		{"Creators", testFeedCreators},
		{"Subscriptions", testSubscriptions},
		{"SubscriptionErrors", testSubscriptionErrors},
		{"Cursors", testSubscriptionCursors},
		{"DeadLetters", testDeadLetters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// readFeed reads the whole feed after cursor, page by page of limit.
func readFeed(t testing.TB, s tearline.Feed, after int64, limit int) []*tearline.FeedEntry {
	t.Helper()
	var out []*tearline.FeedEntry
	for {
		page, err := s.ReadFeed(context.Background(), tearline.FeedQuery{After: after, Limit: limit})
		if err != nil {
			t.Fatalf("ReadFeed(after %d): %v", after, err)
		}
		if page.Last < after {
			t.Fatalf("ReadFeed(after %d) moved back to %d", after, page.Last)
		}
		out = append(out, page.Entries...)
		if page.Last == after {
			return out
		}
		after = page.Last
	}
}

// feedKeys names feed entries as collection/id@version.
func feedKeys(entries []*tearline.FeedEntry) []string {
	ks := make([]string, len(entries))
	for i, e := range entries {
		ks[i] = e.CollectionID + "/" + key(&e.Object)
	}
	return ks
}

// checkFeedOrder fails t unless sequence numbers and times strictly
// increase.
func checkFeedOrder(t testing.TB, entries []*tearline.FeedEntry) {
	t.Helper()
	for i := 1; i < len(entries); i++ {
		a, b := entries[i-1], entries[i]
		if b.Seq <= a.Seq || !b.Time.After(a.Time) {
			t.Fatalf("entry %d: seq %d time %v follows seq %d time %v", i, b.Seq, b.Time, a.Seq, a.Time)
		}
	}
}

func testFeedAppend(t *testing.T, s FeedStore) {
	ctx := t.Context()
	head0, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustCreate(t, s, "a"), mustCreate(t, s, "b")
	o1 := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	o2 := newObject(t, "malware", 2, "2020-01-01T00:00:00Z")
	o1v2 := newVersion(t, o1, "2021-01-01T00:00:00Z")
	ra := mustAdd(t, s, a.ID, o1, o2)
	rb := mustAdd(t, s, b.ID, o2)
	// A duplicate adds nothing; a conflict adds nothing; a new version
	// adds an entry.
	mustAdd(t, s, a.ID, o1, altered(o2), o1v2)

	got := readFeed(t, s, head0, 0)
	want := []string{a.ID + "/" + key(o1), a.ID + "/" + key(o2), b.ID + "/" + key(o2), a.ID + "/" + key(o1v2)}
	if diff := cmp.Diff(want, feedKeys(got)); diff != "" {
		t.Fatalf("feed (-want +got):\n%s", diff)
	}
	checkFeedOrder(t, got)
	dates := []time.Time{ra[0].DateAdded, ra[1].DateAdded, rb[0].DateAdded}
	for i, d := range dates {
		if !got[i].DateAdded.Equal(d) {
			t.Errorf("entry %d: DateAdded %v, AddObjects said %v", i, got[i].DateAdded, d)
		}
	}
	for i, o := range []*tearline.Object{o1, o2, o2, o1v2} {
		e := got[i]
		if string(e.Raw) != string(o.Raw) || e.Type != o.Type || e.SpecVersion != "2.1" || !e.Version.Equal(o.Version) {
			t.Errorf("entry %d: %s %s %v %q, want the stored version %s", i, e.Type, e.SpecVersion, e.Version, e.Raw, key(o))
		}
		if time.Since(e.Time) > time.Hour || time.Until(e.Time) > time.Hour {
			t.Errorf("entry %d: time %v is not about now", i, e.Time)
		}
	}
	head, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head != got[len(got)-1].Seq {
		t.Errorf("FeedHead = %d, want the last entry's %d", head, got[len(got)-1].Seq)
	}
	if _, err := s.ReadFeed(ctx, tearline.FeedQuery{After: -1}); tearline.ErrorCode(err) != tearline.EINVALID {
		t.Errorf("ReadFeed(after -1): %v, want EINVALID", err)
	}
}

func testFeedPaging(t *testing.T, s FeedStore) {
	ctx := t.Context()
	head0, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := mustCreate(t, s, "c")
	mustAdd(t, s, c.ID, mixedObjects(t, 23)...)
	all := readFeed(t, s, head0, 0)
	for _, limit := range []int{1, 4, 22, 23, 100} {
		if diff := cmp.Diff(feedKeys(all), feedKeys(readFeed(t, s, head0, limit))); diff != "" {
			t.Errorf("limit %d (-whole +paged):\n%s", limit, diff)
		}
	}
	// A type filter skips entries but still moves Last past them.
	page, err := s.ReadFeed(ctx, tearline.FeedQuery{After: head0, Limit: 5, Types: []string{"malware"}})
	if err != nil {
		t.Fatal(err)
	}
	if page.Last != all[4].Seq {
		t.Errorf("Last = %d, want %d (the fifth entry)", page.Last, all[4].Seq)
	}
	var types []string
	for _, e := range page.Entries {
		types = append(types, e.Type)
	}
	if diff := cmp.Diff([]string{"malware", "malware"}, types); diff != "" {
		t.Errorf("types of a malware page (-want +got):\n%s", diff)
	}
	// A bare read returns every entry, with the bytes of RawTypes only;
	// with Types, of the entries selected.
	for _, q := range []tearline.FeedQuery{
		{After: head0, Bare: true, RawTypes: []string{"malware"}},
		{After: head0, Bare: true},
		{After: head0, Bare: true, RawTypes: []string{"malware"}, Types: []string{"indicator"}},
	} {
		page, err := s.ReadFeed(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var want []*tearline.FeedEntry
		for _, e := range all {
			if len(q.Types) == 0 || slices.Contains(q.Types, e.Type) {
				want = append(want, e)
			}
		}
		if diff := cmp.Diff(feedKeys(want), feedKeys(page.Entries)); diff != "" {
			t.Errorf("bare read %+v (-want +got):\n%s", q, diff)
			continue
		}
		for i, e := range page.Entries {
			switch {
			case slices.Contains(q.RawTypes, e.Type) && !bytes.Equal(e.Raw, want[i].Raw):
				t.Errorf("bare read %+v: %s %s came with %q, want its bytes", q, e.Type, e.ID, e.Raw)
			case slices.Contains(q.RawTypes, e.Type) && !e.Created.Equal(want[i].Created):
				t.Errorf("bare read %+v: %s %s created %v, want %v", q, e.Type, e.ID, e.Created, want[i].Created)
			case !slices.Contains(q.RawTypes, e.Type) && (e.Raw != nil || !e.Created.IsZero()):
				t.Errorf("bare read %+v: %s %s came with its stored row", q, e.Type, e.ID)
			case e.CollectionID != want[i].CollectionID || !e.DateAdded.Equal(want[i].DateAdded) || e.Version != want[i].Version:
				t.Errorf("bare read %+v: entry %+v, want %+v", q, e.Entry, want[i].Entry)
			}
		}
		if page.Last != all[len(all)-1].Seq {
			t.Errorf("bare read %+v: Last %d, want %d", q, page.Last, all[len(all)-1].Seq)
		}
	}
	// A read with spans returns the malware whole and stands for the rest
	// with entries or spans, from any cursor and with any limit.
	checkSpansFrom(t, s, head0, all[len(all)-1].Seq, all)
	// Past the head: nothing, and Last stays.
	page, err = s.ReadFeed(ctx, tearline.FeedQuery{After: all[len(all)-1].Seq})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 0 || page.Last != all[len(all)-1].Seq {
		t.Errorf("after the head: %d entries, last %d", len(page.Entries), page.Last)
	}
}

func testFeedDeletes(t *testing.T, s FeedStore) {
	ctx := t.Context()
	head0, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, b := mustCreate(t, s, "a"), mustCreate(t, s, "b")
	var objs []*tearline.Object
	for i := range 6 {
		objs = append(objs, newObject(t, "indicator", i, "2020-01-01T00:00:00Z"))
	}
	mustAdd(t, s, a.ID, objs[:3]...)
	mustAdd(t, s, b.ID, objs[3:]...)
	if _, err := s.DeleteObject(ctx, a.ID, objs[1].ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCollection(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	got := readFeed(t, s, head0, 2)
	want := []string{a.ID + "/" + key(objs[0]), a.ID + "/" + key(objs[2])}
	if diff := cmp.Diff(want, feedKeys(got)); diff != "" {
		t.Errorf("feed after deletes (-want +got):\n%s", diff)
	}
	head, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Numbers are never given twice, even when the latest entries went.
	c := mustCreate(t, s, "c")
	mustAdd(t, s, c.ID, objs[4])
	got = readFeed(t, s, head, 0)
	if len(got) != 1 || got[0].Seq <= head || got[0].CollectionID != c.ID {
		t.Errorf("after deleting the latest entries, a new entry got %v", feedKeys(got))
	}
	// Adding a deleted version again makes a new entry.
	mustAdd(t, s, a.ID, objs[1])
	got = readFeed(t, s, got[0].Seq, 0)
	if diff := cmp.Diff([]string{a.ID + "/" + key(objs[1])}, feedKeys(got)); diff != "" {
		t.Errorf("re-added version (-want +got):\n%s", diff)
	}
}

// testFeedSpansDeletes reads with spans a feed whose runs lost entries:
// a malware and the indicator after it in the middle of a run, a malware
// and the last entry of another run, and a whole collection whose run lies
// between two runs of another.
func testFeedSpansDeletes(t *testing.T, s FeedStore) {
	ctx := t.Context()
	head0, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := mustCreate(t, s, "a"), mustCreate(t, s, "b"), mustCreate(t, s, "c")
	objs := mixedObjects(t, 18)
	mustAdd(t, s, a.ID, objs[:6]...)
	mustAdd(t, s, b.ID, objs[6:9]...)
	mustAdd(t, s, a.ID, objs[9:15]...)
	mustAdd(t, s, c.ID, objs[15:]...)
	head, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fromA := []int{3, 4, 12, 14}
	for _, i := range fromA {
		if _, err := s.DeleteObject(ctx, a.ID, objs[i].ID, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteCollection(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	all := readFeed(t, s, head0, 0)
	var want []string
	for i, o := range objs {
		switch {
		case slices.Contains(fromA, i), i >= 6 && i < 9: // deleted
		case i < 15:
			want = append(want, a.ID+"/"+key(o))
		default:
			want = append(want, c.ID+"/"+key(o))
		}
	}
	if diff := cmp.Diff(want, feedKeys(all)); diff != "" {
		t.Fatalf("feed after deletes (-want +got):\n%s", diff)
	}
	checkSpansFrom(t, s, head0, head, all)
}

func testFeedSeqAt(t *testing.T, s FeedStore) {
	ctx := t.Context()
	c := mustCreate(t, s, "c")
	head0, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		mustAdd(t, s, c.ID, newObject(t, "indicator", i, "2020-01-01T00:00:00Z"))
	}
	all := readFeed(t, s, head0, 0)
	for i, e := range all {
		seq, err := s.FeedSeqAt(ctx, e.Time)
		if err != nil {
			t.Fatal(err)
		}
		if seq != e.Seq {
			t.Errorf("FeedSeqAt(time of entry %d) = %d, want %d", i, seq, e.Seq)
		}
		if seq, err = s.FeedSeqAt(ctx, e.Time.Add(-time.Microsecond)); err != nil {
			t.Fatal(err)
		} else if i > 0 && seq != all[i-1].Seq {
			t.Errorf("FeedSeqAt(just before entry %d) = %d, want %d", i, seq, all[i-1].Seq)
		}
	}
	if seq, err := s.FeedSeqAt(ctx, time.Unix(0, 0)); err != nil || seq != 0 {
		t.Errorf("FeedSeqAt(1970) = %d, %v; want 0", seq, err)
	}
}

// testFeedTailWhileWriting has writers add to several collections while a
// reader tails the feed from its cursor, as a delivery does: when the
// writers are done the reader must have seen every entry exactly once,
// each collection's entries in date_added order.
func testFeedTailWhileWriting(t *testing.T, s FeedStore) {
	const (
		writers = 4
		batches = 10
		size    = 7
	)
	ctx := t.Context()
	head0, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cols := []*tearline.Collection{mustCreate(t, s, "a"), mustCreate(t, s, "b"), mustCreate(t, s, "c")}
	want := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				c := cols[(w+b)%len(cols)]
				var objs []*tearline.Object
				for i := range size {
					objs = append(objs, newObject(t, "indicator", (w*batches+b)*size+i, "2020-01-01T00:00:00Z"))
				}
				if _, err := s.AddObjects(context.Background(), c.ID, objs); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, o := range objs {
					want[c.ID+"/"+key(o)] = true
				}
				mu.Unlock()
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int64{}
	lastAdded := map[string]time.Time{}
	cursor := head0
	read := func() {
		page, err := s.ReadFeed(ctx, tearline.FeedQuery{After: cursor, Limit: 13})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			k := e.CollectionID + "/" + key(&e.Object)
			if prev, ok := seen[k]; ok {
				t.Fatalf("entry %s read twice, at seq %d and %d", k, prev, e.Seq)
			}
			seen[k] = e.Seq
			if !e.DateAdded.After(lastAdded[e.CollectionID]) {
				t.Fatalf("entry %s of collection %s added %v, not after %v", k, e.CollectionID, e.DateAdded, lastAdded[e.CollectionID])
			}
			lastAdded[e.CollectionID] = e.DateAdded
		}
		cursor = page.Last
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		read()
	}
	for {
		before := cursor
		read()
		if cursor == before {
			break
		}
	}
	if len(seen) != len(want) || len(want) != writers*batches*size {
		t.Fatalf("the tailing reader saw %d entries, the writers added %d (want %d)", len(seen), len(want), writers*batches*size)
	}
	for k := range want {
		if _, ok := seen[k]; !ok {
			t.Errorf("the tailing reader missed %s", k)
		}
	}
}

func testFeedCreators(t *testing.T, s FeedStore) {
	ctx := t.Context()
	c := mustCreate(t, s, "c")
	org := newIdentityID()
	mk := func(n int, modified, createdBy string) *tearline.Object {
		o := newObject(t, "indicator", n, modified)
		if createdBy != "" {
			o.Raw = fmt.Appendf(nil, `{"type":"indicator","id":%q,"modified":%q, "created_by_ref" : %q}`, o.ID, modified, createdBy)
		} else {
			o.Raw = fmt.Appendf(nil, `{"type":"indicator","id":%q,"modified":%q}`, o.ID, modified)
		}
		return o
	}
	mine := mk(1, "2020-01-01T00:00:00Z", org)
	anon := mk(2, "2020-01-01T00:00:00Z", "")
	mustAdd(t, s, c.ID, mine, mk(1, "2021-01-01T00:00:00Z", org), anon)
	got, err := s.ObjectCreators(ctx, []string{mine.ID, anon.ID, "indicator--00000000-0000-4000-8000-000000000000", mine.ID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{mine.ID: org, anon.ID: ""}, got); diff != "" {
		t.Errorf("ObjectCreators (-want +got):\n%s", diff)
	}
	if got, err := s.ObjectCreators(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("ObjectCreators(nil) = %v, %v", got, err)
	}
}

// mixedObjects returns n indicators, every third of them a malware
// instead.
func mixedObjects(t testing.TB, n int) []*tearline.Object {
	t.Helper()
	objs := make([]*tearline.Object, n)
	for i := range objs {
		typ := "indicator"
		if i%3 == 0 {
			typ = "malware"
		}
		objs[i] = newObject(t, typ, i, "2020-01-01T00:00:00Z")
	}
	return objs
}

// checkSpansFrom reads the feed of s with spans (the malware whole) from
// every cursor from head up to last, with limits 1, 2, 5 and 100, and
// checks each page (checkSpans) against all, the entries read whole.
func checkSpansFrom(t testing.TB, s tearline.Feed, head, last int64, all []*tearline.FeedEntry) {
	t.Helper()
	for after := head; after < last; after++ {
		for _, limit := range []int{1, 2, 5, 100} {
			q := tearline.FeedQuery{After: after, Limit: limit, Bare: true, Spans: true, RawTypes: []string{"malware"}}
			page, err := s.ReadFeed(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := s.ReadFeed(context.Background(), tearline.FeedQuery{After: after, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			checkSpans(t, q, all, page, plain.Last)
		}
	}
}

// checkSpans checks a page read with spans against all, the entries read
// whole: it ends at last, where a plain read does, each entry of RawTypes
// in its range comes whole, each other entry comes bare or within a span
// of its collection that ends at or after it, and before the next entry,
// and what comes past the last entry are spans of deleted entries.
func checkSpans(t testing.TB, q tearline.FeedQuery, all []*tearline.FeedEntry, page *tearline.FeedPage, last int64) {
	t.Helper()
	var want []*tearline.FeedEntry
	for _, e := range all {
		if e.Seq > q.After && e.Seq <= q.After+int64(q.Limit) {
			want = append(want, e)
		}
	}
	if page.Last != last {
		t.Errorf("read %+v: Last %d, want %d as a plain read", q, page.Last, last)
	}
	checkFeedOrder(t, page.Entries)
	for _, e := range page.Entries {
		if e.ID == "" && e.CollectionID == "" {
			t.Errorf("read %+v: span %d of no collection", q, e.Seq)
		}
	}
	got := page.Entries
	for _, w := range want {
		for len(got) > 0 && got[0].Seq < w.Seq {
			if got[0].ID != "" {
				t.Errorf("read %+v: entry %d %s is not in the feed", q, got[0].Seq, got[0].ID)
			}
			got = got[1:]
		}
		switch {
		case len(got) == 0:
			t.Errorf("read %+v: entry %d %s is missing", q, w.Seq, w.ID)
		case got[0].ID == "" && (got[0].CollectionID != w.CollectionID || slices.Contains(q.RawTypes, w.Type)):
			t.Errorf("read %+v: %s %d within a span of %s", q, w.Type, w.Seq, got[0].CollectionID)
		case got[0].ID != "" && (got[0].Seq != w.Seq || got[0].ID != w.ID):
			t.Errorf("read %+v: entry %d %s, want %d %s", q, got[0].Seq, got[0].ID, w.Seq, w.ID)
		case got[0].ID != "" && slices.Contains(q.RawTypes, w.Type) && !bytes.Equal(got[0].Raw, w.Raw):
			t.Errorf("read %+v: %s %s came with %q, want its bytes", q, w.Type, w.ID, got[0].Raw)
		case got[0].Seq == w.Seq:
			got = got[1:]
		}
	}
	// Past the last entry, only spans that stand for deleted entries.
	for _, e := range got {
		if e.ID != "" || e.Seq > page.Last {
			t.Errorf("read %+v: entry %d %q past the last", q, e.Seq, e.ID)
		}
	}
}
