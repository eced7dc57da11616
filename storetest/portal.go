package storetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// PortalStore is what RunPortal needs: organizations, collections and
// objects, the portal's users and sessions, and full-text search.
type PortalStore interface {
	tearline.Store
	tearline.Directory
	tearline.PortalUsers
	tearline.TextSearch
	tearline.References
	tearline.SignInFailures
}

// RunPortal runs the conformance suite of tearline.PortalUsers and
// tearline.TextSearch against the store returned by open: users (create,
// find, list, password change, removal and their error codes), sessions
// (found only unexpired, ended by logout, password change and removal),
// visits, search over names and descriptions, the objects that refer to
// an object, and failed sign-in counts. open is called once per
// subtest, possibly from parallel subtests, and must return a new, empty
// store that it closes with t.Cleanup.
func RunPortal(t *testing.T, open func(t *testing.T) PortalStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s PortalStore)
	}{
		{"Users", testPortalUsers},
		{"Sessions", testPortalSessions},
		{"Visits", testPortalVisits},
		{"SearchText", testSearchText},
		{"ReferringObjects", testReferringObjects},
		{"SignInFailures", testSignInFailures},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func portalOrg(t *testing.T, s PortalStore) *tearline.Organization {
	t.Helper()
	o := &tearline.Organization{Name: "org-" + uuid.NewString()[:8]}
	if err := s.CreateOrganization(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	return o
}

func testPortalUsers(t *testing.T, s PortalStore) {
	ctx := t.Context()
	o := portalOrg(t, s)
	u := &tearline.User{Name: "ana@example.org", OrgID: o.ID, Role: tearline.RoleAnalyst, PasswordHash: "h1"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if u.Created.IsZero() {
		t.Error("Created not set")
	}
	bad := []struct {
		u    tearline.User
		code string
	}{
		{tearline.User{Name: "ana@example.org", OrgID: o.ID, Role: tearline.RoleReader, PasswordHash: "x"}, tearline.ECONFLICT},
		{tearline.User{Name: "bob", OrgID: "identity--" + uuid.NewString(), Role: tearline.RoleReader, PasswordHash: "x"}, tearline.ENOTFOUND},
		{tearline.User{Name: "bad name", OrgID: o.ID, Role: tearline.RoleReader, PasswordHash: "x"}, tearline.EINVALID},
		{tearline.User{Name: "bob", OrgID: o.ID, Role: "king", PasswordHash: "x"}, tearline.EINVALID},
		{tearline.User{Name: "bob", OrgID: o.ID, Role: tearline.RoleReader}, tearline.EINVALID},
	}
	for _, b := range bad {
		if err := s.CreateUser(ctx, &b.u); tearline.ErrorCode(err) != b.code {
			t.Errorf("CreateUser(%+v) = %v, want %s", b.u, err, b.code)
		}
	}
	got, err := s.FindUser(ctx, u.Name)
	if err != nil {
		t.Fatal(err)
	}
	if got.OrgID != o.ID || got.Role != tearline.RoleAnalyst || got.PasswordHash != "h1" || !got.Created.Equal(u.Created) {
		t.Errorf("FindUser = %+v, want %+v", got, u)
	}
	if _, err := s.FindUser(ctx, "nobody"); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("FindUser(nobody) = %v, want not found", err)
	}
	if err := s.CreateUser(ctx, &tearline.User{Name: "abe", OrgID: o.ID, Role: tearline.RoleReader, PasswordHash: "h2"}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Name != "abe" || all[1].Name != u.Name {
		t.Errorf("Users = %v, want abe then %s", all, u.Name)
	}
	if err := s.SetPassword(ctx, u.Name, "h3"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindUser(ctx, u.Name); got == nil || got.PasswordHash != "h3" {
		t.Errorf("after SetPassword: %+v", got)
	}
	if err := s.SetPassword(ctx, "nobody", "h"); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("SetPassword(nobody) = %v, want not found", err)
	}
	if err := s.DeleteUser(ctx, "abe"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "abe"); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("second DeleteUser = %v, want not found", err)
	}
}

func sessionHash(n int) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "session-%d-%s", n, uuid.NewString()))
	return h[:]
}

