package taxii

import (
	"net/http"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
)

// TestClientsReceiveAmber checks TLP:AMBER's "and its clients": a client of
// a reader of "intel" reads it, receiving AMBER, GREEN and CLEAR objects but
// never AMBER+STRICT or unmarked ones (unmarked means AMBER+STRICT), and may
// not write; the relation can be undone.
func TestClientsReceiveAmber(t *testing.T) {
	e := newEnv(t, nil, false)
	client := &tearline.Organization{Name: "Client Org", Type: "private", Country: "us"}
	if err := e.db.CreateOrganization(t.Context(), client); err != nil {
		t.Fatal(err)
	}
	e.orgs["Client Org"] = client
	e.tokens["client"] = e.newKey(client, tearline.RoleContributor)
	e.add(e.intel,
		marked(1, 0, refs(marking.TLP2Amber)),
		marked(2, 0, refs(marking.TLP2AmberStrict)),
		marked(3, 0, refs(marking.TLP2Green)),
		marked(4, 0, refs(marking.TLP1Amber)),
		marked(5, 0, ""),
	)
	expect(t, e.get("client", colPath(e.intel, "objects/")), http.StatusNotFound)

	r := e.admin("admin", "PUT", "/api/v1/organizations/Reader%20Org/clients/Client%20Org", nil)
	expect(t, r, http.StatusOK)
	var list clientsJSON
	r.decode(t, &list)
	if len(list.Clients) != 1 || list.Clients[0] != client.ID {
		t.Fatalf("clients of Reader Org: %+v", list)
	}

	got := e.objectsOf("client", e.intel)
	for n, want := range map[int]bool{1: true, 2: false, 3: true, 4: true, 5: false} {
		if (got[objID("indicator", n)] != nil) != want {
			t.Errorf("client receives indicator %d: %v, want %v", n, !want, want)
		}
	}
	// The reader itself still receives AMBER+STRICT.
	if e.objectsOf("reader", e.intel)[objID("indicator", 2)] == nil {
		t.Error("the reader lost AMBER+STRICT")
	}
	// Listed as readable, not writable; writing is refused.
	var cols collectionsResource
	e.get("client", "/taxii2/default/collections/").decode(t, &cols)
	found := false
	for _, c := range cols.Collections {
		if c.ID == e.intel.ID {
			found = c.CanRead && !c.CanWrite
		}
	}
	if !found {
		t.Errorf("collections as the client: %+v", cols)
	}
	expect(t, e.post("client", colPath(e.intel, "objects/"), envelope(indicator(9, 0))), http.StatusForbidden)
	// Not transitive: a client of the client receives nothing.
	sub := &tearline.Organization{Name: "Sub Client", Type: "private", Country: "us"}
	if err := e.db.CreateOrganization(t.Context(), sub); err != nil {
		t.Fatal(err)
	}
	e.tokens["sub"] = e.newKey(sub, tearline.RoleReader)
	if err := e.db.SetClient(t.Context(), client.ID, sub.ID, true); err != nil {
		t.Fatal(err)
	}
	expect(t, e.get("sub", colPath(e.intel, "objects/")), http.StatusNotFound)

	expect(t, e.admin("admin", "DELETE", "/api/v1/organizations/Reader%20Org/clients/Client%20Org", nil), http.StatusOK)
	expect(t, e.get("client", colPath(e.intel, "objects/")), http.StatusNotFound)
	expect(t, e.admin("reader", "PUT", "/api/v1/organizations/Reader%20Org/clients/Client%20Org", nil), http.StatusForbidden)
	expect(t, e.admin("admin", "PUT", "/api/v1/organizations/Reader%20Org/clients/Nobody", nil), http.StatusNotFound)
}
