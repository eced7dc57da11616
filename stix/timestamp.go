package stix

import (
	"errors"
	"time"
)

// ParseTimestamp parses a STIX timestamp: RFC 3339 in UTC with a "Z" suffix
// and any number of fractional second digits, e.g. 2016-05-12T08:17:27.000Z.
// A leap second (23:59:60) is accepted and read as the following second.
// Digits past nanoseconds are ignored.
func ParseTimestamp(s string) (t time.Time, fracDigits int, err error) {
	// YYYY-MM-DDTHH:MM:SS[.f+]Z
	if len(s) < 20 {
		return time.Time{}, 0, errors.New("too short for YYYY-MM-DDTHH:MM:SSZ")
	}
	for i, want := range "0000-00-00T00:00:00" {
		c := s[i]
		if want == '0' {
			if c < '0' || c > '9' {
				return time.Time{}, 0, errors.New("expected a digit at position " + itoa(i+1))
			}
		} else if c != byte(want) {
			return time.Time{}, 0, errors.New("expected '" + string(want) + "' at position " + itoa(i+1))
		}
	}
	rest := s[19:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		fracDigits = n - 1
		if fracDigits == 0 {
			return time.Time{}, 0, errors.New("no digits after the decimal point")
		}
		rest = rest[n:]
	}
	if rest != "Z" {
		return time.Time{}, 0, errors.New(`must end in "Z" (UTC); time zone offsets are not allowed`)
	}
	leap := s[17:19] == "60"
	norm := s
	if leap && s[11:16] != "23:59" {
		return time.Time{}, 0, errors.New("a leap second (:60) can only follow 23:59 in UTC")
	}
	if leap {
		norm = s[:17] + "59" + s[19:]
	}
	t, err = time.Parse(time.RFC3339Nano, norm)
	if err != nil {
		return time.Time{}, 0, errors.New("not a valid date and time")
	}
	if leap {
		t = t.Add(time.Second)
	}
	return t, fracDigits, nil
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
