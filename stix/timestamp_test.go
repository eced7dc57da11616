package stix_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tearline/tearline/stix"
)

func TestParseTimestamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
		frac int
	}{
		{"2016-05-12T08:17:27Z", time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC), 0},
		{"2016-05-12T08:17:27.000Z", time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC), 3},
		{"2016-05-12T08:17:27.1Z", time.Date(2016, 5, 12, 8, 17, 27, 100_000_000, time.UTC), 1},
		{"2016-05-12T08:17:27.123456Z", time.Date(2016, 5, 12, 8, 17, 27, 123_456_000, time.UTC), 6},
		{"2016-05-12T08:17:27.123456789Z", time.Date(2016, 5, 12, 8, 17, 27, 123_456_789, time.UTC), 9},
		{"2016-05-12T08:17:27.1234567891234Z", time.Date(2016, 5, 12, 8, 17, 27, 123_456_789, time.UTC), 13},
		{"2016-12-31T23:59:60Z", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{"2016-12-31T23:59:60.5Z", time.Date(2017, 1, 1, 0, 0, 0, 500_000_000, time.UTC), 1},
		{"2016-02-29T00:00:00Z", time.Date(2016, 2, 29, 0, 0, 0, 0, time.UTC), 0},
		{"0000-01-01T00:00:00Z", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{"9999-12-31T23:59:59.999Z", time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC), 3},
	}
	for _, tt := range tests {
		got, frac, err := stix.ParseTimestamp(tt.in)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || frac != tt.frac || got.Location() != time.UTC {
			t.Errorf("ParseTimestamp(%q) = %v, %d; want %v, %d", tt.in, got, frac, tt.want, tt.frac)
		}
	}
}

func TestParseTimestampErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, msg string }{
		{"", "too short"},
		{"2016-05-12", "too short"},
		{"2016-05-12T08:17:27", "too short"},
		{"2016-05-12 08:17:27Z", "expected 'T' at position 11"},
		{"2016-05-12t08:17:27Z", "expected 'T' at position 11"},
		{"2016/05/12T08:17:27Z", "expected '-' at position 5"},
		{"20160-5-12T08:17:27Z", "expected '-' at position 5"},
		{"2016-05-12T08:17:2xZ", "expected a digit at position 19"},
		{"+016-05-12T08:17:27Z", "expected a digit at position 1"},
		{"2016-05-12T08:17:27z", `must end in "Z"`},
		{"2016-05-12T08:17:27+00:00", `must end in "Z"`},
		{"2016-05-12T08:17:27.000+01:00", `must end in "Z"`},
		{"2016-05-12T08:17:27.Z", "no digits after the decimal point"},
		{"2016-05-12T08:17:27.000ZZ", `must end in "Z"`},
		{"2016-05-12T08:17:27.000 Z", `must end in "Z"`},
		{"2016-05-12T08:17:27.0\u0660Z", `must end in "Z"`},
		{"2016-13-12T08:17:27Z", "not a valid date and time"},
		{"2016-00-12T08:17:27Z", "not a valid date and time"},
		{"2015-02-29T08:17:27Z", "not a valid date and time"},
		{"2016-04-31T08:17:27Z", "not a valid date and time"},
		{"2016-05-12T24:00:00Z", "not a valid date and time"},
		{"2016-05-12T08:60:00Z", "not a valid date and time"},
		{"2016-05-12T08:17:61Z", "not a valid date and time"},
		{"2016-05-12T08:17:60Z", "leap second"},
		{"2016-05-12T23:58:60Z", "leap second"},
	}
	for _, tt := range tests {
		_, _, err := stix.ParseTimestamp(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseTimestamp(%q) = %v, want an error containing %q", tt.in, err, tt.msg)
		}
	}
}
