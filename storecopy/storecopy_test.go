package storecopy_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres"
	"github.com/tearline/tearline/postgres/pgtest"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/storecopy"
	_ "modernc.org/sqlite"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

// object returns version v of object n of a type, with bytes no
// re-serializer would reproduce, carrying an IPv4 value.
func object(typ string, n, v int) *tearline.Object {
	id := fmt.Sprintf("%s--%08x-0000-4000-8000-000000000000", typ, n)
	mod := t0.Add(time.Duration(v) * time.Minute)
	raw := fmt.Sprintf("{\"type\":%q, \"spec_version\":\"2.1\",\n \"id\":%q,\"created\":%q,\"modified\":%q,"+
		"\"pattern\":\"[ipv4-addr:value = '10.0.0.%d']\",\"name\":\"caf\\u00e9 %d\",\"x_custom\": [1, 2.50]}  ",
		typ, id, t0.Format(time.RFC3339Nano), mod.Format(time.RFC3339Nano), n, v)
	return &tearline.Object{ID: id, Type: typ, SpecVersion: "2.1", Version: mod, Created: t0, Raw: []byte(raw)}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// populate fills a SQLite data directory through the store: a row or more
// in every table, versions shared by collections, a removed version, and
// the rows of the observable index and of federation.
func populate(t *testing.T, dir string) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir)
	must(t, err)
	defer db.Close()
	a := &tearline.Organization{Name: "acme", Type: "private", Country: "US", Sectors: []string{"energy"},
		Communities: []string{"FVEY"}, Contacts: []tearline.Contact{{Name: "SOC", Email: "soc@acme.example"}}, Languages: []string{"en"}}
	b := &tearline.Organization{Name: "isac", Type: "isac", Country: "GB"}
	must(t, db.CreateOrganization(ctx, a))
	must(t, db.CreateOrganization(ctx, b))
	key := &tearline.APIKey{ID: "k1", OrgID: a.ID, Role: tearline.RoleAnalyst, Description: "first"}
	must(t, db.CreateAPIKey(ctx, key, bytes.Repeat([]byte{7}, 32)))
	must(t, db.CreateAPIKey(ctx, &tearline.APIKey{ID: "k2", OrgID: b.ID, Role: tearline.RoleReader}, bytes.Repeat([]byte{8}, 32)))
	must(t, db.RevokeAPIKey(ctx, "k2"))
	must(t, db.AddCertificate(ctx, &tearline.Certificate{Fingerprint: strings.Repeat("ab", 32), OrgID: b.ID, Role: tearline.RoleReader, Subject: "CN=isac"}))
	intel := &tearline.Collection{Alias: "intel", Title: "Intel", MediaTypes: []string{"application/stix+json;version=2.1"}}
	wide := &tearline.Collection{Alias: "wide", Title: "Wide", Description: "everyone"}
	gone := &tearline.Collection{Alias: "gone", Title: "Gone"}
	for _, c := range []*tearline.Collection{intel, wide, gone} {
		must(t, db.CreateCollection(ctx, c))
	}
	must(t, db.SetGrant(ctx, tearline.Grant{CollectionID: intel.ID, OrgID: b.ID, Read: true}))
	must(t, db.SetPIIPolicy(ctx, intel.ID, tearline.PIIPolicy{Action: tearline.PIIRedact, FlagIdentifiers: true}))
	var all []*tearline.Object
	for n := 1; n <= 40; n++ {
		all = append(all, object("indicator", n, 0), object("indicator", n, 1))
	}
	_, err = db.AddObjects(ctx, intel.ID, all)
	must(t, err)
	_, err = db.AddObjects(ctx, wide.ID, all[:10])
	must(t, err)
	_, err = db.AddObjects(ctx, gone.ID, []*tearline.Object{object("indicator", 99, 0)})
	must(t, err)
	must(t, db.DeleteCollection(ctx, gone.ID)) // a gap in the row keys
	var refs []tearline.ObservableRef
	for i, o := range all {
		src := a.ID
		if i%3 == 0 {
			src = b.ID
		}
		refs = append(refs, tearline.ObservableRef{Kind: "ipv4", Value: fmt.Sprintf("10.0.0.%d", i/2+1), ObjectID: o.ID, Version: o.Version, Source: src, Time: t0})
	}
	refs = append(refs, tearline.ObservableRef{Kind: "domain", Value: "evil.example", Time: t0})
	must(t, db.RecordObservables(ctx, refs))

	st := &tearline.Status{APIRoot: "", CollectionID: intel.ID, OrgID: a.ID, Status: tearline.StatusComplete, RequestTime: t0, TotalCount: 1,
		Successes: []tearline.StatusDetail{{ID: all[0].ID, Version: "x"}}}
	must(t, db.CreateSubmission(ctx, st, []byte(`{"objects":[]}`)))
	must(t, db.CompleteSubmission(ctx, st))
	must(t, db.SetSubmissionKey(ctx, st.ID, key.ID))
	// Submission records, the later one first in id order: a copy back
	// writes their objects in another order than they were.
	for _, sub := range []struct{ id, first string }{{"sub-z", all[4].ID}, {"sub-a", all[9].ID}} {
		must(t, db.RecordSubmission(ctx, &tearline.Submission{ID: sub.id, OrgID: a.ID, CollectionID: intel.ID,
			Received: t0, Available: t0, Objects: []string{sub.first, all[1].ID, all[2].ID}}))
	}
	must(t, db.CreateProduct(ctx, &tearline.Product{SourceID: all[0].ID, SourceVersion: all[0].VersionKey(), CollectionID: wide.ID,
		Raw: all[2].Raw, AuthorOrg: a.ID, AuthorKey: key.ID}))
	must(t, db.CreateRelease(ctx, &tearline.Release{ObjectID: all[0].ID, Version: all[0].VersionKey(), SourceCollectionID: intel.ID,
		CollectionID: wide.ID, RequesterOrg: b.ID, RequesterKey: "k2", OriginatorOrg: a.ID, Justification: "needed"}))
	must(t, db.HoldForReview(ctx, []*tearline.Review{{CollectionID: intel.ID, StatusID: st.ID, ObjectID: all[4].ID, Version: all[4].VersionKey(),
		Raw: all[4].Raw, Digest: sha256.Sum256(all[4].Raw), Findings: []tearline.PIIFinding{{Kind: "email", Path: "/name", Start: 0, End: 3}},
		SubmitterOrg: a.ID, SubmitterKey: key.ID}}))
	must(t, db.UpdateScores(ctx, func(tx tearline.ScoreTx) error {
		if err := tx.SaveScores([]*tearline.ScoreRecord{{ID: all[1].ID, Version: all[1].Version, Org: a.ID, Stated: 80, Confidence: 60, Context: 45,
			HalfLife: 30 * 24 * time.Hour, Sources: 2, Warnings: []tearline.WarningHit{{List: "local", Value: "10.0.0.1"}}, Computed: t0}}); err != nil {
			return err
		}
		return tx.SaveScoreLinks([]tearline.ScoreLink{{Target: all[1].ID, Source: "sighting--1", Kind: "sighting", Time: t0}})
	}))
	must(t, db.SetReliability(ctx, &tearline.Reliability{OrgID: b.ID, Grade: "B", Value: 80}))
	_, err = db.AddWarningEntries(ctx, []tearline.WarningEntry{{List: "local", Value: "10.9.9.9", Comment: "lab"}})
	must(t, err)
	sub := &tearline.Subscription{OrgID: b.ID, Name: "all", Filter: []byte(`{"types":["indicator"]}`), WebhookURL: "https://isac.example/hook", WebhookSecret: "s3cret"}
	must(t, db.CreateSubscription(ctx, sub))
	must(t, db.SaveCursors(ctx, map[string]int64{sub.ID: 3}))
	must(t, db.SaveDeadLetter(ctx, &tearline.DeadLetter{SubscriptionID: sub.ID, FirstSeq: 1, LastSeq: 2, Objects: 2, Attempts: 5, LastError: "500"}))
	must(t, db.SetClient(ctx, a.ID, b.ID, true))

	peer := &tearline.Peer{Name: "isac", OrgID: b.ID, URL: "https://isac.example/taxii2/default/", Token: "t0ken", Ceiling: "TLP:GREEN",
		Crosswalk: []tearline.MarkingMap{{Remote: "marking-definition--0b5c4a2e-1f2a-4d3b-8c6e-9f0a1b2c3d4e", Local: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"}}}
	must(t, db.CreatePeer(ctx, peer))
	link := &tearline.Link{PeerID: peer.ID, Direction: tearline.LinkPull, CollectionID: intel.ID, RemoteCollection: "remote", Interval: time.Minute}
	must(t, db.CreateLink(ctx, link))
	must(t, db.SaveLinkState(ctx, &tearline.LinkState{LinkID: link.ID, Cursor: "2026-01-01T00:00:00.000Z", LastRun: t0, LastError: "boom", Failures: 1, Objects: 7}))
	must(t, db.AddProvenance(ctx, []tearline.Provenance{{VersionRef: tearline.VersionRef{ID: all[0].ID, Version: all[0].VersionKey()}, PeerID: peer.ID, RemoteCollection: "remote"}}))
	must(t, db.HoldObjects(ctx, []*tearline.Held{{PeerID: peer.ID, LinkID: link.ID, CollectionID: intel.ID, RemoteCollection: "remote",
		ObjectID: all[6].ID, Version: all[6].VersionKey(), Raw: all[6].Raw, Reason: "unknown marking"}}))
}

// dump reads every table of a SQLite data directory in a form that does
// not depend on row keys: row keys are replaced by what they stand for,
// and JSON text is compared by value.
func dump(t *testing.T, dir string) map[string][]string {
	t.Helper()
	// The full-text index is in the derived file, which its indexer fills
	// once the store is open; a search waits for it.
	st, err := sqlite.Open(context.Background(), dir)
	must(t, err)
	_, err = st.SearchText(context.Background(), "indicator", 1)
	must(t, err)
	must(t, st.Close())
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?mode=ro")
	must(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`ATTACH DATABASE ? AS derived`, "file:"+filepath.Join(dir, sqlite.DerivedFileName)+"?mode=ro")
	must(t, err)
	queries := map[string]string{
		"objects":            `SELECT idh, id, version, type, spec_version, created, revoked, hash, raw FROM objects`,
		"collection_objects": `SELECT c.id, co.date_added, o.id, o.version, co.id, co.version, co.type, co.is_first, co.is_last FROM collection_objects co JOIN objects o ON o.pk = co.object JOIN collections c ON c.pk = co.collection`,
		"observable_objects": `SELECT l.observable, l.org, o.id, o.version FROM observable_objects l JOIN objects o ON o.pk = l.object`,
		"object_scores":      `SELECT o.id, o.version, s.confidence, s.context, s.record FROM object_scores s JOIN objects o ON o.pk = s.object`,
		// A submission's objects, whatever rows hold them.
		"submissions": `SELECT s.id, s.org, s.collection, s.received, s.available, s.state, s.acknowledged, s.first_feedback,
			s.updated, s.updated_by, s.note, (SELECT group_concat(object, ' ') FROM (SELECT so.object FROM submission_objects so
				WHERE so.rowid BETWEEN s.objects_first AND s.objects_last ORDER BY so.rowid))
			FROM submissions s`,
		// The index's values, merged or recent; and the next id, whatever
		// was merged when.
		"observables":        `SELECT key, id FROM observables UNION ALL SELECT key, id FROM observables_recent`,
		"observables_recent": `SELECT 1 WHERE 0`,
		"observable_next":    `SELECT next FROM observable_next`,
		// The keys of the versions' ids, merged or recent.
		"object_ids":        `SELECT o.id, o.version FROM object_keys k JOIN objects o ON o.pk = k.pk`,
		"object_ids_recent": `SELECT 1 WHERE 0`,
		"object_ids_merged": `SELECT 1 WHERE 0`,
		// Provenance records, whatever their order, and their keys,
		// merged or recent.
		"provenance":             `SELECT idh, version, peer, remote_collection, object, added FROM provenance`,
		"provenance_keys":        `SELECT p.object, p.version, p.peer FROM provenance_by_id k JOIN provenance p ON p.seq = k.seq`,
		"provenance_keys_recent": `SELECT 1 WHERE 0`,
		// The feed's entries, whatever runs hold them.
		"feed": `SELECT seq, time, collection, date_added FROM ` + storecopy.FeedEntries,
		// object_text keeps no copy of the text: which versions it
		// indexes, and what a search of their words finds.
		"object_text": `SELECT o.id, (SELECT count(*) FROM object_text m WHERE m.object_text MATCH 'indicator OR malware OR pattern OR c2' AND m.rowid = t.rowid)
			FROM object_text t JOIN objects o ON o.pk = t.rowid`,
	}
	// The ties to the derived file differ between stores by design.
	names, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'object_text_%'
		AND name NOT IN ('goose_db_version', 'sqlite_sequence', 'derived_key', 'pk_floor', 'text_gone')`)
	must(t, err)
	tables := []string{"object_text"}
	for names.Next() {
		var n string
		must(t, names.Scan(&n))
		tables = append(tables, n)
	}
	names.Close()
	out := map[string][]string{}
	for _, tb := range tables {
		q, ok := queries[tb]
		if !ok {
			q = `SELECT * FROM "` + tb + `"`
		}
		rows, err := db.Query(q)
		must(t, err)
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			must(t, rows.Scan(ptrs...))
			for i, v := range vals {
				if s, ok := v.(string); ok && (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) {
					var x any
					if json.Unmarshal([]byte(s), &x) == nil {
						b, _ := json.Marshal(x)
						vals[i] = "json:" + string(b)
					}
				}
			}
			out[tb] = append(out[tb], fmt.Sprintf("%#v", vals))
		}
		rows.Close()
		slices.Sort(out[tb])
	}
	return out
}

// TestRoundTrip copies a SQLite data directory into a fresh PostgreSQL
// schema and back into a new data directory, and compares the two data
// directories table by table.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	src, back := t.TempDir(), t.TempDir()
	populate(t, src)
	var progress bytes.Buffer
	rep, err := storecopy.Copy(ctx, src, url, storecopy.Options{Progress: &progress})
	if err != nil {
		t.Fatalf("SQLite to PostgreSQL: %v", err)
	}
	if rep.Objects != 80 {
		t.Errorf("copied %d object versions, want 80", rep.Objects)
	}
	for _, c := range rep.Counts {
		if c.Source != c.Target {
			t.Errorf("table %s: %d rows, source %d", c.Table, c.Target, c.Source)
		}
	}
	if !strings.Contains(progress.String(), "copying rows") {
		t.Errorf("no progress bar: %q", progress.String())
	}
	compareStores(t, src, url)
	rep2, err := storecopy.Copy(ctx, url, back, storecopy.Options{})
	if err != nil {
		t.Fatalf("PostgreSQL to SQLite: %v", err)
	}
	if rep2.ObjectsHash != rep.ObjectsHash || rep2.MembersHash != rep.MembersHash {
		t.Errorf("hashes differ after the round trip: %+v, then %+v", rep, rep2)
	}
	settle(t, back)
	want, got := dump(t, src), dump(t, back)
	if len(want["observable_objects"]) == 0 || len(want["object_text"]) == 0 || len(want["held"]) == 0 {
		t.Fatalf("the source lacks rows the test needs: %v", want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("data directory after the round trip (-source +copy):\n%s", diff)
	}
	// Copied over a store that holds data, with Replace: the same, with
	// nothing of the replaced store left in its derived tables.
	dirty := t.TempDir()
	populate(t, dirty)
	if _, err := storecopy.Copy(ctx, url, dirty, storecopy.Options{Replace: true}); err != nil {
		t.Fatalf("PostgreSQL to SQLite, replacing: %v", err)
	}
	settle(t, dirty)
	if diff := cmp.Diff(got, dump(t, dirty)); diff != "" {
		t.Errorf("data directory after a replacing copy (-fresh copy +replacing copy):\n%s", diff)
	}

	// The copy works as a store: lookups read the index and the peers.
	db, err := sqlite.Open(ctx, back)
	must(t, err)
	defer db.Close()
	e, err := db.LookupObservable(ctx, "ipv4", "10.0.0.1", 0)
	if err != nil || len(e.Objects) != 2 || len(e.Sources) != 2 {
		t.Errorf("lookup in the copy: %+v, %v", e, err)
	}
	if _, err := db.FindPeer(ctx, "isac"); err != nil {
		t.Errorf("peer in the copy: %v", err)
	}
	// Versions and provenance are found by id (the key tables were
	// filled), and the copy's own index is gone.
	firstObject := object("indicator", 1, 0).ID // populate's all[0]
	ps, err := db.ProvenanceOf(ctx, firstObject)
	if err != nil || len(ps) != 1 || ps[0].RemoteCollection != "remote" {
		t.Errorf("provenance of %s in the copy: %+v, %v", firstObject, ps, err)
	}
	cs, err := db.ObjectCreators(ctx, []string{firstObject})
	if err != nil || len(cs) != 1 {
		t.Errorf("creators of %s in the copy: %v, %v", firstObject, cs, err)
	}
	lite, err := sql.Open("sqlite", "file:"+filepath.Join(back, sqlite.FileName)+"?mode=ro")
	must(t, err)
	defer lite.Close()
	var n int
	must(t, lite.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'objects'`).Scan(&n))
	if n != 0 {
		t.Errorf("the copy left %d indexes on objects", n)
	}
}

