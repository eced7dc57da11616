package e2e

import (
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tearline/tearline/ui/uitest"
)

// attackerPage is a page of another origin with a form that posts to the
// portal, with whatever fields the attack needs.
var attackerPage = template.Must(template.New("").Parse(`<!doctype html>
<html lang="en"><head><title>Free threat feed</title></head><body>
<form method="post" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button type="submit" id="forge">Claim</button>
</form></body></html>`))

// TestCSRF checks that forms posted to the portal from a page of another
// origin are refused, with a forged token or with the user's real one,
// while the user is signed in and the browser sends the session cookie
// (the attacker is on 127.0.0.1 too, another port: the same site for
// SameSite cookies). A wrong token from the portal's own origin is refused
// as well.
func TestCSRF(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()

	var mu sync.Mutex
	pages := map[string]map[string]any{} // path: {Action, Fields}
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		p, ok := pages[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		attackerPage.Execute(w, p)
	}))
	t.Cleanup(attacker.Close)

	b := newTab(t, srv)
	b.signIn("alice")
	token := eval[string](b, `document.querySelector("meta[name=csrf-token]").content`)
	indicator := func(csrf string) map[string]string {
		return map[string]string{"csrf": csrf, "collection": d.Intel.ID, "name": "Forged indicator",
			"pattern": "[ipv4-addr:value = '192.0.2.66']", "tlp": "TLP:CLEAR"}
	}
	for _, tt := range []struct {
		name, action string
		fields       map[string]string
	}{
		{"forged token", "/ui/submit/indicator", indicator("forged")},
		{"no token", "/ui/submit/indicator", indicator("")},
		{"the user's token", "/ui/submit/indicator", indicator(token)},
		{"sign out", "/ui/signout", map[string]string{"csrf": token}},
		{"sign in as another user", "/ui/signin", map[string]string{"csrf": token, "method": "password", "username": "bob", "password": uitest.Password}},
	} {
		path := "/" + strings.ReplaceAll(tt.name, " ", "-")
		mu.Lock()
		pages[path] = map[string]any{"Action": srv.URL + tt.action, "Fields": tt.fields}
		mu.Unlock()
		b.open(attacker.URL + path)
		if st := b.click("#forge"); st != http.StatusForbidden {
			t.Errorf("%s from another origin: status %d, want 403", tt.name, st)
		}
		// Still alice, still signed in.
		b.open("/ui/dashboard")
		if who := b.text("#whoami"); !strings.Contains(who, "alice") {
			b.fatalf("after the forged %s, the portal says %q", tt.name, who)
		}
	}

	// From the portal's own origin, a wrong token in the form or the
	// header htmx uses is refused too; the right one is not.
	for _, tt := range []struct {
		name, header, field string
		want                int
	}{
		{"a wrong field", "", "wrong", 403},
		{"a wrong header", "wrong", "", 403},
		{"the right header", token, "", 200},
	} {
		st := eval[int](b, fmt.Sprintf(`fetch("/ui/submit/pattern", {method: "POST", credentials: "same-origin",
			headers: Object.assign({"Content-Type": "application/x-www-form-urlencoded"}, %q ? {"X-CSRF-Token": %q} : {}),
			body: new URLSearchParams({csrf: %q, pattern: "[ipv4-addr:value = '192.0.2.1']"})}).then(r => r.status)`,
			tt.header, tt.header, tt.field))
		if st != tt.want {
			t.Errorf("same origin with %s: status %d, want %d", tt.name, st, tt.want)
		}
	}

	b.open("/ui/search?q=Forged")
	if n := eval[int](b, `document.querySelectorAll("#results tr.result").length`); n != 0 {
		t.Errorf("a forged submission was stored: %d results for Forged", n)
	}
	b.clean("search")
}
