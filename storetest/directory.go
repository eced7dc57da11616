package storetest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// DirectoryStore is a store that also keeps the directory. The directory
// suite needs both: grants refer to collections.
type DirectoryStore interface {
	tearline.Store
	tearline.Directory
}

// RunDirectory runs the conformance suite of tearline.Directory against the
// store returned by open: organizations, API keys and their revocation,
// certificate bindings, grants and their removal, and error codes. open is
// called once per subtest, possibly from parallel subtests, and must return
// a new, empty store that it closes with t.Cleanup.
func RunDirectory(t *testing.T, open func(t *testing.T) DirectoryStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s DirectoryStore)
	}{
		{"CreateOrganization", testCreateOrganization},
		{"CreateOrganizationInvalid", testCreateOrganizationInvalid},
		{"OrganizationConflict", testOrganizationConflict},
		{"OrganizationProfile", testOrganizationProfile},
		{"UpdateOrganization", testUpdateOrganization},
		{"Organizations", testOrganizations},
		{"CreateAPIKey", testCreateAPIKey},
		{"CreateAPIKeyErrors", testCreateAPIKeyErrors},
		{"APIKeys", testAPIKeys},
		{"RevokeAPIKey", testRevokeAPIKey},
		{"AddCertificate", testAddCertificate},
		{"AddCertificateErrors", testAddCertificateErrors},
		{"SetGrant", testSetGrant},
		{"SetGrantErrors", testSetGrantErrors},
		{"GrantsOrder", testGrantsOrder},
		{"DeleteCollectionGrants", testDeleteCollectionGrants},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// mustOrg creates an organization with the given name.
func mustOrg(t testing.TB, s tearline.Directory, name string) *tearline.Organization {
	t.Helper()
	o := &tearline.Organization{Name: name, Type: "private", Country: "US", Sectors: []string{"financial-services"}}
	if err := s.CreateOrganization(context.Background(), o); err != nil {
		t.Fatalf("CreateOrganization(%q): %v", name, err)
	}
	return o
}

// mustKey creates an API key of the organization with the given id and
// role, and hash "hash-"+id.
func mustKey(t testing.TB, s tearline.Directory, orgID, id string, role tearline.Role, created time.Time) *tearline.APIKey {
	t.Helper()
	k := &tearline.APIKey{ID: id, OrgID: orgID, Role: role, Description: "key " + id, Created: created}
	if err := s.CreateAPIKey(context.Background(), k, []byte("hash-"+id)); err != nil {
		t.Fatalf("CreateAPIKey(%q): %v", id, err)
	}
	return k
}

// mustGrant sets a grant.
func mustGrant(t testing.TB, s tearline.Directory, g tearline.Grant) {
	t.Helper()
	if err := s.SetGrant(context.Background(), g); err != nil {
		t.Fatalf("SetGrant(%+v): %v", g, err)
	}
}

// aboutNow fails t unless tm is within a few seconds of the current time.
func aboutNow(t testing.TB, name string, tm time.Time) {
	t.Helper()
	if d := time.Since(tm); d < -5*time.Second || d > 5*time.Second {
		t.Errorf("%s = %v, want about now", name, tm)
	}
}

// newIdentityID returns a new random identity id.
func newIdentityID() string { return "identity--" + uuid.NewString() }

func testCreateOrganization(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := &tearline.Organization{
		Name:    "Cyber Agency, ünïcode",
		Type:    "federal",
		Country: "DE",
		Sectors: []string{"government-national", "defense"},
	}
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	id, ok := strings.CutPrefix(o.ID, "identity--")
	if u, err := uuid.Parse(id); !ok || err != nil || u.String() != id || u.Version() != 4 {
		t.Errorf("ID = %q, want identity--<canonical UUID v4>", o.ID)
	}
	aboutNow(t, "Created", o.Created)
	for _, key := range []string{o.ID, o.Name} {
		got, err := s.FindOrganization(ctx, key)
		if err != nil {
			t.Fatalf("FindOrganization(%q): %v", key, err)
		}
		if d := cmp.Diff(o, got); d != "" {
			t.Errorf("FindOrganization(%q) mismatch (-want +got):\n%s", key, d)
		}
	}

	// A given id and creation time are kept; an organization may have no
	// type, country or sectors.
	given := &tearline.Organization{
		ID:      newIdentityID(),
		Name:    "Minimal",
		Created: time.Date(2021, 3, 4, 5, 6, 7, 123456000, time.UTC),
	}
	want := *given
	if err := s.CreateOrganization(ctx, given); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&want, given); d != "" {
		t.Errorf("CreateOrganization changed given fields (-want +got):\n%s", d)
	}
	got, err := s.FindOrganization(ctx, given.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(&want, got); d != "" {
		t.Errorf("FindOrganization mismatch (-want +got):\n%s", d)
	}

	for _, key := range []string{"No such org", newIdentityID(), "", strings.ToLower(o.Name)} {
		_, err := s.FindOrganization(ctx, key)
		wantCode(t, err, tearline.ENOTFOUND)
	}
}

func testCreateOrganizationInvalid(t *testing.T, s DirectoryStore) {
	tests := []struct {
		name string
		o    tearline.Organization
	}{
		{"empty name", tearline.Organization{}},
		{"blank name", tearline.Organization{Name: " \t"}},
		{"name like an id", tearline.Organization{Name: newIdentityID()}},
		{"id not a UUID", tearline.Organization{ID: "identity--acme", Name: "a"}},
		{"id of another type", tearline.Organization{ID: "indicator--" + uuid.NewString(), Name: "b"}},
		{"bare UUID", tearline.Organization{ID: uuid.NewString(), Name: "c"}},
		{"country not a code", tearline.Organization{Name: "d", Country: "XYZ"}},
		{"country not letters", tearline.Organization{Name: "e", Country: "1A"}},
		{"type outside the vocabulary", tearline.Organization{Name: "f", Type: "government"}},
		{"sector outside the vocabulary", tearline.Organization{Name: "g", Sectors: []string{"banking"}}},
		{"malformed language", tearline.Organization{Name: "h", Languages: []string{"english!"}}},
		{"empty community", tearline.Organization{Name: "i", Communities: []string{" "}}},
		{"contact without a name", tearline.Organization{Name: "j", Contacts: []tearline.Contact{{Email: "soc@example.org"}}}},
		{"contact language malformed", tearline.Organization{Name: "k", Contacts: []tearline.Contact{{Name: "SOC", Languages: []string{"??"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.CreateOrganization(t.Context(), &tt.o), tearline.EINVALID)
		})
	}
	orgs, err := s.Organizations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 0 {
		t.Errorf("got %d organizations after failed creates, want 0", len(orgs))
	}
}

func testOrganizationConflict(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := mustOrg(t, s, "Taken")
	tests := []struct {
		name string
		o    tearline.Organization
	}{
		{"name", tearline.Organization{Name: "Taken"}},
		{"id", tearline.Organization{ID: o.ID, Name: "Other"}},
		{"both", tearline.Organization{ID: o.ID, Name: "Taken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.CreateOrganization(ctx, &tt.o), tearline.ECONFLICT)
		})
	}
	orgs, err := s.Organizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*tearline.Organization{o}, orgs); d != "" {
		t.Errorf("Organizations mismatch (-want +got):\n%s", d)
	}
}

func testOrganizations(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	orgs, err := s.Organizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 0 {
		t.Fatalf("new store has %d organizations", len(orgs))
	}
	b := mustOrg(t, s, "Bravo")
	a := mustOrg(t, s, "Alpha")
	c := mustOrg(t, s, "Charlie ISAC")
	a2 := mustOrg(t, s, "Alpha 2")
	orgs, err = s.Organizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*tearline.Organization{a, a2, b, c}, orgs); d != "" {
		t.Errorf("Organizations mismatch (-want +got):\n%s", d)
	}
}

func testCreateAPIKey(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := mustOrg(t, s, "Org")
	for _, role := range tearline.Roles {
		t.Run(string(role), func(t *testing.T) {
			k := &tearline.APIKey{ID: "key-" + string(role), OrgID: o.ID, Role: role, Description: "for " + string(role)}
			hash := []byte{0, 1, 2, 0xff, 0}
			if err := s.CreateAPIKey(ctx, k, hash); err != nil {
				t.Fatal(err)
			}
			aboutNow(t, "Created", k.Created)
			if !k.Revoked.IsZero() {
				t.Errorf("Revoked = %v, want zero", k.Revoked)
			}
			got, gotHash, err := s.FindAPIKey(ctx, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(k, got); d != "" {
				t.Errorf("FindAPIKey mismatch (-want +got):\n%s", d)
			}
			if !bytes.Equal(gotHash, hash) {
				t.Errorf("hash = %x, want %x", gotHash, hash)
			}
		})
	}
	_, _, err := s.FindAPIKey(ctx, "no-such-key")
	wantCode(t, err, tearline.ENOTFOUND)
}

func testCreateAPIKeyErrors(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := mustOrg(t, s, "Org")
	mustKey(t, s, o.ID, "taken", tearline.RoleReader, time.Time{})
	tests := []struct {
		name string
		k    tearline.APIKey
		hash string
		code string
	}{
		{"empty id", tearline.APIKey{OrgID: o.ID, Role: tearline.RoleReader}, "h", tearline.EINVALID},
		{"empty role", tearline.APIKey{ID: "k1", OrgID: o.ID}, "h", tearline.EINVALID},
		{"unknown role", tearline.APIKey{ID: "k2", OrgID: o.ID, Role: "root"}, "h", tearline.EINVALID},
		{"role in upper case", tearline.APIKey{ID: "k3", OrgID: o.ID, Role: "Admin"}, "h", tearline.EINVALID},
		{"empty hash", tearline.APIKey{ID: "k4", OrgID: o.ID, Role: tearline.RoleReader}, "", tearline.EINVALID},
		{"unknown org", tearline.APIKey{ID: "k5", OrgID: newIdentityID(), Role: tearline.RoleReader}, "h", tearline.ENOTFOUND},
		{"org by name", tearline.APIKey{ID: "k6", OrgID: o.Name, Role: tearline.RoleReader}, "h", tearline.ENOTFOUND},
		{"taken id", tearline.APIKey{ID: "taken", OrgID: o.ID, Role: tearline.RoleAdmin}, "h", tearline.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.CreateAPIKey(ctx, &tt.k, []byte(tt.hash)), tt.code)
		})
	}
	keys, err := s.APIKeys(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != "taken" || keys[0].Role != tearline.RoleReader {
		t.Errorf("APIKeys after failed creates = %+v, want only the reader key \"taken\"", keys)
	}
	_, hash, err := s.FindAPIKey(ctx, "taken")
	if err != nil || string(hash) != "hash-taken" {
		t.Errorf("FindAPIKey(taken) hash = %q, %v; want the original", hash, err)
	}
}

func testAPIKeys(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := mustOrg(t, s, "Org")
	other := mustOrg(t, s, "Other")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	k2 := mustKey(t, s, o.ID, "b-second", tearline.RoleAdmin, base.Add(2*time.Hour))
	k1 := mustKey(t, s, o.ID, "c-first", tearline.RoleReader, base.Add(time.Hour))
	k3 := mustKey(t, s, o.ID, "a-third", tearline.RoleContributor, base.Add(3*time.Hour))
	mustKey(t, s, other.ID, "other", tearline.RoleReader, base.Add(4*time.Hour))

	keys, err := s.APIKeys(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]*tearline.APIKey{k3, k2, k1}, keys); d != "" {
		t.Errorf("APIKeys mismatch, want newest first (-want +got):\n%s", d)
	}
	for _, id := range []string{newIdentityID(), o.Name} {
		keys, err := s.APIKeys(ctx, id)
		if err != nil || len(keys) != 0 {
			t.Errorf("APIKeys(%q) = %v, %v; want none", id, keys, err)
		}
	}
}

