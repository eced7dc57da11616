package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

// all selects every version in a query.
var all = []string{tearline.VersionAll}

func testAddObjects(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	a1 := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	b1 := newObject(t, "malware", 2, "2020-01-01T00:00:00.123Z")
	r1 := mustAdd(t, s, c.ID, a1, b1)
	if d := cmp.Diff([]tearline.AddStatus{tearline.Added, tearline.Added}, statuses(r1)); d != "" {
		t.Fatalf("first add statuses (-want +got):\n%s", d)
	}
	if r1[0].DateAdded.IsZero() || !r1[1].DateAdded.After(r1[0].DateAdded) {
		t.Errorf("DateAdded %v, %v: want non-zero and increasing", r1[0].DateAdded, r1[1].DateAdded)
	}

	a2 := newVersion(t, a1, "2021-01-01T00:00:00Z")
	r2 := mustAdd(t, s, c.ID, a1, a2, altered(b1))
	if d := cmp.Diff([]tearline.AddStatus{tearline.Duplicate, tearline.Added, tearline.Conflict}, statuses(r2)); d != "" {
		t.Fatalf("second add statuses (-want +got):\n%s", d)
	}
	if !r2[0].DateAdded.Equal(r1[0].DateAdded) {
		t.Errorf("duplicate DateAdded = %v, want the original %v", r2[0].DateAdded, r1[0].DateAdded)
	}
	if !r2[1].DateAdded.After(r1[1].DateAdded) {
		t.Errorf("DateAdded %v of a later add is not after %v", r2[1].DateAdded, r1[1].DateAdded)
	}
	if !r2[2].DateAdded.IsZero() {
		t.Errorf("conflict DateAdded = %v, want zero", r2[2].DateAdded)
	}

	want := []*tearline.Entry{
		{Object: *a1, DateAdded: r1[0].DateAdded},
		{Object: *b1, DateAdded: r1[1].DateAdded},
		{Object: *a2, DateAdded: r2[1].DateAdded},
	}
	page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, Versions: all})
	if d := cmp.Diff(want, page.Entries); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}

	// A version is one set of bytes across the whole store.
	c2 := mustCreate(t, s, "c2")
	r3 := mustAdd(t, s, c2.ID, altered(a1), a1)
	if d := cmp.Diff([]tearline.AddStatus{tearline.Conflict, tearline.Added}, statuses(r3)); d != "" {
		t.Errorf("add to a second collection (-want +got):\n%s", d)
	}

	// Nothing added: no error, one result per object (none).
	if res, err := s.AddObjects(t.Context(), c.ID, nil); err != nil || len(res) != 0 {
		t.Errorf("AddObjects(nil) = %v, %v; want no results and no error", res, err)
	}
}

func testAddObjectsInBatch(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	x := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	y := newObject(t, "indicator", 2, "2020-01-01T00:00:00Z")
	z1 := newObject(t, "malware", 3, "2020-01-01T00:00:00Z")
	z2 := newVersion(t, z1, "2020-06-01T00:00:00Z")
	res := mustAdd(t, s, c.ID, x, x, y, altered(y), z2, z1)
	want := []tearline.AddStatus{tearline.Added, tearline.Duplicate, tearline.Added, tearline.Conflict, tearline.Added, tearline.Added}
	if d := cmp.Diff(want, statuses(res)); d != "" {
		t.Fatalf("statuses (-want +got):\n%s", d)
	}
	if !res[1].DateAdded.Equal(res[0].DateAdded) {
		t.Errorf("duplicate in the same batch: DateAdded %v, want %v", res[1].DateAdded, res[0].DateAdded)
	}
	// The later version came first in the batch; the flags must still be right.
	for _, tt := range []struct {
		version string
		want    []string
	}{
		{tearline.VersionFirst, objKeys(x, y, z1)},
		{tearline.VersionLast, objKeys(x, y, z2)},
	} {
		page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, Versions: []string{tt.version}})
		if d := cmp.Diff(tt.want, keys(page.Entries)); d != "" {
			t.Errorf("version %s (-want +got):\n%s", tt.version, d)
		}
	}
}