func testPortalSessions(t *testing.T, s PortalStore) {
	ctx := t.Context()
	o := portalOrg(t, s)
	if err := s.CreateUser(ctx, &tearline.User{Name: "ana", OrgID: o.ID, Role: tearline.RoleAnalyst, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	live := &tearline.Session{IDHash: sessionHash(1), User: "ana", OrgID: o.ID, Role: tearline.RoleAnalyst,
		CSRF: "c1", Since: now.Add(-time.Hour), Created: now, Expires: now.Add(time.Hour)}
	key := &tearline.Session{IDHash: sessionHash(2), KeyID: "k1", OrgID: o.ID, Role: tearline.RoleReader,
		CSRF: "c2", Created: now, Expires: now.Add(time.Hour)}
	old := &tearline.Session{IDHash: sessionHash(3), User: "ana", OrgID: o.ID, Role: tearline.RoleAnalyst,
		CSRF: "c3", Created: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)}
	for _, ss := range []*tearline.Session{live, key, old} {
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateSession(ctx, live); tearline.ErrorCode(err) != tearline.ECONFLICT {
		t.Errorf("CreateSession of a taken id = %v, want conflict", err)
	}
	got, err := s.FindSession(ctx, live.IDHash)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.IDHash, live.IDHash) || got.User != "ana" || got.CSRF != "c1" || got.Role != tearline.RoleAnalyst ||
		!got.Since.Equal(live.Since) || !got.Expires.Equal(live.Expires) {
		t.Errorf("FindSession = %+v, want %+v", got, live)
	}
	if got, err := s.FindSession(ctx, key.IDHash); err != nil || !got.Since.IsZero() || got.KeyID != "k1" {
		t.Errorf("FindSession(key) = %+v, %v", got, err)
	}
	if _, err := s.FindSession(ctx, old.IDHash); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("FindSession(expired) = %v, want not found", err)
	}
	if n, err := s.DeleteSessionsBefore(ctx, now); err != nil || n != 1 {
		t.Errorf("DeleteSessionsBefore = %d, %v, want 1", n, err)
	}
	if err := s.DeleteSession(ctx, key.IDHash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindSession(ctx, key.IDHash); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("FindSession after logout = %v, want not found", err)
	}
	if err := s.DeleteSession(ctx, key.IDHash); err != nil {
		t.Errorf("second DeleteSession = %v", err)
	}
	// A new password ends the user's sessions.
	if err := s.SetPassword(ctx, "ana", "h2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindSession(ctx, live.IDHash); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Errorf("FindSession after a password change = %v, want not found", err)
	}
}

func testPortalVisits(t *testing.T, s PortalStore) {
	ctx := t.Context()
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	t2 := t1.Add(time.Hour)
	if prev, err := s.Visit(ctx, "user:ana", t1); err != nil || !prev.IsZero() {
		t.Errorf("first Visit = %v, %v, want zero", prev, err)
	}
	if prev, err := s.Visit(ctx, "user:ana", t2); err != nil || !prev.Equal(t1) {
		t.Errorf("second Visit = %v, %v, want %v", prev, err, t1)
	}
	if prev, err := s.Visit(ctx, "key:k1", t2); err != nil || !prev.IsZero() {
		t.Errorf("Visit of another principal = %v, %v, want zero", prev, err)
	}
}

func testSearchText(t *testing.T, s PortalStore) {
	ctx := t.Context()
	c := &tearline.Collection{Alias: "fts-" + uuid.NewString()[:8], Title: "search"}
	if err := s.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	mk := func(typ, name, desc string) *tearline.Object {
		id := typ + "--" + uuid.NewString()
		v := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
		raw := fmt.Appendf(nil, `{"type":%q,"spec_version":"2.1","id":%q,"created":"2025-05-01T00:00:00.000Z","modified":"2025-05-01T00:00:00.000Z","name":%q,"description":%q}`,
			typ, id, name, desc)
		return &tearline.Object{ID: id, Type: typ, SpecVersion: "2.1", Version: v, Created: v, Raw: raw}
	}
	emotet := mk("malware", "Emotet", "Banking trojan turned loader")
	phish := mk("campaign", "Spring phishing wave", "Lures carrying emotet loaders to hospitals")
	other := mk("tool", "Cobalt Strike", "Adversary simulation")
	// A U+0000 in a name splits words as a space does.
	nul := mk("tool", "Nul kit", "")
	nul.Raw = bytes.Replace(nul.Raw, []byte("Nul kit"), []byte(`Nul\u0000kit`), 1)
	if _, err := s.AddObjects(ctx, c.ID, []*tearline.Object{emotet, phish, other, nul}); err != nil {
		t.Fatal(err)
	}
	ids := func(hits []tearline.TextHit) map[string]bool {
		m := map[string]bool{}
		for _, h := range hits {
			m[h.ID] = true
		}
		return m
	}
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"emotet", []string{emotet.ID, phish.ID}},
		{"EMOT", []string{emotet.ID, phish.ID}},
		{"loader hospitals", []string{phish.ID}},
		{"cobalt", []string{other.ID}},
		{"kit", []string{nul.ID}},
		{"nul", []string{nul.ID}},
		{`"cobalt" OR NEAR(x`, []string{}},
		{"absent", []string{}},
	} {
		hits, err := s.SearchText(ctx, tt.q, 10)
		if err != nil {
			t.Errorf("SearchText(%q): %v", tt.q, err)
			continue
		}
		got := ids(hits)
		if len(got) != len(tt.want) {
			t.Errorf("SearchText(%q) = %v, want %v", tt.q, hits, tt.want)
		}
		for _, id := range tt.want {
			if !got[id] {
				t.Errorf("SearchText(%q) misses %s", tt.q, id)
			}
		}
	}
	if _, err := s.SearchText(ctx, "  -- ", 10); tearline.ErrorCode(err) != tearline.EINVALID {
		t.Errorf("SearchText without words = %v, want invalid", err)
	}
	if err := s.DeleteCollection(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if hits, err := s.SearchText(ctx, "emotet", 10); err != nil || len(hits) != 0 {
		t.Errorf("SearchText after the objects were deleted = %v, %v", hits, err)
	}
}

