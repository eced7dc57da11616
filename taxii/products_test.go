package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
)

// productEnv is env with a "public" collection that Partner Org reads
// (and may not read "intel"), where the Contributor Org's analyst ("analyst")
// and a Reviewer Org analyst ("reviewer") may release products, and an
// AMBER+STRICT source indicator in "intel".
type productEnv struct {
	*env
	public    *tearline.Collection
	sourceID  string
	sourceRaw string
}

func newProductEnv(t *testing.T) *productEnv {
	e := &productEnv{env: newEnv(t, nil, false)}
	ctx := context.Background()
	e.public = &tearline.Collection{Alias: "public", Title: "Public"}
	if err := e.db.CreateCollection(ctx, e.public); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Partner Org", "Reviewer Org"} {
		o := &tearline.Organization{Name: name, Type: "private", Country: "us"}
		if err := e.db.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		e.orgs[name] = o
	}
	e.tokens["partner"] = e.newKey(e.orgs["Partner Org"], tearline.RoleReader)
	e.tokens["reviewer"] = e.newKey(e.orgs["Reviewer Org"], tearline.RoleAnalyst)
	e.tokens["reviewer-contrib"] = e.newKey(e.orgs["Reviewer Org"], tearline.RoleContributor)
	e.tokens["analyst2"] = e.newKey(e.orgs["Contributor Org"], tearline.RoleAnalyst)
	e.grant(e.public, "Partner Org", true, false)
	e.grant(e.public, "Contributor Org", true, true)
	e.grant(e.public, "Reviewer Org", true, true)
	e.sourceRaw = marked(1, 0, refs(marking.TLP2AmberStrict))
	e.sourceID = objID("indicator", 1)
	e.add(e.intel, e.sourceRaw)
	return e
}

// derived is indicator n at TLP:GREEN.
func derived(n int) string { return marked(n, 0, refs(marking.TLP2Green)) }

// draft posts a product as who and returns the answer.
func (e *productEnv) draft(who, sourceID, collection, object string) *response {
	e.t.Helper()
	return e.admin(who, "POST", "/api/v1/products", map[string]any{
		"source_id": sourceID, "collection": collection, "object": json.RawMessage(object),
	})
}

// drafted posts a product as the analyst and returns it.
func (e *productEnv) drafted(n int) productJSON {
	e.t.Helper()
	r := e.draft("analyst", e.sourceID, "public", derived(n))
	expect(e.t, r, http.StatusCreated)
	var p productJSON
	r.decode(e.t, &p)
	return p
}

// objectsOf returns the objects of collection c that who receives, by id.
func (e *env) objectsOf(who string, c *tearline.Collection) map[string]map[string]any {
	e.t.Helper()
	r := e.get(who, colPath(c, "objects/"))
	expect(e.t, r, http.StatusOK)
	var env struct{ Objects []map[string]any }
	r.decode(e.t, &env)
	out := map[string]map[string]any{}
	for _, o := range env.Objects {
		out[o["id"].(string)] = o
	}
	return out
}

