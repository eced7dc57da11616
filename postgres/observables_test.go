package postgres

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres/pgtest"
	"github.com/tearline/tearline/storetest"
)

func TestObservables(t *testing.T) {
	storetest.RunObservables(t, func(t *testing.T) storetest.ObservablesStore { return openTest(t) })
}

func TestCorroborations(t *testing.T) {
	storetest.RunCorroborations(t, func(t *testing.T) storetest.CorroborationsStore { return openTest(t) })
}

// TestRecordObservablesConcurrently records the same values for the same
// versions from several stores at once (as several nodes do), in opposite
// orders: every batch succeeds, and each value ends with one entry, every
// source and one link per version and source.
func TestRecordObservablesConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := pgtest.URL(t)
	dbs := []*DB{openURL(t, url), openURL(t, url), openURL(t, url)}
	c := &tearline.Collection{Alias: "obs", Title: "obs"}
	if err := dbs[0].CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	var objs []*tearline.Object
	for i := range 20 {
		objs = append(objs, testObject(fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", i), "2026-01-01T00:00:00Z", `{}`))
	}
	if _, err := dbs[0].AddObjects(ctx, c.ID, objs); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(dbs)*4)
	for w := range errs {
		wg.Go(func() {
			var refs []tearline.ObservableRef
			for i := range 200 {
				k := i
				if w%2 == 1 {
					k = 199 - i
				}
				o := objs[k%len(objs)]
				refs = append(refs, tearline.ObservableRef{Kind: "ipv4", Value: fmt.Sprintf("10.1.%d.%d", k/256, k%256),
					ObjectID: o.ID, Version: o.Version, Source: fmt.Sprintf("identity--%d", w%3), Time: time.Unix(int64(1000+w), 0)})
			}
			errs[w] = dbs[w%len(dbs)].RecordObservables(ctx, refs)
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", w, err)
		}
	}
	for _, k := range []int{0, 77, 199} {
		e, err := dbs[1].LookupObservable(ctx, "ipv4", fmt.Sprintf("10.1.%d.%d", k/256, k%256), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Sources) != 3 || len(e.Objects) != 1 || len(e.Objects[0].Sources) != 3 {
			t.Errorf("value %d: %+v", k, e)
		}
	}
	var values int
	if err := dbs[2].pool.QueryRow(ctx, `SELECT count(*) FROM observables`).Scan(&values); err != nil || values != 200 {
		t.Errorf("%d values stored (%v), want 200", values, err)
	}
}
