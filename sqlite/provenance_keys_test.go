package sqlite

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tearline/tearline"
)

// TestProvenanceKeys records more provenance than provenance_keys_recent
// gathers and checks that a merge moved the earlier keys into
// provenance_keys, that records are found through both tables by FromPeer
// and ProvenanceOf, and that a record kept, whichever table holds its
// key, or sent twice in one call is not added again.
func TestProvenanceKeys(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	const batch = 5000
	const total = recentProvenance + batch
	rec := func(i int, peer string) tearline.Provenance {
		return tearline.Provenance{VersionRef: tearline.VersionRef{ID: fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", i),
			Version: "2026-01-01T00:00:00Z"}, PeerID: peer, RemoteCollection: "c1"}
	}
	for lo := 0; lo < total; lo += batch {
		var ps []tearline.Provenance
		for i := lo; i < min(lo+batch, total); i++ {
			ps = append(ps, rec(i, "hub"))
		}
		if err := db.AddProvenance(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	counts := func() (merged, recent int) {
		t.Helper()
		if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM provenance_keys), (SELECT count(*) FROM provenance_keys_recent)`).Scan(&merged, &recent); err != nil {
			t.Fatal(err)
		}
		return merged, recent
	}
	// The fourth batch of 5,000 crossed recentProvenance and merged.
	if merged, recent := counts(); merged != 4*batch || recent != total-4*batch {
		t.Fatalf("%d keys merged and %d recent, want %d and %d", merged, recent, 4*batch, total-4*batch)
	}
	first, last := rec(0, "hub"), rec(total-1, "hub") // merged, recent
	// Both again, and each from a second peer, twice.
	if err := db.AddProvenance(ctx, []tearline.Provenance{first, last, rec(0, "isac"), rec(total-1, "isac"), rec(0, "isac")}); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := db.r.QueryRow(`SELECT count(*) FROM provenance`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if merged, recent := counts(); merged+recent != total+2 || rows != total+2 {
		t.Errorf("%d keys and %d records, want %d of each", merged+recent, rows, total+2)
	}
	came, err := db.FromPeer(ctx, "hub", []tearline.VersionRef{first.VersionRef, last.VersionRef, {ID: "indicator--x", Version: first.Version}})
	if err != nil {
		t.Fatal(err)
	}
	if !came[0] || !came[1] || came[2] {
		t.Errorf("came from hub: %v, want [true true false]", came)
	}
	for _, r := range []tearline.Provenance{first, last} {
		ps, err := db.ProvenanceOf(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || ps[0].PeerID == ps[1].PeerID {
			t.Errorf("provenance of %s: %+v, want one record from each peer", r.ID, ps)
		}
	}
}

// TestProvenanceMigration takes a store holding provenance back before
// migration 28 and up again: the records keep their content and are found
// by id, and the queries search the keys rather than scan.
func TestProvenanceMigration(t *testing.T) {
	t.Parallel()
	db := openTest(t)
	ctx := t.Context()
	ps := []tearline.Provenance{
		{VersionRef: tearline.VersionRef{ID: "indicator--0d2a7e4c-7ea8-4c3c-8d0e-3f3a0a1e2b11", Version: "2026-01-01T00:00:00Z"}, PeerID: "hub", RemoteCollection: "c1"},
		{VersionRef: tearline.VersionRef{ID: "indicator--0d2a7e4c-7ea8-4c3c-8d0e-3f3a0a1e2b11", Version: "2026-02-01T00:00:00Z"}, PeerID: "isac"},
	}
	if err := db.AddProvenance(ctx, ps); err != nil {
		t.Fatal(err)
	}
	p := migrationProvider(t, db)
	if _, err := p.DownTo(ctx, 27); err != nil {
		t.Fatalf("down to 27: %v", err)
	}
	if _, err := p.UpTo(ctx, 28); err != nil {
		t.Fatalf("up to 28: %v", err)
	}
	got, err := db.ProvenanceOf(ctx, ps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].PeerID != "hub" || got[0].RemoteCollection != "c1" || got[1].PeerID != "isac" {
		t.Errorf("provenance after the migration: %+v", got)
	}
	plan := explain(t, db, `SELECT DISTINCT p.object, p.version FROM provenance_by_id k JOIN provenance p ON p.seq = k.seq
		WHERE k.idh IN (SELECT value FROM json_each(?1)) AND p.peer = ?2`, "[1]", "hub")
	for _, want := range []string{"SEARCH provenance_keys USING PRIMARY KEY (idh=?)",
		"SEARCH provenance_keys_recent USING PRIMARY KEY (idh=?)", "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
}
