package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

func testCreateCollection(t *testing.T, s tearline.Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	c := &tearline.Collection{
		Alias:       "enterprise-attack",
		Title:       "Enterprise ATT&CK",
		Description: "MITRE ATT&CK, ünïcode",
		MediaTypes:  []string{"application/stix+json;version=2.1", "application/taxii+json;version=2.1"},
		APIRoot:     "partners",
	}
	if err := s.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if u, err := uuid.Parse(c.ID); err != nil || u.String() != c.ID {
		t.Errorf("ID = %q, want a canonical UUID", c.ID)
	}
	if c.Created.Before(before) || c.Created.After(time.Now().Add(time.Second)) {
		t.Errorf("Created = %v, want about now", c.Created)
	}
	for _, key := range []string{c.ID, c.Alias} {
		got, err := s.FindCollection(ctx, key)
		if err != nil {
			t.Fatalf("FindCollection(%q): %v", key, err)
		}
		if d := cmp.Diff(c, got); d != "" {
			t.Errorf("FindCollection(%q) mismatch (-want +got):\n%s", key, d)
		}
	}

	// A given id is kept, and a collection may have no media types.
	id := uuid.NewString()
	c2 := &tearline.Collection{ID: id, Alias: "with-id"}
	if err := s.CreateCollection(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if c2.ID != id {
		t.Errorf("ID = %q, want the given %q", c2.ID, id)
	}
	got, err := s.FindCollection(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c2, got); d != "" {
		t.Errorf("FindCollection mismatch (-want +got):\n%s", d)
	}

	_, err = s.FindCollection(ctx, "no-such-collection")
	wantCode(t, err, tearline.ENOTFOUND)
	_, err = s.FindCollection(ctx, uuid.NewString())
	wantCode(t, err, tearline.ENOTFOUND)
}

func testCollectionAlias(t *testing.T, s tearline.Store) {
	tests := []struct {
		alias string
		code  string
	}{
		{"a", ""},
		{"enterprise-attack", ""},
		{"ics_attack-2", ""},
		{"0", ""},
		{strings.Repeat("x", 64), ""},
		{"", tearline.EINVALID},
		{strings.Repeat("x", 65), tearline.EINVALID},
		{"Enterprise", tearline.EINVALID},
		{"has space", tearline.EINVALID},
		{"a/b", tearline.EINVALID},
		{"a.b", tearline.EINVALID},
		{"ünï", tearline.EINVALID},
		{"tab\t", tearline.EINVALID},
		// An alias that is a UUID would be ambiguous with another
		// collection's id in FindCollection.
		{"0b4d5a1e-7f5c-4c47-9a1c-5f6e7d8c9b0a", tearline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.alias, func(t *testing.T) {
			err := s.CreateCollection(t.Context(), &tearline.Collection{Alias: tt.alias})
			wantCode(t, err, tt.code)
		})
	}
	err := s.CreateCollection(t.Context(), &tearline.Collection{ID: "not-a-uuid", Alias: "bad-id"})
	wantCode(t, err, tearline.EINVALID)

	cs, err := s.Collections(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 5 {
		t.Errorf("got %d collections after the failed creates, want 5", len(cs))
	}
}

func testCollectionConflict(t *testing.T, s tearline.Store) {
	ctx := t.Context()
	c := mustCreate(t, s, "taken")
	tests := []struct {
		name string
		c    tearline.Collection
	}{
		{"alias", tearline.Collection{Alias: "taken"}},
		{"id", tearline.Collection{ID: c.ID, Alias: "other"}},
		{"both", tearline.Collection{ID: c.ID, Alias: "taken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.CreateCollection(ctx, &tt.c)
			wantCode(t, err, tearline.ECONFLICT)
		})
	}
	cs, err := s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*tearline.Collection{c}, cs); d != "" {
		t.Errorf("Collections mismatch (-want +got):\n%s", d)
	}
}

func testCollections(t *testing.T, s tearline.Store) {
	ctx := t.Context()
	cs, err := s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 0 {
		t.Fatalf("new store has %d collections", len(cs))
	}
	b := mustCreate(t, s, "b")
	a := mustCreate(t, s, "a")
	c := mustCreate(t, s, "c-9")
	a9 := mustCreate(t, s, "a9")
	cs, err = s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*tearline.Collection{a, a9, b, c}, cs); d != "" {
		t.Errorf("Collections mismatch (-want +got):\n%s", d)
	}
}

func testDeleteCollection(t *testing.T, s tearline.Store) {
	ctx := t.Context()
	a := mustCreate(t, s, "a")
	b := mustCreate(t, s, "b")
	mustAdd(t, s, a.ID, newObject(t, "indicator", 1, "2020-01-01T00:00:00Z"))
	if err := s.DeleteCollection(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.FindCollection(ctx, a.ID)
	wantCode(t, err, tearline.ENOTFOUND)
	_, err = s.FindCollection(ctx, "a")
	wantCode(t, err, tearline.ENOTFOUND)
	wantCode(t, s.DeleteCollection(ctx, a.ID), tearline.ENOTFOUND)
	wantCode(t, s.DeleteCollection(ctx, uuid.NewString()), tearline.ENOTFOUND)
	_, err = s.CountObjects(ctx, a.ID)
	wantCode(t, err, tearline.ENOTFOUND)

	cs, err := s.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*tearline.Collection{b}, cs); d != "" {
		t.Errorf("Collections mismatch (-want +got):\n%s", d)
	}
	// The alias is free again.
	mustCreate(t, s, "a")
}

func testUnknownCollection(t *testing.T, s tearline.Store) {
	ctx := context.Background()
	id := uuid.NewString()
	_, err := s.AddObjects(ctx, id, []*tearline.Object{newObject(t, "indicator", 1, "2020-01-01T00:00:00Z")})
	wantCode(t, err, tearline.ENOTFOUND)
	_, err = s.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: id})
	wantCode(t, err, tearline.ENOTFOUND)
	_, err = s.CountObjects(ctx, id)
	wantCode(t, err, tearline.ENOTFOUND)
	_, err = s.DeleteObject(ctx, id, "indicator--00000001-0000-4000-8000-000000000009", nil, nil)
	wantCode(t, err, tearline.ENOTFOUND)
}
