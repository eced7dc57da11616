package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tearline/tearline"
)

// BenchmarkRecordObservables records batches of 1,000 new values, each in
// its own stored indicator, as ingest does after each batch of a TAXII
// submission; ns/op is per value.
func BenchmarkRecordObservables(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	c := &tearline.Collection{Alias: "bench", Title: "bench"}
	if err := db.CreateCollection(ctx, c); err != nil {
		b.Fatal(err)
	}
	const batch = 1000
	version := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for b.Loop() {
		if n%batch == 0 {
			b.StopTimer()
			objs := make([]*tearline.Object, batch)
			for i := range objs {
				id := fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", n+i)
				objs[i] = &tearline.Object{ID: id, Type: "indicator", SpecVersion: "2.1", Version: version,
					Raw: []byte(`{"type":"indicator","id":"` + id + `"}`)}
			}
			if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
				b.Fatal(err)
			}
			refs := make([]tearline.ObservableRef, batch)
			for i := range refs {
				k := uint32(n+i) * 2654435761
				refs[i] = tearline.ObservableRef{Kind: "ipv4", Value: fmt.Sprintf("%d.%d.%d.%d", k>>24, k>>16&255, k>>8&255, k&255),
					ObjectID: objs[i].ID, Version: version, Source: "identity--a", Time: version}
			}
			b.StartTimer()
			if err := db.RecordObservables(ctx, refs); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
}
