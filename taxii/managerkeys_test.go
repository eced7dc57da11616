package taxii

import (
	"net/http"
	"testing"
)

// TestManagerKeys checks what a manager may do with API keys: its own
// organization's keys of its role or below, and nothing of another
// organization's, whose keys it cannot even tell from missing ones.
func TestManagerKeys(t *testing.T) {
	e := newEnv(t, nil, false)
	expect(t, e.admin("admin", "POST", "/api/v1/organizations", map[string]any{"name": "CERT-X", "type": "national-cert", "country": "de"}), http.StatusCreated)
	newKey := func(who, org, role string, want int) keyJSON {
		t.Helper()
		r := e.admin(who, "POST", "/api/v1/organizations/"+org+"/keys/", map[string]string{"role": role})
		expect(t, r, want)
		var k keyJSON
		if want == http.StatusCreated {
			r.decode(t, &k)
		}
		return k
	}
	e.tokens["mgr"] = newKey("admin", "CERT-X", "manager", http.StatusCreated).Token
	adminKey := newKey("admin", "CERT-X", "admin", http.StatusCreated)
	readerKeys := e.admin("admin", "GET", "/api/v1/organizations/Reader Org/keys/", nil)
	expect(t, readerKeys, http.StatusOK)
	var others struct{ Keys []keyJSON }
	readerKeys.decode(t, &others)
	if len(others.Keys) == 0 {
		t.Fatal("Reader Org has no keys")
	}

	// Its own organization: list, create up to its role, revoke.
	expect(t, e.admin("mgr", "GET", "/api/v1/organizations/CERT-X/keys/", nil), http.StatusOK)
	analyst := newKey("mgr", "CERT-X", "analyst", http.StatusCreated)
	e.tokens["certx-analyst"] = analyst.Token
	expect(t, e.get("certx-analyst", "/taxii2/default/collections/"), http.StatusOK)
	newKey("mgr", "CERT-X", "manager", http.StatusCreated)
	newKey("mgr", "CERT-X", "admin", http.StatusForbidden)
	expect(t, e.admin("mgr", "DELETE", "/api/v1/keys/"+analyst.ID, nil), http.StatusNoContent)
	expect(t, e.get("certx-analyst", "/taxii2/default/collections/"), http.StatusUnauthorized)
	expect(t, e.admin("mgr", "DELETE", "/api/v1/keys/"+adminKey.ID, nil), http.StatusForbidden)

	// Another organization: refused, and its keys are as unknown as
	// missing ones.
	expect(t, e.admin("mgr", "GET", "/api/v1/organizations/Reader Org/keys/", nil), http.StatusForbidden)
	newKey("mgr", "Reader Org", "reader", http.StatusForbidden)
	expect(t, e.admin("mgr", "DELETE", "/api/v1/keys/"+others.Keys[0].ID, nil), http.StatusNotFound)
	expect(t, e.admin("mgr", "DELETE", "/api/v1/keys/0000000000000000", nil), http.StatusNotFound)
	expect(t, e.get("reader", "/taxii2/default/collections/"), http.StatusOK)

	// The rest of the admin API stays the admin's.
	expect(t, e.admin("mgr", "POST", "/api/v1/organizations", map[string]string{"name": "sneaky"}), http.StatusForbidden)
	expect(t, e.admin("mgr", "POST", "/api/v1/organizations/CERT-X/certificates", map[string]string{"pem": "x", "role": "reader"}), http.StatusForbidden)

	// Below manager, no key management at all.
	e.tokens["certx-analyst2"] = newKey("mgr", "CERT-X", "analyst", http.StatusCreated).Token
	expect(t, e.admin("certx-analyst2", "GET", "/api/v1/organizations/CERT-X/keys/", nil), http.StatusForbidden)
	newKey("certx-analyst2", "CERT-X", "reader", http.StatusForbidden)
}
