package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tearline/tearline/ui"
	"github.com/tearline/tearline/ui/uitest"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	tests := []struct {
		name   string
		form   func(tok string) url.Values
		status int
		who    string
	}{
		{"password", func(tok string) url.Values {
			return url.Values{"csrf": {tok}, "method": {"password"}, "username": {"alice"}, "password": {uitest.Password}}
		}, http.StatusSeeOther, "alice · Alpha CERT · analyst"},
		{"token", func(tok string) url.Values {
			return url.Values{"csrf": {tok}, "method": {"token"}, "token": {d.AlphaReaderToken}}
		}, http.StatusSeeOther, "· Alpha CERT · reader"},
		{"wrong password", func(tok string) url.Values {
			return url.Values{"csrf": {tok}, "method": {"password"}, "username": {"alice"}, "password": {"not the password"}}
		}, http.StatusUnauthorized, ""},
		{"unknown user", func(tok string) url.Values {
			return url.Values{"csrf": {tok}, "method": {"password"}, "username": {"mallory"}, "password": {uitest.Password}}
		}, http.StatusUnauthorized, ""},
		{"wrong token", func(tok string) url.Values {
			return url.Values{"csrf": {tok}, "method": {"token"}, "token": {d.AlphaReaderToken + "x"}}
		}, http.StatusUnauthorized, ""},
		{"forged form token", func(tok string) url.Values {
			return url.Values{"csrf": {"forged"}, "method": {"password"}, "username": {"alice"}, "password": {uitest.Password}}
		}, http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t, srv)
			p := b.post("/ui/signin", tt.form(b.token("/ui/signin")))
			if p.status != tt.status {
				t.Fatalf("sign-in: %d, want %d: %s", p.status, tt.status, p.body)
			}
			dash := b.get("/ui/dashboard")
			if tt.who == "" {
				if dash.status != http.StatusSeeOther || !strings.HasPrefix(dash.loc, "/ui/signin") {
					t.Errorf("dashboard after a failed sign-in: %d %s", dash.status, dash.loc)
				}
				return
			}
			if dash.status != http.StatusOK || !strings.Contains(dash.body, tt.who) {
				t.Errorf("dashboard: %d, want %q in it", dash.status, tt.who)
			}
		})
	}
}

func TestCookiesAndHeaders(t *testing.T) {
	t.Parallel()
	for _, tls := range []bool{false, true} {
		srv := uitest.Start(t, uitest.Options{TLS: tls})
		srv.Seed()
		b := newBrowser(t, srv)
		tok := b.token("/ui/signin")
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/ui/signin", strings.NewReader(url.Values{"csrf": {tok}, "method": {"password"},
			"username": {"alice"}, "password": {uitest.Password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		name := "tl_session"
		if tls {
			name = "__Host-tl_session"
		}
		var session *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == name && c.Value != "" {
				session = c
			}
		}
		if session == nil {
			t.Fatalf("tls %v: no %s cookie in %v", tls, name, res.Header["Set-Cookie"])
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure != tls || session.Path != "/" {
			t.Errorf("tls %v: session cookie %+v: want HttpOnly, SameSite=Lax, Secure over TLS only, Path=/", tls, session)
		}
		for _, path := range []string{"/ui/signin", "/ui/dashboard", "/ui/search?q=emotet", "/ui/static/app.css", "/ui/nothing", "/ui/objects/bad"} {
			p := b.get(path)
			csp := p.header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: CSP %q", path, csp)
			}
			if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("Referrer-Policy") == "" || p.header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: headers %v", path, p.header)
			}
		}
	}
}

func TestSessionFixation(t *testing.T) {
	t.Parallel()
	bothStores(t, sessionFixation)
}

