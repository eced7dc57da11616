package score

import (
	"strconv"
	"strings"

	"github.com/tearline/tearline"
)

// Grades are the source reliability grades of the Admiralty (NATO) scale
// and the values the confidence formula gives them. F, "reliability
// cannot be judged", is the default reliability.
var Grades = []struct {
	Grade, Meaning string
	Value          int
}{
	{"A", "completely reliable", 100},
	{"B", "usually reliable", 80},
	{"C", "fairly reliable", 60},
	{"D", "not usually reliable", 40},
	{"E", "unreliable", 20},
	{"F", "reliability cannot be judged", DefaultReliability},
}

// ParseReliability reads a reliability: a grade A-F (any case) or an
// integer from 0 to 100. EINVALID otherwise.
func ParseReliability(s string) (*tearline.Reliability, error) {
	s = strings.TrimSpace(s)
	for _, g := range Grades {
		if strings.EqualFold(s, g.Grade) {
			return &tearline.Reliability{Grade: g.Grade, Value: g.Value}, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 100 {
		return nil, tearline.Errorf(tearline.EINVALID, "reliability %q is neither a grade A-F nor a number from 0 to 100", s)
	}
	return &tearline.Reliability{Value: n}, nil
}
