package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/tearline/tearline/sqlite"
)

// TestServeLimitsSettings resolves the limit settings from flags, the
// environment and TOML, and refuses bad values.
func TestServeLimitsSettings(t *testing.T) {
	// Not parallel: it sets environment variables.
	def := defaultServeConfig()
	if def.RateLimit != 100 || def.RateBurst != 200 || def.MaxConcurrent != 32 || def.AuthFailureRate != 0.2 ||
		def.AuthFailureBurst != 10 || def.ReadHeaderTimeout != 10*time.Second || def.MetricsListen != "" {
		t.Errorf("defaults: %+v", def.limitsConfig)
	}
	file := filepath.Join(t.TempDir(), "tearline.toml")
	writeFile(t, file, `
rate_limit = 5.5
rate_burst = 7
max_concurrent = 0
auth_failure_rate = 0.5
auth_failure_burst = 3
read_header_timeout = "4s"
metrics_listen = "127.0.0.1:9999"
`)
	t.Setenv("TEARLINE_RATE_BURST", "9")
	t.Setenv("TEARLINE_AUTH_FAILURE_BURST", "4")
	cfg := defaultServeConfig()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.register(fs)
	if err := fs.Parse([]string{"--auth-failure-burst", "6", "--metrics-listen", "127.0.0.1:9191"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.resolve(fs, file); err != nil {
		t.Fatal(err)
	}
	want := limitsConfig{ReadHeaderTimeout: 4 * time.Second, RateLimit: 5.5, RateBurst: 9, MaxConcurrent: 0,
		AuthFailureRate: 0.5, AuthFailureBurst: 6, MetricsListen: "127.0.0.1:9191"}
	if cfg.limitsConfig != want {
		t.Errorf("resolved %+v, want %+v", cfg.limitsConfig, want)
	}
	for _, bad := range [][]string{{"--rate-limit", "-1"}, {"--rate-limit", "NaN"}, {"--max-concurrent", "-2"}, {"--rate-burst", "1.5"}} {
		cfg := defaultServeConfig()
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg.register(fs)
		err := fs.Parse(bad)
		if err == nil {
			err = cfg.resolve(fs, "")
		}
		if err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	t.Setenv("TEARLINE_MAX_CONCURRENT", "many")
	if err := defaultServeConfigPtr().resolve(pflag.NewFlagSet("x", pflag.ContinueOnError), ""); err == nil || !strings.Contains(err.Error(), "TEARLINE_MAX_CONCURRENT") {
		t.Errorf("bad environment value: %v", err)
	}
}

// TestServeRateLimit checks the 429 of the real server, configured by its
// settings, over HTTP.
func TestServeRateLimit(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "reader")
	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	cfg.RateLimit, cfg.RateBurst = 0.01, 2
	srv := boot(t, cfg)
	for range 2 {
		if code, body := do(t, http.DefaultClient, "GET", srv.URL()+"/taxii2/", token, nil); code != 200 {
			t.Fatalf("within the burst: %d %s", code, body)
		}
	}
	req, _ := http.NewRequest("GET", srv.URL()+"/taxii2/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || secs < 1 || !strings.Contains(string(body), `"http_status":"429"`) {
		t.Errorf("past the burst: %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

// TestServeMetricsAndProbes checks /metrics on the main listener (admin
// keys only) and on --metrics-listen (no credentials, nothing else
// served), and the probes.
func TestServeMetricsAndProbes(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme")
	admin := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "admin")
	reader := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "reader")
	colID := cli(t, "collection", "add", "--data", data, "--title", "Intel", "--read", "acme")
	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen, cfg.MetricsListen = data, "127.0.0.1:0", "127.0.0.1:0"
	srv := boot(t, cfg)
	base, mbase := srv.URL(), "http://"+srv.metrics.addr()

	// A read goes into the ledger.
	if code, body := do(t, http.DefaultClient, "GET", base+"/taxii2/default/collections/"+colID+"/objects/", reader, nil); code != 200 {
		t.Fatalf("GET objects: %d %s", code, body)
	}
	for _, tt := range []struct {
		url, token string
		status     int
	}{
		{base + "/metrics", "", 401},
		{base + "/metrics", reader, 403},
		{base + "/metrics", admin, 200},
		{base + "/readyz", "", 200},
		{base + "/healthz", "", 200},
		{mbase + "/metrics", "", 200},
		{mbase + "/readyz", "", 200},
		{mbase + "/healthz", "", 200},
		{mbase + "/taxii2/", reader, 404},
		{mbase + "/api/v1/organizations/", admin, 404},
	} {
		req, _ := http.NewRequest("GET", tt.url, nil)
		if tt.token != "" {
			req.Header.Set("Authorization", "Bearer "+tt.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s (token %v): %d, want %d", tt.url, tt.token != "", resp.StatusCode, tt.status)
			continue
		}
		if tt.status == 200 && strings.HasSuffix(tt.url, "/metrics") {
			srv.ledger.Flush()
			text := string(body)
			for _, want := range []string{
				`tearline_http_requests_total{code="200",method="GET",route="/taxii2/{root}/collections/{collection}/objects/"} 1`,
				`tearline_store_size_bytes{part="database"}`,
				`tearline_store_size_bytes{part="ledger"}`,
				`tearline_ledger_failed 0`,
				`tearline_ledger_records_total`,
				`tearline_submissions_pending 0`,
			} {
				if !strings.Contains(text, want) {
					t.Errorf("%s lacks %q", tt.url, want)
				}
			}
			if strings.Contains(text, `tearline_store_size_bytes{part="database"} 0`) {
				t.Errorf("%s: database size 0", tt.url)
			}
		}
	}
}

// TestTokenStoredHashed creates a key with the CLI and checks that the
// database holds the SHA-256 of its secret and never the secret.
func TestTokenStoredHashed(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "reader")
	parts := strings.SplitN(strings.TrimPrefix(token, "tl_"), "_", 2)
	if len(parts) != 2 {
		t.Fatalf("token %q", token)
	}
	keyID, secret := parts[0], parts[1]
	db, err := sql.Open("sqlite", filepath.Join(data, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var hash []byte
	if err := db.QueryRow(`SELECT hash FROM api_keys WHERE id = ?`, keyID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(secret)); !bytes.Equal(hash, sum[:]) {
		t.Errorf("stored hash %x is not the SHA-256 of the secret", hash)
	}
	db.Close()
	files, _ := filepath.Glob(filepath.Join(data, sqlite.FileName+"*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the token's secret", f)
		}
	}
}

// tlsEnv is a server under TLS with client certificates from a CA the test
// makes, and one client certificate bound to an organization as reader.
type tlsEnv struct {
	srv   *server
	pool  *x509.CertPool
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	bound tls.Certificate
	colID string
}

func newTLSEnv(t *testing.T) *tlsEnv {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	e := &tlsEnv{}
	e.ca, e.caKey = newCert(t, "Test CA", nil, nil, true)
	serverCert, serverKey := newCert(t, "127.0.0.1", e.ca, e.caKey, false)
	clientCert, clientKey := newCert(t, "sensor", e.ca, e.caKey, false)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", e.ca.Raw)
	writePEM(t, filepath.Join(dir, "server.pem"), "CERTIFICATE", serverCert.Raw)
	writeKey(t, filepath.Join(dir, "server.key"), serverKey)
	writePEM(t, filepath.Join(dir, "client.pem"), "CERTIFICATE", clientCert.Raw)
	cli(t, "org", "add", "--data", data, "--name", "cert-org")
	cli(t, "org", "cert", "--data", data, "--org", "cert-org", "--role", "reader", filepath.Join(dir, "client.pem"))
	e.colID = cli(t, "collection", "add", "--data", data, "--title", "Intel", "--read", "cert-org", "--write", "cert-org")
	e.bound = tls.Certificate{Certificate: [][]byte{clientCert.Raw}, PrivateKey: clientKey}

	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	cfg.TLSCert, cfg.TLSKey, cfg.ClientCA = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.pem")
	e.srv = boot(t, cfg)
	e.pool = x509.NewCertPool()
	e.pool.AddCert(e.ca)
	return e
}

func (e *tlsEnv) client(c *tls.Config) *http.Client {
	c.RootCAs = e.pool
	return &http.Client{Transport: &http.Transport{TLSClientConfig: c}}
}

// TestServeTLSVersionsAndCiphers checks that serve speaks TLS 1.3 and
// TLS 1.2 with forward-secret AEAD suites only, refuses older versions and
// CBC suites, and sends Strict-Transport-Security.
func TestServeTLSVersionsAndCiphers(t *testing.T) {
	t.Parallel()
	e := newTLSEnv(t)
	url := e.srv.URL() + "/healthz"
	for _, tt := range []struct {
		name string
		cfg  *tls.Config
		ok   bool
	}{
		{"TLS 1.3", &tls.Config{MinVersion: tls.VersionTLS13}, true},
		{"TLS 1.2 AES-GCM", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}, true},
		{"TLS 1.2 ChaCha20", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, true},
		{"TLS 1.2 default client", &tls.Config{MaxVersion: tls.VersionTLS12}, true},
		{"TLS 1.2 CBC only", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}}, false},
		{"TLS 1.1", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, false},
		{"TLS 1.0", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := e.client(tt.cfg).Get(url)
			if !tt.ok {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("handshake succeeded: %s, suite %s", tls.VersionName(resp.TLS.Version), tls.CipherSuiteName(resp.TLS.CipherSuite))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.TLS.Version == tls.VersionTLS12 && !slices.Contains(modernCipherSuites, resp.TLS.CipherSuite) {
				t.Errorf("negotiated %s", tls.CipherSuiteName(resp.TLS.CipherSuite))
			}
			if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
				t.Errorf("Strict-Transport-Security %q", hsts)
			}
		})
	}
	// Every suite allowed is secure by Go's own list.
	for _, id := range modernCipherSuites {
		if !slices.ContainsFunc(tls.CipherSuites(), func(s *tls.CipherSuite) bool { return s.ID == id }) {
			t.Errorf("%s is among Go's insecure suites", tls.CipherSuiteName(id))
		}
	}
}

