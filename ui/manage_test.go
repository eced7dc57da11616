package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ui/uitest"
)

// secretRE finds the secret a form's answer shows once.
var secretRE = regexp.MustCompile(`id="form-secret" readonly size="70" value="([^"]+)"`)

// TestManageForms posts every form of the keys, subscriptions and admin
// pages: as an admin (done, or the API's validation error shown next to
// the form), as an analyst (refused) and without the CSRF token (refused).
func TestManageForms(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	root, alice := newBrowser(t, srv), newBrowser(t, srv)
	root.mustSignIn("root")
	alice.mustSignIn("alice")
	rootTok, aliceTok := root.token("/ui/keys"), alice.token("/ui/keys")
	with := func(tok string, kv ...string) url.Values {
		v := url.Values{"csrf": {tok}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	for _, tt := range []struct {
		name   string
		b      *browser
		path   string
		form   url.Values
		status int
		want   []string
	}{
		// Keys.
		{"key created", root, "/ui/keys", with(rootTok, "role", "reader", "description", "portal key"), http.StatusOK,
			[]string{`id="form-notice"`, "not shown again", `id="form-secret"`, "portal key"}},
		{"key for another organization", root, "/ui/keys", with(rootTok, "org", d.Bravo.ID, "role", "analyst"), http.StatusOK,
			[]string{`id="form-notice"`}},
		{"key with a bad role", root, "/ui/keys", with(rootTok, "role", "superuser", "description", "kept"), http.StatusBadRequest,
			[]string{`id="key-create-error"`, "superuser", `value="kept"`}},
		{"key by an analyst", alice, "/ui/keys", with(aliceTok, "role", "reader"), http.StatusForbidden,
			[]string{`id="key-create-error"`}},
		{"key without the token", root, "/ui/keys", with("", "role", "reader"), http.StatusForbidden,
			[]string{"security token"}},
		{"unknown key revoked", root, "/ui/keys/revoke", with(rootTok, "key", "no-such-key"), http.StatusNotFound,
			[]string{`id="key-revoke-error"`, "no-such-key"}},
		{"revoke by an analyst", alice, "/ui/keys/revoke", with(aliceTok, "key", "no-such-key"), http.StatusForbidden,
			[]string{`id="key-revoke-error"`}},
		// Subscriptions.
		{"subscription created", root, "/ui/subscriptions", with(rootTok, "name", "indicators", "filter", `{"types": ["indicator"]}`,
			"webhook", "http://127.0.0.1:1/hook"), http.StatusOK, []string{`id="form-notice"`, `id="form-secret"`, "indicators"}},
		{"subscription with a bad filter", root, "/ui/subscriptions", with(rootTok, "name", "bad", "filter", `{"colour": "red"}`), http.StatusBadRequest,
			[]string{`id="subscription-create-error">filter`, "colour"}},
		{"subscription with a filter that is not JSON", root, "/ui/subscriptions", with(rootTok, "name", "bad", "filter", `{types`), http.StatusBadRequest,
			[]string{`id="subscription-create-error">filter`}},
		{"subscription with a bad webhook", root, "/ui/subscriptions", with(rootTok, "name", "bad", "webhook", "ftp://x"), http.StatusBadRequest,
			[]string{`id="subscription-create-error"`, "webhook.url"}},
		{"subscription by an analyst", alice, "/ui/subscriptions", with(aliceTok, "name", "mine"), http.StatusForbidden,
			[]string{`id="subscription-create-error"`}},
		{"subscription without the token", root, "/ui/subscriptions", with("forged", "name", "x"), http.StatusForbidden,
			[]string{"security token"}},
		{"unknown subscription deleted", root, "/ui/subscriptions/delete", with(rootTok, "subscription", "nope"), http.StatusNotFound,
			[]string{`id="subscription-delete-error"`}},
		// Organizations.
		{"organization created", root, "/ui/admin/organizations", with(rootTok, "name", "Charlie Bank", "type", "private",
			"sectors", "financial-services, insurance", "country", "DE", "communities", "fin-isac"), http.StatusOK,
			[]string{`id="form-notice"`, "Charlie Bank", "financial-services, insurance"}},
		{"organization without a name", root, "/ui/admin/organizations", with(rootTok, "type", "private"), http.StatusBadRequest,
			[]string{`id="org-create-error"`}},
		{"organization with a bad clearance", root, "/ui/admin/organizations", with(rootTok, "name", "Delta", "clearance", "ULTRA"), http.StatusBadRequest,
			[]string{`id="org-create-error"`, "ULTRA"}},
		{"organization updated", root, "/ui/admin/organizations/update", with(rootTok, "org", d.Bravo.ID, "country", "FR"), http.StatusOK,
			[]string{`id="form-notice"`, "updated"}},
		{"organization by an analyst", alice, "/ui/admin/organizations", with(aliceTok, "name", "Evil"), http.StatusForbidden,
			[]string{"admin role"}},
		{"organization without the token", root, "/ui/admin/organizations", with("", "name", "Forged"), http.StatusForbidden,
			[]string{"security token"}},
		// Collections and grants.
		{"collection created", root, "/ui/admin/collections", with(rootTok, "alias", "fin-share", "title", "Financial sharing", "pii", "review"), http.StatusOK,
			[]string{`id="form-notice"`, "fin-share", "review"}},
		{"collection with a bad PII policy", root, "/ui/admin/collections", with(rootTok, "alias", "bad-pii", "pii", "shred"), http.StatusBadRequest,
			[]string{`id="collection-create-error"`, "shred"}},
		{"grant set", root, "/ui/admin/collections/grant", with(rootTok, "collection", "fin-share", "org", d.Bravo.ID, "read", "1"), http.StatusOK,
			[]string{`id="form-notice"`, "read yes, write no"}},
		{"grant on no collection", root, "/ui/admin/collections/grant", with(rootTok, "collection", "nope", "org", d.Bravo.ID, "read", "1"), http.StatusNotFound,
			[]string{`id="grant-set-error"`, "nope"}},
		{"collection by an analyst", alice, "/ui/admin/collections", with(aliceTok, "alias", "evil"), http.StatusForbidden,
			[]string{"admin role"}},
		{"grant by an analyst", alice, "/ui/admin/collections/grant", with(aliceTok, "collection", "intel", "org", d.Alpha.ID, "write", "1"), http.StatusForbidden,
			[]string{"admin role"}},
		{"collection without the token", root, "/ui/admin/collections", with("", "alias", "forged"), http.StatusForbidden,
			[]string{"security token"}},
		// Peers.
		{"peer created", root, "/ui/admin/peers", with(rootTok, "name", "echo-cert", "url", "https://taxii.echo.example/api1/", "token", "tok"), http.StatusOK,
			[]string{`id="form-notice"`, "echo-cert"}},
		{"peer without a URL", root, "/ui/admin/peers", with(rootTok, "name", "Foxtrot"), http.StatusBadRequest,
			[]string{`id="peer-create-error"`}},
		{"peer by an analyst", alice, "/ui/admin/peers", with(aliceTok, "name", "Evil", "url", "https://evil.example/"), http.StatusForbidden,
			[]string{"admin role"}},
		{"peer without the token", root, "/ui/admin/peers", with("", "name", "Forged", "url", "https://forged.example/"), http.StatusForbidden,
			[]string{"security token"}},
	} {
		p := tt.b.post(tt.path, tt.form)
		if p.status != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, p.status, tt.status, p.body)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s: no %q in %s", tt.name, w, p.body)
			}
		}
	}
	// What the refused forms would have made does not exist.
	for path, absent := range map[string]string{"/ui/admin/organizations": "Forged", "/ui/admin/collections": "forged", "/ui/admin/peers": "Evil"} {
		if p := root.get(path); strings.Contains(p.body, absent) {
			t.Errorf("%s shows %q, made by a refused form", path, absent)
		}
	}
}

