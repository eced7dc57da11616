package federation_test

import (
	"context"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// TestIdleRunsSkipSaving checks that a run that finds nothing new does not
// write the link's state when it was saved less than StateInterval ago,
// and that every run that changes something, or follows a restart, does.
func TestIdleRunsSkipSaving(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	hub, isac := newNode(t, "hub", "US"), newNode(t, "isac", "GB")
	intel := hub.collection("intel")
	hub.submit(intel, taxiitest.Indicators(0, 50, 0, marked(marking.TLP2Green))...)
	pr := connect(isac, hub, profile{country: "US"}, profile{country: "GB"})
	l := pr.pullAB(isac.collection("intel"), intel)
	stored := func() *tearline.LinkState {
		t.Helper()
		st, err := isac.srv.DB.LinkState(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	first := isac.run(l)
	if first.Objects != 50 || !same(stored().LastRun, first.LastRun) {
		t.Fatalf("first run: returned %+v, stored %+v", first, stored())
	}
	idle := isac.run(l)
	if !idle.LastRun.After(first.LastRun) || idle.Objects != 50 {
		t.Fatalf("idle run returned %+v", idle)
	}
	if s := stored(); !same(s.LastRun, first.LastRun) {
		t.Errorf("the idle run saved its state: stored last run %v, want the first run's %v", s.LastRun, first.LastRun)
	}

	hub.submit(intel, taxiitest.Indicators(50, 10, 0, marked(marking.TLP2Green))...)
	more := isac.run(l)
	if s := stored(); s.Objects != 60 || !same(s.LastRun, more.LastRun) || s.Cursor != more.Cursor {
		t.Errorf("a run that stored objects: stored %+v, returned %+v", s, more)
	}

	// A new syncer has saved nothing yet: its first run saves, idle or not.
	isac.restart()
	again := isac.run(l)
	if s := stored(); !same(s.LastRun, again.LastRun) {
		t.Errorf("first idle run after a restart not saved: stored %v, returned %v", s.LastRun, again.LastRun)
	}
}

// same compares times at the store's precision, microseconds.
func same(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}
