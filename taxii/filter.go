package taxii

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// param is a query parameter an endpoint may take.
type param uint16

const (
	pAddedAfter param = 1 << iota
	pLimit
	pNext
	pID
	pType
	pVersion
	pSpecVersion
	pConfidence // Tearline extension: match[confidence_gte]
	pContext    // Tearline extension: match[context_gte]
)

var paramNames = []struct {
	p    param
	name string
}{
	{pAddedAfter, "added_after"},
	{pLimit, "limit"},
	{pNext, "next"},
	{pID, "match[id]"},
	{pType, "match[type]"},
	{pVersion, "match[version]"},
	{pSpecVersion, "match[spec_version]"},
	{pConfidence, "match[confidence_gte]"},
	{pContext, "match[context_gte]"},
}

// The parameters of each endpoint (TAXII 2.1 sections 5.3 to 5.8, and
// the score filters on objects and manifests: see scorefilter.go).
const (
	objectsParams  = pAddedAfter | pLimit | pNext | pID | pType | pVersion | pSpecVersion | pConfidence | pContext
	manifestParams = objectsParams
	objectParams   = pAddedAfter | pLimit | pNext | pVersion | pSpecVersion
	versionsParams = pAddedAfter | pLimit | pNext | pSpecVersion
	deleteParams   = pVersion | pSpecVersion
)

// maxFilterValues bounds the values of one match[...] parameter.
const maxFilterValues = 256

// filter is the parsed query of a TAXII request.
type filter struct {
	addedAfter   time.Time
	next         time.Time // the cursor of a next token; zero without one
	hasNext      bool
	limit        int
	ids          []string
	types        []string
	versions     []string
	specVersions []string
	// minConfidence and minContext are the score filters; nil when not
	// given.
	minConfidence, minContext *int
}

// after is where the page starts: after both added_after and the cursor.
func (f *filter) after() time.Time {
	if f.next.After(f.addedAfter) {
		return f.next
	}
	return f.addedAfter
}

// positioned reports whether the request asks for a later part of the
// results (added_after or next), where an empty answer is no error.
func (f *filter) positioned() bool { return !f.addedAfter.IsZero() || f.hasNext }

// query returns the store query of the filter on collection id.
func (f *filter) query(collectionID string) tearline.ObjectQuery {
	return tearline.ObjectQuery{
		CollectionID: collectionID,
		AddedAfter:   f.after(),
		IDs:          f.ids,
		Types:        f.types,
		SpecVersions: f.specVersions,
		Versions:     f.versions,
		Limit:        f.limit,
	}
}

func paramList(allowed param) string {
	var names []string
	for _, pn := range paramNames {
		if allowed&pn.p != 0 {
			names = append(names, pn.name)
		}
	}
	if len(names) == 0 {
		return "no query parameters"
	}
	return strings.Join(names, ", ")
}

// parseFilter parses the query string of r for an endpoint that takes the
// allowed parameters, on the collection with the given id (next tokens are
// bound to it). EINVALID, naming the parameter, for an unknown or repeated
// parameter or a malformed value.
func (s *Server) parseFilter(r *http.Request, allowed param, collectionID string) (*filter, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, tearline.Errorf(tearline.EINVALID, "malformed query string: %v", err)
	}
	f := &filter{limit: s.cfg.DefaultPageSize}
	for name, values := range q {
		var p param
		for _, pn := range paramNames {
			if pn.name == name {
				p = pn.p
			}
		}
		if p&allowed == 0 {
			return nil, tearline.Errorf(tearline.EINVALID, "unknown query parameter %q: this endpoint takes %s", name, paramList(allowed))
		}
		switch p {
		case pAddedAfter, pLimit, pNext, pConfidence, pContext:
			if len(values) != 1 {
				return nil, tearline.Errorf(tearline.EINVALID, "query parameter %s is given %d times; give it once", name, len(values))
			}
		}
		v := values[0]
		switch p {
		case pAddedAfter:
			t, _, err := stix.ParseTimestamp(v)
			if err != nil {
				return nil, tearline.Errorf(tearline.EINVALID, "added_after %q is not a timestamp such as 2024-01-31T12:00:00.000Z: %v", v, err)
			}
			f.addedAfter = t
		case pLimit:
			n, err := parseLimit(v)
			if err != nil {
				return nil, err
			}
			f.limit = min(n, s.cfg.MaxPageSize)
		case pNext:
			t, err := parseNext(v, collectionID)
			if err != nil {
				return nil, err
			}
			f.next, f.hasNext = t, true
		case pID:
			f.ids, err = list(name, values, func(v string) error {
				_, _, err := stix.ParseID(v)
				return err
			})
		case pType:
			f.types, err = list(name, values, func(v string) error {
				if !stix.ValidTypeName(v) {
					return errors.New("not a STIX type name (3-250 characters of a-z, 0-9 and '-')")
				}
				return nil
			})
		case pVersion:
			f.versions, err = list(name, values, func(v string) error {
				switch v {
				case tearline.VersionFirst, tearline.VersionLast, tearline.VersionAll:
					return nil
				}
				if _, _, err := stix.ParseTimestamp(v); err != nil {
					return errors.New(`neither "first", "last", "all" nor a timestamp such as 2024-01-31T12:00:00.000Z`)
				}
				return nil
			})
		case pConfidence:
			f.minConfidence, err = parseScoreFilter(name, v)
		case pContext:
			f.minContext, err = parseScoreFilter(name, v)
		case pSpecVersion:
			f.specVersions, err = list(name, values, func(v string) error {
				if !validSpecVersion(v) {
					return errors.New(`not a STIX version such as "2.1"`)
				}
				return nil
			})
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// list splits the comma-separated values of parameter name and checks each.
func list(name string, values []string, check func(string) error) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				return nil, tearline.Errorf(tearline.EINVALID, "%s holds an empty value; separate values with single commas", name)
			}
			if err := check(item); err != nil {
				return nil, tearline.Errorf(tearline.EINVALID, "%s value %q is %v", name, item, err)
			}
			out = append(out, item)
		}
	}
	if len(out) > maxFilterValues {
		return nil, tearline.Errorf(tearline.EINVALID, "%s has %d values; at most %d are allowed", name, len(out), maxFilterValues)
	}
	return out, nil
}

