package ui_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tearline/tearline/ui/uitest"
)

// browser is an HTTP client with a cookie jar that follows the portal as
// a browser would: it reads form tokens from pages and sends same-origin
// requests.
type browser struct {
	t   *testing.T
	srv *uitest.Server
	c   *http.Client
}

func newBrowser(t *testing.T, srv *uitest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	c := *srv.HTTP.Client() // a copy: httptest shares one client
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: t, srv: srv, c: &c}
}

// page is a response, read.
type page struct {
	status int
	header http.Header
	body   string
	loc    string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(body), loc: res.Header.Get("Location")}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form as the portal's own pages do (same origin).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

var tokenRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token returns the CSRF token of the first form of a page.
func (b *browser) token(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := tokenRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no form token on %s (%d): %s", path, p.status, p.body)
	}
	return m[1]
}

// signIn signs in with a user name and password and returns the answer.
func (b *browser) signIn(user, password string) page {
	b.t.Helper()
	tok := b.token("/ui/signin")
	return b.post("/ui/signin", url.Values{"csrf": {tok}, "method": {"password"}, "username": {user}, "password": {password}})
}

// mustSignIn signs in and fails the test unless it worked.
func (b *browser) mustSignIn(user string) {
	b.t.Helper()
	p := b.signIn(user, uitest.Password)
	if p.status != http.StatusSeeOther || p.loc != "/ui/dashboard" {
		b.t.Fatalf("sign in as %s: %d %s %s", user, p.status, p.loc, p.body)
	}
}

// cookie returns the value of a cookie the jar holds for the portal.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.srv.URL + "/ui/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie plants a cookie in the jar.
func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.srv.URL + "/")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}
