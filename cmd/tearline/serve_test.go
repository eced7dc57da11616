package main

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
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
)

const taxiiType = "application/taxii+json;version=2.1"

// cli runs a CLI command that must succeed and returns its trimmed output.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, "", args...)
	if code != 0 {
		t.Fatalf("tearline %v: exit %d\n%s\n%s", args, code, out, errOut)
	}
	return strings.TrimSpace(out)
}

// boot starts the whole server in-process on a free port and stops it
// gracefully when the test ends, checking that Serve returned cleanly.
func boot(t *testing.T, cfg serveConfig) *server {
	t.Helper()
	srv, _ := bootStop(t, cfg)
	return srv
}

// bootStop is boot, also returning a function that stops the server before
// the test ends (it is then not stopped again).
func bootStop(t *testing.T, cfg serveConfig) (*server, func()) {
	t.Helper()
	srv, err := startServer(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Close(ctx); err != nil {
				t.Errorf("close: %v", err)
			}
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return srv, stop
}

func do(t *testing.T, c *http.Client, method, url, token string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", taxiiType)
	if body != nil {
		req.Header.Set("Content-Type", taxiiType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme", "--type", "private", "--country", "us", "--sector", "financial-services")
	cli(t, "org", "add", "--data", data, "--name", "other")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "contributor")
	otherToken := cli(t, "key", "create", "--data", data, "--org", "other", "--role", "reader")
	colID := cli(t, "collection", "add", "--data", data, "--title", "Shared Intel", "--write", "acme")

	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	srv := boot(t, cfg)
	base := srv.URL()
	c := http.DefaultClient

	if code, _ := do(t, c, "GET", base+"/taxii2/", "", nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous discovery: %d, want 401", code)
	}
	code, body := do(t, c, "GET", base+"/taxii2/", token, nil)
	if code != 200 || !strings.Contains(string(body), "/taxii2/default/") {
		t.Fatalf("discovery: %d %s", code, body)
	}
	// The collection is invisible to an organization without a grant.
	if code, _ := do(t, c, "GET", base+"/taxii2/default/collections/"+colID+"/", otherToken, nil); code != http.StatusNotFound {
		t.Errorf("collection for org without grant: %d, want 404", code)
	}

	raw, err := os.ReadFile(needData(t, "oasis-examples/indicator-for-c2-ip-address.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(raw, &bundle); err != nil {
		t.Fatal(err)
	}
	envelope, _ := json.Marshal(map[string]any{"objects": bundle.Objects})
	code, body = do(t, c, "POST", base+"/taxii2/default/collections/"+colID+"/objects/", token, envelope)
	if code != http.StatusAccepted || !strings.Contains(string(body), `"status":"complete"`) {
		t.Fatalf("POST: %d %s", code, body)
	}
	code, body = do(t, c, "GET", base+"/taxii2/default/collections/"+colID+"/objects/", token, nil)
	var env struct{ Objects []json.RawMessage }
	if code != 200 || json.Unmarshal(body, &env) != nil || len(env.Objects) != len(bundle.Objects) {
		t.Fatalf("GET objects: %d, %d objects, want %d: %s", code, len(env.Objects), len(bundle.Objects), body)
	}
	// The data outlives the server: the CLI sees it afterwards.
	if out := cli(t, "collections", "list", "--data", data); !strings.Contains(out, "shared-intel") {
		t.Errorf("collections list: %s", out)
	}
}

func TestServeTLSClientCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	ca, caKey := newCert(t, "Test CA", nil, nil, true)
	serverCert, serverKey := newCert(t, "127.0.0.1", ca, caKey, false)
	clientCert, clientKey := newCert(t, "analyst", ca, caKey, false)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	writePEM(t, filepath.Join(dir, "server.pem"), "CERTIFICATE", serverCert.Raw)
	writeKey(t, filepath.Join(dir, "server.key"), serverKey)
	writePEM(t, filepath.Join(dir, "client.pem"), "CERTIFICATE", clientCert.Raw)

	cli(t, "org", "add", "--data", data, "--name", "cert-org")
	cli(t, "org", "cert", "--data", data, "--org", "cert-org", "--role", "reader", filepath.Join(dir, "client.pem"))

	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	cfg.TLSCert, cfg.TLSKey, cfg.ClientCA = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.pem")
	srv := boot(t, cfg)

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	withCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool,
		Certificates: []tls.Certificate{{Certificate: [][]byte{clientCert.Raw}, PrivateKey: clientKey}}}}}
	noCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if code, body := do(t, withCert, "GET", srv.URL()+"/taxii2/", "", nil); code != 200 {
		t.Errorf("discovery with client certificate: %d %s", code, body)
	}
	if code, _ := do(t, noCert, "GET", srv.URL()+"/taxii2/", "", nil); code != http.StatusUnauthorized {
		t.Errorf("discovery without client certificate: %d, want 401", code)
	}
}

func newCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
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
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:         isCA, BasicConstraintsValid: true,
	}
	if ip := net.ParseIP(cn); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
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
	return c, key
}

func writePEM(t *testing.T, name, typ string, der []byte) {
	t.Helper()
	writeFile(t, name, string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})))
}

func writeKey(t *testing.T, name string, key *ecdsa.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, name, "EC PRIVATE KEY", der)
}

func TestServeConfigPrecedence(t *testing.T) {
	// Not parallel: it sets environment variables.
	dir := t.TempDir()
	file := filepath.Join(dir, "tearline.toml")
	writeFile(t, file, `
listen = "127.0.0.1:9001"
title = "from file"
contact = "file@example.org"
read_timeout = "30s"

[[api_root]]
name = "partners"
title = "Partners"
default = true
`)
	t.Setenv("TEARLINE_TITLE", "from env")
	t.Setenv("TEARLINE_CONTACT", "env@example.org")
	cfg := defaultServeConfig()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.register(fs)
	if err := fs.Parse([]string{"--contact", "flag@example.org"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.resolve(fs, file); err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9001" || cfg.Title != "from env" || cfg.Contact != "flag@example.org" ||
		cfg.ReadTimeout != 30*time.Second || len(cfg.APIRoots) != 1 || !cfg.APIRoots[0].Default {
		t.Errorf("resolved config: %+v", cfg)
	}

	writeFile(t, file, "no_such_setting = 1\n")
	if err := defaultServeConfigPtr().resolve(pflag.NewFlagSet("x", pflag.ContinueOnError), file); err == nil || !strings.Contains(err.Error(), "no_such_setting") {
		t.Errorf("unknown setting: %v", err)
	}
	t.Setenv("TEARLINE_READ_TIMEOUT", "soon")
	if err := defaultServeConfigPtr().resolve(pflag.NewFlagSet("x", pflag.ContinueOnError), ""); err == nil || !strings.Contains(err.Error(), "TEARLINE_READ_TIMEOUT") {
		t.Errorf("bad environment value: %v", err)
	}
}

// TestServeLedger reads objects through the real server as two
// organizations, stops it, and finds the disclosures with tearline audit.
func TestServeLedger(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	acmeID := cli(t, "org", "add", "--data", data, "--name", "acme", "--country", "us")
	otherID := cli(t, "org", "add", "--data", data, "--name", "other", "--country", "us")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "contributor")
	otherToken := cli(t, "key", "create", "--data", data, "--org", "other", "--role", "reader")
	colID := cli(t, "collection", "add", "--data", data, "--title", "Shared Intel", "--write", "acme", "--read", "other")

	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	srv, stop := bootStop(t, cfg)
	objects := srv.URL() + "/taxii2/default/collections/" + colID + "/objects/"
	const (
		green = "indicator--1b4b4c62-3a41-4c1b-9d0e-000000000001"
		red   = "indicator--1b4b4c62-3a41-4c1b-9d0e-000000000002"
	)
	ind := func(id, tlp string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2024-01-01T00:00:00.000Z",` +
			`"modified":"2024-01-01T00:00:00.000Z","name":"i","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix",` +
			`"valid_from":"2024-01-01T00:00:00Z","object_marking_refs":["` + tlp + `"]}`
	}
	envelope := `{"objects":[` + ind(green, marking.TLP2Green) + "," + ind(red, marking.TLP2Red) + `]}`
	if code, body := do(t, http.DefaultClient, "POST", objects, token, []byte(envelope)); code != http.StatusAccepted || !strings.Contains(string(body), `"status":"complete"`) {
		t.Fatalf("POST: %d %s", code, body)
	}
	for _, tok := range []string{token, otherToken} {
		if code, body := do(t, http.DefaultClient, "GET", objects, tok, nil); code != 200 || !strings.Contains(string(body), green) || strings.Contains(string(body), red) {
			t.Fatalf("GET objects: %d %s", code, body)
		}
	}
	stop()

	if out := cli(t, "audit", "verify", "--data", data); !strings.Contains(out, "ledger verified: 3 records") || !strings.Contains(out, "4 disclosures") {
		t.Errorf("audit verify: %s", out)
	}
	for _, tt := range []struct{ id, decision string }{{green, "whole"}, {red, "withhold"}} {
		out := cli(t, "audit", "who", "--data", data, "--object", tt.id)
		for _, org := range []string{acmeID, otherID} {
			if !regexp.MustCompile(regexp.QuoteMeta(org) + `\s+` + tt.decision + `\s+taxii-objects\s`).MatchString(out) {
				t.Errorf("audit who --object %s lacks %s %s:\n%s", tt.id, org, tt.decision, out)
			}
		}
	}
}

// TestServeMarkingSettings sets the marking and ledger settings by TOML,
// environment and flags, and checks that the server refuses bad levels.
func TestServeMarkingSettings(t *testing.T) {
	// Not parallel: it sets environment variables.
	def := defaultServeConfig()
	if !slices.Equal(def.ClassificationLevels, marking.DefaultLevels) || !def.Ledger || def.LedgerSkipWithheld {
		t.Errorf("defaults: %+v", def)
	}
	file := filepath.Join(t.TempDir(), "tearline.toml")
	writeFile(t, file, `
classification_levels = ["PUBLIC", "RESTRICTED"]
ledger = false
`)
	tests := []struct {
		env   map[string]string
		flags []string
		want  func(c serveConfig) bool
	}{
		{nil, nil, func(c serveConfig) bool {
			return slices.Equal(c.ClassificationLevels, []string{"PUBLIC", "RESTRICTED"}) && !c.Ledger
		}},
		{map[string]string{"TEARLINE_CLASSIFICATION_LEVELS": "LOW, HIGH", "TEARLINE_LEDGER_SKIP_WITHHELD": "true"}, nil, func(c serveConfig) bool {
			return slices.Equal(c.ClassificationLevels, []string{"LOW", "HIGH"}) && c.LedgerSkipWithheld && !c.Ledger
		}},
		{map[string]string{"TEARLINE_CLASSIFICATION_LEVELS": "LOW,HIGH"}, []string{"--classification-levels", "U,S,TOP SECRET", "--ledger=true"},
			func(c serveConfig) bool {
				return slices.Equal(c.ClassificationLevels, []string{"U", "S", "TOP SECRET"}) && c.Ledger
			}},
	}
	for i, tt := range tests {
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		cfg := defaultServeConfig()
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		cfg.register(fs)
		if err := fs.Parse(tt.flags); err != nil {
			t.Fatal(err)
		}
		if err := cfg.resolve(fs, file); err != nil {
			t.Fatal(err)
		}
		if !tt.want(cfg) {
			t.Errorf("case %d: resolved %+v", i, cfg)
		}
	}

	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen, cfg.ClassificationLevels = t.TempDir(), "127.0.0.1:0", []string{"LOW", "LOW"}
	if _, err := startServer(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "LOW") {
		t.Errorf("repeated level: %v", err)
	}
	// Without the ledger nothing is recorded.
	cfg.Data, cfg.ClassificationLevels, cfg.Ledger = t.TempDir(), nil, false
	srv := boot(t, cfg)
	if srv.ledger != nil {
		t.Error("--ledger=false opened a ledger")
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, ledger.DirName)); !os.IsNotExist(err) {
		t.Errorf("--ledger=false: ledger directory: %v", err)
	}
}

