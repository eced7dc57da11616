package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

// ObservablesStore is a store with an observable index.
type ObservablesStore interface {
	tearline.Store
	tearline.Observables
}

// RunObservables runs the conformance suite of tearline.Observables
// against the store returned by open: sources and their first/last times,
// links to stored object versions (deduplicated, newest first, limited),
// every kind's values, unattributed sources, removed versions and error
// codes. open is called once per subtest, possibly from parallel
// subtests, and must return a new, empty store that it closes with
// t.Cleanup.
func RunObservables(t *testing.T, open func(t *testing.T) ObservablesStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ObservablesStore)
	}{
		{"Corroboration", testObservableCorroboration},
		{"Idempotent", testObservableIdempotent},
		{"Kinds", testObservableKinds},
		{"Limit", testObservableLimit},
		{"UnstoredObject", testObservableUnstoredObject},
		{"RemovedVersion", testObservableRemovedVersion},
		{"Errors", testObservableErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// at returns a time on 2026-01-01 at the given hour, to the second.
func at(hour int) time.Time { return time.Date(2026, 1, 1, hour, 0, 0, 0, time.UTC) }

// refOf returns a ref of value in object version o from source at hour.
func refOf(kind, value string, o *tearline.Object, source string, hour int) tearline.ObservableRef {
	r := tearline.ObservableRef{Kind: kind, Value: value, Source: source, Time: at(hour)}
	if o != nil {
		r.ObjectID, r.Version = o.ID, o.Version
	}
	return r
}

func mustRecord(t *testing.T, s tearline.Observables, refs ...tearline.ObservableRef) {
	t.Helper()
	if err := s.RecordObservables(t.Context(), refs); err != nil {
		t.Fatalf("RecordObservables: %v", err)
	}
}

func mustLookup(t *testing.T, s tearline.Observables, kind, value string, max int) *tearline.ObservableEntry {
	t.Helper()
	e, err := s.LookupObservable(t.Context(), kind, value, max)
	if err != nil {
		t.Fatalf("LookupObservable(%s, %q): %v", kind, value, err)
	}
	return e
}

const (
	orgA = "identity--0000000a-0000-4000-8000-000000000000"
	orgB = "identity--0000000b-0000-4000-8000-000000000000"
)

func testObservableCorroboration(t *testing.T, s ObservablesStore) {
	c := mustCreate(t, s, "obs")
	x := newObject(t, "indicator", 1, "2026-01-01T00:00:00Z")
	y := newObject(t, "indicator", 2, "2026-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, x)
	mustAdd(t, s, c.ID, y)
	// A submits x; B submits y with the same value, and x again (the same
	// object from another organization); A submits x once more later.
	mustRecord(t, s, refOf("ipv4", "1.2.3.4", x, orgA, 1), refOf("domain", "example.com", x, orgA, 1))
	mustRecord(t, s, refOf("ipv4", "1.2.3.4", y, orgB, 2), refOf("ipv4", "1.2.3.4", x, orgB, 3))
	mustRecord(t, s, refOf("ipv4", "1.2.3.4", x, orgA, 5))
	got := mustLookup(t, s, "ipv4", "1.2.3.4", 0)
	want := &tearline.ObservableEntry{
		Kind: "ipv4", Value: "1.2.3.4", First: at(1), Last: at(5),
		Sources: []tearline.ObservableSource{{Org: orgA, First: at(1), Last: at(5)}, {Org: orgB, First: at(2), Last: at(3)}},
		Objects: []tearline.ObservableObject{
			{ID: y.ID, Version: y.Version, Sources: []string{orgB}},
			{ID: x.ID, Version: x.Version, Sources: []string{orgA, orgB}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LookupObservable (-want +got):\n%s", diff)
	}
	d := mustLookup(t, s, "domain", "example.com", 0)
	if len(d.Sources) != 1 || len(d.Objects) != 1 || d.Objects[0].ID != x.ID {
		t.Errorf("domain entry = %+v", d)
	}
}

func testObservableIdempotent(t *testing.T, s ObservablesStore) {
	c := mustCreate(t, s, "obs")
	x := newObject(t, "indicator", 1, "2026-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, x)
	r := refOf("sha256", strings.Repeat("ab", 32), x, orgA, 4)
	mustRecord(t, s, r, r)
	mustRecord(t, s, r)
	before := refOf("sha256", strings.Repeat("ab", 32), x, orgA, 2)
	mustRecord(t, s, before)
	got := mustLookup(t, s, "sha256", strings.Repeat("ab", 32), 0)
	if len(got.Sources) != 1 || !got.First.Equal(at(2)) || !got.Last.Equal(at(4)) || len(got.Objects) != 1 ||
		len(got.Objects[0].Sources) != 1 {
		t.Errorf("after recording one ref four times: %+v", got)
	}
}

func testObservableKinds(t *testing.T, s ObservablesStore) {
	c := mustCreate(t, s, "obs")
	x := newObject(t, "indicator", 1, "2026-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, x)
	values := [][2]string{
		{"ipv4", "1.2.3.4"}, {"ipv4", "10.0.0.0/8"}, {"ipv6", "2001:db8::1"}, {"ipv6", "2001:db8::/32"},
		{"domain", "www.example.com"}, {"url", "https://www.example.com/a?b=c"}, {"url", "ftp://example.com/"},
		{"email", "alice@example.com"}, {"email", "a+b@example.com"}, {"mac", "00:1a:2b:3c:4d:5e"},
		{"md5", strings.Repeat("0a", 16)}, {"sha1", strings.Repeat("0b", 20)}, {"sha256", strings.Repeat("0c", 32)},
		{"sha512", strings.Repeat("0d", 64)}, {"sha3-256", strings.Repeat("0c", 32)}, {"sha3-512", strings.Repeat("0d", 64)},
		{"ssdeep", "3:AXGB:AXGH"}, {"tlsh", "T1" + strings.Repeat("ab", 35)},
	}
	var refs []tearline.ObservableRef
	for _, v := range values {
		refs = append(refs, refOf(v[0], v[1], x, orgA, 1))
	}
	mustRecord(t, s, refs...)
	for _, v := range values {
		e := mustLookup(t, s, v[0], v[1], 0)
		if e.Kind != v[0] || e.Value != v[1] || len(e.Objects) != 1 {
			t.Errorf("LookupObservable(%s, %s) = %+v", v[0], v[1], e)
		}
	}
	// The same digits as another hash kind are another value.
	_, err := s.LookupObservable(t.Context(), "sha3-256", strings.Repeat("0a", 32), 0)
	wantCode(t, err, tearline.ENOTFOUND)
}

func testObservableLimit(t *testing.T, s ObservablesStore) {
	c := mustCreate(t, s, "obs")
	var refs []tearline.ObservableRef
	var objs []*tearline.Object
	for i := range 5 {
		o := newObject(t, "indicator", i, "2026-01-01T00:00:00Z")
		mustAdd(t, s, c.ID, o)
		objs = append(objs, o)
		refs = append(refs, refOf("domain", "example.org", o, orgA, i))
	}
	mustRecord(t, s, refs...)
	e := mustLookup(t, s, "domain", "example.org", 3)
	var ids []string
	for _, o := range e.Objects {
		ids = append(ids, o.ID)
	}
	want := []string{objs[4].ID, objs[3].ID, objs[2].ID}
	if diff := cmp.Diff(want, ids); diff != "" || !e.MoreObjects {
		t.Errorf("3 of 5 objects: more %v, ids (-want +got):\n%s", e.MoreObjects, diff)
	}
	e = mustLookup(t, s, "domain", "example.org", 5)
	if len(e.Objects) != 5 || e.MoreObjects {
		t.Errorf("5 of 5 objects: got %d, more %v", len(e.Objects), e.MoreObjects)
	}
}

func testObservableUnstoredObject(t *testing.T, s ObservablesStore) {
	x := newObject(t, "indicator", 1, "2026-01-01T00:00:00Z") // never stored
	mustRecord(t, s, refOf("url", "http://example.com/", x, "", 1), refOf("url", "http://example.com/", nil, orgB, 2))
	e := mustLookup(t, s, "url", "http://example.com/", 0)
	want := []tearline.ObservableSource{{Org: "", First: at(1), Last: at(1)}, {Org: orgB, First: at(2), Last: at(2)}}
	if diff := cmp.Diff(want, e.Sources); diff != "" || len(e.Objects) != 0 {
		t.Errorf("objects %v; sources (-want +got):\n%s", e.Objects, diff)
	}
}

func testObservableRemovedVersion(t *testing.T, s ObservablesStore) {
	c := mustCreate(t, s, "obs")
	d := mustCreate(t, s, "other")
	x := newObject(t, "indicator", 1, "2026-01-01T00:00:00Z")
	y := newObject(t, "indicator", 2, "2026-01-01T00:00:00Z")
	// x is the latest version stored, so a store that numbers its versions
	// may give its number to the next one.
	mustAdd(t, s, d.ID, y)
	mustAdd(t, s, c.ID, x)
	mustRecord(t, s, refOf("ipv4", "5.6.7.8", x, orgA, 1), refOf("ipv4", "5.6.7.8", y, orgB, 2))
	if _, err := s.DeleteObject(t.Context(), c.ID, x.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	// A version stored after the removal must not inherit x's link.
	z := newObject(t, "indicator", 3, "2026-01-01T00:00:00Z")
	mustAdd(t, s, c.ID, z)
	e := mustLookup(t, s, "ipv4", "5.6.7.8", 0)
	if len(e.Objects) != 1 || e.Objects[0].ID != y.ID || len(e.Sources) != 2 {
		t.Errorf("after removing x: objects %+v, sources %+v; want only y, and both sources", e.Objects, e.Sources)
	}
	if err := s.DeleteCollection(t.Context(), d.ID); err != nil {
		t.Fatal(err)
	}
	e = mustLookup(t, s, "ipv4", "5.6.7.8", 0)
	if len(e.Objects) != 0 || len(e.Sources) != 2 {
		t.Errorf("after removing y: objects %+v, sources %+v; want none, and both sources", e.Objects, e.Sources)
	}
}

func testObservableErrors(t *testing.T, s ObservablesStore) {
	ctx := t.Context()
	for _, v := range [][2]string{{"ip", "1.2.3.4"}, {"ipv4", "1.2.3.4/32"}, {"domain", "Example.com"}, {"md5", "abc"}, {"", ""}} {
		err := s.RecordObservables(ctx, []tearline.ObservableRef{refOf("ipv4", "1.1.1.1", nil, orgA, 1), refOf(v[0], v[1], nil, orgA, 1)})
		wantCode(t, err, tearline.EINVALID)
		if err != nil && !strings.Contains(tearline.ErrorMessage(err), "observable 1") {
			t.Errorf("error %q does not name the ref", tearline.ErrorMessage(err))
		}
		_, err = s.LookupObservable(ctx, v[0], v[1], 0)
		wantCode(t, err, tearline.EINVALID)
	}
	// Nothing of a refused batch is recorded.
	_, err := s.LookupObservable(ctx, "ipv4", "1.1.1.1", 0)
	wantCode(t, err, tearline.ENOTFOUND)
	if err := s.RecordObservables(ctx, nil); err != nil {
		t.Errorf("RecordObservables(nil): %v", err)
	}
	_, err = s.LookupObservable(ctx, "domain", fmt.Sprintf("n%d.example", 1), 0)
	wantCode(t, err, tearline.ENOTFOUND)
}
