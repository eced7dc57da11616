package dissem

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
)

// Filter says which feed entries a subscription wants. Every criterion
// given must hold; a list criterion holds when any of its values does;
// Any holds when one of its filters does. An empty filter selects
// everything the subscriber may receive.
//
// The JSON form uses the tags below; Parse reads and checks it.
type Filter struct {
	// Types are STIX object types ("indicator", "x-acme-widget").
	Types []string `json:"types,omitempty"`
	// ObservableTypes are cyber-observable types the object is or
	// describes: an SCO's own type, the object types of an indicator's
	// STIX pattern, the types of an observed-data's object_refs.
	ObservableTypes []string `json:"observable_types,omitempty"`
	// Sectors are industry-sector-ov values the object is about: an
	// identity's own sectors, or those of identities it (or an object
	// it is related to) targets.
	Sectors []string `json:"sectors,omitempty"`
	// Countries are ISO 3166-1 codes (alpha-2 or alpha-3) of locations
	// the object is or targets, directly or through a related object.
	Countries []string `json:"countries,omitempty"`
	// Techniques are ATT&CK technique ids ("T1566"; a technique also
	// matches its sub-techniques, "T1566.001") of attack patterns the
	// object is or is related to.
	Techniques []string `json:"techniques,omitempty"`
	// Tactics are kill chain phase names ("initial-access") of the
	// object or of attack patterns it is related to.
	Tactics []string `json:"tactics,omitempty"`
	// Malware are malware family names or aliases (case-insensitive) or
	// malware ids the object is or is related to.
	Malware []string `json:"malware,omitempty"`
	// ThreatActors are names, aliases or ids of threat actors and
	// intrusion sets the object is or is related to.
	ThreatActors []string `json:"threat_actors,omitempty"`
	// Labels are values of the object's labels (case-insensitive).
	Labels []string `json:"labels,omitempty"`
	// Text are words or phrases, any of which must occur
	// (case-insensitive) in the object's name, description, pattern,
	// aliases, labels, content, abstract, opinion or explanation.
	Text []string `json:"text,omitempty"`
	// Collections are ids of the collections the entry was added to.
	Collections []string `json:"collections,omitempty"`
	// MinConfidence is the lowest score accepted: the object's
	// confidence property (0-100) until a scoring engine provides one
	// (see Scorer); objects without a score do not match.
	MinConfidence *int `json:"min_confidence,omitempty"`
	// MaxTLP is the marking ceiling ("green", "amber", ...): objects
	// whose TLP is above it are withheld from this subscription even
	// where the access decision would let them go. Top level only.
	MaxTLP string `json:"max_tlp,omitempty"`
	// Profile selects what is about the subscriber's own sectors or
	// country, as its organization profile gives them.
	Profile bool `json:"profile,omitempty"`
	// Feedback selects sightings, opinions and notes about objects the
	// subscriber's organization created.
	Feedback bool `json:"feedback,omitempty"`
	// Any holds when at least one of these filters does.
	Any []*Filter `json:"any,omitempty"`

	ceiling marking.TLP // MaxTLP parsed; NoTLP for none
}

// DefaultFilterJSON is the filter of every organization's sector feed:
// what targets its sectors or country, and feedback on its own objects.
const DefaultFilterJSON = `{"any": [{"profile": true}, {"feedback": true}]}`

// DefaultFilter returns the filter of the sector feed.
func DefaultFilter() *Filter {
	f, err := Parse([]byte(DefaultFilterJSON))
	if err != nil {
		panic(err)
	}
	return f
}

// Ceiling returns the marking ceiling of the filter, NoTLP for none.
func (f *Filter) Ceiling() marking.TLP { return f.ceiling }

// Limits of a filter.
const (
	maxDepth  = 4    // of nested any
	maxValues = 1000 // in one list
	maxText   = 200  // bytes of one text term
)

