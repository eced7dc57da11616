// Package uitest runs a whole Tearline server with the analyst portal for
// tests (handler tests here, browser tests elsewhere): a SQLite store and
// a disclosure ledger in a temporary directory (or PostgreSQL), the TAXII server and the
// portal on one 127.0.0.1 listener, and a seeded data set with users.
//
// The seed (see Seed) has two organizations sharing one collection:
// Alpha CERT, whose users are analyst "alice" and admin "root", and Bravo
// ISAC, whose user is "bob"; every password is Password. Bravo shared a
// TLP:RED malware that Alpha must never see. Alpha CERT hosts the server
// (taxii.Config.HostOrg).
package uitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/postgres"
	"github.com/tearline/tearline/postgres/pgtest"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/taxii"
	"github.com/tearline/tearline/ui"
)

// Password is the password of every seeded user.
const Password = "correct horse battery staple"

// Server is a running Tearline server with the portal.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port); the portal is at
	// URL+"/ui/".
	URL string
	// DB is the store: SQLite in Dir, or PostgreSQL with Options.Postgres.
	DB     Store
	TAXII  *taxii.Server
	Portal *ui.Portal
	Ledger *ledger.Ledger
	Dir    string
	HTTP   *httptest.Server

	t testing.TB
}

// Store is what the server keeps its data in.
type Store interface {
	taxii.Backend
	tearline.PortalUsers
}

// Options change how Start sets a server up.
type Options struct {
	// Postgres keeps the data in a new schema of the PostgreSQL database
	// that pgtest.EnvURL names (the test is skipped when it is not set)
	// instead of SQLite.
	Postgres bool
	// Portal is the portal's configuration; Server, Store and Logger are
	// filled in.
	Portal ui.Config
	// TLS serves HTTPS (httptest's certificate) instead of HTTP.
	TLS bool
}

// Start starts a server on a new data directory, without data; it is
// stopped when the test ends. Use Seed for the standard data set.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{t: t, Dir: t.TempDir()}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("UI_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var (
		db  Store
		err error
	)
	if opts.Postgres {
		db, err = postgres.Open(ctx, pgtest.URL(t))
	} else {
		db, err = sqlite.Open(ctx, s.Dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.DB = db
	t.Cleanup(s.stop)
	if s.Ledger, err = ledger.Open(filepath.Join(s.Dir, ledger.DirName), ledger.Options{Logger: log}); err != nil {
		t.Fatal(err)
	}
	// Alpha CERT (see Seed) hosts the server: its analysts triage
	// partners' submissions and read the sharing metrics.
	if s.TAXII, err = taxii.New(taxii.Config{Logger: log, Ledger: s.Ledger, HostOrg: "Alpha CERT"}, db); err != nil {
		t.Fatal(err)
	}
	if err := s.TAXII.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := opts.Portal
	cfg.Server, cfg.Store, cfg.Logger = s.TAXII, db, log
	if s.Portal, err = ui.New(cfg); err != nil {
		t.Fatal(err)
	}
	h := ui.Mount(s.TAXII.Handler(), s.Portal)
	if opts.TLS {
		s.HTTP = httptest.NewTLSServer(h)
	} else {
		s.HTTP = httptest.NewServer(h)
	}
	s.URL = s.HTTP.URL
	return s
}

func (s *Server) stop() {
	if s.HTTP != nil {
		s.HTTP.Close()
	}
	if s.TAXII != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.TAXII.Shutdown(ctx); err != nil {
			s.t.Error(err)
		}
	}
	if s.Ledger != nil {
		if err := s.Ledger.Close(); err != nil {
			s.t.Error(err)
		}
	}
	if err := s.DB.Close(); err != nil {
		s.t.Error(err)
	}
}