// TestKeySecretShownOnce creates a key through the form, signs in with
// its token, revokes it through the form and checks that the token is
// shown in the answer to the form only.
func TestKeySecretShownOnce(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	srv.Seed()
	root := newBrowser(t, srv)
	root.mustSignIn("root")
	p := root.post("/ui/keys", url.Values{"csrf": {root.token("/ui/keys")}, "role": {"reader"}, "description": {"once"}})
	m := secretRE.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("create key: %d %s", p.status, p.body)
	}
	token := m[1]
	if p := root.get("/ui/keys"); strings.Contains(p.body, token) {
		t.Error("the keys page shows the token again")
	}
	// The token works: it signs in.
	k := newBrowser(t, srv)
	if p := k.post("/ui/signin", url.Values{"csrf": {k.token("/ui/signin")}, "method": {"token"}, "token": {token}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign in with the new token: %d %s", p.status, p.body)
	}
	id := strings.SplitN(strings.TrimPrefix(regexp.MustCompile(`Key (\S+) created`).FindString(p.body), "Key "), " ", 2)[0]
	if p := root.post("/ui/keys/revoke", url.Values{"csrf": {root.token("/ui/keys")}, "key": {id}}); p.status != http.StatusOK || !strings.Contains(p.body, "revoked") {
		t.Fatalf("revoke %s: %d %s", id, p.status, p.body)
	}
	if p := k.get("/ui/dashboard"); p.status != http.StatusSeeOther {
		t.Errorf("the revoked key's session goes on: %d", p.status)
	}
}

