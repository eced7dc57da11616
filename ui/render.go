package ui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii"
)

// pageTemplate is one page: the layout and the page's own template.
type pageTemplate = template.Template

// pageNames lists the pages; each is templates/NAME.html, defining
// "content", rendered inside templates/layout.html.
var pageNames = []string{"signin", "error", "dashboard", "search", "lookup", "object", "submit", "receipt",
	"review", "reviewedit", "subscriptions", "keys", "admin", "inbox", "directory"}

// parseTemplates parses every page with the layout.
func parseTemplates() (map[string]*pageTemplate, error) {
	pages := map[string]*pageTemplate{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		pages[name] = t
	}
	// Fragments that htmx swaps in, without the layout.
	frag, err := template.New("fragments.html").Funcs(funcs).ParseFS(files, "templates/fragments.html")
	if err != nil {
		return nil, fmt.Errorf("template fragments: %w", err)
	}
	pages["fragments"] = frag
	return pages, nil
}

// view is what every page template receives.
type view struct {
	Title string
	Nav   string // the active navigation entry
	S     *session
	// Marking is the page's banner: the most restrictive TLP and the
	// highest classification of what the page shows.
	Marking banner
	Data    any
}

// banner is a page's marking banner.
type banner struct {
	TLP            string // "TLP:RED", ..., "" when nothing marked is shown
	Classification string
}

// Class returns the banner's CSS class.
func (b banner) Class() string { return tlpClass(b.TLP) }

// Text returns the banner's text.
func (b banner) Text() string {
	var parts []string
	if b.Classification != "" {
		parts = append(parts, b.Classification)
	}
	if b.TLP != "" {
		parts = append(parts, b.TLP)
	}
	if len(parts) == 0 {
		return "NO MARKED CONTENT"
	}
	return strings.Join(parts, " // ")
}

// raise makes b at least as restrictive as an object's markings.
func (b *banner) raise(o *taxii.PortalObject) { b.raiseTo(o.TLP, o.Classification) }

// raiseTo makes b at least as restrictive as a TLP level and a
// classification level ("" for none).
func (b *banner) raiseTo(tlp, classification string) {
	if rank(tlp) > rank(b.TLP) {
		b.TLP = tlp
	}
	if classification != "" && (b.Classification == "" || levelRank(classification) > levelRank(b.Classification)) {
		b.Classification = classification
	}
}

// levelRank orders marking.DefaultLevels; unknown levels rank highest.
func levelRank(level string) int {
	for i, l := range marking.DefaultLevels {
		if strings.EqualFold(l, level) {
			return i
		}
	}
	return len(marking.DefaultLevels)
}

// rank orders TLP strings; "" is lowest.
func rank(tlp string) int {
	t, _ := marking.ParseTLP(tlp)
	return int(t)
}

// tlpClass returns the CSS class of a TLP level.
func tlpClass(tlp string) string {
	t, ok := marking.ParseTLP(tlp)
	if !ok {
		return "tlp-none"
	}
	return "tlp-" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(t.String(), "TLP:")), "+", "-")
}

var funcs = template.FuncMap{
	"tlpClass": tlpClass,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"objectURL": func(id string) string {
		return "/ui/objects/" + id
	},
	"itoa": strconv.Itoa,
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	"list": func(s ...string) []string { return s },
}

// render writes page name with status.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, status int, name string, s *session, data any) {
	p.renderMarked(w, r, status, name, s, banner{}, data)
}

// renderMarked writes page name with a marking banner.
func (p *Portal) renderMarked(w http.ResponseWriter, r *http.Request, status int, name string, s *session, b banner, data any) {
	t := p.pages[name]
	v := view{Title: titles[name], Nav: name, S: s, Marking: b, Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		p.log.Error("render page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderFragment writes a template of fragments.html (htmx swaps).
func (p *Portal) renderFragment(w http.ResponseWriter, name string, data any) {
	var buf bytes.Buffer
	if err := p.pages["fragments"].ExecuteTemplate(&buf, name, data); err != nil {
		p.log.Error("render fragment", "fragment", name, "err", err)
		http.Error(w, "the fragment could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

var titles = map[string]string{
	"signin": "Sign in", "error": "Error", "dashboard": "Dashboard", "search": "Search", "lookup": "Observable lookup",
	"object": "Object", "submit": "Submit", "receipt": "Receipt", "review": "Review queue", "reviewedit": "Edit a held object",
	"subscriptions": "Subscriptions", "keys": "API keys", "admin": "Administration",
	"inbox": "Feedback inbox", "directory": "Directory of contacts",
}

// errorData is what the error page shows.
type errorData struct {
	Status  int
	Message string
}

// errorPage renders err: the message of a tearline error with its status,
// a generic message for anything else (logged, never shown).
func (p *Portal) errorPage(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status := http.StatusInternalServerError
	msg := "Something went wrong on the server. The error was logged."
	var te *tearline.Error
	if errors.As(err, &te) {
		status, msg = taxii.ErrorStatus(te.Code), te.Message
	} else {
		p.log.Error("portal request failed", "path", r.URL.Path, "err", err)
	}
	p.render(w, r, status, "error", s, errorData{Status: status, Message: msg})
}

// staticHandler serves the embedded static files, cacheable for a day
// (vendored files carry their version in their name).
func staticHandler(fsys fs.FS) http.Handler {
	fileServer := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fileServer.ServeHTTP(w, r)
	})
}