func sessionFixation(t *testing.T, opts uitest.Options) {
	srv := uitest.Start(t, opts)
	srv.Seed()
	// The attacker signs in and plants its own session id in the victim's
	// browser, or plants an id it made up.
	attacker := newBrowser(t, srv)
	attacker.mustSignIn("bob")
	planted := attacker.cookie("tl_session")
	for _, id := range []string{planted, "attacker-chosen-session-id"} {
		victim := newBrowser(t, srv)
		victim.setCookie("tl_session", id)
		victim.mustSignIn("alice")
		got := victim.cookie("tl_session")
		if got == "" || got == id {
			t.Fatalf("session id after sign-in = %q, the planted %q", got, id)
		}
		if p := victim.get("/ui/dashboard"); !strings.Contains(p.body, "alice · Alpha CERT") {
			t.Errorf("victim's dashboard does not show alice")
		}
		// The planted id is no session of alice's.
		other := newBrowser(t, srv)
		other.setCookie("tl_session", id)
		if p := other.get("/ui/dashboard"); p.status == http.StatusOK && strings.Contains(p.body, "alice") {
			t.Errorf("the planted session id %q gives alice's session", id)
		}
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	good := b.token("/ui/submit")
	form := func(tok string) url.Values {
		return url.Values{"csrf": {tok}, "collection": {d.Intel.ID}, "name": {"forged"}, "pattern": {"[ipv4-addr:value = '203.0.113.9']"}, "tlp": {"TLP:GREEN"}}
	}
	for _, tt := range []struct {
		name    string
		tok     string
		headers map[string]string
	}{
		{"no token", "", nil},
		{"forged token", "forged-token-value", nil},
		{"another session's token", func() string { o := newBrowser(t, srv); o.mustSignIn("root"); return o.token("/ui/submit") }(), nil},
		{"cross-site request with the right token", good, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"other origin with the right token", good, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/ui/submit/indicator", strings.NewReader(form(tt.tok).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range tt.headers {
			if v == "" {
				req.Header.Del(k)
			} else {
				req.Header.Set(k, v)
			}
		}
		if p := b.do(req); p.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tt.name, p.status)
		}
	}
	if p := b.get("/ui/search?q=forged"); strings.Contains(p.body, `class="result"`) {
		t.Error("a forged form stored an indicator")
	}
	// Sign-out needs the token too.
	if p := b.post("/ui/signout", url.Values{"csrf": {"forged"}}); p.status != http.StatusForbidden {
		t.Errorf("forged sign-out: %d", p.status)
	}
	if p := b.post("/ui/signout", url.Values{"csrf": {good}}); p.status != http.StatusSeeOther {
		t.Errorf("sign-out: %d", p.status)
	}
	if p := b.get("/ui/dashboard"); p.status != http.StatusSeeOther {
		t.Errorf("dashboard after sign-out: %d, want a redirect to sign in", p.status)
	}
	// With the right token the same form goes through.
	b.mustSignIn("alice")
	if p := b.post("/ui/submit/indicator", form(b.token("/ui/submit"))); p.status != http.StatusOK || !strings.Contains(p.body, `id="receipt-success">1<`) {
		t.Errorf("genuine form: %d %s", p.status, p.body)
	}
}

func TestSignInRateLimited(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{Portal: ui.Config{SignInFailures: 3}})
	srv.Seed()
	b := newBrowser(t, srv)
	for i := range 3 {
		if p := b.signIn("alice", "wrong password "+string(rune('a'+i))); p.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, p.status)
		}
	}
	if p := b.signIn("alice", uitest.Password); p.status != http.StatusTooManyRequests {
		t.Errorf("sign-in after 3 failures: %d, want 429", p.status)
	}
}

func TestSessionEnds(t *testing.T) {
	t.Parallel()
	bothStores(t, sessionEnds)
}

func sessionEnds(t *testing.T, opts uitest.Options) {
	srv := uitest.Start(t, opts)
	srv.Seed()
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	h, err := ui.HashPassword("another long password")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.DB.SetPassword(t.Context(), "alice", h); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/ui/dashboard"); p.status != http.StatusSeeOther {
		t.Errorf("dashboard after a password change: %d, want a redirect", p.status)
	}
	b.mustSignIn("bob")
	if err := srv.DB.DeleteUser(t.Context(), "bob"); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/ui/dashboard"); p.status != http.StatusSeeOther {
		t.Errorf("dashboard after the user was removed: %d, want a redirect", p.status)
	}
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := ui.HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := ui.HashPassword("a long enough password")
	if h == h2 || !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Errorf("hashes %q and %q", h, h2)
	}
	for _, tt := range []struct {
		hash, password string
		want           bool
	}{
		{h, "a long enough password", true},
		{h, "a long enough passwore", false},
		{h, "", false},
		{strings.Replace(h, "t=2", "t=3", 1), "a long enough password", false},
		{"$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdA$aGFzaA", "x", false},
		{"plain", "plain", false},
	} {
		if got := ui.CheckPassword(tt.hash, tt.password); got != tt.want {
			t.Errorf("CheckPassword(%q, %q) = %v", tt.hash, tt.password, got)
		}
	}
	if _, err := ui.HashPassword("short"); err == nil {
		t.Error("a short password was hashed")
	}
}
