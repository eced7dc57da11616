package taxii

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

// testCertificate returns a self-signed PEM certificate.
func testCertificate(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "duty@cert.example"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), EmailAddresses: []string{"duty@cert.example"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestDirectory: each organization sees the contacts of those it shares
// a collection or a community with, and no others; an analyst sets its
// own organization's contacts, checked member by member.
func TestDirectory(t *testing.T) {
	t.Parallel()
	e := newExchangeEnv(t, testConfig())
	ctx := context.Background()
	for _, name := range []string{"CERT-FR", "No Grant Org"} {
		o := e.orgs[name]
		o.Communities = []string{"EU-CERTS"}
		if err := e.db.UpdateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	e.tokens["partner-analyst"] = e.newKey(e.orgs["CERT-FR"], tearline.RoleAnalyst)
	cert := testCertificate(t)
	contacts := []tearline.Contact{{Name: "Duty officer", Role: "24x7 duty", Email: "duty@cert.example", Phone: "+33 1 23 45 67 89",
		Hours: "24x7", Languages: []string{"fr", "en"}, PGPKey: "0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567", SMIME: cert}}
	r := e.admin("partner-analyst", http.MethodPut, "/api/v1/directory/contacts/", map[string]any{"contacts": contacts})
	expect(t, r, http.StatusOK)
	for _, tc := range []struct {
		contact tearline.Contact
		want    string
	}{
		{tearline.Contact{Name: "x", Email: "not an address"}, "contacts[0].email"},
		{tearline.Contact{Name: "x", Phone: "call me"}, "contacts[0].phone"},
		{tearline.Contact{Name: "x", PGPKey: "ABCD"}, "contacts[0].pgp_key"},
		{tearline.Contact{Name: "x", SMIME: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}, "contacts[0].smime_certificate"},
		{tearline.Contact{Email: "a@b.example"}, "contact 1 has no name"},
	} {
		r := e.admin("partner-analyst", http.MethodPut, "/api/v1/directory/contacts/", map[string]any{"contacts": []tearline.Contact{tc.contact}})
		expect(t, r, http.StatusBadRequest)
		if !strings.Contains(string(r.body), tc.want) {
			t.Errorf("contact %+v: %s, want it to name %s", tc.contact, r.body, tc.want)
		}
	}
	expect(t, e.admin("partner", http.MethodPut, "/api/v1/directory/contacts/", map[string]any{"contacts": contacts}), http.StatusForbidden)

	names := func(who string) ([]string, map[string]DirectoryEntry) {
		r := e.admin(who, http.MethodGet, "/api/v1/directory/", nil)
		expect(t, r, http.StatusOK)
		var res struct{ Organizations []DirectoryEntry }
		r.decode(t, &res)
		var out []string
		byName := map[string]DirectoryEntry{}
		for _, o := range res.Organizations {
			out = append(out, o.Name)
			byName[o.Name] = o
		}
		return out, byName
	}
	all := []string{"Admin Org", "CERT-FR", "Contributor Org", "Hub", "No Grant Org", "Reader Org", "Write Only Org"}
	for _, tc := range []struct {
		who  string
		want []string
	}{
		{"admin", all},
		// Shares intel with everyone but Admin Org, and a community with No Grant Org.
		{"partner", []string{"CERT-FR", "Contributor Org", "Hub", "No Grant Org", "Reader Org", "Write Only Org"}},
		{"nogrant", []string{"CERT-FR", "No Grant Org"}},
		{"hub", []string{"CERT-FR", "Contributor Org", "Hub", "Reader Org", "Write Only Org"}},
	} {
		got, _ := names(tc.who)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("directory of %s (-want +got):\n%s", tc.who, d)
		}
	}
	_, byName := names("hub")
	fr := byName["CERT-FR"]
	contacts[0].SMIME = strings.TrimSpace(cert)
	if d := cmp.Diff(contacts, fr.Contacts); d != "" {
		t.Errorf("CERT-FR's contacts as the hub sees them (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{e.intel.ID}, fr.SharedCollections); d != "" || fr.SharedCommunities != nil {
		t.Errorf("why the hub may know CERT-FR: %v %v", fr.SharedCollections, fr.SharedCommunities)
	}
	_, byName = names("nogrant")
	if fr := byName["CERT-FR"]; fr.SharedCollections != nil || !cmp.Equal(fr.SharedCommunities, []string{"EU-CERTS"}) {
		t.Errorf("why No Grant Org may know CERT-FR: %+v", fr)
	}
}