// Parse reads and checks a filter. Errors are EINVALID with the JSON path
// of the fault, e.g. `filter.any[1].sectors[0]: "banking" is not an
// industry-sector-ov value (...)`.
func Parse(data []byte) (*Filter, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, invalid("filter", "empty; send a JSON object such as {\"types\": [\"indicator\"]}")
	}
	f, err := parse(data, "filter", 0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// invalid returns an EINVALID error about path.
func invalid(path, format string, args ...any) error {
	return tearline.Errorf(tearline.EINVALID, "%s: %s", path, fmt.Sprintf(format, args...))
}

var (
	techniqueRE = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
	tacticRE    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// parse reads the filter object at path.
func parse(data []byte, path string, depth int) (*Filter, error) {
	if depth > maxDepth {
		return nil, invalid(path, "\"any\" nested more than %d deep", maxDepth)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		return nil, invalid(path, "not a JSON object")
	}
	if err := noDuplicates(data, path); err != nil {
		return nil, err
	}
	f := &Filter{}
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		raw, p := members[name], path+"."+name
		var err error
		switch name {
		case "types":
			f.Types, err = list(raw, p, func(v, p string) (string, error) {
				if stix.KnownType(v) || strings.HasPrefix(v, "x-") && stix.ValidTypeName(v) {
					return v, nil
				}
				return "", invalid(p, "%q is not a STIX 2.1 object type (custom types start with \"x-\")", v)
			})
		case "observable_types":
			f.ObservableTypes, err = list(raw, p, func(v, p string) (string, error) {
				if stix.IsObservableType(v) || strings.HasPrefix(v, "x-") && stix.ValidTypeName(v) {
					return v, nil
				}
				return "", invalid(p, "%q is not a cyber-observable type (one of %s)", v, strings.Join(stix.ObservableTypes(), ", "))
			})
		case "sectors":
			f.Sectors, err = list(raw, p, func(v, p string) (string, error) {
				if stix.IsIndustrySector(v) {
					return v, nil
				}
				return "", invalid(p, "%q is not an industry-sector-ov value (%s)", v, strings.Join(stix.IndustrySectors(), ", "))
			})
		case "countries":
			f.Countries, err = list(raw, p, func(v, p string) (string, error) {
				if c, ok := marking.CanonicalCountry(v); ok {
					return c, nil
				}
				return "", invalid(p, "%q is not an ISO 3166-1 alpha-2 or alpha-3 country code", v)
			})
		case "techniques":
			f.Techniques, err = list(raw, p, func(v, p string) (string, error) {
				if u := strings.ToUpper(v); techniqueRE.MatchString(u) {
					return u, nil
				}
				return "", invalid(p, "%q is not an ATT&CK technique id such as T1566 or T1566.001", v)
			})
		case "tactics":
			f.Tactics, err = list(raw, p, func(v, p string) (string, error) {
				if l := strings.ToLower(v); tacticRE.MatchString(l) {
					return l, nil
				}
				return "", invalid(p, "%q is not a kill chain phase name such as initial-access", v)
			})
		case "malware":
			f.Malware, err = list(raw, p, nameOrID("malware"))
		case "threat_actors":
			f.ThreatActors, err = list(raw, p, nameOrID("threat-actor", "intrusion-set"))
		case "labels":
			f.Labels, err = list(raw, p, func(v, p string) (string, error) {
				if strings.TrimSpace(v) == "" {
					return "", invalid(p, "empty")
				}
				return strings.ToLower(v), nil
			})
		case "text":
			f.Text, err = list(raw, p, func(v, p string) (string, error) {
				switch v = strings.TrimSpace(v); {
				case v == "":
					return "", invalid(p, "empty")
				case len(v) > maxText:
					return "", invalid(p, "longer than %d bytes", maxText)
				}
				return strings.ToLower(v), nil
			})
		case "collections":
			f.Collections, err = list(raw, p, func(v, p string) (string, error) {
				if v == "" {
					return "", invalid(p, "empty")
				}
				return v, nil
			})
		case "min_confidence":
			var n float64
			if json.Unmarshal(raw, &n) != nil || n != float64(int(n)) || n < 0 || n > 100 {
				return nil, invalid(p, "want an integer from 0 to 100, not %s", raw)
			}
			c := int(n)
			f.MinConfidence = &c
		case "max_tlp":
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return nil, invalid(p, "want a string such as \"amber\"")
			}
			t, ok := marking.ParseTLP(s)
			if !ok {
				return nil, invalid(p, "%q is not a TLP level (clear, green, amber, amber+strict, red)", s)
			}
			if depth > 0 {
				return nil, invalid(p, "a ceiling for the whole subscription: give it at the top level")
			}
			f.MaxTLP, f.ceiling = strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "TLP:"), "tlp:")), t
		case "profile", "feedback":
			var b bool
			if json.Unmarshal(raw, &b) != nil {
				return nil, invalid(p, "want true or false")
			}
			if name == "profile" {
				f.Profile = b
			} else {
				f.Feedback = b
			}
		case "any":
			var items []json.RawMessage
			if json.Unmarshal(raw, &items) != nil {
				return nil, invalid(p, "want a list of filters")
			}
			if len(items) == 0 {
				return nil, invalid(p, "empty; leave it out, or give at least one filter")
			}
			if len(items) > maxValues {
				return nil, invalid(p, "more than %d filters", maxValues)
			}
			for i, item := range items {
				sub, err := parse(item, fmt.Sprintf("%s[%d]", p, i), depth+1)
				if err != nil {
					return nil, err
				}
				f.Any = append(f.Any, sub)
			}
		default:
			return nil, invalid(p, "not a filter criterion; use types, observable_types, sectors, countries, techniques, "+
				"tactics, malware, threat_actors, labels, text, collections, min_confidence, max_tlp, profile, feedback or any")
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// list reads a non-empty list of strings at path, checking and
// normalizing each with check.
func list(raw json.RawMessage, path string, check func(v, path string) (string, error)) ([]string, error) {
	var vs []json.RawMessage
	if json.Unmarshal(raw, &vs) != nil {
		return nil, invalid(path, "want a list of strings")
	}
	if len(vs) == 0 {
		return nil, invalid(path, "empty; leave it out, or give at least one value")
	}
	if len(vs) > maxValues {
		return nil, invalid(path, "more than %d values", maxValues)
	}
	out := make([]string, 0, len(vs))
	for i, v := range vs {
		p := fmt.Sprintf("%s[%d]", path, i)
		var s string
		if json.Unmarshal(v, &s) != nil {
			return nil, invalid(p, "want a string, not %s", v)
		}
		n, err := check(s, p)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// nameOrID checks a name (kept lower-cased) or an id of one of types. A
// value is read as an id when its lower-cased, trimmed form is one, so
// that what String writes (names lower-cased) reads back the same.
func nameOrID(types ...string) func(v, path string) (string, error) {
	return func(v, path string) (string, error) {
		l := strings.ToLower(strings.TrimSpace(v))
		if typ, _, err := stix.ParseID(l); err == nil {
			if !slices.Contains(types, typ) {
				return "", invalid(path, "%q is not the id of a %s", v, strings.Join(types, " or "))
			}
			return l, nil
		}
		if l == "" {
			return "", invalid(path, "empty")
		}
		return l, nil
	}
}

// noDuplicates refuses an object with a member name given twice, which
// encoding/json would silently resolve to the last.
func noDuplicates(data []byte, path string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return invalid(path, "not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalid(path, "not a JSON object")
		}
		name, _ := tok.(string)
		if seen[name] {
			return invalid(path+"."+name, "given twice")
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return invalid(path+"."+name, "not valid JSON")
		}
	}
	return nil
}

// String returns the filter as JSON, normalized.
func (f *Filter) String() string {
	b, err := json.Marshal(f)
	if err != nil {
		return "{}"
	}
	return string(b)
}
