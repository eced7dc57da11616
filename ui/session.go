package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tearline/tearline"
)

// Cookie names. Over TLS the session cookie takes the __Host- prefix,
// which browsers accept only Secure, host-only and for path /.
const (
	sessionCookie       = "tl_session"
	secureSessionCookie = "__Host-tl_session"
	preCookie           = "tl_signin" // the sign-in form's CSRF token
)

// session is a signed-in request's session and principal.
type session struct {
	*tearline.Session
	p *tearline.Principal
	// who is what the pages call the principal: the user name, or "key ID".
	who string
}

// handler is a page handler of a signed-in user.
type handler func(w http.ResponseWriter, r *http.Request, s *session)

// newSecret returns 32 random bytes, base64url encoded.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashID returns the SHA-256 of a session id, the key stores keep.
func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// secure reports whether cookies of r are to be Secure.
func (p *Portal) secure(r *http.Request) bool { return p.cfg.SecureCookies || r.TLS != nil }

// cookieName returns the session cookie's name for r.
func (p *Portal) cookieName(r *http.Request) string {
	if p.secure(r) {
		return secureSessionCookie
	}
	return sessionCookie
}

// session returns the session of r, with its principal as it is now (a
// removed user, revoked key or removed organization ends it), or nil
// when r is not signed in.
func (p *Portal) session(r *http.Request) (*session, error) {
	c, err := r.Cookie(p.cookieName(r))
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil, nil
	}
	ctx := r.Context()
	ts, err := p.st.FindSession(ctx, hashID(c.Value))
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	s := &session{Session: ts}
	role := ts.Role
	switch {
	case ts.User != "":
		u, err := p.st.FindUser(ctx, ts.User)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND || err == nil && u.OrgID != ts.OrgID {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		role, s.who = u.Role, u.Name
	case ts.KeyID != "":
		k, _, err := p.st.FindAPIKey(ctx, ts.KeyID)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND || err == nil && (!k.Revoked.IsZero() || k.OrgID != ts.OrgID) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		role, s.who = k.Role, "key "+k.ID
	default:
		return nil, nil
	}
	org, err := p.st.FindOrganization(ctx, ts.OrgID)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	s.p = &tearline.Principal{Org: org, Role: role, KeyID: principalName(ts)}
	return s, nil
}

// principalName is how the ledger and the visit records name a session's
// principal: "user:NAME", or the API key id.
func principalName(ts *tearline.Session) string {
	if ts.User != "" {
		return "user:" + ts.User
	}
	return ts.KeyID
}

// csrf is the standard library's cross-origin protection: unsafe requests
// whose Sec-Fetch-Site or Origin says they come from another site are
// refused, before any token is looked at.
var csrf = http.NewCrossOriginProtection()

// auth wraps a page of signed-in users: without a session, a GET goes to
// the sign-in page and anything else is refused. An unsafe request must
// come from the portal's own origin and carry the session's CSRF token
// (form field csrf, or the X-CSRF-Token header that htmx sends).
func (p *Portal) auth(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := p.session(r)
		if err != nil {
			p.log.Error("read session", "err", err)
			p.errorPage(w, r, nil, err)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/ui/signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			p.errorPage(w, r, nil, tearline.Errorf(tearline.EUNAUTHORIZED, "your session has ended; sign in again"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := csrf.Check(r); err != nil {
				p.errorPage(w, r, s, tearline.Errorf(tearline.EFORBIDDEN, "cross-origin request refused"))
				return
			}
			// A bundle of MaxUpload and the rest of its form fit.
			limit := p.cfg.MaxUpload + 1<<20
			if r.ContentLength > limit {
				p.errorPage(w, r, s, tearline.Errorf(tearline.ETOOLARGE, "the form is larger than the limit of %d bytes", limit))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" {
				tok = formValue(r, "csrf")
			}
			if subtle.ConstantTimeCompare([]byte(tok), []byte(s.CSRF)) != 1 {
				p.errorPage(w, r, s, tearline.Errorf(tearline.EFORBIDDEN, "the form's security token is missing or wrong; reload the page and try again"))
				return
			}
		}
		h(w, r, s)
	})
}

// formValue returns a form field of a urlencoded or multipart body.
func formValue(r *http.Request, name string) string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if r.MultipartForm == nil {
			r.ParseMultipartForm(1 << 20)
		}
		if r.MultipartForm != nil {
			if v := r.MultipartForm.Value[name]; len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	return r.PostFormValue(name)
}

