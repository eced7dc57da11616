package taxii

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/tracing"
)

// Media types.
const (
	mediaTAXII = "application/taxii+json;version=2.1"
	mediaSTIX  = "application/stix+json;version=2.1"
)

// handlerFunc is a TAXII or admin handler: it writes its response, or
// returns an error that the caller writes as a TAXII error object.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error

// requestInfo is what the middleware knows about a request, shared with the
// handlers through the context.
type requestInfo struct {
	id string
	p  *tearline.Principal
}

type infoKey struct{}

func requestInfoOf(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// logger returns the server's logger with the attributes of the request in
// ctx, if any: every log line of a request carries its id.
func (s *Server) logger(ctx context.Context) *slog.Logger {
	info, ok := ctx.Value(infoKey{}).(*requestInfo)
	if !ok {
		return s.log
	}
	l := s.log.With("request_id", info.id)
	if info.p != nil {
		l = l.With("org", info.p.Org.ID, "key", info.p.KeyID)
	}
	return tracing.Logger(ctx, l)
}

// responseWriter records what a handler wrote, for the access log and to
// know whether an error can still be answered as such.
type responseWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wroteHeader reports whether the response has started.
func wroteHeader(w http.ResponseWriter) bool {
	rw, ok := w.(*responseWriter)
	return ok && rw.status != 0
}

// middleware gives each request an id (the client's X-Request-Id when it is
// sane), logs it, turns panics into 500s and rejects paths with dot
// segments or encoded slashes before any routing.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r.Header.Get("X-Request-Id"))}
		w.Header().Set("X-Request-Id", info.id)
		securityHeaders(w, r)
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		r, span := tracing.StartRequest(r, info.id)
		observed := s.observe(r)
		rw := &responseWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v != nil && v != http.ErrAbortHandler {
				s.logger(r.Context()).Error("panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rw.status == 0 {
					s.writeError(rw, r, fmt.Errorf("panic: %v", v))
					v = nil
				} else {
					v = http.ErrAbortHandler
				}
			}
			status := rw.status
			if v != nil {
				status = 0 // aborted
			}
			route := observed(status)
			if route == "unmatched" || route == "other" {
				tracing.EndRequest(span, r.Method, "", status)
			} else {
				tracing.EndRequest(span, r.Method, route, status)
			}
			s.logger(r.Context()).Info("request", "method", r.Method, "path", r.URL.Path, "route", route,
				"status", status, "bytes", rw.bytes, "duration", time.Since(start))
			if v != nil {
				panic(v)
			}
		}()
		if err := checkPath(r); err != nil {
			s.writeError(rw, r, err)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// requestID returns the client's request id when it is 1-64 characters of
// letters, digits, '-', '_' and '.', else a new random one.
func requestID(h string) string {
	ok := h != "" && len(h) <= 64
	for i := 0; ok && i < len(h); i++ {
		c := h[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
	}
	if ok {
		return h
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// checkPath rejects paths that routing must never see: "." and ".."
// segments, empty segments and encoded slashes or backslashes.
func checkPath(r *http.Request) error {
	if raw := strings.ToLower(r.URL.RawPath); strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
		return tearline.Errorf(tearline.EINVALID, "the request path holds an encoded slash or backslash; identifiers never contain one")
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		return tearline.Errorf(tearline.EINVALID, "the request path must start with /")
	}
	segs := strings.Split(p[1:], "/")
	for i, seg := range segs {
		switch {
		case seg == "." || seg == "..":
			return tearline.Errorf(tearline.EINVALID, "the request path %q holds a %q segment; send the resource's path itself", p, seg)
		case seg == "" && i != len(segs)-1:
			return tearline.Errorf(tearline.EINVALID, "the request path %q holds an empty segment (\"//\")", p)
		case strings.ContainsAny(seg, "\\\x00"):
			return tearline.Errorf(tearline.EINVALID, "the request path %q holds a backslash or NUL", p)
		}
	}
	return nil
}

// taxii wraps a TAXII handler: it checks that the client accepts the TAXII
// media type and authenticates it; public handlers also serve anonymous
// clients (with a nil principal).
func (s *Server) taxii(h handlerFunc, public bool) http.Handler {
	h = s.feeds(h) // subscriptions served as collections
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acceptsTAXII(r.Header.Values("Accept")) {
			s.writeError(w, r, tearline.Errorf(eNotAcceptable,
				"the Accept header %q does not allow %s, the only media type this server returns",
				strings.Join(r.Header.Values("Accept"), ", "), mediaTAXII))
			return
		}
		s.serve(w, r, h, public)
	})
}

// admin wraps an admin API handler: the caller must authenticate with the
// admin role.
func (s *Server) admin(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, func(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
			if !p.Role.AtLeast(tearline.RoleAdmin) {
				return tearline.Errorf(tearline.EFORBIDDEN, "the admin API needs an API key or certificate with role %q; yours has role %q", tearline.RoleAdmin, p.Role)
			}
			return h(w, r, p)
		}, false)
	})
}

