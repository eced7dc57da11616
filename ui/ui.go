// Package ui is Tearline's analyst portal: server-rendered pages (Go
// html/template, with htmx and cytoscape.js embedded) served at /ui/.
//
// The portal holds no access rule of its own. Every object it shows was
// read through the TAXII server's portal methods (taxii.Server
// PortalVersions, PortalList, PortalSearch, PortalReferrers), which pass
// each version through the same access decision as the API and record it
// in the disclosure ledger under path "ui"; every other page calls the
// API route itself as the signed-in principal (taxii.Server.ServeAs), so
// a page never shows what the API would not return to the same user.
//
// Sessions live in the store (tearline.PortalUsers): the cookie holds a
// random id whose hash keys the session, issued anew at each sign-in.
// Every form carries the session's CSRF token, checked on every unsafe
// request together with the Origin header.
package ui

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii"
)

//go:embed templates static
var files embed.FS

// Store is what the portal keeps and reads itself: organizations (to build
// a user's principal) and its users and sessions.
type Store interface {
	tearline.Directory
	tearline.PortalUsers
}

// Defaults of Config.
const (
	DefaultSessionTTL = 12 * time.Hour
	DefaultMaxUpload  = 10 << 20
)

// Config configures a Portal. Zero fields take the defaults.
type Config struct {
	// Server is the TAXII server whose access decision and API the portal
	// goes through. Required.
	Server *taxii.Server
	// Store keeps users and sessions. Required.
	Store Store
	// Root is the TAXII API root that submissions go to; "" means
	// "default".
	Root string
	// SessionTTL is how long a session lasts after sign-in.
	SessionTTL time.Duration
	// MaxUpload is the largest bundle accepted by the submit page, in
	// bytes.
	MaxUpload int64
	// SecureCookies marks cookies Secure (set it when serving TLS, or
	// behind a proxy that terminates it); cookies are also Secure on any
	// request that arrives over TLS.
	SecureCookies bool
	// SignInFailures and SignInWindow bound failed sign-ins: per client
	// address and per user name, SignInFailures failures within
	// SignInWindow block further attempts until the window passes.
	// Defaults 5 and 5 minutes. A store that keeps the counts
	// (tearline.SignInFailures: both of Tearline's) counts them for every
	// node over it; with another, each process counts its own.
	SignInFailures int
	SignInWindow   time.Duration
	Logger         *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Portal serves the analyst portal. Create it with New.
type Portal struct {
	cfg     Config
	srv     *taxii.Server
	st      Store
	log     *slog.Logger
	pages   map[string]*pageTemplate
	static  fs.FS
	mux     *http.ServeMux
	limiter limiter
}

// New returns a portal for cfg. It fails when the server or the store is
// missing, or a template does not parse.
func New(cfg Config) (*Portal, error) {
	if cfg.Server == nil || cfg.Store == nil {
		return nil, errors.New("ui: a TAXII server and a store are required")
	}
	if cfg.Root == "" {
		cfg.Root = "default"
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.SignInFailures <= 0 {
		cfg.SignInFailures = 5
	}
	if cfg.SignInWindow <= 0 {
		cfg.SignInWindow = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	p := &Portal{
		cfg: cfg, srv: cfg.Server, st: cfg.Store, log: cfg.Logger, pages: pages, static: static,
		limiter: newLimiter(cfg.Store, cfg.SignInFailures, cfg.SignInWindow, cfg.Now),
	}
	p.mux = p.routes()
	return p, nil
}

// Handler returns the handler of every /ui/ route, with the security
// headers on every response and a log line for each request.
func (p *Portal) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		securityHeaders(w, r)
		sw := &statusWriter{ResponseWriter: w}
		p.mux.ServeHTTP(sw, r)
		p.log.Info("portal request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	})
}

// statusWriter remembers the status of a response, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// routes lists every route of the portal.
func (p *Portal) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", staticHandler(p.static)))
	mux.HandleFunc("GET /ui/{$}", p.home)
	mux.HandleFunc("GET /ui", p.home)
	mux.HandleFunc("GET /ui/signin", p.signInPage)
	mux.HandleFunc("POST /ui/signin", p.signIn)
	mux.Handle("POST /ui/signout", p.auth(p.signOut))

	mux.Handle("GET /ui/dashboard", p.auth(p.dashboard))
	mux.Handle("GET /ui/search", p.auth(p.search))
	mux.Handle("GET /ui/lookup", p.auth(p.lookup))
	mux.Handle("GET /ui/objects/{id}", p.auth(p.object))
	mux.Handle("GET /ui/objects/{id}/graph", p.auth(p.graph))
	mux.Handle("GET /ui/submit", p.auth(p.submitPage))
	mux.Handle("POST /ui/submit/bundle", p.auth(p.submitBundle))
	mux.Handle("POST /ui/submit/indicator", p.auth(p.submitIndicator))
	mux.Handle("POST /ui/submit/pattern", p.auth(p.checkPattern))
	mux.Handle("GET /ui/review", p.auth(p.reviewPage))
	mux.Handle("POST /ui/review/{kind}/{id}/{action}", p.auth(p.decide))
	mux.Handle("GET /ui/review/pii/{id}/edit", p.auth(p.editPage))
	mux.Handle("GET /ui/subscriptions", p.auth(p.subscriptions))
	mux.Handle("POST /ui/subscriptions", p.auth(p.createSubscription))
	mux.Handle("POST /ui/subscriptions/delete", p.auth(p.deleteSubscription))
	mux.Handle("POST /ui/subscriptions/dead-letters/redrive", p.auth(p.redrive))
	mux.Handle("POST /ui/subscriptions/dead-letters/delete", p.auth(p.dropDeadLetter))
	mux.Handle("GET /ui/keys", p.auth(p.keys))
	mux.Handle("POST /ui/keys", p.auth(p.createKey))
	mux.Handle("POST /ui/keys/revoke", p.auth(p.revokeKey))
	mux.Handle("GET /ui/admin/{what}", p.auth(p.admin))
	mux.Handle("POST /ui/admin/organizations", p.auth(p.createOrganization))
	mux.Handle("POST /ui/admin/organizations/update", p.auth(p.updateOrganization))
	mux.Handle("POST /ui/admin/collections", p.auth(p.createCollection))
	mux.Handle("POST /ui/admin/collections/grant", p.auth(p.setGrant))
	mux.Handle("POST /ui/admin/peers", p.auth(p.createPeer))
	mux.Handle("POST /ui/objects/{id}/feedback", p.auth(p.feedback))
	mux.Handle("GET /ui/inbox", p.auth(p.inbox))
	mux.Handle("POST /ui/inbox/{id}/triage", p.auth(p.triage))
	mux.Handle("GET /ui/directory", p.auth(p.directory))
	mux.HandleFunc("/ui/", p.notFound)
	return mux
}

// Clean removes expired sessions, and failed sign-in counts whose window
// ended, and returns how many sessions it removed; a server calls it now
// and then.
func (p *Portal) Clean(ctx context.Context) (int, error) {
	if sf, ok := p.st.(tearline.SignInFailures); ok {
		if _, err := sf.DeleteSignInFailuresBefore(ctx, p.cfg.Now()); err != nil {
			return 0, err
		}
	}
	return p.st.DeleteSessionsBefore(ctx, p.cfg.Now())
}

func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	if s, _ := p.session(r); s != nil {
		http.Redirect(w, r, "/ui/dashboard", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}

func (p *Portal) notFound(w http.ResponseWriter, r *http.Request) {
	s, _ := p.session(r)
	p.errorPage(w, r, s, tearline.Errorf(tearline.ENOTFOUND, "no page %s", r.URL.Path))
}

// Mount returns a handler that serves the portal under /ui/ and api (the
// TAXII server's handler) everywhere else.
func Mount(api http.Handler, p *Portal) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/ui/", p.Handler())
	mux.Handle("/ui", p.Handler())
	mux.Handle("/", api)
	return mux
}