func TestProductRelease(t *testing.T) {
	e := newProductEnv(t)
	p := e.drafted(2)
	if p.Status != tearline.ProductDraft || p.SourceID != e.sourceID || p.CollectionID != e.public.ID || p.SourceVersion == "" {
		t.Fatalf("drafted product %+v", p)
	}
	if len(e.objectsOf("partner", e.public)) != 0 {
		t.Fatal("a draft reached the target collection")
	}

	// The author may not approve its own product.
	r := e.admin("analyst", "POST", "/api/v1/products/"+p.ID+"/approve", nil)
	expect(t, r, http.StatusForbidden)
	if !strings.Contains(string(r.body), "a second analyst must approve") {
		t.Errorf("self-approval refused with %s", r.body)
	}

	// Reviewers see drafts they may approve.
	r = e.admin("reviewer", "GET", "/api/v1/products?status=draft", nil)
	expect(t, r, http.StatusOK)
	var list struct{ Products []productJSON }
	r.decode(t, &list)
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(derived(2))); err != nil {
		t.Fatal(err)
	}
	if len(list.Products) != 1 || list.Products[0].ID != p.ID || string(list.Products[0].Object) != compact.String() {
		t.Fatalf("draft list %s", r.body)
	}

	r = e.admin("reviewer", "POST", "/api/v1/products/"+p.ID+"/approve", nil)
	expect(t, r, http.StatusOK)
	var got productJSON
	r.decode(t, &got)
	if got.Status != tearline.ProductApproved || got.RelationshipID == "" || got.Decided == nil || got.ApproverKey == "" {
		t.Fatalf("approved product %+v", got)
	}
	// Approving again finishes an interrupted release and otherwise changes
	// nothing; rejecting an approved product is refused.
	r = e.admin("reviewer", "POST", "/api/v1/products/"+p.ID+"/approve", nil)
	expect(t, r, http.StatusOK)
	var again productJSON
	r.decode(t, &again)
	if again.RelationshipID != got.RelationshipID || !again.Decided.Equal(*got.Decided) {
		t.Fatalf("approved again: %+v, first %+v", again, got)
	}
	expect(t, e.admin("reviewer", "POST", "/api/v1/products/"+p.ID+"/reject", nil), http.StatusConflict)

	objs := e.objectsOf("partner", e.public)
	derivedID := objID("indicator", 2)
	if len(objs) != 2 || objs[derivedID] == nil || objs[got.RelationshipID] == nil {
		t.Fatalf("partner receives %v, want the derived object and the relationship", objs)
	}
	rel := objs[got.RelationshipID]
	want := map[string]any{
		"type": "relationship", "relationship_type": "derived-from", "source_ref": derivedID,
		"target_ref": e.sourceID, "created_by_ref": e.orgs["Contributor Org"].ID,
	}
	for k, v := range want {
		if rel[k] != v {
			t.Errorf("relationship %s = %v, want %v", k, rel[k], v)
		}
	}
	if refs, _ := rel["object_marking_refs"].([]any); len(refs) != 1 || refs[0] != marking.TLP2Green {
		t.Errorf("relationship markings %v, want the derived object's", rel["object_marking_refs"])
	}
	// The source stays where it was, as marked, out of the partner's reach.
	r = e.get("analyst", colPath(e.intel, "objects/"+e.sourceID+"/"))
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), e.sourceRaw) {
		t.Errorf("source changed: %s", r.body)
	}
	expect(t, e.get("partner", colPath(e.intel, "objects/"+e.sourceID+"/")), http.StatusNotFound)

	r = e.admin("analyst", "GET", "/api/v1/products?status=approved", nil)
	expect(t, r, http.StatusOK)
	r.decode(t, &list)
	if len(list.Products) != 1 || list.Products[0].RelationshipID != got.RelationshipID {
		t.Errorf("approved list %s", r.body)
	}
}

func TestProductReject(t *testing.T) {
	e := newProductEnv(t)
	p := e.drafted(3)
	expect(t, e.admin("analyst", "POST", "/api/v1/products/"+p.ID+"/reject", nil), http.StatusForbidden)
	// Another key of the author's own organization is a second analyst.
	r := e.admin("analyst2", "POST", "/api/v1/products/"+p.ID+"/reject", nil)
	expect(t, r, http.StatusOK)
	var got productJSON
	r.decode(t, &got)
	if got.Status != tearline.ProductRejected || got.RelationshipID != "" {
		t.Fatalf("rejected product %+v", got)
	}
	expect(t, e.admin("reviewer", "POST", "/api/v1/products/"+p.ID+"/approve", nil), http.StatusConflict)
	if len(e.objectsOf("partner", e.public)) != 0 {
		t.Fatal("a rejected product reached the target collection")
	}
	r = e.admin("analyst", "GET", "/api/v1/products?status=draft", nil)
	expect(t, r, http.StatusOK)
	var list struct{ Products []productJSON }
	r.decode(t, &list)
	if len(list.Products) != 0 {
		t.Errorf("drafts after rejection: %s", r.body)
	}
}

