package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

// ScoresStore is a store with score records, reliabilities and warning
// lists. The suite needs the directory for organizations.
type ScoresStore interface {
	tearline.Store
	tearline.Directory
	tearline.Scores
	tearline.Reliabilities
	tearline.WarningLists
}

// RunScores runs the conformance suite of tearline.Scores,
// tearline.Reliabilities and tearline.WarningLists against the store
// returned by open: records saved, replaced and read back exactly per
// version, records of unstored versions skipped, records removed with
// their versions, links replaced and removed, reliabilities and warning
// entries, and error codes. open is called once per subtest, possibly
// from parallel subtests, and must return a new, empty store that it
// closes with t.Cleanup.
func RunScores(t *testing.T, open func(t *testing.T) ScoresStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ScoresStore)
	}{
		{"SaveFind", testScoresSaveFind},
		{"Replace", testScoresReplace},
		{"RemovedVersion", testScoresRemovedVersion},
		{"Links", testScoreLinks},
		{"Transaction", testScoresTransaction},
		{"Reliability", testReliability},
		{"WarningLists", testWarningLists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// CorroborationsStore is a store with an observable index and scores,
// whose ScoreTx answers the index's sources of many values at once.
type CorroborationsStore interface {
	ObservablesStore
	tearline.Scores
}

// observableSources calls ScoreTx.ObservableSources in a transaction.
func observableSources(t *testing.T, s tearline.Scores, values []tearline.ObservableValue) (got [][]tearline.ObservableSource, err error) {
	t.Helper()
	err = s.UpdateScores(t.Context(), func(tx tearline.ScoreTx) error {
		got, err = tx.ObservableSources(values)
		return err
	})
	return got, err
}

// RunCorroborations checks ScoreTx.ObservableSources against the store's
// observable index: each value's sources in input order, as
// LookupObservable gives them, nil for values the index lacks, and
// EINVALID for a value not in normalized form.
func RunCorroborations(t *testing.T, open func(t *testing.T) CorroborationsStore) {
	t.Run("Sources", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		mustRecord(t, s, refOf("ipv4", "5.6.7.8", nil, orgA, 1), refOf("ipv4", "5.6.7.8", nil, orgB, 2),
			refOf("ipv4", "5.6.7.8", nil, orgA, 3), refOf("domain", "evil.test", nil, "", 4))
		values := []tearline.ObservableValue{{Kind: "domain", Value: "evil.test"}, {Kind: "ipv4", Value: "9.9.9.9"}, {Kind: "ipv4", Value: "5.6.7.8"}, {Kind: "domain", Value: "evil.test"}}
		got, err := observableSources(t, s, values)
		if err != nil {
			t.Fatal(err)
		}
		want := make([][]tearline.ObservableSource, len(values))
		for i, v := range values {
			e, err := s.LookupObservable(t.Context(), v.Kind, v.Value, 0)
			if tearline.ErrorCode(err) == tearline.ENOTFOUND {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			want[i] = e.Sources
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ObservableSources (-want +got):\n%s", diff)
		}
		if len(got[2]) != 2 || got[2][0].Org != orgA || !got[2][0].Last.Equal(at(3)) {
			t.Errorf("sources of 5.6.7.8 = %+v, want orgA (hours 1-3) then orgB", got[2])
		}
		_, err = observableSources(t, s, []tearline.ObservableValue{{Kind: "ipv4", Value: "1.1.1.1"}, {Kind: "ipv4", Value: "01.1.1.1"}})
		wantCode(t, err, tearline.EINVALID)
		if got, err := observableSources(t, s, nil); err != nil || len(got) != 0 {
			t.Errorf("ObservableSources(nil) = %v, %v", got, err)
		}
	})
}

// scoreRecord returns a record of object version o with every field set.
func scoreRecord(o *tearline.Object, confidence int) *tearline.ScoreRecord {
	return &tearline.ScoreRecord{
		ID: o.ID, Version: o.Version, Org: orgA, Stated: 70, Features: 0x15, HalfLife: 30 * 24 * time.Hour,
		Reference:  time.Date(2026, 2, 1, 12, 0, 0, 123456000, time.UTC),
		ValidUntil: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		Sources:    2, Sightings: 3, FalsePositives: 1, Related: 0x6,
		Warnings:   []tearline.WarningHit{{List: "private-ipv4", Value: "10.0.0.1"}, {List: "corp", Value: "10.0.0.1"}},
		Confidence: confidence, Context: 55, Computed: time.Date(2026, 2, 2, 0, 0, 0, 1000, time.UTC),
	}
}

// sortRecords orders records by id and version.
func sortRecords(recs []*tearline.ScoreRecord) {
	slices.SortFunc(recs, func(a, b *tearline.ScoreRecord) int {
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return a.Version.Compare(b.Version)
	})
}

func mustFindScores(t *testing.T, s tearline.Scores, ids ...string) []*tearline.ScoreRecord {
	t.Helper()
	recs, err := s.FindScores(t.Context(), ids)
	if err != nil {
		t.Fatalf("FindScores: %v", err)
	}
	sortRecords(recs)
	return recs
}

func mustSaveScores(t *testing.T, s tearline.Scores, recs ...*tearline.ScoreRecord) {
	t.Helper()
	if err := saveScores(t, s, recs...); err != nil {
		t.Fatalf("SaveScores: %v", err)
	}
}

func saveScores(t *testing.T, s tearline.Scores, recs ...*tearline.ScoreRecord) error {
	t.Helper()
	return s.UpdateScores(t.Context(), func(tx tearline.ScoreTx) error { return tx.SaveScores(recs) })
}

func saveLinks(t *testing.T, s tearline.Scores, links ...tearline.ScoreLink) error {
	t.Helper()
	return s.UpdateScores(t.Context(), func(tx tearline.ScoreTx) error { return tx.SaveScoreLinks(links) })
}

func testScoresSaveFind(t *testing.T, s ScoresStore) {
	c := mustCreate(t, s, "scores")
	x1 := newObject(t, "indicator", 1, "2026-01-01T00:00:00Z")
	x2 := newVersion(t, x1, "2026-01-02T00:00:00.5Z")
	y := newObject(t, "indicator", 2, "2026-01-01T00:00:00Z")
	sco := newObject(t, "ipv4-addr", 3, "2026-01-01T00:00:00Z")
	sco.Version, sco.Created = time.Time{}, time.Time{} // no timestamps
	unstored := newObject(t, "indicator", 4, "2026-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, x1, x2, y, sco)

	bare := &tearline.ScoreRecord{ID: sco.ID, Stated: -1, Org: "", Confidence: 38}
	mustSaveScores(t, s, scoreRecord(x1, 10), scoreRecord(x2, 20), scoreRecord(unstored, 30), bare)
	got := mustFindScores(t, s, x1.ID, sco.ID, unstored.ID, "indicator--00000000-0000-4000-8000-00000000ffff")
	want := []*tearline.ScoreRecord{scoreRecord(x1, 10), scoreRecord(x2, 20), bare}
	sortRecords(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindScores (-want +got):\n%s", diff)
	}
	if got := mustFindScores(t, s, y.ID); len(got) != 0 {
		t.Errorf("FindScores(y) = %+v, want none: y has no record", got)
	}
	if got := mustFindScores(t, s); len(got) != 0 {
		t.Errorf("FindScores() = %+v", got)
	}
	wantCode(t, saveScores(t, s, &tearline.ScoreRecord{ID: ""}), tearline.EINVALID)
}

func testScoresReplace(t *testing.T, s ScoresStore) {
	c := mustCreate(t, s, "scores")
	x := newObject(t, "indicator", 1, "2026-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, x)
	mustSaveScores(t, s, scoreRecord(x, 10))
	r := scoreRecord(x, 90)
	r.Warnings, r.ValidUntil, r.Sources = nil, time.Time{}, 7
	mustSaveScores(t, s, r)
	if diff := cmp.Diff([]*tearline.ScoreRecord{r}, mustFindScores(t, s, x.ID)); diff != "" {
		t.Errorf("after replacing (-want +got):\n%s", diff)
	}
}

func testScoresRemovedVersion(t *testing.T, s ScoresStore) {
	c := mustCreate(t, s, "scores")
	x := newObject(t, "indicator", 1, "2026-01-01T00:00:00Z")
	y := newObject(t, "indicator", 2, "2026-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, y, x)
	mustSaveScores(t, s, scoreRecord(x, 10), scoreRecord(y, 20))
	if _, err := s.DeleteObject(t.Context(), c.ID, x.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := mustFindScores(t, s, x.ID); len(got) != 0 {
		t.Errorf("records of a removed version: %+v", got)
	}
	// A version stored after the removal must not inherit x's record,
	// nor x stored again.
	z := newObject(t, "indicator", 3, "2026-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, z, x)
	if got := mustFindScores(t, s, x.ID, z.ID); len(got) != 0 {
		t.Errorf("records after storing again: %+v", got)
	}
	if got := mustFindScores(t, s, y.ID); len(got) != 1 {
		t.Errorf("y lost its record: %+v", got)
	}
}

func testScoreLinks(t *testing.T, s ScoresStore) {
	ctx := t.Context()
	seen := time.Date(2026, 3, 1, 8, 30, 0, 250000000, time.UTC)
	links := []tearline.ScoreLink{
		{Target: "indicator--1", Source: "sighting--1", Kind: tearline.LinkSighting, Time: seen},
		{Target: "indicator--1", Source: "opinion--1", Kind: tearline.LinkFalsePositive},
		{Target: "indicator--1", Source: "relationship--1", Kind: tearline.LinkRelated, Related: "malware"},
		{Target: "indicator--2", Source: "relationship--1", Kind: tearline.LinkRelated, Related: "campaign"},
		{Target: "indicator--3", Source: "sighting--2", Kind: tearline.LinkSighting},
	}
	if err := saveLinks(t, s, links...); err != nil {
		t.Fatal(err)
	}
	// A new version of the sighting marks it a false positive; the opinion
	// is withdrawn.
	if err := saveLinks(t, s,
		tearline.ScoreLink{Target: "indicator--1", Source: "sighting--1", Kind: tearline.LinkFalsePositive, Time: seen},
		tearline.ScoreLink{Target: "indicator--1", Source: "opinion--1"},
		tearline.ScoreLink{Target: "indicator--9", Source: "opinion--1"}, // removing what is not there
	); err != nil {
		t.Fatal(err)
	}
	got, err := s.ScoreLinks(ctx, []string{"indicator--2", "indicator--1", "indicator--8"})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b tearline.ScoreLink) int {
		return strings.Compare(a.Target+" "+a.Source, b.Target+" "+b.Source)
	})
	want := []tearline.ScoreLink{
		{Target: "indicator--1", Source: "relationship--1", Kind: tearline.LinkRelated, Related: "malware"},
		{Target: "indicator--1", Source: "sighting--1", Kind: tearline.LinkFalsePositive, Time: seen},
		{Target: "indicator--2", Source: "relationship--1", Kind: tearline.LinkRelated, Related: "campaign"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ScoreLinks (-want +got):\n%s", diff)
	}
	for _, bad := range []tearline.ScoreLink{
		{Target: "", Source: "sighting--1", Kind: tearline.LinkSighting},
		{Target: "indicator--1", Source: "", Kind: tearline.LinkSighting},
		{Target: "indicator--1", Source: "sighting--1", Kind: "endorsement"},
	} {
		wantCode(t, saveLinks(t, s, links[4], bad), tearline.EINVALID)
	}
	if got, err := s.ScoreLinks(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("ScoreLinks(nil) = %v, %v", got, err)
	}
}

func testReliability(t *testing.T, s ScoresStore) {
	ctx := t.Context()
	a := &tearline.Organization{Name: "alpha"}
	b := &tearline.Organization{Name: "bravo"}
	for _, o := range []*tearline.Organization{a, b} {
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, s.SetReliability(ctx, &tearline.Reliability{OrgID: "identity--00000000-0000-4000-8000-000000000000", Value: 50}), tearline.ENOTFOUND)
	wantCode(t, s.SetReliability(ctx, &tearline.Reliability{OrgID: a.ID, Value: 101}), tearline.EINVALID)
	wantCode(t, s.SetReliability(ctx, &tearline.Reliability{OrgID: a.ID, Value: -1}), tearline.EINVALID)
	wantCode(t, s.SetReliability(ctx, &tearline.Reliability{OrgID: a.ID, Grade: "G", Value: 50}), tearline.EINVALID)
	ra := &tearline.Reliability{OrgID: a.ID, Grade: "B", Value: 80}
	rb := &tearline.Reliability{OrgID: b.ID, Value: 35}
	for _, r := range []*tearline.Reliability{ra, rb} {
		if err := s.SetReliability(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.Updated.IsZero() {
			t.Error("SetReliability did not fill Updated")
		}
	}
	ra.Grade, ra.Value = "", 90
	if err := s.SetReliability(ctx, ra); err != nil {
		t.Fatal(err)
	}
	got, err := s.Reliabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []*tearline.Reliability{ra, rb}
	slices.SortFunc(want, func(x, y *tearline.Reliability) int { return strings.Compare(x.OrgID, y.OrgID) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Reliabilities (-want +got):\n%s", diff)
	}
	if err := s.ClearReliability(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.ClearReliability(ctx, b.ID), tearline.ENOTFOUND)
	if got, _ := s.Reliabilities(ctx); len(got) != 1 || got[0].OrgID != a.ID {
		t.Errorf("after clearing bravo: %+v", got)
	}
}

func testWarningLists(t *testing.T, s ScoresStore) {
	ctx := t.Context()
	n, err := s.AddWarningEntries(ctx, []tearline.WarningEntry{
		{List: "corp", Value: "10.20.0.0/16", Comment: "office"},
		{List: "corp", Value: "*.corp.acme.io"},
		{List: "sinkholes", Value: "192.0.2.53"},
		{List: "corp", Value: "10.20.0.0/16", Comment: "office"}, // repeated in the call
	})
	if err != nil || n != 3 {
		t.Fatalf("AddWarningEntries = %d, %v; want 3 new", n, err)
	}
	n, err = s.AddWarningEntries(ctx, []tearline.WarningEntry{
		{List: "corp", Value: "10.20.0.0/16", Comment: "head office"},
		{List: "corp", Value: "acme.io"},
	})
	if err != nil || n != 1 {
		t.Fatalf("AddWarningEntries again = %d, %v; want 1 new", n, err)
	}
	all, err := s.WarningEntries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range all {
		if e.Added.IsZero() {
			t.Errorf("entry %+v has no time", e)
		}
		got = append(got, e.List+" "+e.Value+" "+e.Comment)
	}
	want := []string{"corp *.corp.acme.io ", "corp 10.20.0.0/16 head office", "corp acme.io ", "sinkholes 192.0.2.53 "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WarningEntries (-want +got):\n%s", diff)
	}
	if one, err := s.WarningEntries(ctx, "sinkholes"); err != nil || len(one) != 1 {
		t.Errorf("WarningEntries(sinkholes) = %+v, %v", one, err)
	}
	n, err = s.RemoveWarningEntries(ctx, "corp", []string{"acme.io", "192.0.2.53", "nothing"})
	if err != nil || n != 1 {
		t.Errorf("RemoveWarningEntries = %d, %v; want 1", n, err)
	}
	if left, _ := s.WarningEntries(ctx, "corp"); len(left) != 2 {
		t.Errorf("corp after removal: %+v", left)
	}
	for _, bad := range []tearline.WarningEntry{{List: "Corp", Value: "x.io"}, {List: "", Value: "x.io"},
		{List: "corp", Value: ""}, {List: strings.Repeat("a", 65), Value: "x.io"}} {
		_, err := s.AddWarningEntries(ctx, []tearline.WarningEntry{{List: "ok", Value: "y.io"}, bad})
		wantCode(t, err, tearline.EINVALID)
	}
	if got, _ := s.WarningEntries(ctx, "ok"); len(got) != 0 {
		t.Errorf("a refused call stored %+v", got)
	}
}

func testScoresTransaction(t *testing.T, s ScoresStore) {
	c := mustCreate(t, s, "scores")
	x := newObject(t, "indicator", 1, "2026-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, x)
	link := tearline.ScoreLink{Target: x.ID, Source: "sighting--1", Kind: tearline.LinkSighting}
	// What the transaction wrote, it reads back before committing.
	err := s.UpdateScores(t.Context(), func(tx tearline.ScoreTx) error {
		if err := tx.SaveScoreLinks([]tearline.ScoreLink{link}); err != nil {
			return err
		}
		if err := tx.SaveScores([]*tearline.ScoreRecord{scoreRecord(x, 10)}); err != nil {
			return err
		}
		links, err := tx.ScoreLinks([]string{x.ID})
		if err != nil || len(links) != 1 {
			t.Errorf("links in the transaction: %+v, %v", links, err)
		}
		recs, err := tx.FindScores([]string{x.ID})
		if err != nil || len(recs) != 1 || recs[0].Confidence != 10 {
			t.Errorf("records in the transaction: %+v, %v", recs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A failing fn leaves nothing written, and its error is returned.
	failed := tearline.Errorf(tearline.ECONFLICT, "stop")
	err = s.UpdateScores(t.Context(), func(tx tearline.ScoreTx) error {
		if err := tx.SaveScores([]*tearline.ScoreRecord{scoreRecord(x, 99)}); err != nil {
			return err
		}
		if err := tx.SaveScoreLinks([]tearline.ScoreLink{{Target: x.ID, Source: "sighting--1"}}); err != nil {
			return err
		}
		return failed
	})
	wantCode(t, err, tearline.ECONFLICT)
	if recs := mustFindScores(t, s, x.ID); len(recs) != 1 || recs[0].Confidence != 10 {
		t.Errorf("after a failed transaction: %+v", recs)
	}
	if links, err := s.ScoreLinks(t.Context(), []string{x.ID}); err != nil || len(links) != 1 {
		t.Errorf("links after a failed transaction: %+v, %v", links, err)
	}
}
