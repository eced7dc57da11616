package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

func testVersionFilter(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	a2 := newObject(t, "indicator", 1, "2020-02-01T00:00:00.5Z")
	a1 := newVersion(t, a2, "2020-01-01T00:00:00Z")
	a3 := newVersion(t, a2, "2020-03-01T00:00:00.123456789Z")
	b1 := newObject(t, "malware", 2, "2020-01-01T00:00:00.000Z")
	c1 := newObject(t, "indicator", 3, "2019-12-31T23:00:00Z")
	c2 := newVersion(t, c1, "2020-01-01T00:00:00.000001Z")
	// Versions arrive out of order: a1 becomes the first version of a
	// after a2 was both first and last.
	mustAdd(t, s, c.ID, a2, b1, c1)
	mustAdd(t, s, c.ID, a1)
	mustAdd(t, s, c.ID, a3, c2)

	tests := []struct {
		name     string
		versions []string
		want     []*tearline.Object // in date_added order
		code     string
	}{
		{"default is last", nil, []*tearline.Object{b1, a3, c2}, ""},
		{"last", []string{"last"}, []*tearline.Object{b1, a3, c2}, ""},
		{"first", []string{"first"}, []*tearline.Object{b1, c1, a1}, ""},
		{"all", []string{"all"}, []*tearline.Object{a2, b1, c1, a1, a3, c2}, ""},
		{"all and first", []string{"first", "all"}, []*tearline.Object{a2, b1, c1, a1, a3, c2}, ""},
		{"first and last", []string{"first", "last"}, []*tearline.Object{b1, c1, a1, a3, c2}, ""},
		{"timestamp", []string{"2020-01-01T00:00:00Z"}, []*tearline.Object{b1, a1}, ""},
		{"milliseconds", []string{"2020-01-01T00:00:00.000Z"}, []*tearline.Object{b1, a1}, ""},
		{"nanoseconds", []string{"2020-01-01T00:00:00.000000000Z"}, []*tearline.Object{b1, a1}, ""},
		{"offset", []string{"2020-01-01T01:00:00+01:00"}, []*tearline.Object{b1, a1}, ""},
		{"negative offset", []string{"2019-12-31T18:00:00.000-05:00"}, []*tearline.Object{c1}, ""},
		{"half second", []string{"2020-02-01T00:00:00.500000Z"}, []*tearline.Object{a2}, ""},
		{"nanosecond version", []string{"2020-03-01T00:00:00.123456789Z"}, []*tearline.Object{a3}, ""},
		{"truncated is another version", []string{"2020-03-01T00:00:00.123Z"}, nil, ""},
		{"microsecond version", []string{"2020-01-01T00:00:00.000001Z"}, []*tearline.Object{c2}, ""},
		{"timestamps", []string{"2020-03-01T00:00:00.123456789Z", "2020-01-01T00:00:00Z"}, []*tearline.Object{b1, a1, a3}, ""},
		{"timestamp and first", []string{"2020-01-01T00:00:00.000001Z", "first"}, []*tearline.Object{b1, c1, a1, c2}, ""},
		{"timestamp and last", []string{"last", "2020-02-01T00:00:00.5Z"}, []*tearline.Object{a2, b1, a3, c2}, ""},
		{"same twice", []string{"first", "first", "2020-01-01T00:00:00Z"}, []*tearline.Object{b1, c1, a1}, ""},
		{"no such version", []string{"1999-01-01T00:00:00Z"}, nil, ""},
		{"unknown keyword", []string{"latest"}, nil, tearline.EINVALID},
		{"upper case", []string{"LAST"}, nil, tearline.EINVALID},
		{"empty value", []string{""}, nil, tearline.EINVALID},
		{"date only", []string{"2020-01-01"}, nil, tearline.EINVALID},
		{"bad month", []string{"2020-13-01T00:00:00Z"}, nil, tearline.EINVALID},
		{"no zone", []string{"2020-01-01T00:00:00"}, nil, tearline.EINVALID},
		{"one bad value", []string{"last", "bogus"}, nil, tearline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := s.QueryObjects(t.Context(), tearline.ObjectQuery{CollectionID: c.ID, Versions: tt.versions})
			wantCode(t, err, tt.code)
			if err != nil {
				if tearline.ErrorMessage(err) == "" {
					t.Error("EINVALID error with an empty message")
				}
				return
			}
			if d := cmp.Diff(objKeys(tt.want...), keys(page.Entries)); d != "" {
				t.Errorf("versions %q (-want +got):\n%s", tt.versions, d)
			}
			checkStrictlyIncreasing(t, page.Entries)
		})
	}
}

