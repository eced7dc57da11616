package ui

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/tearline/tearline"
)

// Media types of the API.
const (
	mediaTAXII = "application/taxii+json;version=2.1"
	mediaJSON  = "application/json"
)

// api runs an API route as the session's principal (taxii.Server.ServeAs)
// and decodes its JSON answer into out (when not nil). An error answer
// comes back as a *tearline.Error with the API's message and the code of
// its status.
func (p *Portal) api(r *http.Request, s *session, method, path, contentType string, body []byte, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, path, rd)
	if err != nil {
		return err
	}
	req.RemoteAddr = r.RemoteAddr
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if contentType == mediaTAXII {
		req.Header.Set("Accept", mediaTAXII)
	}
	rec := httptest.NewRecorder()
	p.srv.ServeAs(rec, req, s.p)
	res := rec.Result()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		var e struct {
			Title       string `json:"title"`
			Description string `json:"description"`
		}
		json.Unmarshal(data, &e)
		msg := e.Description
		if msg == "" {
			msg = e.Title
		}
		if msg == "" {
			msg = http.StatusText(res.StatusCode)
		}
		return tearline.Errorf(codeOf(res.StatusCode), "%s", msg)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return err
		}
	}
	return nil
}

// codeOf maps an HTTP status back to an error code.
func codeOf(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType, http.StatusNotAcceptable:
		return tearline.EINVALID
	case http.StatusNotFound:
		return tearline.ENOTFOUND
	case http.StatusConflict:
		return tearline.ECONFLICT
	case http.StatusUnauthorized:
		return tearline.EUNAUTHORIZED
	case http.StatusForbidden:
		return tearline.EFORBIDDEN
	case http.StatusRequestEntityTooLarge:
		return tearline.ETOOLARGE
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return tearline.EUNAVAILABLE
	}
	return tearline.EINTERNAL
}