func TestProductChecks(t *testing.T) {
	e := newProductEnv(t)
	p := e.drafted(4)
	intelDraft := e.draft("analyst", e.sourceID, "intel", derived(5))
	expect(t, intelDraft, http.StatusCreated)
	var ip productJSON
	intelDraft.decode(t, &ip)

	invalid := `{"type":"indicator","spec_version":"2.1","id":"indicator--6ba7b810-9dad-41d1-80b4-00c04fd430c8","created":"2024-03-01T12:00:00.000Z","modified":"2024-03-01T12:00:00.000Z"}`
	tests := []struct {
		name, who, path string
		body            any
		status          int
		msg             string
	}{
		{"reader drafts", "partner", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "public", "object": json.RawMessage(derived(6))}, http.StatusForbidden, "role"},
		{"contributor drafts", "contributor", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "public", "object": json.RawMessage(derived(6))}, http.StatusForbidden, "role"},
		{"no read on source", "reviewer", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "public", "object": json.RawMessage(derived(6))}, http.StatusNotFound, "may read"},
		{"unknown source", "analyst", "/api/v1/products", map[string]any{"source_id": objID("indicator", 99), "collection": "public", "object": json.RawMessage(derived(6))}, http.StatusNotFound, "may read"},
		{"no write on target", "analyst", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "other", "object": json.RawMessage(derived(6))}, http.StatusForbidden, "may not write"},
		{"unknown target", "analyst", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "nowhere", "object": json.RawMessage(derived(6))}, http.StatusNotFound, "no collection"},
		{"invalid object", "analyst", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "public", "object": json.RawMessage(invalid)}, http.StatusBadRequest, "not valid STIX 2.1"},
		{"the source itself", "analyst", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "public", "object": json.RawMessage(e.sourceRaw)}, http.StatusBadRequest, "own id"},
		{"unknown marking", "analyst", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "public", "object": json.RawMessage(marked(6, 0, refs("marking-definition--0b6b1f5c-3c6e-4c52-8d3a-6f0f0d6b5aff")))}, http.StatusBadRequest, "markings are refused"},
		{"no object", "analyst", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "public"}, http.StatusBadRequest, "object is missing"},
		{"marked above the source", "analyst", "/api/v1/products", map[string]any{"source_id": e.sourceID, "collection": "public", "object": json.RawMessage(marked(6, 0, refs(marking.TLP2Red)))}, http.StatusForbidden, "above its source"},
		{"contributor approves", "reviewer-contrib", "/api/v1/products/" + p.ID + "/approve", nil, http.StatusForbidden, "role"},
		{"approver without write grant", "reviewer", "/api/v1/products/" + ip.ID + "/approve", nil, http.StatusForbidden, "may not write"},
		{"unknown product", "reviewer", "/api/v1/products/nothing/approve", nil, http.StatusNotFound, "no product"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.admin(tt.who, "POST", tt.path, tt.body)
			expect(t, r, tt.status)
			if !strings.Contains(string(r.body), tt.msg) {
				t.Errorf("error %s does not say %q", r.body, tt.msg)
			}
		})
	}
	expect(t, e.admin("analyst", "GET", "/api/v1/products?status=released", nil), http.StatusBadRequest)
	// Reviewer Org neither wrote nor may review a product for intel.
	expect(t, e.admin("reviewer", "GET", "/api/v1/products/"+ip.ID, nil), http.StatusNotFound)
	expect(t, e.admin("reviewer", "GET", "/api/v1/products/"+p.ID, nil), http.StatusOK)
	r := e.admin("analyst", "GET", "/api/v1/products?status=draft", nil)
	expect(t, r, http.StatusOK)
	var list struct{ Products []productJSON }
	r.decode(t, &list)
	var ids []string
	for _, p := range list.Products {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{p.ID, ip.ID}) {
		t.Errorf("drafts %v, want %v", ids, []string{p.ID, ip.ID})
	}
}

// TestProductDecisionRace races an approval against a rejection of the same
// draft, as two server nodes or the server and the CLI would: exactly one
// wins, and a rejected product is never released.
func TestProductDecisionRace(t *testing.T) {
	e := newProductEnv(t)
	ctx := context.Background()
	approver := &tearline.Principal{Org: e.orgs["Reviewer Org"], KeyID: "race-approver", Role: tearline.RoleAnalyst}
	rejecter := &tearline.Principal{Org: e.orgs["Contributor Org"], KeyID: "race-rejecter", Role: tearline.RoleAnalyst}
	for i := range 12 {
		p := e.drafted(20 + i)
		var errs [2]error
		var wg sync.WaitGroup
		wg.Go(func() { _, errs[0] = DecideProduct(ctx, e.db, e.srv.policy, p.ID, approver, true) })
		wg.Go(func() { _, errs[1] = DecideProduct(ctx, e.db, e.srv.policy, p.ID, rejecter, false) })
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: approve %v, reject %v; want exactly one to win", i, errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && tearline.ErrorCode(err) != tearline.ECONFLICT {
				t.Fatalf("round %d: loser's error %v, want a conflict", i, err)
			}
		}
		got, err := e.db.FindProduct(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		page, err := e.db.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: e.public.ID, IDs: []string{objID("indicator", 20+i)}, Versions: []string{tearline.VersionAll}})
		if err != nil {
			t.Fatal(err)
		}
		released := len(page.Entries) > 0
		if approved := got.Status == tearline.ProductApproved; approved != released || approved != (errs[0] == nil) {
			t.Fatalf("round %d: product %s, released %v, approve error %v", i, got.Status, released, errs[0])
		}
	}
}