func testRevokeAPIKey(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := mustOrg(t, s, "Org")
	k := mustKey(t, s, o.ID, "revoked", tearline.RoleAdmin, time.Time{})
	kept := mustKey(t, s, o.ID, "kept", tearline.RoleReader, time.Time{})

	if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	got, hash, err := s.FindAPIKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	aboutNow(t, "Revoked", got.Revoked)
	if string(hash) != "hash-revoked" {
		t.Errorf("hash after revocation = %q, want it unchanged", hash)
	}
	want := *k
	want.Revoked = got.Revoked
	if d := cmp.Diff(&want, got); d != "" {
		t.Errorf("revoked key mismatch (-want +got):\n%s", d)
	}
	if got, _, err := s.FindAPIKey(ctx, kept.ID); err != nil || !got.Revoked.IsZero() {
		t.Errorf("other key: %+v, %v; want it not revoked", got, err)
	}

	// Revoking again succeeds and keeps the first revocation time.
	if err := s.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	again, _, err := s.FindAPIKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Revoked.Equal(got.Revoked) {
		t.Errorf("Revoked after revoking again = %v, want %v", again.Revoked, got.Revoked)
	}
	keys, err := s.APIKeys(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	revoked := map[string]bool{}
	for _, k := range keys {
		revoked[k.ID] = !k.Revoked.IsZero()
	}
	if d := cmp.Diff(map[string]bool{"revoked": true, "kept": false}, revoked); d != "" {
		t.Errorf("APIKeys revocation mismatch (-want +got):\n%s", d)
	}

	wantCode(t, s.RevokeAPIKey(ctx, "no-such-key"), tearline.ENOTFOUND)
}

// fingerprint returns a valid fingerprint made of one repeated hex digit.
func fingerprint(digit string) string { return strings.Repeat(digit, 64) }

func testAddCertificate(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := mustOrg(t, s, "Org")
	c := &tearline.Certificate{
		Fingerprint: "0123456789abcdef" + fingerprint("a")[:48],
		OrgID:       o.ID,
		Role:        tearline.RoleContributor,
		Subject:     "CN=client.example,O=Org",
	}
	if err := s.AddCertificate(ctx, c); err != nil {
		t.Fatal(err)
	}
	aboutNow(t, "Created", c.Created)
	got, err := s.FindCertificate(ctx, c.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, got); d != "" {
		t.Errorf("FindCertificate mismatch (-want +got):\n%s", d)
	}

	// Upper case, with the separators openssl prints, names the same
	// fingerprint; it is stored in lower case.
	upper := &tearline.Certificate{Fingerprint: strings.Repeat("AB:", 31) + "AB", OrgID: o.ID, Role: tearline.RoleReader}
	if err := s.AddCertificate(ctx, upper); err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("ab", 32); upper.Fingerprint != want {
		t.Errorf("Fingerprint = %q, want %q", upper.Fingerprint, want)
	}
	for _, fp := range []string{upper.Fingerprint, strings.Repeat("AB", 32), strings.Repeat("ab:", 31) + "ab"} {
		got, err := s.FindCertificate(ctx, fp)
		if err != nil {
			t.Fatalf("FindCertificate(%q): %v", fp, err)
		}
		if d := cmp.Diff(upper, got); d != "" {
			t.Errorf("FindCertificate(%q) mismatch (-want +got):\n%s", fp, d)
		}
	}

	for _, fp := range []string{fingerprint("0"), "", "not-hex", fingerprint("z")} {
		_, err := s.FindCertificate(ctx, fp)
		wantCode(t, err, tearline.ENOTFOUND)
	}
}

func testAddCertificateErrors(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := mustOrg(t, s, "Org")
	bound := &tearline.Certificate{Fingerprint: fingerprint("b"), OrgID: o.ID, Role: tearline.RoleReader, Subject: "CN=first"}
	if err := s.AddCertificate(ctx, bound); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    tearline.Certificate
		code string
	}{
		{"empty fingerprint", tearline.Certificate{OrgID: o.ID, Role: tearline.RoleReader}, tearline.EINVALID},
		{"short fingerprint", tearline.Certificate{Fingerprint: fingerprint("c")[:40], OrgID: o.ID, Role: tearline.RoleReader}, tearline.EINVALID},
		{"not hex", tearline.Certificate{Fingerprint: fingerprint("g"), OrgID: o.ID, Role: tearline.RoleReader}, tearline.EINVALID},
		{"empty role", tearline.Certificate{Fingerprint: fingerprint("c"), OrgID: o.ID}, tearline.EINVALID},
		{"unknown role", tearline.Certificate{Fingerprint: fingerprint("c"), OrgID: o.ID, Role: "superuser"}, tearline.EINVALID},
		{"unknown org", tearline.Certificate{Fingerprint: fingerprint("c"), OrgID: newIdentityID(), Role: tearline.RoleReader}, tearline.ENOTFOUND},
		{"bound", tearline.Certificate{Fingerprint: fingerprint("b"), OrgID: o.ID, Role: tearline.RoleAdmin}, tearline.ECONFLICT},
		{"bound, upper case", tearline.Certificate{Fingerprint: fingerprint("B"), OrgID: o.ID, Role: tearline.RoleAdmin}, tearline.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.AddCertificate(ctx, &tt.c), tt.code)
		})
	}
	got, err := s.FindCertificate(ctx, bound.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(bound, got); d != "" {
		t.Errorf("binding changed by failed adds (-want +got):\n%s", d)
	}
	_, err = s.FindCertificate(ctx, fingerprint("c"))
	wantCode(t, err, tearline.ENOTFOUND)
}

