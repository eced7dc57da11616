package ingest_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/sqlite"
)

const (
	ind1 = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.123Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`
	ind2 = `{"type":"indicator","spec_version":"2.1","id":"indicator--0f4c6a5e-3b1e-4c7d-9a51-1f0b8f2c3d4e","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '10.0.0.2']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`
	sco  = `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`
	bad  = `{"type":"indicator","id":"indicator--5d0092c5-5f74-4287-9642-33f4c354e56d","modified":"2020-01-01T00:00:00Z"}`
)

func open(t *testing.T) (*sqlite.DB, *tearline.Collection) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &tearline.Collection{Alias: "test", Title: "test"}
	if err := db.CreateCollection(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return db, c
}

func TestEnvelopeOutcomes(t *testing.T) {
	db, c := open(t)
	ctx := context.Background()
	if _, err := ingest.Envelope(ctx, db, c.ID, strings.NewReader(`{"objects":[`+ind2+`]}`), ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	conflict := strings.Replace(ind2, "10.0.0.2", "10.0.0.9", 1)
	body := `{"more":false,"objects":[` + ind1 + `,` + bad + `,` + ind2 + `,` + conflict + `,` + sco + `]}`
	type outcome struct {
		Index   int
		ID      string
		Version string
		Status  tearline.AddStatus
		Added   bool
		Issue   string
	}
	var got []outcome
	progress := 0
	rep, err := ingest.Envelope(ctx, db, c.ID, strings.NewReader(body), ingest.Options{
		BatchSize:  2,
		OnProgress: func(int) { progress++ },
		OnObject: func(o *ingest.Outcome) {
			var issue string
			if errs := o.Issues.Errors(); len(errs) > 0 {
				issue = errs[0].Rule
			}
			got = append(got, outcome{o.Index, o.ID, o.Version, o.Status, !o.DateAdded.IsZero(), issue})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Index < got[j].Index })
	want := []outcome{
		{0, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "2016-04-06T20:03:48.123Z", tearline.Added, true, ""},
		{1, "indicator--5d0092c5-5f74-4287-9642-33f4c354e56d", "2020-01-01T00:00:00Z", 0, false, "required"},
		{2, "indicator--0f4c6a5e-3b1e-4c7d-9a51-1f0b8f2c3d4e", "2016-04-06T20:03:48.000Z", tearline.Duplicate, true, ""},
		{3, "indicator--0f4c6a5e-3b1e-4c7d-9a51-1f0b8f2c3d4e", "", 0, false, "duplicate-id"},
		{4, "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "", tearline.Added, true, ""},
	}
	// objects[3] repeats objects[2] with other content: the reader rejects
	// it before the store sees it, so it has no version from the store.
	got[3].Version = ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if rep.Objects != 5 || rep.Added != 2 || rep.Duplicates != 1 || rep.Invalid != 2 || progress != 2 {
		t.Errorf("report %+v, %d progress calls", rep, progress)
	}

	// A conflict with a stored version is reported as such.
	got = nil
	if _, err := ingest.Envelope(ctx, db, c.ID, strings.NewReader(`{"objects":[`+conflict+`]}`), ingest.Options{
		OnObject: func(o *ingest.Outcome) {
			got = append(got, outcome{o.Index, o.ID, o.Version, o.Status, o.Stored(), o.Issues.Errors()[0].Rule})
		},
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Status != tearline.Conflict || got[0].Added || got[0].Issue != "conflict" {
		t.Errorf("conflict outcome %+v", got)
	}
}

// TestBundleStillWorks checks that Bundle reads bundles, not envelopes.
func TestBundleStillWorks(t *testing.T) {
	db, c := open(t)
	bundle := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + ind1 + `,` + sco + `]}`
	rep, err := ingest.Bundle(context.Background(), db, c.ID, strings.NewReader(bundle), ingest.Options{})
	if err != nil || rep.Added != 2 || rep.Errors != 0 {
		t.Fatalf("bundle: %+v, %v", rep, err)
	}
	rep, err = ingest.Bundle(context.Background(), db, c.ID, strings.NewReader(`{"objects":[`+ind2+`]}`), ingest.Options{})
	if err != nil || rep.Added != 1 || rep.Errors != 2 {
		t.Errorf("envelope read as a bundle: %+v, %v", rep, err)
	}
}
