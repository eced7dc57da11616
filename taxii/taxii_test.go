package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
)

// env is a running server on 127.0.0.1 over a real store (SQLite in a
// temporary directory, or PostgreSQL: see openTestStore), with
// organizations of different standing:
//
//	admin       admin key, no grants
//	reader      reader key; read grant on "intel" and "other"
//	contributor contributor key and analyst key ("analyst"); read and
//	            write grants on "intel", read on "second-root"
//	nogrant     reader key, no grants
//	writeonly   reader key; write grant only on "intel" (so it sees nothing)
//
// Collections: "intel" and "other" in the default root, "second-root" in
// API root "second".
type env struct {
	t      testing.TB
	dir    string
	db     Backend
	srv    *Server
	ts     *httptest.Server
	tokens map[string]string
	orgs   map[string]*tearline.Organization
	intel  *tearline.Collection
	other  *tearline.Collection
	second *tearline.Collection
	// wrap, when set, wraps the store the server is given.
	wrap func(Backend) Backend
}

// testConfig is the configuration of test servers: two API roots, small
// pages and a small synchronous limit so that tests reach every path.
func testConfig() Config {
	return Config{
		Title:       "Tearline test",
		Description: "test server",
		Contact:     "soc@example.org",
		APIRoots: []APIRoot{
			{Name: "default", Title: "Default root", Description: "the default root"},
			{Name: "second", Title: "Second root", MaxContentLength: 4096},
		},
		MaxContentLength: 8 << 20,
		MaxPageSize:      200,
		DefaultPageSize:  50,
		SyncObjects:      100,
		Logger:           testLogger(),
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("TAXII_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newEnv starts a server with cfg (testConfig when nil) and the fixtures.
// The background workers run unless noStart.
func newEnv(t testing.TB, cfg *Config, noStart bool) *env {
	t.Helper()
	c := testConfig()
	if cfg != nil {
		c = *cfg
	}
	e := &env{t: t, dir: t.TempDir(), tokens: map[string]string{}, orgs: map[string]*tearline.Organization{}}
	e.open(c, noStart)
	e.fixtures()
	return e
}

// open opens the store in e.dir and starts a server on it.
func (e *env) open(cfg Config, noStart bool) {
	t := e.t
	ctx := context.Background()
	db, err := openTestStore(t, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	if e.wrap != nil {
		db = e.wrap(db)
	}
	srv, err := New(cfg, db)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if !noStart {
		if err := srv.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.db, e.srv = db, srv
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(e.close)
}

// close stops the server and closes the store; it may be called twice.
func (e *env) close() {
	if e.ts == nil {
		return
	}
	e.ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		e.t.Error(err)
	}
	if err := e.db.Close(); err != nil {
		e.t.Error(err)
	}
	e.ts = nil
}

// restart stops the server and starts a new one over the same data.
func (e *env) restart(cfg Config, noStart bool) {
	e.close()
	e.open(cfg, noStart)
}

func (e *env) fixtures() {
	t := e.t
	ctx := context.Background()
	org := func(name string) *tearline.Organization {
		o := &tearline.Organization{Name: name, Type: "private", Country: "us"}
		if err := e.db.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		e.orgs[name] = o
		return o
	}
	key := func(name string, o *tearline.Organization, role tearline.Role) {
		e.tokens[name] = e.newKey(o, role)
	}
	col := func(alias, root string) *tearline.Collection {
		c := &tearline.Collection{Alias: alias, Title: "Collection " + alias, Description: "about " + alias, APIRoot: root}
		if err := e.db.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	grant := func(c *tearline.Collection, o *tearline.Organization, read, write bool) {
		if err := e.db.SetGrant(ctx, tearline.Grant{CollectionID: c.ID, OrgID: o.ID, Read: read, Write: write}); err != nil {
			t.Fatal(err)
		}
	}
	admin, reader, contrib, nogrant, writeonly := org("Admin Org"), org("Reader Org"), org("Contributor Org"), org("No Grant Org"), org("Write Only Org")
	key("admin", admin, tearline.RoleAdmin)
	key("reader", reader, tearline.RoleReader)
	key("contributor", contrib, tearline.RoleContributor)
	key("analyst", contrib, tearline.RoleAnalyst)
	key("nogrant", nogrant, tearline.RoleReader)
	key("writeonly", writeonly, tearline.RoleReader)
	e.intel, e.other, e.second = col("intel", ""), col("other", ""), col("second-root", "second")
	grant(e.intel, reader, true, false)
	grant(e.other, reader, true, false)
	grant(e.intel, contrib, true, true)
	grant(e.second, contrib, true, false)
	grant(e.intel, writeonly, false, true)
}

// grant sets the grant of the named organization on c.
func (e *env) grant(c *tearline.Collection, org string, read, write bool) {
	e.t.Helper()
	if err := e.db.SetGrant(context.Background(), tearline.Grant{CollectionID: c.ID, OrgID: e.orgs[org].ID, Read: read, Write: write}); err != nil {
		e.t.Fatal(err)
	}
}

// newKey creates an API key and returns its token.
func (e *env) newKey(o *tearline.Organization, role tearline.Role) string {
	tok, err := auth.NewToken()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.CreateAPIKey(context.Background(), &tearline.APIKey{ID: tok.KeyID, OrgID: o.ID, Role: role}, tok.Hash()); err != nil {
		e.t.Fatal(err)
	}
	return tok.String()
}

// response is an HTTP response read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// decode unmarshals the body into v.
func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// req is a request to send: who sends it and with which headers. A token
// of "" sends no credentials.
type req struct {
	method, path, token string
	body                []byte
	header              map[string]string // "" values remove the default
}

// do sends a request with the TAXII Accept header (and Content-Type for a
// body) unless header overrides them.
func (e *env) do(r req) *response {
	e.t.Helper()
	return doWith(e.t, e.ts.Client(), e.ts.URL, r)
}

func doWith(t testing.TB, client *http.Client, base string, r req) *response {
	t.Helper()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr, err := http.NewRequest(r.method, base+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Accept", mediaTAXII)
	if r.body != nil {
		hr.Header.Set("Content-Type", mediaTAXII)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	resp, err := client.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", r.method, r.path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// get sends a GET as the named key.
func (e *env) get(who, path string) *response {
	e.t.Helper()
	return e.do(req{path: path, token: e.tokens[who]})
}

// post sends a POST of body as the named key.
func (e *env) post(who, path string, body []byte) *response {
	e.t.Helper()
	return e.do(req{method: http.MethodPost, path: path, token: e.tokens[who], body: body})
}

// expect checks the status of a response and, for errors, that the body
// is a TAXII error object with the same http_status.
func expect(t testing.TB, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if status >= 400 {
		var e errorResource
		r.decode(t, &e)
		if e.Title == "" || e.Description == "" || e.HTTPStatus != fmt.Sprint(status) {
			t.Fatalf("error body %s is not a complete TAXII error with http_status %d", r.body, status)
		}
	}
}

// colPath returns the path of a collection in the default root, with
// suffix.
func colPath(c *tearline.Collection, suffix string) string {
	root := "default"
	if c.APIRoot != "" {
		root = c.APIRoot
	}
	return "/taxii2/" + root + "/collections/" + c.ID + "/" + suffix
}

// ns is the namespace of test object ids.
var ns = uuid.MustParse("8f0d3c3a-52c2-4f6e-9c1e-6a3c2b1d0e4f")

// objID returns a deterministic STIX id.
func objID(typ string, n int) string {
	return typ + "--" + uuid.NewSHA1(ns, []byte(fmt.Sprint(typ, n))).String()
}

// baseTime is the created time of test objects.
var baseTime = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// indicator returns a valid indicator with id number n and version v (its
// modified timestamp is baseTime plus v minutes).
func indicator(n, v int) string {
	created := baseTime.Format(millisLayout)
	modified := baseTime.Add(time.Duration(v) * time.Minute).Format(millisLayout)
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"name":"indicator %d","pattern":"[ipv4-addr:value = '10.0.%d.%d']","pattern_type":"stix","valid_from":%q,"x_custom":  [1, 2]}`,
		objID("indicator", n), created, modified, n, n/256%256, n%256, created)
}

// malware returns a valid malware object with id number n.
func malware(n int) string {
	ts := baseTime.Format(millisLayout)
	return fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"malware %d","is_family":false}`,
		objID("malware", n), ts, ts, n)
}

// ipv4 returns an SCO, which has no version timestamps.
func ipv4(n int) string {
	return fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":%q,"value":"192.0.2.%d"}`, objID("ipv4-addr", n), n%256)
}

// envelope wraps objects in a TAXII envelope.
func envelope(objs ...string) []byte {
	return []byte(`{"objects":[` + strings.Join(objs, ",") + `]}`)
}

// indicators returns count indicators numbered from first, version v.
func indicators(first, count, v int) []string {
	var out []string
	for i := range count {
		out = append(out, indicator(first+i, v))
	}
	return out
}

// envelopeResource is an objects response.
type envelopeResource struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// ids returns the ids of the objects of an envelope.
func (env *envelopeResource) ids(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, o := range env.Objects {
		var x struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(o, &x); err != nil {
			t.Fatal(err)
		}
		out = append(out, x.ID)
	}
	return out
}

// add posts objects to a collection as the contributor and checks that
// every one succeeded synchronously.
func (e *env) add(c *tearline.Collection, objs ...string) statusResource {
	e.t.Helper()
	r := e.post("contributor", colPath(c, "objects/"), envelope(objs...))
	expect(e.t, r, http.StatusAccepted)
	var st statusResource
	r.decode(e.t, &st)
	if st.Status != tearline.StatusComplete || st.SuccessCount != len(objs) {
		e.t.Fatalf("add: status %+v", st)
	}
	return st
}

// saved is a status a background submission saved; the worker waits
// until resume is closed, or the server shuts down, or the test ends.
type saved struct {
	*tearline.Status
	resume chan struct{}
}

// saves returns a channel that receives the statuses saved by background
// submissions, each holding its worker until resumed.
func (e *env) saves() chan saved {
	ch := make(chan saved)
	stop := make(chan struct{})
	e.t.Cleanup(func() { close(stop) })
	shutdown := e.srv.stop
	hook := func(st *tearline.Status) {
		sv := saved{st, make(chan struct{})}
		select {
		case ch <- sv:
		case <-stop:
			return
		case <-shutdown:
			return
		}
		select {
		case <-sv.resume:
		case <-stop:
		case <-shutdown:
		}
	}
	e.srv.afterSave.Store(&hook)
	return ch
}

// receive waits for a saved status, failing after a deadline.
func receive(t testing.TB, ch chan saved) saved {
	t.Helper()
	select {
	case sv := <-ch:
		return sv
	case <-time.After(30 * time.Second):
		t.Fatal("no status saved within 30s")
		return saved{}
	}
}

// completion resumes saved statuses until a complete one, which it
// returns (resumed).
func completion(t testing.TB, ch chan saved) *tearline.Status {
	t.Helper()
	for {
		sv := receive(t, ch)
		close(sv.resume)
		if sv.Status.Status == tearline.StatusComplete {
			return sv.Status
		}
	}
}
