package sqlite

import (
	"fmt"
	"testing"

	"github.com/tearline/tearline"
)

// BenchmarkAddProvenance records the provenance of b.N new versions in
// calls of 8,000, as a pull records eight pages at once; ns/op is per
// record. Provenance keys merge as the table grows, so compare builds at
// one -benchtime (300000x for bench/README.md's figures).
func BenchmarkAddProvenance(b *testing.B) {
	db := openTest(b)
	const call = 8000
	ps := make([]tearline.Provenance, 0, call)
	n := b.N
	b.ResetTimer()
	for lo := 0; lo < n; lo += call {
		b.StopTimer()
		ps = ps[:0]
		for i := lo; i < min(lo+call, n); i++ {
			ps = append(ps, tearline.Provenance{
				VersionRef: tearline.VersionRef{ID: fmt.Sprintf("indicator--%08x-1234-4000-8000-%012d", uint32(i)*2654435761, i),
					Version: "2026-01-01T00:00:00.000Z"},
				PeerID: "5f0c3a52-8a1e-4a53-9f0e-1d2c3b4a5e6f", RemoteCollection: "0b7e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4"})
		}
		b.StartTimer()
		if err := db.AddProvenance(b.Context(), ps); err != nil {
			b.Fatal(err)
		}
	}
}