// testReformatted checks that a version whose JSON differs only in the
// whitespace between tokens is the same version, kept in its first bytes,
// while any other difference, even inside a string, is a conflict.
func testReformatted(t *testing.T, s tearline.Store) {
	c1 := mustCreate(t, s, "c1")
	c2 := mustCreate(t, s, "c2")
	o := newObject(t, "identity", 1, "2016-08-08T15:50:10.983Z")
	o.Raw = []byte(`{"type": "identity", "id": "identity--1", "name": "The  MITRE Corporation"}`)
	pretty := *o
	pretty.Raw = []byte("{\n    \"type\":\"identity\",\r\n\t\"id\" : \"identity--1\",\n\n    \"name\": \"The  MITRE Corporation\"\n}\n")
	inString := *o
	inString.Raw = []byte(`{"type": "identity", "id": "identity--1", "name": "The MITRE Corporation"}`)

	r1 := mustAdd(t, s, c1.ID, o, &pretty, &inString)
	if d := cmp.Diff([]tearline.AddStatus{tearline.Added, tearline.Duplicate, tearline.Conflict}, statuses(r1)); d != "" {
		t.Errorf("same batch (-want +got):\n%s", d)
	}
	r2 := mustAdd(t, s, c1.ID, &pretty, &inString)
	if d := cmp.Diff([]tearline.AddStatus{tearline.Duplicate, tearline.Conflict}, statuses(r2)); d != "" {
		t.Errorf("later batch (-want +got):\n%s", d)
	}
	if !r2[0].DateAdded.Equal(r1[0].DateAdded) {
		t.Errorf("reformatted duplicate DateAdded = %v, want %v", r2[0].DateAdded, r1[0].DateAdded)
	}
	r3 := mustAdd(t, s, c2.ID, &pretty)
	if r3[0].Status != tearline.Added {
		t.Errorf("reformatted version into another collection: %v, want added", r3[0].Status)
	}
	for _, c := range []*tearline.Collection{c1, c2} {
		page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID})
		if len(page.Entries) != 1 || !bytes.Equal(page.Entries[0].Raw, o.Raw) {
			t.Errorf("collection %s: want the first stored bytes %q, got %v", c.Alias, o.Raw, page.Entries)
		}
	}
}

func testAddObjectsInvalid(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	ok := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	noID := newObject(t, "indicator", 2, "2020-01-01T00:00:00Z")
	noID.ID = ""
	noRaw := newObject(t, "indicator", 3, "2020-01-01T00:00:00Z")
	noRaw.Raw = nil
	for _, tt := range []struct {
		name string
		objs []*tearline.Object
	}{
		{"nil", []*tearline.Object{ok, nil}},
		{"no id", []*tearline.Object{ok, noID}},
		{"no bytes", []*tearline.Object{ok, noRaw}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.AddObjects(t.Context(), c.ID, tt.objs)
			wantCode(t, err, tearline.EINVALID)
			if n, err := s.CountObjects(t.Context(), c.ID); err != nil || n != 0 {
				t.Errorf("after a failed add: CountObjects = %d, %v; want 0", n, err)
			}
		})
	}
}

func testAddObjectsCanceled(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	objs := make([]*tearline.Object, 100)
	for i := range objs {
		objs[i] = newObject(t, "indicator", i, "2020-01-01T00:00:00Z")
	}
	if _, err := s.AddObjects(ctx, c.ID, objs); !errors.Is(err, context.Canceled) {
		t.Errorf("AddObjects with a canceled context: error %v, want context.Canceled", err)
	}
	if n, err := s.CountObjects(t.Context(), c.ID); err != nil || n != 0 {
		t.Errorf("after a canceled add: CountObjects = %d, %v; want 0", n, err)
	}
	// The store still works.
	mustAdd(t, s, c.ID, objs...)
}

func testRawBytes(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	raws := []string{
		`{"type":"indicator","id":"indicator--1"}`,
		"{ \"type\" : \"indicator\" ,\r\n\t\"name\": \"\\u00e9\\ud83d\\ude00 é 😀\", \"x\": 1.0E+2, \"n\": null }\n\n",
		`{"name":"` + strings.Repeat("large ", 200_000) + `"}`,
		`{"name":"NUL \u0000 and bytes \u00ff"}`,
	}
	var objs []*tearline.Object
	for i, raw := range raws {
		o := newObject(t, "indicator", i, "2020-01-01T00:00:00Z")
		o.Raw = []byte(raw)
		objs = append(objs, o)
	}
	mustAdd(t, s, c.ID, objs...)
	page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID})
	if len(page.Entries) != len(objs) {
		t.Fatalf("got %d entries, want %d", len(page.Entries), len(objs))
	}
	for i, e := range page.Entries {
		if !bytes.Equal(e.Raw, objs[i].Raw) {
			t.Errorf("entry %d: raw bytes differ from those added:\n got %.200q\nwant %.200q", i, e.Raw, objs[i].Raw)
		}
	}
}