func testSetGrant(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	a := mustCreate(t, s, "a")
	b := mustCreate(t, s, "b")
	org := mustOrg(t, s, "Org")
	other := mustOrg(t, s, "Other")

	tests := []struct {
		name string
		set  tearline.Grant
		// want are the grants of org afterwards, by collection alias.
		want map[string]tearline.Grant
	}{
		{
			"read a",
			tearline.Grant{CollectionID: a.ID, OrgID: org.ID, Read: true},
			map[string]tearline.Grant{"a": {CollectionID: a.ID, OrgID: org.ID, Read: true}},
		},
		{
			"write b",
			tearline.Grant{CollectionID: b.ID, OrgID: org.ID, Write: true},
			map[string]tearline.Grant{
				"a": {CollectionID: a.ID, OrgID: org.ID, Read: true},
				"b": {CollectionID: b.ID, OrgID: org.ID, Write: true},
			},
		},
		{
			"change a to read-write",
			tearline.Grant{CollectionID: a.ID, OrgID: org.ID, Read: true, Write: true},
			map[string]tearline.Grant{
				"a": {CollectionID: a.ID, OrgID: org.ID, Read: true, Write: true},
				"b": {CollectionID: b.ID, OrgID: org.ID, Write: true},
			},
		},
		{
			"change a to write only",
			tearline.Grant{CollectionID: a.ID, OrgID: org.ID, Write: true},
			map[string]tearline.Grant{
				"a": {CollectionID: a.ID, OrgID: org.ID, Write: true},
				"b": {CollectionID: b.ID, OrgID: org.ID, Write: true},
			},
		},
		{
			"another org's grant changes nothing of this one's",
			tearline.Grant{CollectionID: a.ID, OrgID: other.ID, Read: true},
			map[string]tearline.Grant{
				"a": {CollectionID: a.ID, OrgID: org.ID, Write: true},
				"b": {CollectionID: b.ID, OrgID: org.ID, Write: true},
			},
		},
		{
			"remove b",
			tearline.Grant{CollectionID: b.ID, OrgID: org.ID},
			map[string]tearline.Grant{"a": {CollectionID: a.ID, OrgID: org.ID, Write: true}},
		},
		{
			"remove b again",
			tearline.Grant{CollectionID: b.ID, OrgID: org.ID},
			map[string]tearline.Grant{"a": {CollectionID: a.ID, OrgID: org.ID, Write: true}},
		},
		{
			"remove a",
			tearline.Grant{CollectionID: a.ID, OrgID: org.ID},
			map[string]tearline.Grant{},
		},
	}
	ids := map[string]string{a.ID: "a", b.ID: "b"}
	for _, tt := range tests {
		// Subtests run in order: each step builds on the previous one.
		t.Run(tt.name, func(t *testing.T) {
			mustGrant(t, s, tt.set)
			byID, err := s.OrgGrants(ctx, org.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]tearline.Grant{}
			for id, g := range byID {
				if g.CollectionID != id {
					t.Errorf("OrgGrants key %s holds the grant on %s", id, g.CollectionID)
				}
				got[ids[id]] = g
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("OrgGrants mismatch (-want +got):\n%s", d)
			}
			// Grants agrees with OrgGrants.
			for alias, c := range map[string]*tearline.Collection{"a": a, "b": b} {
				gs, err := s.Grants(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				var mine []tearline.Grant
				for _, g := range gs {
					if g.CollectionID != c.ID {
						t.Errorf("Grants(%s) returned a grant on %s", alias, g.CollectionID)
					}
					if g.OrgID == org.ID {
						mine = append(mine, g)
					}
				}
				var want []tearline.Grant
				if g, ok := tt.want[alias]; ok {
					want = []tearline.Grant{g}
				}
				if d := cmp.Diff(want, mine); d != "" {
					t.Errorf("Grants(%s) for the org mismatch (-want +got):\n%s", alias, d)
				}
			}
		})
	}
	gs, err := s.Grants(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]tearline.Grant{{CollectionID: a.ID, OrgID: other.ID, Read: true}}, gs); d != "" {
		t.Errorf("Grants(a) at the end mismatch (-want +got):\n%s", d)
	}
}

