package taxii

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tearline/tearline"
)

// FuzzParseFilter checks that any query string either parses into a filter
// within the server's limits or fails with an EINVALID error.
func FuzzParseFilter(f *testing.F) {
	for _, q := range []string{
		"", "limit=10", "added_after=2016-01-01T00:00:00.000Z", "match[type]=indicator,malware",
		"match[version]=first,last,2016-01-01T00:00:00Z", "match[id]=indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"match[spec_version]=2.1", "next=AAAA", "limit=0", "limit=99999999999999999999", "foo=bar", "%zz",
	} {
		f.Add(q)
	}
	s := &Server{cfg: Config{DefaultPageSize: 1000, MaxPageSize: 10000}}
	const col = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := &http.Request{URL: &url.URL{Path: "/", RawQuery: rawQuery}}
		flt, err := s.parseFilter(r, objectsParams, col)
		if err != nil {
			if tearline.ErrorCode(err) != tearline.EINVALID {
				t.Fatalf("error code %q for %q: %v", tearline.ErrorCode(err), rawQuery, err)
			}
			return
		}
		if flt.limit < 1 || flt.limit > s.cfg.MaxPageSize {
			t.Fatalf("limit %d out of range for %q", flt.limit, rawQuery)
		}
	})
}

// FuzzNextToken checks that next tokens parse strictly: anything accepted is
// the token the server would have issued for that cursor and collection.
func FuzzNextToken(f *testing.F) {
	const col = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	f.Add(nextToken(time.Date(2024, 1, 31, 12, 0, 0, 123456000, time.UTC), col))
	f.Add("")
	f.Add("AAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, token string) {
		ts, err := parseNext(token, col)
		if err != nil {
			if tearline.ErrorCode(err) != tearline.EINVALID {
				t.Fatalf("error code %q: %v", tearline.ErrorCode(err), err)
			}
			return
		}
		if again := nextToken(ts, col); again != token {
			t.Fatalf("accepted %q, which the server would issue as %q", token, again)
		}
		if _, err := parseNext(token, "00000000-0000-4000-8000-000000000000"); err == nil {
			t.Fatalf("token %q accepted for another collection", token)
		}
	})
}
