// Package taxiitest runs real Tearline TAXII servers for the tests of other
// packages (the TAXII client, federation): a taxii.Server over a SQLite
// store in a temporary directory, listening on 127.0.0.1, with helpers to
// create organizations, keys and collections, generate valid STIX objects,
// and restart the server over the same data.
package taxiitest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/postgres"
	"github.com/tearline/tearline/postgres/pgtest"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/taxii"
)

// Server is a running Tearline TAXII server.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port); Discovery and Root are
	// the URLs of discovery and of the default API root.
	URL, Discovery, Root string
	DB                   Store
	TAXII                *taxii.Server
	// Ledger records disclosures when the server was started WithLedger.
	Ledger *ledger.Ledger
	// Dir is the data directory.
	Dir string

	t      testing.TB
	cfg    taxii.Config
	ledger bool
	pgURL  string // the PostgreSQL schema of the store, when there is one
	http   *httptest.Server
}

// Store is what a test server's store offers: what the TAXII server
// needs, and federation peers.
type Store interface {
	taxii.Backend
	tearline.Peers
}

// Option changes how Start sets a server up.
type Option func(*Server)

// WithConfig sets the TAXII configuration (Logger and Ledger are filled in).
func WithConfig(cfg taxii.Config) Option { return func(s *Server) { s.cfg = cfg } }

// WithLedger records disclosures in a ledger in the data directory.
func WithLedger() Option { return func(s *Server) { s.ledger = true } }

// Logger returns a logger for test servers: debug lines on stderr when
// TAXII_TEST_LOG is set, else nothing.
func Logger() *slog.Logger {
	if os.Getenv("TAXII_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// openStore opens the server's store: SQLite in s.Dir, or, when
// TEARLINE_TEST_STORE=postgres, a PostgreSQL schema of its own in the
// database that TEARLINE_TEST_POSTGRES names (the test skips when it is
// unset), the same schema again after a restart.
func (s *Server) openStore(ctx context.Context) (Store, error) {
	if os.Getenv("TEARLINE_TEST_STORE") != "postgres" {
		return sqlite.Open(ctx, s.Dir)
	}
	if s.pgURL == "" {
		s.pgURL = pgtest.URL(s.t)
	}
	return postgres.Open(ctx, s.pgURL)
}

// Start starts a server on a new data directory; it is stopped when the
// test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, Dir: t.TempDir()}
	for _, o := range opts {
		o(s)
	}
	s.open()
	t.Cleanup(s.Stop)
	return s
}

// open opens the store and ledger in s.Dir and starts serving them.
func (s *Server) open() {
	t := s.t
	t.Helper()
	ctx := context.Background()
	db, err := s.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.cfg
	if cfg.Logger == nil {
		cfg.Logger = Logger()
	}
	if s.ledger {
		if s.Ledger, err = ledger.Open(filepath.Join(s.Dir, ledger.DirName), ledger.Options{Logger: cfg.Logger}); err != nil {
			db.Close()
			t.Fatal(err)
		}
		cfg.Ledger = s.Ledger
	}
	srv, err := taxii.New(cfg, db)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		db.Close()
		t.Fatal(err)
	}
	s.DB, s.TAXII = db, srv
	if s.http == nil {
		s.http = httptest.NewServer(srv.Handler())
	} else {
		// A restart keeps the address, so that peers' URLs stay valid.
		s.http = restartOn(t, s.http.Listener.Addr().String(), srv)
	}
	s.URL = s.http.URL
	s.Discovery = s.URL + "/taxii2/"
	s.Root = s.URL + "/taxii2/default/"
}

// Stop stops the server and closes its store; it may be called twice.
func (s *Server) Stop() {
	if s.DB == nil {
		return
	}
	s.http.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.TAXII.Shutdown(ctx); err != nil {
		s.t.Error(err)
	}
	if s.Ledger != nil {
		if err := s.Ledger.Close(); err != nil {
			s.t.Error(err)
		}
		s.Ledger = nil
	}
	if err := s.DB.Close(); err != nil {
		s.t.Error(err)
	}
	s.DB = nil
}