// keyManager wraps a handler of the key routes: an admin manages every
// organization's keys, a manager its own organization's (the handlers
// check the organization and the roles), and nobody else any.
func (s *Server) keyManager(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, func(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
			if !p.Role.AtLeast(tearline.RoleManager) {
				return tearline.Errorf(tearline.EFORBIDDEN, "managing API keys needs an API key or certificate with role %q (its own organization's keys) or %q; yours has role %q",
					tearline.RoleManager, tearline.RoleAdmin, p.Role)
			}
			return h(w, r, p)
		}, false)
	})
}

// serve authenticates the request and runs h, writing its error. An error
// after the response has started can only be logged; the connection is
// cut so the client cannot take a truncated response for a whole one.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, h handlerFunc, public bool) {
	if err := s.authBlocked(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.auth.Authenticate(r.Context(), r)
	if as, ok := r.Context().Value(asKey{}).(*tearline.Principal); ok && as != nil {
		p, err = as, nil // ServeAs: the portal authenticated its user
	}
	if tearline.ErrorCode(err) == tearline.EUNAUTHORIZED {
		s.authFailed(r)
	}
	if err == nil && p == nil && !public {
		err = tearline.Errorf(tearline.EUNAUTHORIZED, "authentication required: send \"Authorization: Bearer TOKEN\", HTTP Basic with the token as password, or a TLS client certificate")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if p, err = s.withPeer(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	requestInfoOf(r.Context()).p = p
	release, err := s.admit(r, p)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer release()
	if err := h(w, r, p); err != nil {
		if wroteHeader(w) {
			if r.Context().Err() != nil {
				s.logger(r.Context()).Debug("client went away during the response", "err", err)
			} else {
				s.logger(r.Context()).Error("response failed after it started", "err", err)
			}
			panic(http.ErrAbortHandler)
		}
		s.writeError(w, r, err)
	}
}

// acceptsTAXII reports whether the Accept header values allow
// application/taxii+json;version=2.1: that type with no version or version
// 2.1, application/*, or */*, with a non-zero quality. A missing header
// accepts anything.
func acceptsTAXII(values []string) bool {
	if len(values) == 0 {
		return true
	}
	empty := true
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			empty = false
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			switch mt {
			case "*/*", "application/*":
				return true
			case "application/taxii+json":
				if v, ok := params["version"]; !ok || v == "2.1" {
					return true
				}
			}
		}
	}
	return empty
}

// taxiiContentType checks a POST's Content-Type: application/taxii+json with
// no version or version 2.1.
func taxiiContentType(h string) error {
	mt, params, err := mime.ParseMediaType(h)
	if err == nil && mt == "application/taxii+json" {
		if v, ok := params["version"]; !ok || v == "2.1" {
			return nil
		}
	}
	if h == "" {
		h = "none"
	}
	return tearline.Errorf(eUnsupportedMedia, "Content-Type %s is not supported: send a TAXII envelope as %s", h, mediaTAXII)
}

// writeJSON writes v as JSON with the given status and content type.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own resource types are encoded here; they always encode.
		panic(err)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeTAXII writes a TAXII resource with status 200 OK.
func writeTAXII(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, mediaTAXII, v)
}

// healthz answers liveness probes.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ok"})
}