// settle opens the SQLite store in dir and waits until its full-text
// index, rebuilt after a copy, covers every stored version.
func settle(t *testing.T, dir string) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), dir)
	must(t, err)
	defer db.Close()
	must(t, db.SyncText(context.Background()))
}

// TestRefusals: a non-empty target without Replace, two stores of the same
// kind, and a table storecopy does not know, each stop the copy before it
// writes anything.
func TestRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t)
	src := t.TempDir()
	populate(t, src)
	if _, err := storecopy.Copy(ctx, src, url, storecopy.Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := storecopy.Copy(ctx, src, url, storecopy.Options{})
	if err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("copy into a full target: %v", err)
	}
	if _, err := storecopy.Copy(ctx, src, url, storecopy.Options{Replace: true}); err != nil {
		t.Errorf("copy with Replace: %v", err)
	}
	if _, err := storecopy.Copy(ctx, src, t.TempDir(), storecopy.Options{}); err == nil {
		t.Error("copy between two data directories succeeded")
	}
	if _, err := storecopy.Copy(ctx, filepath.Join(t.TempDir(), "none"), pgtest.URL(t), storecopy.Options{}); err == nil || !strings.Contains(err.Error(), "no store") {
		t.Errorf("copy from a directory without a store: %v", err)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(src, sqlite.FileName))
	must(t, err)
	_, err = db.Exec(`CREATE TABLE x_future (a INTEGER)`)
	db.Close()
	must(t, err)
	_, err = storecopy.Copy(ctx, src, pgtest.URL(t), storecopy.Options{})
	if err == nil || !strings.Contains(err.Error(), "sqlite table x_future") {
		t.Errorf("copy of a database with an unknown table: %v", err)
	}
}