// startSession creates a new session for a principal that just signed in,
// ending the one r carried (a new id at every sign-in: an id planted
// before sign-in never becomes a signed-in session), and sets its cookie.
func (p *Portal) startSession(w http.ResponseWriter, r *http.Request, ts *tearline.Session) error {
	ctx := r.Context()
	if c, err := r.Cookie(p.cookieName(r)); err == nil && c.Value != "" && len(c.Value) <= 100 {
		if err := p.st.DeleteSession(ctx, hashID(c.Value)); err != nil {
			return err
		}
	}
	now := p.cfg.Now().UTC()
	since, err := p.st.Visit(ctx, principalName(ts), now)
	if err != nil {
		return err
	}
	id := newSecret()
	ts.IDHash, ts.CSRF, ts.Since, ts.Created, ts.Expires = hashID(id), newSecret(), since, now, now.Add(p.cfg.SessionTTL)
	if err := p.st.CreateSession(ctx, ts); err != nil {
		return err
	}
	p.setCookie(w, r, p.cookieName(r), id, p.cfg.SessionTTL)
	p.setCookie(w, r, preCookie, "", -1)
	return nil
}

// setCookie sets (maxAge > 0) or clears (maxAge < 0) a cookie: HttpOnly,
// SameSite=Lax, Secure over TLS, for the whole host.
func (p *Portal) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.secure(r)}
	if name == preCookie {
		c.Path = "/ui/"
	}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// failures counts failed sign-ins by key (a client address or a user
// name) in fixed windows.
type failures struct {
	max    int
	window time.Duration
	now    func() time.Time
	mu     sync.Mutex
	seen   map[string]*failureCount
}

type failureCount struct {
	n     int
	start time.Time
}

func newFailures(max int, window time.Duration, now func() time.Time) *failures {
	return &failures{max: max, window: window, now: now, seen: map[string]*failureCount{}}
}

// limiter counts failed sign-ins and tells when to refuse more.
type limiter interface {
	// blocked reports whether any of keys has failed too often lately.
	blocked(ctx context.Context, keys ...string) (bool, error)
	// fail counts a failure against each of keys.
	fail(ctx context.Context, keys ...string) error
}

// storeFailures counts failed sign-ins in the store
// (tearline.SignInFailures), so that every node over one database counts
// the same failures and the limit holds whichever node a sign-in lands
// on.
type storeFailures struct {
	st     tearline.SignInFailures
	max    int
	window time.Duration
	now    func() time.Time
}

func (f *storeFailures) blocked(ctx context.Context, keys ...string) (bool, error) {
	n, err := f.st.SignInFailures(ctx, keys, f.now())
	return n >= f.max, err
}

func (f *storeFailures) fail(ctx context.Context, keys ...string) error {
	return f.st.FailSignIn(ctx, keys, f.now(), f.window)
}

// newLimiter returns the store's counts when it keeps them, else counts
// in memory (then each process counts its own failures).
func newLimiter(st Store, max int, window time.Duration, now func() time.Time) limiter {
	if sf, ok := st.(tearline.SignInFailures); ok {
		return &storeFailures{st: sf, max: max, window: window, now: now}
	}
	return newFailures(max, window, now)
}

// blocked reports whether any of keys has failed too often lately.
func (f *failures) blocked(_ context.Context, keys ...string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	for _, k := range keys {
		if c := f.seen[k]; c != nil && now.Sub(c.start) < f.window && c.n >= f.max {
			return true, nil
		}
	}
	return false, nil
}

// fail counts a failure against each of keys.
func (f *failures) fail(_ context.Context, keys ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if len(f.seen) > 100000 {
		for k, c := range f.seen {
			if now.Sub(c.start) >= f.window {
				delete(f.seen, k)
			}
		}
	}
	for _, k := range keys {
		c := f.seen[k]
		if c == nil || now.Sub(c.start) >= f.window {
			c = &failureCount{start: now}
			f.seen[k] = c
		}
		c.n++
	}
	return nil
}

// clientAddr is the address that sign-in failures are counted against.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// cytoscapeStyle is the one inline style the CSP allows, by its hash: the
// <style> element cytoscape.js 3.30.4 adds to the document for its
// container (".__________cytoscape_container { position: relative; }").
// A test checks it against the vendored file.
const cytoscapeStyle = "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='"

// securityHeaders sets the headers of every portal response: a content
// security policy that runs only the portal's own script files (no inline
// script, no eval) and allows no inline style but cytoscape.js's own,
// forbids framing, no MIME sniffing, no referrer beyond the origin, and no
// caching of pages that show intelligence.
func securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self' "+cytoscapeStyle+"; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/ui/static/") {
		h.Set("Cache-Control", "no-store")
	}
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// Who is what pages call the signed-in principal.
func (s *session) Who() string { return s.who }

// OrgName is the name of the principal's organization.
func (s *session) OrgName() string { return s.p.Org.Name }

// RoleName is the principal's role.
func (s *session) RoleName() string { return string(s.p.Role) }

// IsAdmin reports whether the principal has the admin role.
func (s *session) IsAdmin() bool { return s.p.Role.AtLeast(tearline.RoleAdmin) }

// IsAnalyst reports whether the principal may review and decide.
func (s *session) IsAnalyst() bool { return s.p.Role.AtLeast(tearline.RoleAnalyst) }
