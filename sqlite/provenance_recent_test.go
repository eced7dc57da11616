package sqlite

import (
	"fmt"
	"testing"

	"github.com/tearline/tearline"
)

// TestProvenanceRecent records more provenance than provenance_recent
// gathers and checks that a merge moved the earlier records into
// provenance, that both tables answer FromPeer and ProvenanceOf, and that
// a record kept in either is not added again.
func TestProvenanceRecent(t *testing.T) {
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
		if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM provenance), (SELECT count(*) FROM provenance_recent)`).Scan(&merged, &recent); err != nil {
			t.Fatal(err)
		}
		return merged, recent
	}
	// The fourth batch of 5,000 crossed recentProvenance and merged.
	if merged, recent := counts(); merged != 4*batch || recent != total-4*batch {
		t.Fatalf("%d records merged and %d recent, want %d and %d", merged, recent, 4*batch, total-4*batch)
	}
	first, last := rec(0, "hub"), rec(total-1, "hub") // merged, recent
	// Both again, and each from a second peer.
	if err := db.AddProvenance(ctx, []tearline.Provenance{first, last, rec(0, "isac"), rec(total-1, "isac")}); err != nil {
		t.Fatal(err)
	}
	if merged, recent := counts(); merged+recent != total+2 {
		t.Errorf("%d records, want %d", merged+recent, total+2)
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