func testFilters(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	i1 := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	i2 := newVersion(t, i1, "2020-02-01T00:00:00Z")
	m := newObject(t, "malware", 2, "2020-01-01T00:00:00Z")
	old := newObject(t, "tool", 3, "2017-01-01T00:00:00Z")
	old.SpecVersion = "2.0"
	mustAdd(t, s, c.ID, i1, m, old, i2)

	tests := []struct {
		name string
		q    tearline.ObjectQuery
		want []*tearline.Object
	}{
		{"none", tearline.ObjectQuery{}, []*tearline.Object{m, old, i2}},
		{"type", tearline.ObjectQuery{Types: []string{"indicator"}, Versions: all}, []*tearline.Object{i1, i2}},
		{"types", tearline.ObjectQuery{Types: []string{"tool", "indicator"}, Versions: all}, []*tearline.Object{i1, old, i2}},
		{"type last", tearline.ObjectQuery{Types: []string{"indicator"}}, []*tearline.Object{i2}},
		{"type first", tearline.ObjectQuery{Types: []string{"indicator"}, Versions: []string{"first"}}, []*tearline.Object{i1}},
		{"unknown type", tearline.ObjectQuery{Types: []string{"campaign"}, Versions: all}, nil},
		{"id", tearline.ObjectQuery{IDs: []string{i1.ID}}, []*tearline.Object{i2}},
		{"id all", tearline.ObjectQuery{IDs: []string{i1.ID}, Versions: all}, []*tearline.Object{i1, i2}},
		{"ids", tearline.ObjectQuery{IDs: []string{old.ID, m.ID}, Versions: all}, []*tearline.Object{m, old}},
		{"unknown id", tearline.ObjectQuery{IDs: []string{"indicator--00000000-0000-4000-8000-000000000000"}}, nil},
		{"spec version", tearline.ObjectQuery{SpecVersions: []string{"2.0"}, Versions: all}, []*tearline.Object{old}},
		{"spec versions", tearline.ObjectQuery{SpecVersions: []string{"2.1", "2.0"}}, []*tearline.Object{m, old, i2}},
		{"type and id", tearline.ObjectQuery{Types: []string{"indicator"}, IDs: []string{m.ID}, Versions: all}, nil},
		{"type, id, spec", tearline.ObjectQuery{Types: []string{"malware"}, IDs: []string{m.ID}, SpecVersions: []string{"2.1"}}, []*tearline.Object{m}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.CollectionID = c.ID
			page := mustQuery(t, s, tt.q)
			if d := cmp.Diff(objKeys(tt.want...), keys(page.Entries)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if page.More {
				t.Error("More is set without a limit")
			}
		})
	}
}

func testNoRaw(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	a := newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")
	a.Revoked = true
	b := newObject(t, "malware", 2, "2020-01-01T00:00:00Z")
	b.Created = time.Time{}
	mustAdd(t, s, c.ID, a, b)
	withRaw := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID})
	noRaw := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, NoRaw: true})
	if len(withRaw.Entries) != 2 || len(noRaw.Entries) != 2 {
		t.Fatalf("got %d entries with bytes and %d without, want 2", len(withRaw.Entries), len(noRaw.Entries))
	}
	for _, e := range withRaw.Entries {
		if len(e.Raw) == 0 {
			t.Errorf("%s: no bytes without NoRaw", e.ID)
		}
		e.Raw = nil
	}
	if d := cmp.Diff(withRaw.Entries, noRaw.Entries); d != "" {
		t.Errorf("NoRaw entries differ other than in Raw (-want +got):\n%s", d)
	}
	want := []tearline.Object{*a, *b}
	for i, e := range noRaw.Entries {
		want[i].Raw = nil
		if d := cmp.Diff(want[i], e.Object); d != "" {
			t.Errorf("entry %d (-want +got):\n%s", i, d)
		}
	}
}

func testAddedAfter(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	for i := range 5 {
		mustAdd(t, s, c.ID, newObject(t, "indicator", i, "2020-01-01T00:00:00Z"))
	}
	entries := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID}).Entries
	if len(entries) != 5 {
		t.Fatalf("got %d entries, want 5", len(entries))
	}
	d2 := entries[2].DateAdded
	tests := []struct {
		name  string
		after time.Time
		want  []*tearline.Entry
	}{
		{"zero", time.Time{}, entries},
		{"long ago", time.Unix(0, 0), entries},
		{"strictly after", d2, entries[3:]},
		{"just before", d2.Add(-time.Nanosecond), entries[2:]},
		{"just after", d2.Add(time.Nanosecond), entries[3:]},
		{"other zone", d2.In(time.FixedZone("X", -7*3600)), entries[3:]},
		{"last", entries[4].DateAdded, nil},
		{"future", time.Now().Add(time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, AddedAfter: tt.after})
			if d := cmp.Diff(keys(tt.want), keys(page.Entries)); d != "" {
				t.Errorf("AddedAfter %v (-want +got):\n%s", tt.after, d)
			}
		})
	}
}

func testPagination(t *testing.T, s tearline.Store) {
	c := mustCreate(t, s, "c")
	n := 0
	for _, size := range []int{1, 10, 3, 20, 6} {
		var objs []*tearline.Object
		for range size {
			n++
			o := newObject(t, "indicator", n, "2020-01-01T00:00:00Z")
			objs = append(objs, o, newVersion(t, o, "2021-01-01T00:00:00Z"))
		}
		mustAdd(t, s, c.ID, objs...)
	}
	full := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, Versions: all})
	if len(full.Entries) != 2*n || full.More {
		t.Fatalf("got %d entries (more: %v), want %d", len(full.Entries), full.More, 2*n)
	}
	checkStrictlyIncreasing(t, full.Entries)

	for _, limit := range []int{1, 3, 7, 2*n - 1, 2 * n, 2*n + 1, 1000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var got []*tearline.Entry
			var after time.Time
			for pages := 1; ; pages++ {
				page := mustQuery(t, s, tearline.ObjectQuery{CollectionID: c.ID, Versions: all, Limit: limit, AddedAfter: after})
				got = append(got, page.Entries...)
				if len(page.Entries) > limit {
					t.Fatalf("page %d has %d entries, limit %d", pages, len(page.Entries), limit)
				}
				if !page.More {
					break
				}
				if len(page.Entries) != limit {
					t.Fatalf("page %d has %d entries and more follow, want %d", pages, len(page.Entries), limit)
				}
				if pages > 2*n {
					t.Fatal("pagination does not end")
				}
				after = page.Entries[len(page.Entries)-1].DateAdded
			}
			if d := cmp.Diff(full.Entries, got); d != "" {
				t.Errorf("pages (-want +got):\n%s", d)
			}
		})
	}
}