// clientCert issues a client certificate signed by parent, valid from
// notBefore to notAfter.
func clientCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestServeMutualTLS fills the gaps of TestServeTLSClientCertificate: a
// bound certificate reads but its reader role may not write; expired,
// not-yet-valid, self-signed and other-CA certificates fail the handshake;
// a valid certificate of the CA that is not bound gets 401.
func TestServeMutualTLS(t *testing.T) {
	t.Parallel()
	e := newTLSEnv(t)
	now := time.Now()
	otherCA, otherKey := newCert(t, "Other CA", nil, nil, true)
	objects := e.srv.URL() + "/taxii2/default/collections/" + e.colID + "/objects/"
	withCert := func(c tls.Certificate) *http.Client {
		return e.client(&tls.Config{Certificates: []tls.Certificate{c}})
	}
	if code, body := do(t, withCert(e.bound), "GET", objects, "", nil); code != 200 {
		t.Errorf("bound certificate: %d %s", code, body)
	}
	envelope := []byte(`{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}]}`)
	if code, body := do(t, withCert(e.bound), "POST", objects, "", envelope); code != http.StatusForbidden {
		t.Errorf("POST with a reader certificate: %d %s", code, body)
	}
	unbound := clientCert(t, "stranger", e.ca, e.caKey, now.Add(-time.Hour), now.Add(time.Hour))
	if code, _ := do(t, withCert(unbound), "GET", objects, "", nil); code != http.StatusUnauthorized {
		t.Errorf("valid but unbound certificate: %d, want 401", code)
	}
	for name, c := range map[string]tls.Certificate{
		"expired":       clientCert(t, "old", e.ca, e.caKey, now.Add(-48*time.Hour), now.Add(-24*time.Hour)),
		"not yet valid": clientCert(t, "new", e.ca, e.caKey, now.Add(24*time.Hour), now.Add(48*time.Hour)),
		"self-signed":   clientCert(t, "self", nil, nil, now.Add(-time.Hour), now.Add(time.Hour)),
		"other CA":      clientCert(t, "other", otherCA, otherKey, now.Add(-time.Hour), now.Add(time.Hour)),
	} {
		// GetClientCertificate sends the certificate even when its issuer
		// is not among the CAs the server names (Certificates would not).
		forced := e.client(&tls.Config{GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }})
		req, _ := http.NewRequestWithContext(context.Background(), "GET", objects, nil)
		resp, err := forced.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s client certificate: handshake succeeded, status %d", name, resp.StatusCode)
			continue
		}
	}
}

// TestServeCutsOffSlowBodies sends a POST whose body stops coming: the
// read timeout ends it with a 400 that says why, not a 500.
func TestServeCutsOffSlowBodies(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	cli(t, "org", "add", "--data", data, "--name", "acme")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "contributor")
	colID := cli(t, "collection", "add", "--data", data, "--title", "Intel", "--write", "acme")
	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	cfg.ReadTimeout = 500 * time.Millisecond
	srv := boot(t, cfg)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /taxii2/default/collections/%s/objects/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Accept: %s\r\nContent-Type: %s\r\nContent-Length: 1000\r\n\r\n{\"objects\":[", colID, token, taxiiType, taxiiType)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "read timeout") {
		t.Errorf("stalled body: %d %s", resp.StatusCode, body)
	}
}