// Restart stops the server and starts it again over the same data and on
// the same address.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.open()
}

// Org creates an organization with the given name and, when given,
// country (alpha-2 or alpha-3).
func (s *Server) Org(name, country string) *tearline.Organization {
	s.t.Helper()
	o := &tearline.Organization{Name: name, Type: "other", Country: country}
	if err := s.DB.CreateOrganization(context.Background(), o); err != nil {
		s.t.Fatal(err)
	}
	return o
}

// Key creates an API key of org with role and returns its token.
func (s *Server) Key(org *tearline.Organization, role tearline.Role) string {
	s.t.Helper()
	tok, err := auth.NewToken()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.DB.CreateAPIKey(context.Background(), &tearline.APIKey{ID: tok.KeyID, OrgID: org.ID, Role: role}, tok.Hash()); err != nil {
		s.t.Fatal(err)
	}
	return tok.String()
}

// Collection creates a collection with alias.
func (s *Server) Collection(alias string) *tearline.Collection {
	s.t.Helper()
	c := &tearline.Collection{Alias: alias, Title: "Collection " + alias}
	if err := s.DB.CreateCollection(context.Background(), c); err != nil {
		s.t.Fatal(err)
	}
	return c
}

// Grant sets org's access to collection c.
func (s *Server) Grant(c *tearline.Collection, org *tearline.Organization, read, write bool) {
	s.t.Helper()
	if err := s.DB.SetGrant(context.Background(), tearline.Grant{CollectionID: c.ID, OrgID: org.ID, Read: read, Write: write}); err != nil {
		s.t.Fatal(err)
	}
}

// Stored returns the objects of collection c as stored, every version, in
// the order they were added.
func (s *Server) Stored(c *tearline.Collection) []*tearline.Entry {
	s.t.Helper()
	var out []*tearline.Entry
	q := tearline.ObjectQuery{CollectionID: c.ID, Versions: []string{tearline.VersionAll}, Limit: 5000}
	for {
		page, err := s.DB.QueryObjects(context.Background(), q)
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, page.Entries...)
		if !page.More || len(page.Entries) == 0 {
			return out
		}
		q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
	}
}

// ns is the namespace of generated object ids.
var ns = uuid.MustParse("3a1f6a1e-2b7c-4d55-9a0e-5b8c1d2e3f40")

// ID returns a deterministic STIX id of the given type for number n.
func ID(typ string, n int) string {
	return typ + "--" + uuid.NewSHA1(ns, []byte(fmt.Sprint(typ, n))).String()
}

// Base is the created time of generated objects.
var Base = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Indicator returns a valid indicator number n, version v (modified is
// Base plus v minutes), with extra members (such as
// `"object_marking_refs":[...]`) added when not empty.
func Indicator(n, v int, extra ...string) []byte {
	created := Base.Format("2006-01-02T15:04:05.000Z")
	modified := Base.Add(time.Duration(v) * time.Minute).Format("2006-01-02T15:04:05.000Z")
	more := ""
	if len(extra) > 0 {
		more = "," + strings.Join(extra, ",")
	}
	return fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"name":"indicator %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":%q, "x_note": [1, 2.50]%s}`,
		ID("indicator", n), created, modified, n, n/65536%256, n/256%256, n%256, created, more)
}

// Indicators returns count indicators numbered from first, version v.
func Indicators(first, count, v int, extra ...string) [][]byte {
	out := make([][]byte, count)
	for i := range out {
		out[i] = Indicator(first+i, v, extra...)
	}
	return out
}

// Envelope wraps objects in a TAXII envelope.
func Envelope(objs [][]byte) []byte {
	var b strings.Builder
	b.WriteString(`{"objects":[`)
	for i, o := range objs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// restartOn starts a test HTTP server for srv listening on addr again.
func restartOn(t testing.TB, addr string, srv *taxii.Server) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	return hs
}