func testSharedVersion(t *testing.T, s tearline.Store) {
	ctx := t.Context()
	c1 := mustCreate(t, s, "c1")
	c2 := mustCreate(t, s, "c2")
	y := newObject(t, "malware", 2, "2020-01-01T00:00:00Z")
	x := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	mustAdd(t, s, c1.ID, y)
	r1 := mustAdd(t, s, c1.ID, x)
	r2 := mustAdd(t, s, c2.ID, x)
	if r1[0].Status != tearline.Added || r2[0].Status != tearline.Added {
		t.Fatalf("statuses %v, %v; want added in both collections", r1[0].Status, r2[0].Status)
	}
	for _, tt := range []struct {
		c   *tearline.Collection
		res tearline.AddResult
	}{{c1, r1[0]}, {c2, r2[0]}} {
		page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: tt.c.ID, IDs: []string{x.ID}})
		want := []*tearline.Entry{{Object: *x, DateAdded: tt.res.DateAdded}}
		if d := cmp.Diff(want, page.Entries); d != "" {
			t.Errorf("collection %s (-want +got):\n%s", tt.c.Alias, d)
		}
	}

	// Removing x from c1 keeps it in c2, so other bytes still conflict.
	if _, err := s.DeleteObject(ctx, c1.ID, x.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c2.ID}); len(page.Entries) != 1 || !bytes.Equal(page.Entries[0].Raw, x.Raw) {
		t.Errorf("c2 lost x when it was deleted from c1: %v", keys(page.Entries))
	}
	if r := mustAdd(t, s, c1.ID, altered(x)); r[0].Status != tearline.Conflict {
		t.Errorf("other bytes for a version kept in c2: %v, want conflict", r[0].Status)
	}
	// Once in no collection, the version is gone and may come back with
	// other bytes.
	if _, err := s.DeleteObject(ctx, c2.ID, x.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if r := mustAdd(t, s, c1.ID, altered(x)); r[0].Status != tearline.Added {
		t.Errorf("other bytes for a deleted version: %v, want added", r[0].Status)
	}
}

func testDeleteCollectionOrphans(t *testing.T, s tearline.Store) {
	c1 := mustCreate(t, s, "c1")
	c2 := mustCreate(t, s, "c2")
	c3 := mustCreate(t, s, "c3")
	x := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	y := newObject(t, "malware", 2, "2020-01-01T00:00:00Z")
	mustAdd(t, s, c1.ID, x, y)
	ry := mustAdd(t, s, c2.ID, y)
	if err := s.DeleteCollection(t.Context(), c1.ID); err != nil {
		t.Fatal(err)
	}
	res := mustAdd(t, s, c3.ID, altered(x), altered(y))
	if d := cmp.Diff([]tearline.AddStatus{tearline.Added, tearline.Conflict}, statuses(res)); d != "" {
		t.Errorf("after deleting c1, x is gone and y is kept (-want +got):\n%s", d)
	}
	page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c2.ID})
	want := []*tearline.Entry{{Object: *y, DateAdded: ry[0].DateAdded}}
	if d := cmp.Diff(want, page.Entries); d != "" {
		t.Errorf("c2 entries (-want +got):\n%s", d)
	}
}

func testCountObjects(t *testing.T, s tearline.Store) {
	ctx := t.Context()
	c := mustCreate(t, s, "c")
	other := mustCreate(t, s, "other")
	count := func(want int) {
		t.Helper()
		if n, err := s.CountObjects(ctx, c.ID); err != nil || n != want {
			t.Errorf("CountObjects = %d, %v; want %d", n, err, want)
		}
	}
	count(0)
	a1 := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	a2 := newVersion(t, a1, "2020-02-01T00:00:00Z")
	b := newObject(t, "malware", 2, "2020-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, a1, a2, b)
	mustAdd(t, s, other.ID, a1, b)
	count(3)
	mustAdd(t, s, c.ID, a1, altered(b)) // a duplicate and a conflict
	count(3)
	if _, err := s.DeleteObject(ctx, c.ID, a1.ID, []string{tearline.VersionLast}, nil); err != nil {
		t.Fatal(err)
	}
	count(2)
}
