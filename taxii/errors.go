package taxii

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tearline/tearline"
)

// Error codes of conditions only the HTTP layer knows. They travel as
// *tearline.Error like the others and are mapped in errorStatus.
const (
	eNotAcceptable    = "not_acceptable"
	eUnsupportedMedia = "unsupported_media_type"
	eMethodNotAllowed = "method_not_allowed"
)

// ErrorStatus returns the HTTP status the API answers an error with code
// with, for front ends that answer the same way (the portal).
func ErrorStatus(code string) int {
	status, _ := errorStatus(code)
	return status
}

// errorStatus maps an error code to its HTTP status and the title of the
// TAXII error object. It is the one place that does so.
func errorStatus(code string) (int, string) {
	switch code {
	case tearline.EINVALID:
		return http.StatusBadRequest, "Bad request"
	case tearline.EUNAUTHORIZED:
		return http.StatusUnauthorized, "Authentication required"
	case tearline.EFORBIDDEN:
		return http.StatusForbidden, "Forbidden"
	case tearline.ENOTFOUND:
		return http.StatusNotFound, "Not found"
	case tearline.ECONFLICT:
		return http.StatusConflict, "Conflict"
	case tearline.ETOOLARGE:
		return http.StatusRequestEntityTooLarge, "Request too large"
	case tearline.EUNAVAILABLE:
		return http.StatusServiceUnavailable, "Service unavailable"
	case eNotAcceptable:
		return http.StatusNotAcceptable, "Not acceptable"
	case eUnsupportedMedia:
		return http.StatusUnsupportedMediaType, "Unsupported media type"
	case eMethodNotAllowed:
		return http.StatusMethodNotAllowed, "Method not allowed"
	case eTooManyRequests:
		return http.StatusTooManyRequests, "Too many requests"
	}
	return http.StatusInternalServerError, "Internal server error"
}

// errorResource is the TAXII 2.1 error message (section 3.6.1).
type errorResource struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	ErrorID     string `json:"error_id,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
	HTTPStatus  string `json:"http_status,omitempty"`
}

// writeError answers a request with err as a TAXII error object. Internal
// errors are logged with their details and answered with a generic message
// and the request id to quote.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := tearline.ErrorCode(err)
	status, title := errorStatus(code)
	info := requestInfoOf(r.Context())
	msg := tearline.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		if r.Context().Err() != nil {
			// The client went away; nobody reads the answer.
			s.logger(r.Context()).Debug("request canceled", "err", err)
		} else {
			s.logger(r.Context()).Error("internal error", "err", err)
		}
		msg = "internal error; quote request id " + info.id + " to the server's operators"
	} else {
		s.logger(r.Context()).Debug("request failed", "code", code, "msg", msg)
	}
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Add("WWW-Authenticate", `Bearer realm="tearline"`)
		h.Add("WWW-Authenticate", `Basic realm="tearline", charset="UTF-8"`)
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "30")
	case http.StatusTooManyRequests:
		h.Set("Retry-After", retryAfter(err))
	case http.StatusMethodNotAllowed:
		if allow := allowedMethods(err); allow != "" {
			h.Set("Allow", allow)
		}
	}
	contentType := mediaTAXII
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/healthz") {
		contentType = "application/json"
	}
	writeJSON(w, status, contentType, errorResource{
		Title:       title,
		Description: msg,
		ErrorID:     info.id,
		ErrorCode:   code,
		HTTPStatus:  strconv.Itoa(status),
	})
}

// methodError is the error for a path served with other methods.
type methodError struct {
	err   *tearline.Error
	allow []string
}

func (e *methodError) Error() string { return e.err.Error() }
func (e *methodError) Unwrap() error { return e.err }

func allowedMethods(err error) string {
	var me *methodError
	if errors.As(err, &me) {
		return strings.Join(me.allow, ", ")
	}
	return ""
}

// notFound answers requests no route matches: 405 when the path is served
// with other methods, else 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		s.writeError(w, r, &methodError{
			err:   tearline.Errorf(eMethodNotAllowed, "%s is not supported on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or ")),
			allow: allow,
		})
		return
	}
	msg := "no such resource " + r.URL.Path
	if !strings.HasPrefix(r.URL.Path, "/taxii2/") && !strings.HasPrefix(r.URL.Path, "/api/v1/") {
		msg += "; TAXII discovery is at /taxii2/"
	}
	s.writeError(w, r, tearline.Errorf(tearline.ENOTFOUND, "%s", msg))
}