func testReferringObjects(t *testing.T, s PortalStore) {
	ctx := t.Context()
	c := &tearline.Collection{Alias: "refs-" + uuid.NewString()[:8], Title: "refs"}
	if err := s.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	target, other := "malware--"+uuid.NewString(), "tool--"+uuid.NewString()
	mk := func(typ, body string) *tearline.Object {
		id := typ + "--" + uuid.NewString()
		v := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
		raw := fmt.Appendf(nil, `{"type":%q,"spec_version":"2.1","id":%q,"created":"2025-05-01T00:00:00.000Z","modified":"2025-05-01T00:00:00.000Z",%s}`,
			typ, id, body)
		return &tearline.Object{ID: id, Type: typ, SpecVersion: "2.1", Version: v, Created: v, Raw: raw}
	}
	rel := mk("relationship", fmt.Sprintf(`"relationship_type":"uses","source_ref":%q,"target_ref":%q`, other, target))
	sig := mk("sighting", fmt.Sprintf(`"sighting_of_ref":%q`, target))
	// A U+0000 in a string leaves the references readable.
	note := mk("note", fmt.Sprintf(`"content":"x\u0000y","object_refs":[%q,%q]`, other, target))
	unrelated := mk("relationship", fmt.Sprintf(`"relationship_type":"uses","source_ref":%q,"target_ref":%q`, other, "malware--"+uuid.NewString()))
	// A description naming the id is no reference.
	mention := mk("report", fmt.Sprintf(`"name":"r","description":"see %s","published":"2025-05-01T00:00:00Z","object_refs":[%q]`, target, other))
	if _, err := s.AddObjects(ctx, c.ID, []*tearline.Object{rel, sig, note, unrelated, mention}); err != nil {
		t.Fatal(err)
	}
	hits, err := s.ReferringObjects(ctx, target, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, h := range hits {
		got[h.ID] = true
	}
	if len(hits) != 3 || !got[rel.ID] || !got[sig.ID] || !got[note.ID] {
		t.Errorf("ReferringObjects = %v, want %s, %s and %s", hits, rel.ID, sig.ID, note.ID)
	}
	if hits, err := s.ReferringObjects(ctx, target, 1); err != nil || len(hits) != 1 {
		t.Errorf("ReferringObjects with limit 1 = %v, %v", hits, err)
	}
	if err := s.DeleteCollection(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if hits, err := s.ReferringObjects(ctx, target, 10); err != nil || len(hits) != 0 {
		t.Errorf("ReferringObjects after the objects were deleted = %v, %v", hits, err)
	}
}

func testSignInFailures(t *testing.T, s PortalStore) {
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	const window = 5 * time.Minute
	count := func(at time.Time, keys ...string) int {
		t.Helper()
		n, err := s.SignInFailures(ctx, keys, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	fail := func(at time.Time, keys ...string) {
		t.Helper()
		if err := s.FailSignIn(ctx, keys, at, window); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t0, "addr:a", "user:u"); n != 0 {
		t.Errorf("no failures: %d", n)
	}
	fail(t0, "addr:a", "user:u")
	fail(t0.Add(time.Minute), "addr:a", "user:u", "user:u") // a key twice counts once
	fail(t0.Add(2*time.Minute), "addr:b", "user:u")
	for _, tt := range []struct {
		at   time.Time
		keys []string
		want int
	}{
		{t0.Add(2 * time.Minute), []string{"addr:a"}, 2},
		{t0.Add(2 * time.Minute), []string{"user:u"}, 3},
		{t0.Add(2 * time.Minute), []string{"addr:a", "user:u"}, 3},
		{t0.Add(2 * time.Minute), []string{"addr:b"}, 1},
		{t0.Add(2 * time.Minute), []string{"addr:c"}, 0},
		{t0.Add(2 * time.Minute), nil, 0},
		// The window runs from the first failure of a count.
		{t0.Add(window - time.Microsecond), []string{"user:u"}, 3},
		{t0.Add(window), []string{"user:u", "addr:a"}, 0},
		{t0.Add(window), []string{"addr:b"}, 1},
	} {
		if n := count(tt.at, tt.keys...); n != tt.want {
			t.Errorf("SignInFailures(%v) at +%v = %d, want %d", tt.keys, tt.at.Sub(t0), n, tt.want)
		}
	}
	// A failure after the window starts a new count.
	fail(t0.Add(window+time.Second), "user:u")
	if n := count(t0.Add(window+time.Second), "user:u"); n != 1 {
		t.Errorf("a failure after the window: %d, want a new count of 1", n)
	}
	// Ended counts are deleted; current ones stay.
	n, err := s.DeleteSignInFailuresBefore(ctx, t0.Add(window+time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 { // addr:a; user:u started again, addr:b ends later
		t.Errorf("DeleteSignInFailuresBefore deleted %d, want 1", n)
	}
	if n := count(t0.Add(window+time.Second), "user:u", "addr:b"); n != 1 {
		t.Errorf("after deleting ended counts: %d, want 1", n)
	}
}
