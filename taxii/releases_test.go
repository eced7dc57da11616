package taxii

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
)

const mdORCONTest = "marking-definition--5f0c1c8e-4a55-4d8e-9b1a-0c0c0c0c0001"

// releaseEnv is env with an originator-controlled object in "intel", posted
// by the Contributor Org (the originator), read there by the Reader Org,
// which also writes "wide", read by the Third Org alone.
type releaseEnv struct {
	*env
	wide  *tearline.Collection
	objID string
	raw   string
}

func newReleaseEnv(t *testing.T) *releaseEnv {
	e := &releaseEnv{env: newEnv(t, nil, false)}
	ctx := context.Background()
	e.wide = &tearline.Collection{Alias: "wide", Title: "Wide"}
	if err := e.db.CreateCollection(ctx, e.wide); err != nil {
		t.Fatal(err)
	}
	third := &tearline.Organization{Name: "Third Org", Type: "private", Country: "us"}
	if err := e.db.CreateOrganization(ctx, third); err != nil {
		t.Fatal(err)
	}
	e.orgs["Third Org"] = third
	e.tokens["third"] = e.newKey(third, tearline.RoleAnalyst)
	e.tokens["reader-contrib"] = e.newKey(e.orgs["Reader Org"], tearline.RoleContributor)
	e.tokens["reader-analyst"] = e.newKey(e.orgs["Reader Org"], tearline.RoleAnalyst)
	e.grant(e.wide, "Reader Org", true, true)
	e.grant(e.wide, "Third Org", true, false)
	e.objID = objID("indicator", 1)
	e.raw = marked(1, 0, `"created_by_ref":"`+e.orgs["Contributor Org"].ID+`",`+refs(mdORCONTest, marking.TLP2Amber))
	e.add(e.intel, tearlineDef(mdORCONTest, "ORCON", `"orcon":true`), e.raw, marked(2, 0, refs(marking.TLP2Amber)))
	return e
}

func (e *releaseEnv) request(who string, body map[string]any) *response {
	e.t.Helper()
	return e.admin(who, "POST", "/api/v1/releases", body)
}

func TestReleaseRequestFlow(t *testing.T) {
	e := newReleaseEnv(t)
	// The reader may not re-post the originator's object into "wide".
	r := e.post("reader-contrib", colPath(e.wide, "objects/"), envelope(tearlineDef(mdORCONTest, "ORCON", `"orcon":true`), e.raw))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.FailureCount != 1 || !bytes.Contains(r.body, []byte("only the originator")) {
		t.Fatalf("re-posting an originator-controlled object: %s", r.body)
	}
	if objs := e.objectsOf("third", e.wide); objs[e.objID] != nil {
		t.Fatal("the third organization received the originator-controlled object")
	}

	r = e.request("reader-contrib", map[string]any{"object_id": e.objID, "from": "intel", "to": "wide", "justification": "the sector needs it"})
	expect(t, r, http.StatusCreated)
	var rl releaseJSON
	r.decode(t, &rl)
	if rl.Status != tearline.ReleaseRequested || rl.OriginatorOrg != e.orgs["Contributor Org"].ID || rl.RequesterOrg != e.orgs["Reader Org"].ID ||
		rl.Version != "2024-03-01T12:00:00.000000000Z" || rl.CollectionID != e.wide.ID || rl.SourceCollectionID != e.intel.ID {
		t.Fatalf("request %+v", rl)
	}
	path := "/api/v1/releases/" + rl.ID
	// Parties see it; nobody else knows it exists.
	expect(t, e.admin("analyst", "GET", path, nil), http.StatusOK)
	expect(t, e.admin("reader-contrib", "GET", path, nil), http.StatusOK)
	expect(t, e.admin("third", "GET", path, nil), http.StatusNotFound)
	var list struct {
		Releases []releaseJSON `json:"releases"`
	}
	e.admin("analyst", "GET", "/api/v1/releases?status=requested", nil).decode(t, &list)
	if len(list.Releases) != 1 || list.Releases[0].ID != rl.ID {
		t.Fatalf("originator's list %+v", list)
	}
	e.admin("third", "GET", "/api/v1/releases", nil).decode(t, &list)
	if len(list.Releases) != 0 {
		t.Fatalf("third party's list %+v", list)
	}
	// Only an analyst of the originator decides.
	expect(t, e.admin("reader-analyst", "POST", path+"/approve", nil), http.StatusForbidden)
	expect(t, e.admin("third", "POST", path+"/approve", nil), http.StatusNotFound)
	expect(t, e.admin("contributor", "POST", path+"/approve", nil), http.StatusForbidden)

	r = e.admin("analyst", "POST", path+"/approve", map[string]any{"reason": "fine for the sector"})
	expect(t, r, http.StatusOK)
	r.decode(t, &rl)
	if rl.Status != tearline.ReleaseApproved || rl.Reason != "fine for the sector" || rl.Decided == nil || rl.DeciderKey == "" {
		t.Fatalf("approved %+v", rl)
	}
	objs := e.objectsOf("third", e.wide)
	if got := objs[e.objID]; got == nil {
		t.Fatalf("after approval the third organization receives %v", objs)
	}
	// Approving again changes nothing; a denial comes too late.
	expect(t, e.admin("analyst", "POST", path+"/approve", nil), http.StatusOK)
	expect(t, e.admin("analyst", "POST", path+"/deny", nil), http.StatusConflict)
	if n, err := e.db.CountObjects(context.Background(), e.wide.ID); err != nil || n != 2 {
		t.Fatalf("wide holds %d versions (%v), want the object and its marking definition", n, err)
	}
}

