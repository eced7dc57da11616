package taxii

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// FuzzCheckEnvelope checks the framing of POSTed bodies: any body is
// either refused with EINVALID or counted, and on valid JSON the count is
// the length of the "objects" list.
func FuzzCheckEnvelope(f *testing.F) {
	f.Add(envelope(indicator(1, 0), indicator(2, 0)))
	f.Add([]byte(`{"objects":[{"type":"x"},1,"s",null,[]],"more":false}`))
	f.Add([]byte(`{"type":"bundle","id":"bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","objects":[]}`))
	f.Add([]byte(`{"objects":{}}`))
	f.Add([]byte(`{"objects":[{"a":"]}\"}"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := checkEnvelope(body)
		if err != nil {
			if tearline.ErrorCode(err) != tearline.EINVALID {
				t.Fatalf("error code %q: %v", tearline.ErrorCode(err), err)
			}
			return
		}
		if n < 1 {
			t.Fatalf("accepted an envelope of %d objects", n)
		}
		// Framing only: an element that is not a valid object is that
		// object's failure in the status, not the envelope's.
		v, perr := stix.ParseValue(body)
		if perr != nil {
			return
		}
		if objs := v.Get("objects"); objs == nil || objs.Kind != stix.Array || len(objs.Elems) != n {
			t.Fatalf("counted %d objects in %q", n, body)
		}
	})
}

// FuzzRequestHeaders checks the parsers of request headers and paths that
// run before authentication: Accept, Content-Type, X-Request-Id and the
// path check. None may panic; a request id is always safe to log and echo;
// an accepted path has no dot segment, empty segment or encoded slash.
func FuzzRequestHeaders(f *testing.F) {
	f.Add(mediaTAXII, mediaTAXII, "req-1", "/taxii2/default/collections/")
	f.Add("application/taxii+json;version=2.0, */*;q=0", "application/json", "bad id", "/taxii2/../api/v1/")
	f.Add("application/*;q=0.5,text/html", "application/taxii+json; version=2.1; charset=utf-8", "", "/a%2fb/")
	f.Add("", "", strings.Repeat("x", 65), "//")
	f.Fuzz(func(t *testing.T, accept, contentType, reqID, rawPath string) {
		acceptsTAXII([]string{accept})
		acceptsTAXII(strings.Split(accept, "\n"))
		if err := taxiiContentType(contentType); err != nil && tearline.ErrorCode(err) != eUnsupportedMedia {
			t.Fatalf("Content-Type error code %q", tearline.ErrorCode(err))
		}
		id := requestID(reqID)
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool {
			return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_' || r == '.')
		}) {
			t.Fatalf("request id %q from %q", id, reqID)
		}
		u, err := url.Parse(rawPath)
		if err != nil {
			return
		}
		if err := checkPath(&http.Request{URL: u}); err != nil {
			if tearline.ErrorCode(err) != tearline.EINVALID {
				t.Fatalf("path error code %q", tearline.ErrorCode(err))
			}
			return
		}
		for _, seg := range strings.Split(u.Path, "/")[1:] {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted path %q", u.Path)
			}
		}
		if raw := strings.ToLower(u.RawPath); strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") {
			t.Fatalf("accepted encoded slash in %q", rawPath)
		}
	})
}