// compareStores reads the SQLite source and the PostgreSQL copy through
// the stores' interfaces, which would show a time or flag copied in the
// wrong unit even when the way back undoes it.
func compareStores(t *testing.T, dir, url string) {
	t.Helper()
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, dir)
	must(t, err)
	defer lite.Close()
	pg, err := postgres.Open(ctx, url)
	must(t, err)
	defer pg.Close()
	type store interface {
		tearline.Store
		tearline.Directory
		tearline.StatusStore
		tearline.Products
		tearline.Releases
		tearline.Reviews
		tearline.PIIPolicies
		tearline.Scores
		tearline.Reliabilities
		tearline.WarningLists
		tearline.Subscriptions
		tearline.Observables
		tearline.Peers
		tearline.TextSearch
	}
	read := func(s store) map[string]any {
		out := map[string]any{}
		get := func(name string, v any, err error) {
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = v
		}
		orgs, err := s.Organizations(ctx)
		get("organizations", orgs, err)
		for _, o := range orgs {
			keys, err := s.APIKeys(ctx, o.ID)
			get("keys "+o.Name, keys, err)
			grants, err := s.OrgGrants(ctx, o.ID)
			get("grants "+o.Name, grants, err)
			subs, err := s.ListSubscriptions(ctx, o.ID)
			get("subscriptions "+o.Name, subs, err)
			for _, sub := range subs {
				dl, err := s.DeadLetters(ctx, sub.ID)
				get("dead letters "+sub.Name, dl, err)
			}
		}
		cols, err := s.Collections(ctx)
		get("collections", cols, err)
		for _, c := range cols {
			page, err := s.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: c.ID, Versions: []string{"all"}})
			get("objects "+c.Alias, page, err)
			pol, err := s.PIIPolicy(ctx, c.ID)
			get("pii "+c.Alias, pol, err)
			prods, err := s.Products(ctx, c.ID, "")
			get("products "+c.Alias, prods, err)
		}
		rels, err := s.ListReleases(ctx, tearline.ReleaseFilter{})
		get("releases", rels, err)
		revs, err := s.ListReviews(ctx, tearline.ReviewFilter{})
		get("reviews", revs, err)
		if len(revs) > 0 {
			st, err := s.FindStatus(ctx, revs[0].StatusID)
			get("status", st, err)
		}
		scores, err := s.FindScores(ctx, []string{object("indicator", 1, 0).ID})
		get("scores", scores, err)
		rel, err := s.Reliabilities(ctx)
		get("reliabilities", rel, err)
		wl, err := s.WarningEntries(ctx, "local")
		get("warning entries", wl, err)
		e, err := s.LookupObservable(ctx, "ipv4", "10.0.0.3", 0)
		get("observable", e, err)
		peers, err := s.ListPeers(ctx)
		get("peers", peers, err)
		links, err := s.ListLinks(ctx, "")
		get("links", links, err)
		for _, l := range links {
			st, err := s.LinkState(ctx, l.ID)
			get("link state", st, err)
		}
		held, err := s.ListHeld(ctx, "")
		get("held", held, err)
		prov, err := s.ProvenanceOf(ctx, object("indicator", 1, 0).ID)
		get("provenance", prov, err)
		// The full-text indexes rank differently: the hits are compared
		// as sets.
		hits, err := s.SearchText(ctx, "café", 1000)
		slices.SortFunc(hits, func(a, b tearline.TextHit) int {
			if c := strings.Compare(a.ID, b.ID); c != 0 {
				return c
			}
			return a.Version.Compare(b.Version)
		})
		if len(hits) == 0 {
			t.Error("the search finds nothing")
		}
		get("search", hits, err)
		return out
	}
	if diff := cmp.Diff(read(lite), read(pg)); diff != "" {
		t.Errorf("the stores differ (-sqlite +postgres):\n%s", diff)
	}
}
