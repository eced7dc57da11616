package score_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/score"
	"github.com/tearline/tearline/sqlite"
)

// benchIndicator is a feed-like indicator of about 1 KB.
func benchIndicator(i int) []byte {
	return fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000",`+
		`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"C2 %d",`+
		`"description":"Command and control address of the loader family seen in the campaign against the energy sector; observed beaconing over HTTPS.",`+
		`"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '45.%d.%d.%d']","pattern_type":"stix",`+
		`"valid_from":"2026-01-01T00:00:00Z","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}],`+
		`"labels":["c2"],"confidence":70,"created_by_ref":"identity--00000001-0000-4000-8000-000000000000",`+
		`"external_references":[{"source_name":"vendor","url":"https://vendor.example/r/%d"}]}`, i, i, i>>16&255, i>>8&255, i&255, i)
}

func BenchmarkAnalyze(b *testing.B) {
	raw := benchIndicator(1)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := score.Analyze(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScoreBatch scores batches of 1,000 new indicators stored in a
// real SQLite store, with their observables indexed, as a TAXII POST
// does; the store writes of the objects and the index are not timed.
func BenchmarkScoreBatch(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	col := &tearline.Collection{Alias: "bench", Title: "bench"}
	if err := db.CreateCollection(ctx, col); err != nil {
		b.Fatal(err)
	}
	eng := score.New(db, score.Options{})
	const batch = 1000
	next := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		objs := make([]*tearline.Object, batch)
		items := make([]score.Item, batch)
		var refs []tearline.ObservableRef
		for i := range objs {
			next++
			raw := benchIndicator(next)
			o := &tearline.Object{ID: fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", next), Type: "indicator",
				SpecVersion: "2.1", Version: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Raw: raw}
			objs[i] = o
			obs, _ := observable.FromObject(raw)
			items[i] = score.Item{Object: o, Observables: obs, Extracted: true, Status: tearline.Added}
			for _, v := range obs {
				refs = append(refs, tearline.ObservableRef{Kind: v.Kind.String(), Value: v.Value, ObjectID: o.ID,
					Version: o.Version, Source: "identity--00000001-0000-4000-8000-000000000000", Time: time.Now()})
			}
		}
		if _, err := db.AddObjects(ctx, col.ID, objs); err != nil {
			b.Fatal(err)
		}
		if err := db.RecordObservables(ctx, refs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := eng.ScoreBatch(ctx, "identity--00000001-0000-4000-8000-000000000000", items); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch)/1000, "µs/object")
}
