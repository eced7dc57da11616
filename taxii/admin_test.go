package taxii

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

// admin sends an admin API request with a JSON body (nil for none).
func (e *env) admin(who, method, path string, body any) *response {
	e.t.Helper()
	r := req{method: method, path: path, token: e.tokens[who], header: map[string]string{"Accept": "application/json"}}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r.body = b
		r.header["Content-Type"] = "application/json"
	}
	return e.do(r)
}

func TestAdminAPI(t *testing.T) {
	e := newEnv(t, nil, false)

	// Organizations.
	r := e.admin("admin", "POST", "/api/v1/organizations", map[string]any{"name": "CERT-X", "type": "national-cert", "country": "de", "sectors": []string{"government"}})
	expect(t, r, http.StatusCreated)
	if r.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
	var org organizationJSON
	r.decode(t, &org)
	if !strings.HasPrefix(org.ID, "identity--") || org.Name != "CERT-X" || org.Country != "DE" || org.Type != "national-cert" || len(org.Sectors) != 1 {
		t.Fatalf("organization %+v", org)
	}
	for _, bad := range []struct {
		body   any
		status int
	}{
		{map[string]any{"name": "CERT-X"}, http.StatusConflict},
		{map[string]any{"name": ""}, http.StatusBadRequest},
		{map[string]any{"name": "Y", "country": "Germany"}, http.StatusBadRequest},
		{map[string]any{"name": "Y", "colour": "red"}, http.StatusBadRequest},
		{[]string{"not", "an", "object"}, http.StatusBadRequest},
	} {
		r := e.admin("admin", "POST", "/api/v1/organizations/", bad.body)
		expect(t, r, bad.status)
		if r.header.Get("Content-Type") != "application/json" {
			t.Errorf("error Content-Type %q", r.header.Get("Content-Type"))
		}
	}
	expect(t, e.do(req{method: "POST", path: "/api/v1/organizations", token: e.tokens["admin"], body: []byte(`{"name":"Z"}`),
		header: map[string]string{"Content-Type": "text/plain"}}), http.StatusUnsupportedMediaType)
	for _, key := range []string{org.ID, "CERT-X"} {
		r := e.admin("admin", "GET", "/api/v1/organizations/"+key, nil)
		expect(t, r, http.StatusOK)
		var got organizationJSON
		r.decode(t, &got)
		if diff := cmp.Diff(org, got); diff != "" {
			t.Errorf("GET organization %s (-created +got):\n%s", key, diff)
		}
	}
	expect(t, e.admin("admin", "GET", "/api/v1/organizations/nobody", nil), http.StatusNotFound)
	r = e.admin("admin", "GET", "/api/v1/organizations/", nil)
	expect(t, r, http.StatusOK)
	var orgs struct{ Organizations []organizationJSON }
	r.decode(t, &orgs)
	if len(orgs.Organizations) != 6 {
		t.Errorf("%d organizations, want 6", len(orgs.Organizations))
	}

	// Keys: the token is shown once and works at once.
	r = e.admin("admin", "POST", "/api/v1/organizations/"+org.ID+"/keys", map[string]string{"role": "contributor", "description": "feed"})
	expect(t, r, http.StatusCreated)
	var key keyJSON
	r.decode(t, &key)
	if key.Token == "" || !strings.HasPrefix(key.Token, "tl_"+key.ID+"_") || key.Role != "contributor" || key.OrgID != org.ID {
		t.Fatalf("key %+v", key)
	}
	e.tokens["certx"] = key.Token
	expect(t, e.get("certx", "/taxii2/default/collections/"), http.StatusOK)
	expect(t, e.admin("certx", "GET", "/api/v1/organizations/", nil), http.StatusForbidden)
	expect(t, e.admin("admin", "POST", "/api/v1/organizations/"+org.ID+"/keys", map[string]string{"role": "superuser"}), http.StatusBadRequest)
	expect(t, e.admin("admin", "POST", "/api/v1/organizations/nobody/keys", map[string]string{"role": "reader"}), http.StatusNotFound)
	r = e.admin("admin", "GET", "/api/v1/organizations/CERT-X/keys", nil)
	expect(t, r, http.StatusOK)
	if strings.Contains(string(r.body), key.Token) || strings.Contains(string(r.body), `"token"`) {
		t.Errorf("key list shows the token: %s", r.body)
	}
	var keys struct{ Keys []keyJSON }
	r.decode(t, &keys)
	if len(keys.Keys) != 1 || keys.Keys[0].ID != key.ID || keys.Keys[0].Revoked != nil {
		t.Errorf("keys %s", r.body)
	}

	// Collections with grants by organization name or id.
	r = e.admin("admin", "POST", "/api/v1/collections", map[string]any{
		"alias": "certx-feed", "title": "CERT-X feed", "description": "d",
		"read": []string{"Reader Org", org.ID}, "write": []string{"CERT-X"},
	})
	expect(t, r, http.StatusCreated)
	var col adminCollectionJSON
	r.decode(t, &col)
	wantGrants := map[string][2]bool{e.orgs["Reader Org"].ID: {true, false}, org.ID: {true, true}}
	gotGrants := map[string][2]bool{}
	for _, g := range col.Grants {
		gotGrants[g.OrgID] = [2]bool{g.Read, g.Write}
	}
	if diff := cmp.Diff(wantGrants, gotGrants); diff != "" || col.APIRoot != "default" || col.Alias != "certx-feed" {
		t.Errorf("collection %+v, grants (-want +got):\n%s", col, diff)
	}
	for _, bad := range []map[string]any{
		{"alias": "x1", "read": []string{"nobody"}},
		{"alias": "x2", "api_root": "nowhere"},
		{"alias": "Bad Alias"},
		{"alias": "certx-feed"},
	} {
		r := e.admin("admin", "POST", "/api/v1/collections/", bad)
		if r.status != http.StatusBadRequest && r.status != http.StatusConflict {
			t.Errorf("POST collection %v: %s", bad, r)
		}
	}
	r = e.admin("admin", "POST", "/api/v1/collections", map[string]any{"alias": "second-feed", "api_root": "second", "write": []string{"CERT-X"}})
	expect(t, r, http.StatusCreated)
	var second adminCollectionJSON
	r.decode(t, &second)

	// The new organization sees its collections with its rights.
	var cs collectionsResource
	e.get("certx", "/taxii2/default/collections/").decode(t, &cs)
	if len(cs.Collections) != 1 || cs.Collections[0].ID != col.ID || !cs.Collections[0].CanRead || !cs.Collections[0].CanWrite {
		t.Errorf("collections of CERT-X: %+v", cs)
	}
	e.get("certx", "/taxii2/second/collections/").decode(t, &cs)
	if len(cs.Collections) != 1 || cs.Collections[0].ID != second.ID || cs.Collections[0].CanRead || !cs.Collections[0].CanWrite {
		t.Errorf("collections of CERT-X in second: %+v", cs)
	}
	r = e.post("certx", "/taxii2/default/collections/"+col.ID+"/objects/", envelope(indicator(1, 0)))
	expect(t, r, http.StatusAccepted)

	// Grants change with PUT; removing both rights hides the collection.
	r = e.admin("admin", "PUT", "/api/v1/collections/certx-feed/grants/Reader Org", map[string]bool{"read": false, "write": false})
	expect(t, r, http.StatusOK)
	expect(t, e.get("reader", "/taxii2/default/collections/"+col.ID+"/"), http.StatusNotFound)
	r = e.admin("admin", "PUT", "/api/v1/collections/"+col.ID+"/grants/"+e.orgs["No Grant Org"].ID, map[string]bool{"read": true})
	expect(t, r, http.StatusOK)
	var g grantJSON
	r.decode(t, &g)
	if g != (grantJSON{CollectionID: col.ID, OrgID: e.orgs["No Grant Org"].ID, Read: true}) {
		t.Errorf("grant %+v", g)
	}
	expect(t, e.get("nogrant", "/taxii2/default/collections/"+col.ID+"/objects/"), http.StatusOK)
	expect(t, e.admin("admin", "PUT", "/api/v1/collections/nope/grants/CERT-X", map[string]bool{"read": true}), http.StatusNotFound)
	expect(t, e.admin("admin", "PUT", "/api/v1/collections/certx-feed/grants/nobody", map[string]bool{"read": true}), http.StatusNotFound)
	r = e.admin("admin", "GET", "/api/v1/collections", nil)
	expect(t, r, http.StatusOK)
	var all struct{ Collections []adminCollectionJSON }
	r.decode(t, &all)
	if len(all.Collections) != 5 {
		t.Errorf("%d collections, want 5", len(all.Collections))
	}

	// Revoking a key locks it out at once.
	expect(t, e.admin("admin", "DELETE", "/api/v1/keys/"+key.ID, nil), http.StatusNoContent)
	expect(t, e.get("certx", "/taxii2/default/collections/"), http.StatusUnauthorized)
	expect(t, e.admin("admin", "DELETE", "/api/v1/keys/0000000000000000", nil), http.StatusNotFound)
	r = e.admin("admin", "GET", "/api/v1/organizations/CERT-X/keys/", nil)
	r.decode(t, &keys)
	if len(keys.Keys) != 1 || keys.Keys[0].Revoked == nil {
		t.Errorf("revoked key %s", r.body)
	}

	// Certificates: bad PEM and roles are refused.
	expect(t, e.admin("admin", "POST", "/api/v1/organizations/CERT-X/certificates", map[string]string{"pem": "garbage", "role": "reader"}), http.StatusBadRequest)
	expect(t, e.admin("admin", "POST", "/api/v1/organizations/CERT-X/certificates", map[string]string{"pem": "", "role": "boss"}), http.StatusBadRequest)

	// Only admins, and only authenticated ones.
	for _, who := range []string{"reader", "contributor", "analyst"} {
		expect(t, e.admin(who, "POST", "/api/v1/organizations", map[string]string{"name": "sneaky"}), http.StatusForbidden)
		expect(t, e.admin(who, "DELETE", "/api/v1/keys/"+key.ID, nil), http.StatusForbidden)
	}
	expect(t, e.admin("", "GET", "/api/v1/collections", nil), http.StatusUnauthorized)
	expect(t, e.admin("admin", "PATCH", "/api/v1/collections", nil), http.StatusMethodNotAllowed)
	expect(t, e.admin("admin", "GET", "/api/v1/nothing", nil), http.StatusNotFound)
}