func testSetGrantErrors(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	c := mustCreate(t, s, "c")
	org := mustOrg(t, s, "Org")
	mustGrant(t, s, tearline.Grant{CollectionID: c.ID, OrgID: org.ID, Read: true})
	unknownOrg, unknownColl := newIdentityID(), uuid.NewString()
	tests := []struct {
		name string
		g    tearline.Grant
	}{
		{"unknown org", tearline.Grant{CollectionID: c.ID, OrgID: unknownOrg, Read: true}},
		{"unknown collection", tearline.Grant{CollectionID: unknownColl, OrgID: org.ID, Read: true}},
		{"unknown both", tearline.Grant{CollectionID: unknownColl, OrgID: unknownOrg, Write: true}},
		{"collection by alias", tearline.Grant{CollectionID: c.Alias, OrgID: org.ID, Read: true}},
		{"org by name", tearline.Grant{CollectionID: c.ID, OrgID: org.Name, Read: true}},
		{"remove, unknown org", tearline.Grant{CollectionID: c.ID, OrgID: unknownOrg}},
		{"remove, unknown collection", tearline.Grant{CollectionID: unknownColl, OrgID: org.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.SetGrant(ctx, tt.g), tearline.ENOTFOUND)
		})
	}
	gs, err := s.Grants(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]tearline.Grant{{CollectionID: c.ID, OrgID: org.ID, Read: true}}, gs); d != "" {
		t.Errorf("Grants after failed sets mismatch (-want +got):\n%s", d)
	}
	// Unknown keys have no grants; that is not an error.
	if gs, err := s.Grants(ctx, unknownColl); err != nil || len(gs) != 0 {
		t.Errorf("Grants(unknown) = %v, %v; want none", gs, err)
	}
	if gs, err := s.OrgGrants(ctx, unknownOrg); err != nil || len(gs) != 0 {
		t.Errorf("OrgGrants(unknown) = %v, %v; want none", gs, err)
	}
}