func defaultServeConfigPtr() *serveConfig {
	c := defaultServeConfig()
	return &c
}

// TestServeCutsOffSlowClients checks that a client that sends its request
// headers too slowly (slow loris) is disconnected.
func TestServeCutsOffSlowClients(t *testing.T) {
	t.Parallel()
	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = t.TempDir(), "127.0.0.1:0"
	cfg.ReadTimeout = 300 * time.Millisecond
	srv := boot(t, cfg)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /taxii2/ HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	// The request never completes; the server must close the connection
	// long before this deadline.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("slow client still connected after 10s (read %q)", b)
	}
}

// TestServeBadTLSTouchesNothing checks that settings that cannot work fail
// before the data directory is opened (and submissions resumed).
func TestServeBadTLSTouchesNothing(t *testing.T) {
	t.Parallel()
	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = filepath.Join(t.TempDir(), "data"), "127.0.0.1:0"
	cfg.TLSCert, cfg.TLSKey = filepath.Join(t.TempDir(), "none.pem"), filepath.Join(t.TempDir(), "none.key")
	if _, err := startServer(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("missing TLS certificate: %v", err)
	}
	if _, err := os.Stat(cfg.Data); !os.IsNotExist(err) {
		t.Errorf("the data directory was created: %v", err)
	}
}
