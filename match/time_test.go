package match

import (
	"testing"
	"time"
)

// TestParseRFC3339 checks event times, and that the minute cache reads
// every time as parseTime does, in any order.
func TestParseRFC3339(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string // RFC 3339 in UTC, "" when not a time
	}{
		{"2024-03-01T10:00:00.000001+0000", "2024-03-01T10:00:00.000001Z"},
		{"2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"},
		{"2024-03-01 10:00:00.5+01:30", "2024-03-01T08:30:00.5Z"},
		{"2024-03-01t10:00:00.1234567891-0100", "2024-03-01T11:00:00.123456789Z"},
		{"2024-03-01T12:59:60Z", "2024-03-01T13:00:00Z"},
		{"2024-03-31T23:59:60Z", ""},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2023-02-29T00:00:00Z", ""},
		{"2024-02-30T00:00:00Z", ""},
		{"2024-13-01T00:00:00Z", ""},
		{"2024-03-01T24:00:00Z", ""},
		{"2024-03-01T10:60:00Z", ""},
		{"2024-03-01T10:00:61Z", ""},
		{"2024-03-01T10:00:00.Z", ""},
		{"2024-03-01T10:00:00", ""},
		{"2024-03-01T10:00:00Zx", ""},
		{"2024-03-01T10:00:00+0a00", ""},
		{"2024-03-01T10:00:00+24:00", ""},
		{"2024-03-01T10:00:00+01:60", ""},
		{"2024-03-01T10:00:00+0100x", ""},
		{"2024-03-01T10:00:00+01-00", ""},
		{"2024-03-01T10:00:0xZ", ""},
		{"yesterday", ""},
	} {
		got, ok := parseRFC3339(tc.in)
		s := ""
		if ok {
			s = got.UTC().Format(time.RFC3339Nano)
		}
		if s != tc.want {
			t.Errorf("parseRFC3339(%q) = %q, want %q", tc.in, s, tc.want)
		}
	}
	var c minuteCache
	ins := []string{"2024-03-01T10:00:00Z", "2024-03-01T10:00:59.9+0100", "2024-03-01T10:00:60Z", "2024-03-01T10:00:61Z", "x", "2024-02-30T10:00:00Z",
		"2024-02-30T10:00:01Z", "2024-03-31T23:59:59Z", "2024-03-31T23:59:60Z", "2024-03-31T23:59:00.000000001-23:59", "2024-03-01T10:00:00Z"}
	for _, in := range ins {
		if got, want := c.parseTime(String(in)), parseTime(String(in)); !got.Equal(want) || got.IsZero() != want.IsZero() {
			t.Errorf("minuteCache.parseTime(%q) = %v, parseTime %v", in, got, want)
		}
	}
}