func testGrantsOrder(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	c := mustCreate(t, s, "c")
	var want []tearline.Grant
	for _, id := range []string{
		"identity--f0000000-0000-4000-8000-000000000000",
		"identity--00000000-0000-4000-8000-000000000000",
		"identity--a0000000-0000-4000-8000-000000000000",
	} {
		o := &tearline.Organization{ID: id, Name: "Org " + id}
		if err := s.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		g := tearline.Grant{CollectionID: c.ID, OrgID: id, Read: true, Write: id[10] == 'a'}
		mustGrant(t, s, g)
		want = append(want, g)
	}
	want[0], want[1], want[2] = want[1], want[2], want[0]
	gs, err := s.Grants(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, gs); d != "" {
		t.Errorf("Grants mismatch, want ordered by organization id (-want +got):\n%s", d)
	}
}

func testDeleteCollectionGrants(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	gone := mustCreate(t, s, "gone")
	kept := mustCreate(t, s, "kept")
	org := mustOrg(t, s, "Org")
	mustGrant(t, s, tearline.Grant{CollectionID: gone.ID, OrgID: org.ID, Read: true})
	mustGrant(t, s, tearline.Grant{CollectionID: kept.ID, OrgID: org.ID, Read: true})
	if err := s.DeleteCollection(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	gs, err := s.OrgGrants(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]tearline.Grant{kept.ID: {CollectionID: kept.ID, OrgID: org.ID, Read: true}}
	if d := cmp.Diff(want, gs); d != "" {
		t.Errorf("OrgGrants after deleting a collection (-want +got):\n%s", d)
	}
	// A new collection that reuses the alias does not inherit the grant.
	again := mustCreate(t, s, "gone")
	if gs, err := s.Grants(ctx, again.ID); err != nil || len(gs) != 0 {
		t.Errorf("Grants on a re-created collection = %v, %v; want none", gs, err)
	}
}

func testOrganizationProfile(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := &tearline.Organization{
		Name:        "National CERT",
		Type:        "National-CERT",
		Country:     "gbr",
		Sectors:     []string{"government-national", "Telecommunications", "government-national"},
		Clearance:   "top  secret",
		Communities: []string{"fvey", "USA.DHS", "FVEY"},
		Contacts: []tearline.Contact{{
			Name: "Duty officer", Role: "24x7 duty", Email: "duty@cert.example", Phone: "+44 20 0000 0000",
			Hours: "24x7", Languages: []string{"en-gb", "cy"}, PGPKey: "0123 4567 89AB CDEF",
		}},
		Languages: []string{"EN-gb", "fr", "en-GB"},
	}
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	want := &tearline.Organization{
		ID: o.ID, Name: "National CERT", Type: "national-cert", Country: "GB",
		Sectors:     []string{"government-national", "telecommunications"},
		Clearance:   "TOP SECRET",
		Communities: []string{"FVEY", "USA.DHS"},
		Contacts: []tearline.Contact{{
			Name: "Duty officer", Role: "24x7 duty", Email: "duty@cert.example", Phone: "+44 20 0000 0000",
			Hours: "24x7", Languages: []string{"en-GB", "cy"}, PGPKey: "0123 4567 89AB CDEF",
		}},
		Languages: []string{"en-GB", "fr"},
		Created:   o.Created,
	}
	if d := cmp.Diff(want, o); d != "" {
		t.Errorf("CreateOrganization did not normalize the profile (-want +got):\n%s", d)
	}
	got, err := s.FindOrganization(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("FindOrganization mismatch (-want +got):\n%s", d)
	}
	for _, typ := range tearline.OrganizationTypes {
		if err := s.CreateOrganization(ctx, &tearline.Organization{Name: "type " + typ, Type: typ}); err != nil {
			t.Errorf("type %q: %v", typ, err)
		}
	}
}

func testUpdateOrganization(t *testing.T, s DirectoryStore) {
	ctx := t.Context()
	o := mustOrg(t, s, "Before")
	other := mustOrg(t, s, "Other")
	upd := &tearline.Organization{
		ID: o.ID, Name: "After", Type: "isac", Country: "DEU", Sectors: []string{"energy"},
		Clearance: "secret", Communities: []string{"eu"}, Languages: []string{"de"},
		Contacts: []tearline.Contact{{Name: "SOC", Email: "soc@example.org"}},
		Created:  time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), // ignored
	}
	if err := s.UpdateOrganization(ctx, upd); err != nil {
		t.Fatal(err)
	}
	want := &tearline.Organization{
		ID: o.ID, Name: "After", Type: "isac", Country: "DE", Sectors: []string{"energy"},
		Clearance: "SECRET", Communities: []string{"EU"}, Languages: []string{"de"},
		Contacts: []tearline.Contact{{Name: "SOC", Email: "soc@example.org"}},
		Created:  o.Created,
	}
	if d := cmp.Diff(want, upd); d != "" {
		t.Errorf("UpdateOrganization result (-want +got):\n%s", d)
	}
	for _, key := range []string{o.ID, "After"} {
		got, err := s.FindOrganization(ctx, key)
		if err != nil {
			t.Fatalf("FindOrganization(%q): %v", key, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("FindOrganization(%q) after update (-want +got):\n%s", key, d)
		}
	}
	_, err := s.FindOrganization(ctx, "Before")
	wantCode(t, err, tearline.ENOTFOUND)

	wantCode(t, s.UpdateOrganization(ctx, &tearline.Organization{ID: newIdentityID(), Name: "Ghost"}), tearline.ENOTFOUND)
	wantCode(t, s.UpdateOrganization(ctx, &tearline.Organization{ID: o.ID, Name: other.Name}), tearline.ECONFLICT)
	wantCode(t, s.UpdateOrganization(ctx, &tearline.Organization{ID: o.ID, Name: "After", Type: "spy"}), tearline.EINVALID)
	wantCode(t, s.UpdateOrganization(ctx, &tearline.Organization{ID: o.ID, Name: "After", Country: "ZZ"}), tearline.EINVALID)
	wantCode(t, s.UpdateOrganization(ctx, &tearline.Organization{ID: o.ID, Name: ""}), tearline.EINVALID)
	got, err := s.FindOrganization(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("failed updates changed the organization (-want +got):\n%s", d)
	}
}