// Org creates an organization.
func (s *Server) Org(name string) *tearline.Organization {
	s.t.Helper()
	o := &tearline.Organization{Name: name, Type: "other", Country: "GB"}
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

// User creates a portal user of org with role and Password.
func (s *Server) User(name string, org *tearline.Organization, role tearline.Role) {
	s.t.Helper()
	h, err := ui.HashPassword(Password)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.DB.CreateUser(context.Background(), &tearline.User{Name: name, OrgID: org.ID, Role: role, PasswordHash: h}); err != nil {
		s.t.Fatal(err)
	}
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

// Post submits objects to collection c through the TAXII API with token
// and fails the test unless every one is stored.
func (s *Server) Post(token string, c *tearline.Collection, objs ...string) {
	s.t.Helper()
	var buf bytes.Buffer
	buf.WriteString(`{"objects":[`)
	for i, o := range objs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(o)
	}
	buf.WriteString(`]}`)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/taxii2/default/collections/"+c.ID+"/objects/", &buf)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	res, err := s.HTTP.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusAccepted || !bytes.Contains(body, fmt.Appendf(nil, `"success_count":%d`, len(objs))) {
		s.t.Fatalf("POST objects: %s %s", res.Status, body)
	}
}

// Seeded is the standard data set that Seed creates.
type Seeded struct {
	Alpha, Bravo *tearline.Organization
	Intel        *tearline.Collection
	// Tokens: API keys of Alpha (analyst, reader) and Bravo (analyst).
	AlphaAnalystToken, AlphaReaderToken, BravoToken string
	// Objects: Alpha's TLP:GREEN malware Emotet, its TLP:AMBER indicator
	// and their "indicates" relationship; Bravo's TLP:GREEN campaign, and
	// Bravo's TLP:RED malware that only Bravo may see, whose name holds
	// RedSecret.
	Malware, Indicator, Relationship, Campaign, RedMalware string
}

// Stamp is the created and modified time of seeded objects.
var Stamp = "2026-01-05T10:00:00.000Z"

// Seed creates the standard data set: organizations Alpha CERT and
// Bravo ISAC, both reading and writing collection "intel"; users alice
// (Alpha analyst), root (Alpha admin), reader (Alpha reader) and bob
// (Bravo analyst), with Password; and the objects of Seeded.
func (s *Server) Seed() *Seeded {
	s.t.Helper()
	d := &Seeded{Alpha: s.Org("Alpha CERT"), Bravo: s.Org("Bravo ISAC"), Intel: s.Collection("intel")}
	s.Grant(d.Intel, d.Alpha, true, true)
	s.Grant(d.Intel, d.Bravo, true, true)
	s.User("alice", d.Alpha, tearline.RoleAnalyst)
	s.User("root", d.Alpha, tearline.RoleAdmin)
	s.User("reader", d.Alpha, tearline.RoleReader)
	s.User("bob", d.Bravo, tearline.RoleAnalyst)
	d.AlphaAnalystToken = s.Key(d.Alpha, tearline.RoleAnalyst)
	d.AlphaReaderToken = s.Key(d.Alpha, tearline.RoleReader)
	d.BravoToken = s.Key(d.Bravo, tearline.RoleAnalyst)
	d.Malware, d.Indicator = "malware--"+uuid.NewString(), "indicator--"+uuid.NewString()
	d.Relationship, d.Campaign, d.RedMalware = "relationship--"+uuid.NewString(), "campaign--"+uuid.NewString(), "malware--"+uuid.NewString()
	green, amber, red := marking.TLP2Green, marking.TLP2Amber, marking.TLP2Red
	s.Post(d.AlphaAnalystToken, d.Intel,
		fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Emotet","description":"Banking trojan turned loader","is_family":true,"created_by_ref":%q,"object_marking_refs":[%q]}`,
			d.Malware, Stamp, Stamp, d.Alpha.ID, green),
		fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Emotet C2 address","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":%q,"created_by_ref":%q,"object_marking_refs":[%q]}`,
			d.Indicator, Stamp, Stamp, Stamp, d.Alpha.ID, amber),
		fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"relationship_type":"indicates","source_ref":%q,"target_ref":%q,"created_by_ref":%q,"object_marking_refs":[%q]}`,
			d.Relationship, Stamp, Stamp, d.Indicator, d.Malware, d.Alpha.ID, green),
	)
	s.Post(d.BravoToken, d.Intel,
		fmt.Sprintf(`{"type":"campaign","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Spring Emotet wave","description":"Lures to hospitals","created_by_ref":%q,"object_marking_refs":[%q]}`,
			d.Campaign, Stamp, Stamp, d.Bravo.ID, green),
		fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"RedSecret Emotet variant","description":"Only for Bravo","is_family":false,"created_by_ref":%q,"object_marking_refs":[%q]}`,
			d.RedMalware, Stamp, Stamp, d.Bravo.ID, red),
	)
	return d
}
