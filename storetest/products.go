package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// RunProducts runs the conformance suite of tearline.Products against the
// store returned by open: creating drafts, listing by collection and
// status, the one-time decision and error codes. open is called once per
// subtest, possibly from parallel subtests, and must return a new, empty
// store that it closes with t.Cleanup.
func RunProducts(t *testing.T, open func(t *testing.T) tearline.Products) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s tearline.Products)
	}{
		{"Lifecycle", testProductLifecycle},
		{"CreateErrors", testCreateProductErrors},
		{"List", testListProducts},
		{"DecideErrors", testDecideProductErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// newProduct returns a product draft for collection, with bytes a
// re-serializing store would not reproduce.
func newProduct(collection string) *tearline.Product {
	id := "indicator--" + uuid.NewString()
	return &tearline.Product{
		SourceID:      "indicator--" + uuid.NewString(),
		SourceVersion: "2025-01-02T03:04:05.000000000Z",
		CollectionID:  collection,
		Raw:           []byte(`{"type":"indicator",  "id":"` + id + `", "x_n": 1.50 }`),
		AuthorOrg:     "identity--" + uuid.NewString(),
		AuthorKey:     "key-a",
	}
}

func testProductLifecycle(t *testing.T, s tearline.Products) {
	ctx := t.Context()
	p := newProduct(uuid.NewString())
	raw := string(p.Raw)
	if err := s.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.ID == "" || p.Status != tearline.ProductDraft || p.Created.IsZero() {
		t.Fatalf("CreateProduct filled id %q, status %q, created %v", p.ID, p.Status, p.Created)
	}
	got, err := s.FindProduct(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("FindProduct after create (-want +got):\n%s", diff)
	}
	if string(got.Raw) != raw {
		t.Errorf("Raw = %s, want the bytes as given %s", got.Raw, raw)
	}
	d := &tearline.Product{ID: p.ID, Status: tearline.ProductApproved, ApproverKey: "key-b", RelationshipID: "relationship--" + uuid.NewString()}
	if err := s.DecideProduct(ctx, d); err != nil {
		t.Fatal(err)
	}
	if d.Decided.IsZero() {
		t.Error("DecideProduct did not fill Decided")
	}
	want := *p
	want.Status, want.ApproverKey, want.RelationshipID, want.Decided = d.Status, d.ApproverKey, d.RelationshipID, d.Decided
	got, err = s.FindProduct(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("FindProduct after approval (-want +got):\n%s", diff)
	}
	again := &tearline.Product{ID: p.ID, Status: tearline.ProductRejected, ApproverKey: "key-c"}
	if err := s.DecideProduct(ctx, again); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("deciding an approved product: err = %v, want code %s", err, tearline.ECONFLICT)
	}
}

func testCreateProductErrors(t *testing.T, s tearline.Products) {
	ctx := t.Context()
	tests := []struct {
		name string
		edit func(p *tearline.Product)
	}{
		{"no source", func(p *tearline.Product) { p.SourceID = "" }},
		{"no collection", func(p *tearline.Product) { p.CollectionID = "" }},
		{"no author org", func(p *tearline.Product) { p.AuthorOrg = "" }},
		{"no author key", func(p *tearline.Product) { p.AuthorKey = "" }},
		{"no object", func(p *tearline.Product) { p.Raw = nil }},
	}
	for _, tt := range tests {
		p := newProduct(uuid.NewString())
		tt.edit(p)
		if err := s.CreateProduct(ctx, p); tearline.ErrorCode(err) != tearline.EINVALID {
			t.Errorf("%s: err = %v, want code %s", tt.name, err, tearline.EINVALID)
		}
	}
	p := newProduct(uuid.NewString())
	if err := s.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	dup := newProduct(uuid.NewString())
	dup.ID = p.ID
	if err := s.CreateProduct(ctx, dup); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("taken id: err = %v, want code %s", err, tearline.ECONFLICT)
	}
	if _, err := s.FindProduct(ctx, uuid.NewString()); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("FindProduct of an unknown id: err = %v, want code %s", err, tearline.ENOTFOUND)
	}
}

func testListProducts(t *testing.T, s tearline.Products) {
	ctx := t.Context()
	c1, c2 := uuid.NewString(), uuid.NewString()
	var ids []string
	for _, c := range []string{c1, c2, c1, c1} {
		p := newProduct(c)
		if err := s.CreateProduct(ctx, p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	if err := s.DecideProduct(ctx, &tearline.Product{ID: ids[2], Status: tearline.ProductRejected, ApproverKey: "key-b"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		collection, status string
		want               []string
	}{
		{"", "", ids},
		{c1, "", []string{ids[0], ids[2], ids[3]}},
		{c1, tearline.ProductDraft, []string{ids[0], ids[3]}},
		{"", tearline.ProductRejected, []string{ids[2]}},
		{c2, tearline.ProductApproved, nil},
	}
	for _, tt := range tests {
		ps, err := s.Products(ctx, tt.collection, tt.status)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.ID)
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Products(%q, %q) (-want +got):\n%s", tt.collection, tt.status, diff)
		}
	}
}

func testDecideProductErrors(t *testing.T, s tearline.Products) {
	ctx := t.Context()
	p := newProduct(uuid.NewString())
	if err := s.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		d    tearline.Product
		code string
	}{
		{"unknown", tearline.Product{ID: uuid.NewString(), Status: tearline.ProductApproved, ApproverKey: "k"}, tearline.ENOTFOUND},
		{"draft status", tearline.Product{ID: p.ID, Status: tearline.ProductDraft, ApproverKey: "k"}, tearline.EINVALID},
		{"bad status", tearline.Product{ID: p.ID, Status: "released", ApproverKey: "k"}, tearline.EINVALID},
		{"no approver", tearline.Product{ID: p.ID, Status: tearline.ProductApproved}, tearline.EINVALID},
	}
	for _, tt := range tests {
		if err := s.DecideProduct(ctx, &tt.d); tearline.ErrorCode(err) != tt.code {
			t.Errorf("%s: err = %v, want code %s", tt.name, err, tt.code)
		}
	}
	got, err := s.FindProduct(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tearline.ProductDraft {
		t.Errorf("after refused decisions the status is %q, want %q", got.Status, tearline.ProductDraft)
	}
}
