package ingest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
)

// TestObservables checks that ingest feeds the observable index with what
// it stores: added versions, and duplicates as corroboration from their
// new source; not invalid objects, nor conflicts.
func TestObservables(t *testing.T) {
	db, c := open(t)
	ctx := context.Background()
	const (
		orgA = "identity--0000000a-0000-4000-8000-000000000000"
		orgB = "identity--0000000b-0000-4000-8000-000000000000"
	)
	conflict := strings.Replace(ind2, "10.0.0.2", "10.0.0.3", 1)
	post := func(source string, objs ...string) *ingest.Report {
		t.Helper()
		rep, err := ingest.Envelope(ctx, db, c.ID, strings.NewReader(`{"objects":[`+strings.Join(objs, ",")+`]}`),
			ingest.Options{Observables: db, Source: source, BatchSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	post(orgA, ind1, sco, bad)
	if rep := post(orgB, ind1, ind2); rep.Duplicates != 1 || rep.Added != 1 {
		t.Fatalf("second submission: %+v", rep)
	}
	if rep := post(orgA, conflict); rep.Conflicts != 1 {
		t.Fatalf("third submission: %+v", rep)
	}
	tests := []struct {
		kind, value string
		sources     []string
		objects     int
	}{
		{"ipv4", "10.0.0.1", []string{orgA, orgB}, 1},
		{"ipv4", "10.0.0.2", []string{orgB}, 1},
		{"ipv4", "198.51.100.3", []string{orgA}, 1},
	}
	for _, tt := range tests {
		e, err := db.LookupObservable(ctx, tt.kind, tt.value, 0)
		if err != nil {
			t.Errorf("%s: %v", tt.value, err)
			continue
		}
		var sources []string
		for _, s := range e.Sources {
			sources = append(sources, s.Org)
		}
		if strings.Join(sources, " ") != strings.Join(tt.sources, " ") || len(e.Objects) != tt.objects {
			t.Errorf("%s: sources %v, %d objects; want %v, %d", tt.value, sources, len(e.Objects), tt.sources, tt.objects)
		}
	}
	if _, err := db.LookupObservable(ctx, "ipv4", "10.0.0.3", 0); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("the conflicting version's value: %v, want not found", err)
	}
}

// cancelingStore is the real store whose context is canceled right after
// each AddObjects, as when a server shuts down between the store write of a
// batch and the indexing of its observables.
type cancelingStore struct {
	tearline.Store
	cancel context.CancelFunc
}

func (s cancelingStore) AddObjects(ctx context.Context, collectionID string, objs []*tearline.Object) ([]tearline.AddResult, error) {
	defer s.cancel()
	return s.Store.AddObjects(ctx, collectionID, objs)
}

// TestObservablesAfterCancel checks that a stored batch's observables are
// indexed even when the context ends after the store write: the index and
// the store must agree, and the batch must not be reported as failed.
func TestObservablesAfterCancel(t *testing.T) {
	db, c := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep, err := ingest.Envelope(ctx, cancelingStore{db, cancel}, c.ID, strings.NewReader(`{"objects":[`+ind1+`]}`),
		ingest.Options{Observables: db, Source: "identity--0000000a-0000-4000-8000-000000000000"})
	if err != nil || rep.Added != 1 {
		t.Fatalf("report %+v, error %v", rep, err)
	}
	if e, err := db.LookupObservable(context.Background(), "ipv4", "10.0.0.1", 0); err != nil || len(e.Objects) != 1 {
		t.Errorf("LookupObservable: %+v, %v", e, err)
	}
}
