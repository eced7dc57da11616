package dissem

import (
	"slices"
	"strings"

	"github.com/tearline/tearline"
)

// Subject is a subscriber as filters see it: its organization's profile,
// and whether it may know a context object (the access decision for it,
// without disclosing anything), so that a match never rests on what it
// may not see.
type Subject struct {
	Org     *tearline.Organization
	Visible func(n *Node) bool
}

// visible reports whether the subject may know every source.
func (s *Subject) visible(sources []*Node) bool {
	for _, n := range sources {
		if s.Visible == nil || !s.Visible(n) {
			return false
		}
	}
	return true
}

// Match reports whether the feed entry e, with facts fs, passes the
// filter for subject s. The marking ceiling is not tested here: the
// access decision applies it (see Ceiling).
func (f *Filter) Match(e *tearline.FeedEntry, fs *Facts, s *Subject) bool {
	switch {
	case len(f.Types) > 0 && !slices.Contains(f.Types, fs.Type):
		return false
	case len(f.Collections) > 0 && !slices.Contains(f.Collections, e.CollectionID):
		return false
	case len(f.ObservableTypes) > 0 && !intersects(f.ObservableTypes, fs.ObservableTypes):
		return false
	case len(f.Labels) > 0 && !intersects(f.Labels, fs.Labels):
		return false
	case len(f.Text) > 0 && !containsAny(fs.Text, f.Text):
		return false
	case f.MinConfidence != nil && (!fs.Scored || fs.Confidence < *f.MinConfidence):
		return false
	case f.Feedback && !(feedbackTypes[fs.Type] && s.Org != nil && slices.Contains(fs.RefCreators, s.Org.ID)):
		return false
	}
	for _, c := range []struct {
		want []string
		get  func(*Tags) []string
		eq   func(want, have string) bool
	}{
		{f.Sectors, sectorsOf, exact},
		{f.Countries, countriesOf, exact},
		{f.Techniques, techniquesOf, technique},
		{f.Tactics, tacticsOf, exact},
		{f.Malware, malwareOf, exact},
		{f.ThreatActors, actorsOf, exact},
	} {
		if len(c.want) > 0 && !tagged(fs, s, c.want, c.get, c.eq) {
			return false
		}
	}
	if f.Profile && !s.profileMatch(fs) {
		return false
	}
	if len(f.Any) > 0 {
		for _, sub := range f.Any {
			if sub.Match(e, fs, s) {
				return true
			}
		}
		return false
	}
	return true
}

// profileMatch reports whether the facts are about the subject's own
// sectors or country.
func (s *Subject) profileMatch(fs *Facts) bool {
	if s.Org == nil {
		return false
	}
	if len(s.Org.Sectors) > 0 && tagged(fs, s, s.Org.Sectors, sectorsOf, exact) {
		return true
	}
	if c, ok := canonicalCountry(s.Org.Country); ok && tagged(fs, s, []string{c}, countriesOf, exact) {
		return true
	}
	return false
}

func sectorsOf(t *Tags) []string    { return t.Sectors }
func countriesOf(t *Tags) []string  { return t.Countries }
func techniquesOf(t *Tags) []string { return t.Techniques }
func tacticsOf(t *Tags) []string    { return t.Tactics }
func malwareOf(t *Tags) []string    { return t.Malware }
func actorsOf(t *Tags) []string     { return t.Actors }

func exact(want, have string) bool { return want == have }

// technique matches a technique id, and a technique's sub-techniques.
func technique(want, have string) bool {
	return want == have || len(have) > len(want) && have[len(want)] == '.' && strings.HasPrefix(have, want)
}

// tagged reports whether the object's own tags, or a contribution the
// subject may see, hold one of want.
func tagged(fs *Facts, s *Subject, want []string, get func(*Tags) []string, eq func(want, have string) bool) bool {
	if anyEq(want, get(&fs.Own), eq) {
		return true
	}
	for i := range fs.Related {
		c := &fs.Related[i]
		if anyEq(want, get(&c.Tags), eq) && s.visible(c.Sources) {
			return true
		}
	}
	return false
}

func anyEq(want, have []string, eq func(want, have string) bool) bool {
	for _, w := range want {
		for _, h := range have {
			if eq(w, h) {
				return true
			}
		}
	}
	return false
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

func containsAny(text string, terms []string) bool {
	for _, t := range terms {
		if strings.Contains(text, t) {
			return true
		}
	}
	return false
}
