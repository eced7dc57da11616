package taxii

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestCredentials(t *testing.T) {
	e := newEnv(t, nil, false)
	path := "/taxii2/default/collections/"
	revoked := e.newKey(e.orgs["Reader Org"], tearline.RoleReader)
	if err := e.db.RevokeAPIKey(context.Background(), strings.Split(revoked, "_")[1]); err != nil {
		t.Fatal(err)
	}
	good := e.tokens["reader"]
	// A well-formed token whose secret is wrong.
	wrongSecret := good[:len(good)-4] + "AAAA"
	if wrongSecret == good {
		wrongSecret = good[:len(good)-4] + "BBBB"
	}
	tests := []struct {
		name, authorization string
		status              int
		mention             string
	}{
		{"bearer", "Bearer " + good, 200, ""},
		{"bearer lower case", "bearer " + good, 200, ""},
		{"basic with token as password", basic("anyone", good), 200, ""},
		{"basic with empty user", basic("", good), 200, ""},
		{"no credentials", "", 401, "authentication required"},
		{"revoked", "Bearer " + revoked, 401, "revoked"},
		{"revoked as basic", basic("x", revoked), 401, "revoked"},
		{"wrong secret", "Bearer " + wrongSecret, 401, "unknown"},
		{"malformed token", "Bearer tl_short", 401, "malformed"},
		{"password instead of token", basic("admin", "hunter2"), 401, "malformed"},
		{"malformed basic", "Basic !!!", 401, "Basic"},
		{"unknown scheme", "Digest abc", 401, "Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Authorization": tt.authorization}
			r := e.do(req{path: path, header: h})
			expect(t, r, tt.status)
			if tt.status == 401 {
				var er errorResource
				r.decode(t, &er)
				if !strings.Contains(er.Description, tt.mention) {
					t.Errorf("description %q does not mention %q", er.Description, tt.mention)
				}
				if got := r.header.Values("WWW-Authenticate"); len(got) != 2 {
					t.Errorf("WWW-Authenticate %q", got)
				}
			}
		})
	}
}

func TestRequestIDAndLogs(t *testing.T) {
	var logs bytes.Buffer
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, &cfg, false)
	r := e.do(req{path: "/taxii2/default/collections/", token: e.tokens["reader"], header: map[string]string{"X-Request-Id": "client-req-42"}})
	expect(t, r, 200)
	if got := r.header.Get("X-Request-Id"); got != "client-req-42" {
		t.Errorf("X-Request-Id %q, want the client's", got)
	}
	r = e.do(req{path: "/taxii2/default/collections/", token: e.tokens["reader"], header: map[string]string{"X-Request-Id": "bad id with spaces"}})
	generated := r.header.Get("X-Request-Id")
	if generated == "" || strings.Contains(generated, " ") {
		t.Errorf("generated X-Request-Id %q", generated)
	}
	r = e.get("reader", "/taxii2/default/collections/nope/")
	var er errorResource
	r.decode(t, &er)
	if er.ErrorID != r.header.Get("X-Request-Id") {
		t.Errorf("error_id %q, X-Request-Id %q", er.ErrorID, r.header.Get("X-Request-Id"))
	}
	e.close()
	// Every line logged while serving a request names it.
	var sawAccess bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "request" {
			sawAccess = true
			if rec["request_id"] == nil || rec["status"] == nil || rec["path"] == nil {
				t.Errorf("access log line without request attributes: %s", line)
			}
			if rec["request_id"] == "client-req-42" && rec["org"] != e.orgs["Reader Org"].ID {
				t.Errorf("access log line without the caller's organization: %s", line)
			}
		}
		if rec["msg"] == "request failed" && rec["request_id"] == nil {
			t.Errorf("request log line without request_id: %s", line)
		}
	}
	if !sawAccess {
		t.Error("no access log lines")
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, nil, false)
	for _, path := range []string{"/healthz", "/healthz/"} {
		r := e.do(req{path: path, header: map[string]string{"Accept": ""}})
		if r.status != 200 || !strings.Contains(string(r.body), "ok") {
			t.Errorf("%s: %s", path, r)
		}
	}
}

