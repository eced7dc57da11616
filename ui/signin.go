package ui

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/tearline/tearline"
)

// signInData is what the sign-in page shows.
type signInData struct {
	Token  string // the form's CSRF token
	Next   string
	Method string // "password" or "token"
	Name   string
	Error  string
}

// urlQueryEscape escapes s for a query value.
func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// localNext returns next when it is a portal path, else the dashboard:
// sign-in never redirects off the portal.
func localNext(next string) string {
	if strings.HasPrefix(next, "/ui/") && !strings.HasPrefix(next, "/ui//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/ui/dashboard"
}

func (p *Portal) signInPage(w http.ResponseWriter, r *http.Request) {
	p.renderSignIn(w, r, http.StatusOK, signInData{Method: "password", Next: r.URL.Query().Get("next")})
}

// renderSignIn renders the sign-in page with a new form token in its
// cookie (login CSRF: a forged form cannot know it).
func (p *Portal) renderSignIn(w http.ResponseWriter, r *http.Request, status int, d signInData) {
	d.Token = newSecret()
	d.Next = localNext(d.Next)
	p.setCookie(w, r, preCookie, d.Token, p.cfg.SignInWindow)
	p.render(w, r, status, "signin", nil, d)
}

// signIn handles the sign-in form: a user name and password, or an API
// token. Failures are counted per client address and per user name, and
// past the limit refused with 429 whatever the credentials.
func (p *Portal) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, r, nil, tearline.Errorf(tearline.EINVALID, "unreadable sign-in form"))
		return
	}
	d := signInData{Method: r.PostFormValue("method"), Name: strings.TrimSpace(r.PostFormValue("username")), Next: r.PostFormValue("next")}
	if d.Method != "token" {
		d.Method = "password"
	}
	c, _ := r.Cookie(preCookie)
	if err := csrf.Check(r); err != nil || c == nil || c.Value == "" ||
		subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		d.Error = "The sign-in form expired or did not come from this site. Please try again."
		p.renderSignIn(w, r, http.StatusForbidden, d)
		return
	}
	keys := []string{"addr:" + clientAddr(r)}
	if d.Method == "password" && d.Name != "" {
		keys = append(keys, "user:"+strings.ToLower(d.Name))
	}
	blocked, err := p.limiter.blocked(r.Context(), keys...)
	if err != nil {
		p.errorPage(w, r, nil, err)
		return
	}
	if blocked {
		w.Header().Set("Retry-After", "60")
		d.Error = "Too many failed sign-ins. Wait a few minutes and try again."
		p.renderSignIn(w, r, http.StatusTooManyRequests, d)
		return
	}
	ts, err := p.credentials(r, d)
	if tearline.ErrorCode(err) == tearline.EUNAUTHORIZED {
		if err := p.limiter.fail(r.Context(), keys...); err != nil {
			p.errorPage(w, r, nil, err)
			return
		}
		p.log.Info("portal sign-in failed", "method", d.Method, "user", d.Name, "addr", clientAddr(r))
		d.Error = "Wrong user name or password."
		if d.Method == "token" {
			d.Error = "Unknown, revoked or malformed API token."
		}
		p.renderSignIn(w, r, http.StatusUnauthorized, d)
		return
	} else if err != nil {
		p.errorPage(w, r, nil, err)
		return
	}
	if err := p.startSession(w, r, ts); err != nil {
		p.errorPage(w, r, nil, err)
		return
	}
	p.log.Info("portal sign-in", "org", ts.OrgID, "user", ts.User, "key", ts.KeyID, "addr", clientAddr(r))
	http.Redirect(w, r, localNext(d.Next), http.StatusSeeOther)
}

// credentials checks the form's credentials and returns the session to
// start. EUNAUTHORIZED for wrong ones.
func (p *Portal) credentials(r *http.Request, d signInData) (*tearline.Session, error) {
	ctx := r.Context()
	wrong := tearline.Errorf(tearline.EUNAUTHORIZED, "wrong credentials")
	if d.Method == "token" {
		pr, err := p.srv.PrincipalOf(ctx, strings.TrimSpace(r.PostFormValue("token")))
		if err != nil {
			return nil, err
		}
		return &tearline.Session{KeyID: pr.KeyID, OrgID: pr.Org.ID, Role: pr.Role}, nil
	}
	password := r.PostFormValue("password")
	u, err := p.st.FindUser(ctx, d.Name)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		CheckPassword(dummyHash(), password)
		return nil, wrong
	} else if err != nil {
		return nil, err
	}
	if !CheckPassword(u.PasswordHash, password) {
		return nil, wrong
	}
	return &tearline.Session{User: u.Name, OrgID: u.OrgID, Role: u.Role}, nil
}

// signOut ends the session and clears its cookie.
func (p *Portal) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := p.st.DeleteSession(r.Context(), s.IDHash); err != nil {
		p.errorPage(w, r, s, err)
		return
	}
	p.setCookie(w, r, p.cookieName(r), "", -1)
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}