// parseLimit parses a limit: a positive decimal integer. Integers too large
// for an int are accepted (they are clamped to the page size cap).
func parseLimit(v string) (int, error) {
	bad := tearline.Errorf(tearline.EINVALID, "limit %q must be a positive integer", v)
	if v == "" || strings.Trim(v, "0123456789") != "" {
		return 0, bad
	}
	n, err := strconv.Atoi(v)
	if errors.Is(err, strconv.ErrRange) {
		return int(^uint(0) >> 1), nil
	} else if err != nil || n <= 0 {
		return 0, bad
	}
	return n, nil
}

// validSpecVersion reports whether v looks like a STIX spec version: digits,
// a dot, digits.
func validSpecVersion(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	digits := func(s string) bool { return s != "" && len(s) <= 4 && strings.Trim(s, "0123456789") == "" }
	return ok && digits(major) && digits(minor)
}

// A next token is the base64url encoding of the date_added of the last
// entry of a page (microseconds since the epoch, 8 bytes big-endian)
// followed by a CRC-32 of those bytes and the collection id (4 bytes), so
// that a mistyped, truncated or foreign token is refused instead of
// silently repositioning the client. It stays valid across restarts.
const nextTokenLen = 16 // base64url of 12 bytes

// nextToken returns the token that continues after date_added t.
func nextToken(t time.Time, collectionID string) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMicro()))
	binary.BigEndian.PutUint32(b[8:], tokenSum(b[:8], collectionID))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenSum(cursor []byte, collectionID string) uint32 {
	h := crc32.NewIEEE()
	h.Write(cursor)
	h.Write([]byte(collectionID))
	return h.Sum32()
}

// parseNext returns the cursor of a next token issued for the collection.
func parseNext(v, collectionID string) (time.Time, error) {
	bad := tearline.Errorf(tearline.EINVALID,
		"next %q is not a token this server issued for this collection; pass the \"next\" value of the previous page unchanged, or start again without next", v)
	if len(v) != nextTokenLen {
		return time.Time{}, bad
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(b) != 12 {
		return time.Time{}, bad
	}
	if binary.BigEndian.Uint32(b[8:]) != tokenSum(b[:8], collectionID) {
		return time.Time{}, bad
	}
	us := int64(binary.BigEndian.Uint64(b[:8]))
	if us <= 0 {
		return time.Time{}, bad
	}
	return time.UnixMicro(us).UTC(), nil
}

// Timestamp layouts of responses.
const (
	dateAddedLayout = "2006-01-02T15:04:05.000000Z"
	millisLayout    = "2006-01-02T15:04:05.000Z"
	nanosLayout     = "2006-01-02T15:04:05.000000000Z"
)

// dateAdded formats a date_added: microseconds, UTC.
func dateAdded(t time.Time) string { return t.UTC().Format(dateAddedLayout) }

// versionString formats an object version (its modified timestamp) with
// the fewest of 3, 6 or 9 fractional digits that keep it exact.
func versionString(t time.Time) string {
	t = t.UTC()
	switch ns := t.Nanosecond(); {
	case ns%1e6 == 0:
		return t.Format(millisLayout)
	case ns%1e3 == 0:
		return t.Format(dateAddedLayout)
	}
	return t.Format(nanosLayout)
}

// entryVersion is the version TAXII shows for an entry: its modified (or
// created) timestamp, or for objects with neither, such as SCOs, its
// date_added.
func entryVersion(e *tearline.Entry) string {
	if e.Version.IsZero() {
		return dateAdded(e.DateAdded)
	}
	return versionString(e.Version)
}
