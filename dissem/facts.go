package dissem

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/tearline/tearline/stix/pattern"
)

// Tags are what an object is about, in the terms filters use: sectors,
// country codes, ATT&CK technique ids, tactics, malware and threat actor
// names (lower case) and ids.
type Tags struct {
	Sectors    []string
	Countries  []string
	Techniques []string
	Tactics    []string
	Malware    []string
	Actors     []string
}

// empty reports whether t holds nothing.
func (t *Tags) empty() bool {
	return len(t.Sectors)+len(t.Countries)+len(t.Techniques)+len(t.Tactics)+len(t.Malware)+len(t.Actors) == 0
}

// add merges u into t.
func (t *Tags) add(u *Tags) {
	t.Sectors = union(t.Sectors, u.Sectors)
	t.Countries = union(t.Countries, u.Countries)
	t.Techniques = union(t.Techniques, u.Techniques)
	t.Tactics = union(t.Tactics, u.Tactics)
	t.Malware = union(t.Malware, u.Malware)
	t.Actors = union(t.Actors, u.Actors)
}

func union(a, b []string) []string {
	for _, v := range b {
		if !slices.Contains(a, v) {
			a = append(a, v)
		}
	}
	return a
}

// Contribution is what a related object adds to an object's tags, with
// the context objects (relationships and related objects) it was read
// from: it counts for a subscriber only if the subscriber may receive
// every one of them, so that matching never reveals what the access
// decision withholds.
type Contribution struct {
	Tags    Tags
	Sources []*Node
}

// Facts are what filters test about one object version: its own
// properties and what related objects contribute.
type Facts struct {
	Type       string
	ID         string
	CreatedBy  string
	Labels     []string // lower case
	Confidence int
	Scored     bool   // Confidence is set
	Text       string // lower-cased text properties, joined by newlines
	// ObservableTypes are the SCO types the object is or describes.
	ObservableTypes []string
	// Own are the tags from the object's own properties.
	Own Tags
	// Related are the contributions of related objects.
	Related []Contribution
	// Refs are the ids a sighting, opinion or note is about;
	// RefCreators the organizations that created them (filled by the
	// dispatcher from the store).
	Refs        []string
	RefCreators []string
}

// fields are the properties of a STIX object that facts are made from.
type fields struct {
	Type          string   `json:"type"`
	ID            string   `json:"id"`
	CreatedByRef  string   `json:"created_by_ref"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	Pattern       string   `json:"pattern"`
	PatternType   string   `json:"pattern_type"`
	Aliases       []string `json:"aliases"`
	Labels        []string `json:"labels"`
	Content       string   `json:"content"`
	Abstract      string   `json:"abstract"`
	Opinion       string   `json:"opinion"`
	Explanation   string   `json:"explanation"`
	Confidence    *float64 `json:"confidence"`
	Sectors       []string `json:"sectors"`
	Country       string   `json:"country"`
	KillChain     []phase  `json:"kill_chain_phases"`
	External      []extRef `json:"external_references"`
	Relationship  string   `json:"relationship_type"`
	SourceRef     string   `json:"source_ref"`
	TargetRef     string   `json:"target_ref"`
	ObjectRefs    []string `json:"object_refs"`
	SightingOfRef string   `json:"sighting_of_ref"`
}

type phase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

type extRef struct {
	SourceName string `json:"source_name"`
	ExternalID string `json:"external_id"`
}

// readFields decodes the properties facts need; properties of an
// unexpected JSON type are left empty.
func readFields(raw []byte) *fields {
	var f fields
	_ = json.Unmarshal(raw, &f) // stored objects are valid STIX; a mistyped property just counts for nothing
	return &f
}

// ownTags returns the tags an object carries itself.
func ownTags(f *fields) Tags {
	var t Tags
	switch f.Type {
	case "identity":
		for _, s := range f.Sectors {
			t.Sectors = union(t.Sectors, []string{strings.ToLower(s)})
		}
	case "location":
		if f.Country != "" {
			if c, ok := canonicalCountry(f.Country); ok {
				t.Countries = []string{c}
			}
		}
	case "attack-pattern":
		for _, r := range f.External {
			if strings.HasPrefix(r.SourceName, "mitre") && techniqueRE.MatchString(strings.ToUpper(r.ExternalID)) {
				t.Techniques = union(t.Techniques, []string{strings.ToUpper(r.ExternalID)})
			}
		}
	case "malware":
		t.Malware = names(f)
	case "threat-actor", "intrusion-set":
		t.Actors = names(f)
	}
	for _, p := range f.KillChain {
		if p.PhaseName != "" {
			t.Tactics = union(t.Tactics, []string{strings.ToLower(p.PhaseName)})
		}
	}
	return t
}

// names returns the id, the name and the aliases of f, lower-cased.
func names(f *fields) []string {
	out := []string{f.ID}
	for _, n := range append([]string{f.Name}, f.Aliases...) {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// feedbackTypes are the objects that comment on others.
var feedbackTypes = map[string]bool{"sighting": true, "opinion": true, "note": true}

// ownFacts returns the facts of an object from its own properties.
func ownFacts(raw []byte, f *fields) *Facts {
	fs := &Facts{Type: f.Type, ID: f.ID, CreatedBy: f.CreatedByRef, Own: ownTags(f)}
	for _, l := range f.Labels {
		fs.Labels = union(fs.Labels, []string{strings.ToLower(l)})
	}
	if f.Confidence != nil && *f.Confidence >= 0 && *f.Confidence <= 100 {
		fs.Confidence, fs.Scored = int(*f.Confidence), true
	}
	var text strings.Builder
	for _, s := range append([]string{f.Name, f.Description, f.Pattern, f.Content, f.Abstract, f.Opinion, f.Explanation},
		append(f.Aliases, f.Labels...)...) {
		if s != "" {
			text.WriteString(strings.ToLower(s))
			text.WriteByte('\n')
		}
	}
	fs.Text = text.String()
	switch {
	case observableType(f.Type):
		fs.ObservableTypes = []string{f.Type}
	case f.Type == "indicator" && f.PatternType == "stix" && f.Pattern != "":
		if p, err := pattern.Parse(f.Pattern); err == nil {
			fs.ObservableTypes = patternTypes(p.Expr, nil)
		}
	case f.Type == "observed-data":
		for _, ref := range f.ObjectRefs {
			if typ, _, ok := strings.Cut(ref, "--"); ok && observableType(typ) {
				fs.ObservableTypes = union(fs.ObservableTypes, []string{typ})
			}
		}
	}
	if feedbackTypes[f.Type] {
		fs.Refs = slices.Clone(f.ObjectRefs)
		if f.SightingOfRef != "" {
			fs.Refs = append(fs.Refs, f.SightingOfRef)
		}
	}
	return fs
}

// patternTypes adds to types the object types an observation expression
// compares.
func patternTypes(e pattern.ObsExpr, types []string) []string {
	switch e := e.(type) {
	case *pattern.Observation:
		return compTypes(e.Comp, types)
	case *pattern.Compound:
		for _, s := range e.Exprs {
			types = patternTypes(s, types)
		}
	case *pattern.Qualified:
		types = patternTypes(e.Expr, types)
	}
	return types
}

func compTypes(c pattern.CompExpr, types []string) []string {
	switch c := c.(type) {
	case *pattern.BoolExpr:
		for _, s := range c.Comps {
			types = compTypes(s, types)
		}
	case *pattern.Comparison:
		types = union(types, []string{c.ObjectType})
	}
	return types
}
