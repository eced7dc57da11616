// Package storetest is the conformance suite of tearline.Store: every
// storage backend runs it from its own tests with
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) tearline.Store { ... })
//	}
//
// The suite checks behaviour through the interface only: collections,
// add/duplicate/conflict semantics, byte-identical storage, date_added order
// under concurrent writers, pagination, version and other filters, deletes
// and the removal of orphaned versions, and error codes.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tearline/tearline"
)

// Run runs the conformance suite against the store returned by open. open is
// called once per subtest, possibly from parallel subtests, and must return
// a new, empty store that it closes with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) tearline.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s tearline.Store)
	}{
		{"CreateCollection", testCreateCollection},
		{"CollectionAlias", testCollectionAlias},
		{"CollectionConflict", testCollectionConflict},
		{"Collections", testCollections},
		{"DeleteCollection", testDeleteCollection},
		{"AddObjects", testAddObjects},
		{"AddObjectsInBatch", testAddObjectsInBatch},
		{"Reformatted", testReformatted},
		{"AddObjectsInvalid", testAddObjectsInvalid},
		{"AddObjectsCanceled", testAddObjectsCanceled},
		{"RawBytes", testRawBytes},
		{"DateAddedIncreasing", testDateAddedIncreasing},
		{"ConcurrentWriters", testConcurrentWriters},
		{"SharedVersion", testSharedVersion},
		{"DeleteCollectionOrphans", testDeleteCollectionOrphans},
		{"VersionFilter", testVersionFilter},
		{"Filters", testFilters},
		{"NoRaw", testNoRaw},
		{"AddedAfter", testAddedAfter},
		{"Pagination", testPagination},
		{"PaginationWhileWriting", testPaginationWhileWriting},
		{"DeleteObject", testDeleteObject},
		{"DeleteObjectErrors", testDeleteObjectErrors},
		{"CountObjects", testCountObjects},
		{"UnknownCollection", testUnknownCollection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// newObject returns version modified of object number n of the given type,
// with bytes that a re-serializing store would not reproduce: odd spacing,
// escapes, custom properties and trailing whitespace.
func newObject(t testing.TB, typ string, n int, modified string) *tearline.Object {
	t.Helper()
	id := fmt.Sprintf("%s--%08x-0000-4000-8000-0000000000%02x", typ, n, len(typ))
	return &tearline.Object{
		ID:          id,
		Type:        typ,
		SpecVersion: "2.1",
		Version:     parseTime(t, modified),
		Created:     parseTime(t, "2019-06-01T00:00:00Z"),
		Raw: fmt.Appendf(nil, "{\"type\":%q,  \"spec_version\": \"2.1\",\n\t\"id\": %q,"+
			"\"created\":\"2019-06-01T00:00:00Z\",\"modified\": %q,\"name\": \"caf\\u00e9 \u00e9 \\\"q\\\"\","+
			"\"x_custom\" : [1, 2.50, 1e3, {\"k\": null}]\n}  ", typ, id, modified),
	}
}

// newVersion returns a copy of o as another version of the same object.
func newVersion(t testing.TB, o *tearline.Object, modified string) *tearline.Object {
	t.Helper()
	v := *o
	v.Version = parseTime(t, modified)
	v.Raw = fmt.Appendf(nil, `{"type":%q,"spec_version":"2.1","id":%q,"modified":%q,"v":2}`, o.Type, o.ID, modified)
	return &v
}

// altered returns a copy of o with the same id and version but other bytes.
func altered(o *tearline.Object) *tearline.Object {
	v := *o
	v.Raw = append([]byte(`{"x_altered":true,`), o.Raw[1:]...)
	return &v
}

// parseTime parses an RFC 3339 timestamp.
func parseTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// key names an object version in test expectations.
func key(o *tearline.Object) string { return o.ID + "@" + o.VersionKey() }

// keys returns the keys of entries, in order.
func keys(entries []*tearline.Entry) []string {
	ks := make([]string, len(entries))
	for i, e := range entries {
		ks[i] = key(&e.Object)
	}
	return ks
}

// objKeys returns the keys of objs, in order.
func objKeys(objs ...*tearline.Object) []string {
	ks := make([]string, len(objs))
	for i, o := range objs {
		ks[i] = key(o)
	}
	return ks
}

// mustCreate creates a collection with the given alias.
func mustCreate(t testing.TB, s tearline.Store, alias string) *tearline.Collection {
	t.Helper()
	c := &tearline.Collection{Alias: alias, Title: "Collection " + alias, MediaTypes: []string{"application/stix+json;version=2.1"}}
	if err := s.CreateCollection(context.Background(), c); err != nil {
		t.Fatalf("CreateCollection(%q): %v", alias, err)
	}
	return c
}

// mustAdd adds objs to the collection and returns the results.
func mustAdd(t testing.TB, s tearline.Store, collectionID string, objs ...*tearline.Object) []tearline.AddResult {
	t.Helper()
	res, err := s.AddObjects(context.Background(), collectionID, objs)
	if err != nil {
		t.Fatalf("AddObjects: %v", err)
	}
	if len(res) != len(objs) {
		t.Fatalf("AddObjects returned %d results for %d objects", len(res), len(objs))
	}
	return res
}

// mustQuery runs q and returns its page.
func mustQuery(t testing.TB, s tearline.Store, q tearline.ObjectQuery) *tearline.ObjectPage {
	t.Helper()
	page, err := s.QueryObjects(context.Background(), q)
	if err != nil {
		t.Fatalf("QueryObjects(%+v): %v", q, err)
	}
	return page
}

// statuses returns the statuses of results.
func statuses(res []tearline.AddResult) []tearline.AddStatus {
	ss := make([]tearline.AddStatus, len(res))
	for i, r := range res {
		ss[i] = r.Status
	}
	return ss
}

// wantCode fails t unless err carries the error code want.
func wantCode(t testing.TB, err error, want string) {
	t.Helper()
	if got := tearline.ErrorCode(err); got != want {
		t.Errorf("error code = %q, want %q (error: %v)", got, want, err)
	}
}

// checkStrictlyIncreasing fails t unless the entries' DateAdded values are
// strictly increasing (and therefore unique).
func checkStrictlyIncreasing(t testing.TB, entries []*tearline.Entry) {
	t.Helper()
	for i := 1; i < len(entries); i++ {
		if !entries[i].DateAdded.After(entries[i-1].DateAdded) {
			t.Fatalf("entry %d (%s) added %v, not after entry %d (%s) added %v", i, key(&entries[i].Object),
				entries[i].DateAdded, i-1, key(&entries[i-1].Object), entries[i-1].DateAdded)
		}
	}
}
