package normalize

import (
	"time"

	"github.com/tearline/tearline"
)

// VersionFilter is a parsed version filter (TAXII match[version]): the
// union of the flagged keywords and the exact version keys.
type VersionFilter struct {
	All, First, Last bool
	// Exact holds version keys (tearline.VersionLayout), in the order given.
	Exact []string
}

// Versions parses the values of a version filter, using def when there are
// none. A value that is not a keyword must be an RFC 3339 timestamp, with
// any number of fractional digits and any offset; it is kept in its
// normalized form, the version key. EINVALID for any other value.
func Versions(values []string, def string) (VersionFilter, error) {
	if len(values) == 0 {
		values = []string{def}
	}
	var f VersionFilter
	for _, v := range values {
		switch v {
		case tearline.VersionAll:
			f.All = true
		case tearline.VersionFirst:
			f.First = true
		case tearline.VersionLast:
			f.Last = true
		default:
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, tearline.Errorf(tearline.EINVALID,
					"version %q is neither %q, %q, %q nor an RFC 3339 timestamp",
					v, tearline.VersionFirst, tearline.VersionLast, tearline.VersionAll)
			}
			f.Exact = append(f.Exact, t.UTC().Format(tearline.VersionLayout))
		}
	}
	return f, nil
}

// Only reports whether the filter selects exactly one keyword, first or
// last, which a store may answer from an index of those versions alone.
func (f VersionFilter) Only(keyword string) bool {
	if f.All || len(f.Exact) > 0 || f.First == f.Last {
		return false
	}
	return keyword == tearline.VersionFirst && f.First || keyword == tearline.VersionLast && f.Last
}