func TestAdminOrganizationProfile(t *testing.T) {
	e := newEnv(t, nil, false)
	body := map[string]any{
		"name": "ISAC", "type": "isac", "country": "CAN", "sectors": []string{"energy"}, "clearance": "cui",
		"communities": []string{"fvey"}, "languages": []string{"fr-ca", "en"},
		"contacts": []map[string]any{{"name": "Desk", "email": "desk@isac.example", "languages": []string{"fr"}}},
	}
	r := e.admin("admin", "POST", "/api/v1/organizations/", body)
	expect(t, r, http.StatusCreated)
	var org organizationJSON
	r.decode(t, &org)
	want := organizationJSON{
		ID: org.ID, Name: "ISAC", Type: "isac", Country: "CA", Sectors: []string{"energy"}, Clearance: "CUI",
		Communities: []string{"FVEY"}, Languages: []string{"fr-CA", "en"},
		Contacts: []tearline.Contact{{Name: "Desk", Email: "desk@isac.example", Languages: []string{"fr"}}}, Created: org.Created,
	}
	if d := cmp.Diff(want, org); d != "" {
		t.Errorf("POST (-want +got):\n%s", d)
	}
	// PUT replaces the whole profile; PATCH changes only what it names.
	r = e.admin("admin", "PUT", "/api/v1/organizations/"+org.ID, map[string]any{"name": "ISAC-2", "country": "us"})
	expect(t, r, http.StatusOK)
	want = organizationJSON{ID: org.ID, Name: "ISAC-2", Country: "US", Created: org.Created}
	r = e.admin("admin", "GET", "/api/v1/organizations/"+org.ID, nil)
	expect(t, r, http.StatusOK)
	var got organizationJSON
	r.decode(t, &got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("after PUT (-want +got):\n%s", d)
	}
	r = e.admin("admin", "PATCH", "/api/v1/organizations/ISAC-2", map[string]any{"clearance": "secret"})
	expect(t, r, http.StatusOK)
	want.Clearance = "SECRET"
	r.decode(t, &got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("after PATCH (-want +got):\n%s", d)
	}
	for _, bad := range []struct {
		method string
		body   any
		status int
	}{
		{"PUT", map[string]any{"country": "us"}, http.StatusBadRequest},
		{"PATCH", map[string]any{"type": "spy"}, http.StatusBadRequest},
		{"PATCH", map[string]any{"clearance": "COSMIC"}, http.StatusBadRequest},
		{"PATCH", map[string]any{"name": "Reader Org"}, http.StatusConflict},
		{"PATCH", map[string]any{"colour": "red"}, http.StatusBadRequest},
	} {
		expect(t, e.admin("admin", bad.method, "/api/v1/organizations/"+org.ID, bad.body), bad.status)
	}
	expect(t, e.admin("admin", "PATCH", "/api/v1/organizations/nobody", map[string]any{"type": "other"}), http.StatusNotFound)
	expect(t, e.admin("reader", "PATCH", "/api/v1/organizations/"+org.ID, map[string]any{"type": "other"}), http.StatusForbidden)
}