// certificate issues a certificate for key signed by parent (self-signed
// when parent is nil).
func certificate(t *testing.T, tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestClientCertificate serves over TLS with client certificates requested
// and checks that a certificate bound to an organization (through the admin
// API) authenticates it, and that unbound ones are refused.
func TestClientCertificate(t *testing.T) {
	e := newEnv(t, nil, false)
	now := time.Now()
	caKey := newKey(t)
	ca := certificate(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, caKey, nil, nil)
	client := func(serial int64, cn string) tls.Certificate {
		k := newKey(t)
		c := certificate(t, &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"Reader Org"}},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}, k, ca, caKey)
		return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: k, Leaf: c}
	}
	bound, unbound := client(2, "reader-sensor"), client(3, "stranger")

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	ts := httptest.NewUnstartedServer(e.srv.Handler())
	ts.Listener.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.Listener = ln
	ts.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	defer ts.Close()

	withCert := func(c *tls.Certificate) *http.Client {
		base := ts.Client().Transport.(*http.Transport).Clone()
		if c != nil {
			base.TLSClientConfig.Certificates = []tls.Certificate{*c}
		}
		return &http.Client{Transport: base}
	}

	// Bind the certificate through the admin API.
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: bound.Leaf.Raw})
	body, _ := json.Marshal(map[string]string{"pem": string(pemCert), "role": "reader"})
	r := doWith(t, withCert(nil), ts.URL, req{method: "POST", path: "/api/v1/organizations/Reader Org/certificates",
		token: e.tokens["admin"], body: body, header: map[string]string{"Content-Type": "application/json"}})
	if r.status != http.StatusCreated {
		t.Fatalf("bind certificate: %s", r)
	}
	var cj certificateJSON
	r.decode(t, &cj)
	if cj.Fingerprint != auth.CertificateFingerprint(bound.Leaf.Raw) || cj.OrgID != e.orgs["Reader Org"].ID || !strings.Contains(cj.Subject, "reader-sensor") {
		t.Errorf("binding %+v", cj)
	}

	r = doWith(t, withCert(&bound), ts.URL, req{path: colPath(e.intel, "")})
	expect(t, r, http.StatusOK)
	var c collectionResource
	r.decode(t, &c)
	if !c.CanRead || c.CanWrite {
		t.Errorf("collection as the certificate's organization: %+v", c)
	}
	expect(t, doWith(t, withCert(&unbound), ts.URL, req{path: colPath(e.intel, "")}), http.StatusUnauthorized)
	expect(t, doWith(t, withCert(nil), ts.URL, req{path: colPath(e.intel, "")}), http.StatusUnauthorized)
	// A token goes first when both are given.
	r = doWith(t, withCert(&bound), ts.URL, req{path: "/taxii2/default/collections/", token: e.tokens["contributor"]})
	var cs collectionsResource
	r.decode(t, &cs)
	if len(cs.Collections) != 1 || !cs.Collections[0].CanWrite {
		t.Errorf("token with certificate: %s", r.body)
	}
	// A certificate from another CA does not get through the handshake.
	otherKey := newKey(t)
	other := certificate(t, &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "self"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, otherKey, nil, nil)
	forced := ts.Client().Transport.(*http.Transport).Clone()
	forced.TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &tls.Certificate{Certificate: [][]byte{other.Raw}, PrivateKey: otherKey}, nil
	}
	hr, _ := http.NewRequest("GET", ts.URL+"/taxii2/", nil)
	hr.Header.Set("Authorization", "Bearer "+e.tokens["reader"])
	if resp, err := (&http.Client{Transport: forced}).Do(hr); err == nil {
		resp.Body.Close()
		t.Errorf("self-signed client certificate accepted: %d", resp.StatusCode)
	}
}
