package sqlite

import (
	"fmt"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/storetest"
)

func TestFeed(t *testing.T) {
	storetest.RunFeed(t, func(t *testing.T) storetest.FeedStore { return openTest(t) })
}

// TestFeedRuns checks the sqlite feed's runs: a batch is one row, its
// entries are numbered one by one, pages of any size cut runs anywhere,
// a deleted membership leaves a skipped entry, and FeedSeqAt finds an
// entry within a run.
func TestFeedRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	c := &tearline.Collection{Alias: "runs"}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	head0, err := db.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const batches, size = 3, 50
	for b := range batches {
		var objs []*tearline.Object
		for i := range size {
			objs = append(objs, testObject(fmt.Sprintf("indicator--%d-%d", b, i), "2020-01-01T00:00:00Z", fmt.Sprintf(`{"b":%d,"i":%d}`, b, i)))
		}
		if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
			t.Fatal(err)
		}
	}
	var rows int
	if err := db.r.QueryRow(`SELECT count(*) FROM feed WHERE seq > ?`, head0).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != batches {
		t.Errorf("%d feed rows for %d batches, want one each", rows, batches)
	}
	if _, err := db.DeleteObject(ctx, c.ID, "indicator--1-7", nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 7, 50, 64, 1000} {
		var got []*tearline.FeedEntry
		for after := head0; ; {
			page, err := db.ReadFeed(ctx, tearline.FeedQuery{After: after, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			if page.Last < after || page.Last > after+int64(limit) {
				t.Fatalf("limit %d: after %d, last %d", limit, after, page.Last)
			}
			if page.Last == after {
				break
			}
			got = append(got, page.Entries...)
			after = page.Last
		}
		if len(got) != batches*size-1 {
			t.Fatalf("limit %d: %d entries, want %d", limit, len(got), batches*size-1)
		}
		for i, e := range got {
			want := head0 + int64(i) + 1
			if i >= size+7 {
				want++ // the deleted membership's entry is skipped
			}
			if e.Seq != want {
				t.Fatalf("limit %d: entry %d has seq %d, want %d", limit, i, e.Seq, want)
			}
			if i > 0 && !e.Time.After(got[i-1].Time) {
				t.Fatalf("limit %d: entry %d at %v, not after %v", limit, i, e.Time, got[i-1].Time)
			}
		}
		if got[size+7].ID != "indicator--1-8" {
			t.Errorf("limit %d: entry after the deleted one is %s", limit, got[size+7].ID)
		}
		if limit != 1000 {
			continue
		}
		for _, i := range []int{0, size/2 + 3, len(got) - 1} {
			seq, err := db.FeedSeqAt(ctx, got[i].Time)
			if err != nil {
				t.Fatal(err)
			}
			if seq != got[i].Seq {
				t.Errorf("FeedSeqAt(time of entry %d) = %d, want %d", got[i].Seq, seq, got[i].Seq)
			}
		}
	}
}
