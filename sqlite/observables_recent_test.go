package sqlite

import (
	"fmt"
	"testing"
	"time"

	"github.com/tearline/tearline"
)

// TestObservablesRecent records more new values than observables_recent
// gathers, in batches, and checks that a merge moved the earlier ones
// into observables, that the later ones wait in observables_recent, and
// that lookups, sources and a value recorded again find each value once,
// wherever it is.
func TestObservablesRecent(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	value := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) }
	const total = recentValues + 5000
	for lo := 0; lo < total; lo += 5000 {
		var refs []tearline.ObservableRef
		for i := lo; i < min(lo+5000, total); i++ {
			refs = append(refs, tearline.ObservableRef{Kind: "ipv4", Value: value(i), Source: "org-a", Time: now})
		}
		if err := db.RecordObservables(ctx, refs); err != nil {
			t.Fatal(err)
		}
	}
	var merged, recent int
	if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM observables), (SELECT count(*) FROM observables_recent)`).Scan(&merged, &recent); err != nil {
		t.Fatal(err)
	}
	// The fourth batch of 5,000 crossed recentValues and merged.
	if merged != 20000 || recent != total-20000 {
		t.Errorf("%d values merged and %d recent, want 20000 and %d", merged, recent, total-20000)
	}
	// Recorded again by another source: the same values, no new ones.
	later := now.Add(time.Hour)
	again := []tearline.ObservableRef{
		{Kind: "ipv4", Value: value(0), Source: "org-b", Time: later},
		{Kind: "ipv4", Value: value(total - 1), Source: "org-b", Time: later},
	}
	if err := db.RecordObservables(ctx, again); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM observables) + (SELECT count(*) FROM observables_recent)`).Scan(&n); err != nil || n != total {
		t.Errorf("%d values, %v; want %d", n, err, total)
	}
	for _, i := range []int{0, total - 1} {
		e, err := db.LookupObservable(ctx, "ipv4", value(i), 10)
		if err != nil {
			t.Fatalf("look up %s: %v", value(i), err)
		}
		if len(e.Sources) != 2 {
			t.Errorf("%s: %d sources, want 2", value(i), len(e.Sources))
		}
	}
	err := db.UpdateScores(ctx, func(tx tearline.ScoreTx) error {
		srcs, err := tx.ObservableSources([]tearline.ObservableValue{{Kind: "ipv4", Value: value(0)}, {Kind: "ipv4", Value: value(total - 1)},
			{Kind: "ipv4", Value: "192.0.2.1"}})
		if err != nil {
			return err
		}
		for i, want := range []int{2, 2, 0} {
			if len(srcs[i]) != want {
				t.Errorf("value %d: %d sources, want %d", i, len(srcs[i]), want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