// TestDeadLetterForms lists a subscription's dead letter on the
// subscriptions page, queues it to be delivered again and deletes it
// through the forms; an analyst is refused.
func TestDeadLetterForms(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	srv.Seed()
	root, alice := newBrowser(t, srv), newBrowser(t, srv)
	root.mustSignIn("root")
	alice.mustSignIn("alice")
	p := root.post("/ui/subscriptions", url.Values{"csrf": {root.token("/ui/subscriptions")}, "name": {"hooked"},
		"webhook": {"http://127.0.0.1:1/hook"}})
	m := regexp.MustCompile(`Subscription (\S+) created`).FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("create a subscription: %d %s", p.status, p.body)
	}
	subID := m[1]
	subs, ok := srv.DB.(tearline.Subscriptions)
	if !ok {
		t.Fatalf("%T keeps no subscriptions", srv.DB)
	}
	dl := &tearline.DeadLetter{SubscriptionID: subID, FirstSeq: 1, LastSeq: 1, Objects: 3, Attempts: 5, LastError: "connection refused"}
	if err := subs.SaveDeadLetter(t.Context(), dl); err != nil {
		t.Fatal(err)
	}
	if p := root.get("/ui/subscriptions"); !strings.Contains(p.body, `id="redrive-`+dl.ID+`"`) || !strings.Contains(p.body, "connection refused") {
		t.Fatalf("the dead letter is not listed: %s", p.body)
	}
	form := func(tok string) url.Values {
		return url.Values{"csrf": {tok}, "subscription": {subID}, "dead": {dl.ID}}
	}
	for _, tt := range []struct {
		name   string
		b      *browser
		path   string
		form   url.Values
		status int
		want   string
	}{
		{"redrive by an analyst", alice, "/ui/subscriptions/dead-letters/redrive", form(alice.token("/ui/subscriptions")), http.StatusForbidden, `id="dead-letters-error"`},
		{"redrive without the token", root, "/ui/subscriptions/dead-letters/redrive", form(""), http.StatusForbidden, "security token"},
		{"redrive", root, "/ui/subscriptions/dead-letters/redrive", form(root.token("/ui/subscriptions")), http.StatusOK, "queued to be delivered again"},
		{"unknown dead letter", root, "/ui/subscriptions/dead-letters/redrive",
			url.Values{"csrf": {root.token("/ui/subscriptions")}, "subscription": {subID}, "dead": {"nope"}}, http.StatusNotFound, `id="dead-letters-error"`},
		{"delete by an analyst", alice, "/ui/subscriptions/dead-letters/delete", form(alice.token("/ui/subscriptions")), http.StatusForbidden, `id="dead-letters-error"`},
	} {
		if p := tt.b.post(tt.path, tt.form); p.status != tt.status || !strings.Contains(p.body, tt.want) {
			t.Errorf("%s: %d, want %d with %q: %s", tt.name, p.status, tt.status, tt.want, p.body)
		}
	}
	// The redrive may have failed again and kept the letter; delete it.
	dls, err := subs.DeadLetters(t.Context(), subID)
	if err != nil || len(dls) == 0 {
		t.Fatalf("dead letters before the delete: %v %v", dls, err)
	}
	for _, d := range dls {
		p := root.post("/ui/subscriptions/dead-letters/delete", url.Values{"csrf": {root.token("/ui/subscriptions")}, "subscription": {subID}, "dead": {d.ID}})
		if p.status != http.StatusOK || !strings.Contains(p.body, "deleted") {
			t.Errorf("delete %s: %d %s", d.ID, p.status, p.body)
		}
	}
	if dls, _ := subs.DeadLetters(t.Context(), subID); len(dls) != 0 {
		t.Errorf("dead letters left after the delete: %d", len(dls))
	}
}
