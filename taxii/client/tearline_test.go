package client_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/taxii"
	"github.com/tearline/tearline/taxii/client"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// tearline is a Tearline server with one collection "intel" that org
// "acme" may read and write, and a contributor token of it.
type tearlineEnv struct {
	srv   *taxiitest.Server
	col   *tearline.Collection
	org   *tearline.Organization
	token string
}

func newTearline(t *testing.T) *tearlineEnv {
	t.Helper()
	srv := taxiitest.Start(t, taxiitest.WithConfig(taxii.Config{MaxPageSize: 500, DefaultPageSize: 100, SyncObjects: 50}))
	org := srv.Org("acme", "US")
	col := srv.Collection("intel")
	srv.Grant(col, org, true, true)
	return &tearlineEnv{srv: srv, col: col, org: org, token: srv.Key(org, tearline.RoleContributor)}
}

func newClient(t *testing.T, opts client.Options) *client.Client {
	t.Helper()
	if opts.MinBackoff == 0 {
		opts.MinBackoff, opts.MaxBackoff = time.Millisecond, 5*time.Millisecond
	}
	c, err := client.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// idOf returns the id of a STIX object.
func idOf(t testing.TB, raw []byte) string {
	t.Helper()
	var o struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

func TestTearlineDiscoveryAndCollections(t *testing.T) {
	t.Parallel()
	e := newTearline(t)
	c := newClient(t, client.Options{Token: e.token})
	ctx := context.Background()
	d, err := c.Discover(ctx, e.srv.Discovery)
	if err != nil {
		t.Fatal(err)
	}
	if d.Default != e.srv.Root || !slices.Equal(d.APIRoots, []string{e.srv.Root}) {
		t.Errorf("discovery: default %q, roots %v; want absolute %q", d.Default, d.APIRoots, e.srv.Root)
	}
	root, err := c.APIRoot(ctx, d.Default)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(root.Versions, client.MediaTAXII) || root.MaxContentLength <= 0 {
		t.Errorf("API root: %+v", root)
	}
	cols, err := c.Collections(ctx, e.srv.Root)
	if err != nil {
		t.Fatal(err)
	}
	want := []client.Collection{{ID: e.col.ID, Title: e.col.Title, Alias: "intel", CanRead: true, CanWrite: true, MediaTypes: []string{client.MediaSTIX}}}
	if diff := cmp.Diff(want, cols); diff != "" {
		t.Errorf("collections (-want +got):\n%s", diff)
	}
	one, err := c.Collection(ctx, e.srv.Root, "intel")
	if err != nil || one.ID != e.col.ID {
		t.Errorf("collection by alias: %+v, %v", one, err)
	}
	_, err = c.Collection(ctx, e.srv.Root, "nope")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusNotFound || ce.Title == "" || ce.Attempts != 1 {
		t.Errorf("unknown collection: %v", err)
	}
}

// TestTearlineAddAndPage adds objects in envelopes large enough to be
// processed in the background (the status is polled until complete) and
// reads them back through every filter, page by page, byte for byte.
func TestTearlineAddAndPage(t *testing.T) {
	t.Parallel()
	e := newTearline(t)
	c := newClient(t, client.Options{Token: e.token})
	ctx := context.Background()
	objs := taxiitest.Indicators(0, 230, 0)
	v2 := taxiitest.Indicators(0, 10, 5) // a second version of the first ten
	sent := map[string][]byte{}
	for _, batch := range [][][]byte{objs[:120], objs[120:], v2} {
		st, err := c.Add(ctx, e.srv.Root, e.col.ID, batch)
		if err != nil {
			t.Fatal(err)
		}
		if st, err = c.Wait(ctx, e.srv.Root, st); err != nil {
			t.Fatal(err)
		}
		if st.TotalCount != len(batch) || st.SuccessCount != len(batch) || st.FailureCount != 0 {
			t.Fatalf("status %+v", st)
		}
		for _, o := range batch {
			sent[string(o)] = o
		}
	}
	// All versions, in pages of 37: every object comes back byte for byte.
	var got [][]byte
	pages := 0
	for env, err := range c.Pages(ctx, e.srv.Root, e.col.ID, client.Filter{Limit: 37, Versions: []string{"all"}}) {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, env.Objects...)
		if len(env.Objects) > 0 && (env.DateAddedFirst == "" || env.DateAddedLast == "") {
			t.Errorf("page %d lacks X-TAXII-Date-Added headers", pages)
		}
	}
	if len(got) != 240 || pages != 7 {
		t.Fatalf("got %d objects in %d pages, want 240 in 7", len(got), pages)
	}
	for _, o := range got {
		if sent[string(o)] == nil {
			t.Fatalf("object not sent byte for byte: %s", o)
		}
	}

	// Filters.
	count := func(f client.Filter) int {
		t.Helper()
		n := 0
		for env, err := range c.Pages(ctx, e.srv.Root, e.col.ID, f) {
			if err != nil {
				t.Fatal(err)
			}
			n += len(env.Objects)
		}
		return n
	}
	first, err := c.Objects(ctx, e.srv.Root, e.col.ID, client.Filter{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !first.More || first.Next == "" || len(first.Objects) != 5 {
		t.Fatalf("first page: more %v next %q, %d objects", first.More, first.Next, len(first.Objects))
	}
	for _, tc := range []struct {
		name string
		f    client.Filter
		want int
	}{
		{"latest versions", client.Filter{}, 230},
		{"first versions", client.Filter{Versions: []string{"first"}}, 230},
		{"match id", client.Filter{IDs: []string{taxiitest.ID("indicator", 3), taxiitest.ID("indicator", 200)}}, 2},
		{"match id all versions", client.Filter{IDs: []string{taxiitest.ID("indicator", 3)}, Versions: []string{"all"}}, 2},
		{"match type", client.Filter{Types: []string{"malware"}}, 0},
		{"match spec_version", client.Filter{SpecVersions: []string{"2.1"}, Versions: []string{"all"}}, 240},
		{"added_after", client.Filter{AddedAfter: first.DateAddedLast}, 225},
	} {
		if got := count(tc.f); got != tc.want {
			t.Errorf("%s: %d objects, want %d", tc.name, got, tc.want)
		}
	}

	id := taxiitest.ID("indicator", 3)
	vs, err := c.Versions(ctx, e.srv.Root, e.col.ID, id, client.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2025-06-01T12:00:00.000Z", "2025-06-01T12:05:00.000Z"}; !slices.Equal(vs.Versions, want) {
		t.Errorf("versions %v, want %v", vs.Versions, want)
	}
	obj, err := c.Object(ctx, e.srv.Root, e.col.ID, id, client.Filter{Versions: []string{"first"}})
	if err != nil || len(obj.Objects) != 1 || !bytes.Equal(obj.Objects[0], objs[3]) {
		t.Errorf("object first version: %v, %v", obj, err)
	}
	m, err := c.Manifest(ctx, e.srv.Root, e.col.ID, client.Filter{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	// The latest versions, in the order they were added: the first ten
	// objects' latest versions came last.
	if !m.More || len(m.Objects) != 3 || m.Objects[0].ID != idOf(t, objs[10]) || m.Objects[0].Version != "2025-06-01T12:00:00.000Z" || m.Objects[0].DateAdded == "" {
		t.Errorf("manifest %+v", m)
	}
}

func TestTearlineAddFailures(t *testing.T) {
	t.Parallel()
	e := newTearline(t)
	c := newClient(t, client.Options{Token: e.token})
	ctx := context.Background()
	bad := []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--5d0092c5-5f74-4287-9642-33f4c354e56d"}`)
	st, err := c.Add(ctx, e.srv.Root, e.col.ID, [][]byte{taxiitest.Indicator(1, 0), bad})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Complete() || st.SuccessCount != 1 || st.FailureCount != 1 || st.Failures[0].Message == "" {
		t.Errorf("status %+v", st)
	}
	reader := e.srv.Key(e.org, tearline.RoleReader)
	_, err = newClient(t, client.Options{Token: reader}).Add(ctx, e.srv.Root, e.col.ID, [][]byte{taxiitest.Indicator(2, 0)})
	if client.StatusOf(err) != http.StatusForbidden || !strings.Contains(err.Error(), "role") {
		t.Errorf("add as reader: %v", err)
	}
}

func TestTearlineAuth(t *testing.T) {
	t.Parallel()
	e := newTearline(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		opts   client.Options
		status int
	}{
		{"bearer", client.Options{Token: e.token}, 0},
		{"basic", client.Options{User: "anyone", Password: e.token}, 0},
		{"no credentials", client.Options{}, http.StatusUnauthorized},
		{"wrong token", client.Options{Token: "tl_nokey_nosecret"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newClient(t, tc.opts).Collections(ctx, e.srv.Root)
			if client.StatusOf(err) != tc.status || (tc.status == 0) != (err == nil) {
				t.Errorf("got %v, want status %d", err, tc.status)
			}
		})
	}
	if _, err := client.New(client.Options{Token: "x", User: "y"}); err == nil {
		t.Error("token and user together accepted")
	}
}

// TestTearlineClientCertificate authenticates with a TLS client
// certificate bound to the organization, over HTTPS.
func TestTearlineClientCertificate(t *testing.T) {
	t.Parallel()
	e := newTearline(t)
	ca, caKey := newCert(t, "Test CA", nil, nil)
	leaf, leafKey := newCert(t, "acme analyst", ca, caKey)
	bound, err := auth.ParseCertificatePEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}))
	if err != nil {
		t.Fatal(err)
	}
	bound.OrgID, bound.Role = e.org.ID, tearline.RoleReader
	if err := e.srv.DB.AddCertificate(context.Background(), bound); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	hs := httptest.NewUnstartedServer(e.srv.TAXII.Handler())
	hs.TLS = &tls.Config{ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	hs.StartTLS()
	t.Cleanup(hs.Close)
	roots := x509.NewCertPool()
	roots.AddCert(hs.Certificate())
	cert := &tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: leafKey}
	c := newClient(t, client.Options{Certificate: cert, RootCAs: roots})
	cols, err := c.Collections(context.Background(), hs.URL+"/taxii2/default/")
	if err != nil || len(cols) != 1 || cols[0].CanWrite {
		t.Fatalf("collections with a client certificate (role reader): %+v, %v", cols, err)
	}
	_, err = newClient(t, client.Options{RootCAs: roots}).Collections(context.Background(), hs.URL+"/taxii2/default/")
	if client.StatusOf(err) != http.StatusUnauthorized {
		t.Errorf("without a certificate: %v", err)
	}
}

func newCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	} else {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}