func TestReleaseDenied(t *testing.T) {
	e := newReleaseEnv(t)
	r := e.request("reader-contrib", map[string]any{"object_id": e.objID, "from": "intel", "to": "wide", "justification": "please"})
	expect(t, r, http.StatusCreated)
	var rl releaseJSON
	r.decode(t, &rl)
	r = e.admin("analyst", "POST", "/api/v1/releases/"+rl.ID+"/deny", map[string]any{"reason": "source protection"})
	expect(t, r, http.StatusOK)
	r.decode(t, &rl)
	if rl.Status != tearline.ReleaseDenied || rl.Reason != "source protection" {
		t.Fatalf("denied %+v", rl)
	}
	expect(t, e.admin("analyst", "POST", "/api/v1/releases/"+rl.ID+"/approve", nil), http.StatusConflict)
	if objs := e.objectsOf("third", e.wide); len(objs) != 0 {
		t.Fatalf("a denied release reached the third organization: %v", objs)
	}
}

func TestReleaseRequestErrors(t *testing.T) {
	e := newReleaseEnv(t)
	tests := []struct {
		name   string
		who    string
		body   map[string]any
		status int
		msg    string
	}{
		{"no object", "reader-contrib", map[string]any{"from": "intel", "to": "wide", "justification": "x"}, http.StatusBadRequest, "object_id is missing"},
		{"no justification", "reader-contrib", map[string]any{"object_id": e.objID, "from": "intel", "to": "wide", "justification": "  "}, http.StatusBadRequest, "justification is missing"},
		{"bad version", "reader-contrib", map[string]any{"object_id": e.objID, "version": "yesterday", "from": "intel", "to": "wide", "justification": "x"}, http.StatusBadRequest, "RFC 3339"},
		{"unknown version", "reader-contrib", map[string]any{"object_id": e.objID, "version": "2024-03-01T12:01:00Z", "from": "intel", "to": "wide", "justification": "x"}, http.StatusNotFound, "no object"},
		{"not orcon", "reader-contrib", map[string]any{"object_id": objID("indicator", 2), "from": "intel", "to": "wide", "justification": "x"}, http.StatusBadRequest, "not originator-controlled"},
		{"unreadable source", "third", map[string]any{"object_id": e.objID, "from": "intel", "to": "wide", "justification": "x"}, http.StatusNotFound, "no collection"},
		{"unwritable target", "reader-contrib", map[string]any{"object_id": e.objID, "from": "intel", "to": "other", "justification": "x"}, http.StatusForbidden, "may not write"},
		{"same collection", "reader-contrib", map[string]any{"object_id": e.objID, "from": "intel", "to": "intel", "justification": "x"}, http.StatusBadRequest, "same collection"},
		{"originator", "contributor", map[string]any{"object_id": e.objID, "from": "intel", "to": "wide", "justification": "x"}, http.StatusBadRequest, "your organization is the originator"},
		{"reader role", "reader", map[string]any{"object_id": e.objID, "from": "intel", "to": "wide", "justification": "x"}, http.StatusForbidden, "role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.request(tt.who, tt.body)
			expect(t, r, tt.status)
			if !bytes.Contains(r.body, []byte(tt.msg)) {
				t.Errorf("answer %s, want it to say %q", r.body, tt.msg)
			}
		})
	}
}
