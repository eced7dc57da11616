package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

func testDeleteObject(t *testing.T, s tearline.Store) {
	a1 := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	a2 := newVersion(t, a1, "2020-02-01T00:00:00.25Z")
	a3 := newVersion(t, a1, "2020-03-01T00:00:00Z")
	b := newObject(t, "malware", 2, "2020-01-01T00:00:00Z")

	tests := []struct {
		name         string
		versions     []string
		specVersions []string
		n            int
		// what is left, in date_added order
		all, first, last []*tearline.Object
	}{
		{"default is all", nil, nil, 3, []*tearline.Object{b}, []*tearline.Object{b}, []*tearline.Object{b}},
		{"all", []string{"all"}, nil, 3, []*tearline.Object{b}, []*tearline.Object{b}, []*tearline.Object{b}},
		{"spec version", nil, []string{"2.1"}, 3, []*tearline.Object{b}, []*tearline.Object{b}, []*tearline.Object{b}},
		{"last", []string{"last"}, nil, 1,
			[]*tearline.Object{a1, b, a2}, []*tearline.Object{a1, b}, []*tearline.Object{b, a2}},
		{"first", []string{"first"}, nil, 1,
			[]*tearline.Object{b, a2, a3}, []*tearline.Object{b, a2}, []*tearline.Object{b, a3}},
		{"middle", []string{"2020-02-01T00:00:00.250000Z"}, nil, 1,
			[]*tearline.Object{a1, b, a3}, []*tearline.Object{a1, b}, []*tearline.Object{b, a3}},
		{"first and last", []string{"first", "last"}, nil, 2,
			[]*tearline.Object{b, a2}, []*tearline.Object{b, a2}, []*tearline.Object{b, a2}},
		{"last two by timestamp", []string{"2020-03-01T00:00:00.000Z", "2020-02-01T00:00:00.25Z"}, []string{"2.0", "2.1"}, 2,
			[]*tearline.Object{a1, b}, []*tearline.Object{a1, b}, []*tearline.Object{a1, b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			c := mustCreate(t, s, "c"+sanitize(tt.name))
			mustAdd(t, s, c.ID, a1, b)
			mustAdd(t, s, c.ID, a2)
			mustAdd(t, s, c.ID, a3)
			n, err := s.DeleteObject(ctx, c.ID, a1.ID, tt.versions, tt.specVersions)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.n {
				t.Errorf("deleted %d versions, want %d", n, tt.n)
			}
			for _, q := range []struct {
				version string
				want    []*tearline.Object
			}{
				{tearline.VersionAll, tt.all},
				{tearline.VersionFirst, tt.first},
				{tearline.VersionLast, tt.last},
			} {
				page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, Versions: []string{q.version}})
				if d := cmp.Diff(objKeys(q.want...), keys(page.Entries)); d != "" {
					t.Errorf("%s versions left (-want +got):\n%s", q.version, d)
				}
			}
			if count, err := s.CountObjects(ctx, c.ID); err != nil || count != len(tt.all) {
				t.Errorf("CountObjects = %d, %v; want %d", count, err, len(tt.all))
			}
			// Another version of a, added now, is the last one.
			a4 := newVersion(t, a1, "2020-04-01T00:00:00Z")
			mustAdd(t, s, c.ID, a4)
			page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, IDs: []string{a1.ID}})
			if d := cmp.Diff(objKeys(a4), keys(page.Entries)); d != "" {
				t.Errorf("last version after adding one (-want +got):\n%s", d)
			}
		})
	}
}

func testDeleteObjectErrors(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	a1 := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	a2 := newVersion(t, a1, "2020-02-01T00:00:00Z")
	mustAdd(t, s, c.ID, a1, a2)
	tests := []struct {
		name         string
		id           string
		versions     []string
		specVersions []string
		code         string
	}{
		{"unknown id", "indicator--00000000-0000-4000-8000-000000000000", nil, nil, tearline.ENOTFOUND},
		{"no such version", a1.ID, []string{"2020-01-01T00:00:00.001Z"}, nil, tearline.ENOTFOUND},
		{"no such spec version", a1.ID, nil, []string{"2.0"}, tearline.ENOTFOUND},
		{"bad version", a1.ID, []string{"newest"}, nil, tearline.EINVALID},
		{"bad version among good", a1.ID, []string{"all", "2020-01-01"}, nil, tearline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.DeleteObject(t.Context(), c.ID, tt.id, tt.versions, tt.specVersions)
			wantCode(t, err, tt.code)
			if n != 0 {
				t.Errorf("DeleteObject returned %d with an error", n)
			}
		})
	}
	page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, Versions: all})
	if d := cmp.Diff(objKeys(a1, a2), keys(page.Entries)); d != "" {
		t.Errorf("failed deletes removed something (-want +got):\n%s", d)
	}
}

// sanitize turns a test name into a valid collection alias.
func sanitize(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			b[i] = '-'
		}
	}
	return string(b)
}
