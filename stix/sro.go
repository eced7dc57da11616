package stix

import (
	"slices"
	"strings"
)

// The STIX 2.1 relationship objects (section 5).

// refsEndpoint are the allowed ends of a relationship: domain and
// cyber-observable objects (custom ones included), never relationships,
// sightings, meta objects or bundles.
var refsEndpoint = []string{refAnySDO, refAnySCO}

func init() {
	registerSpec(&typeDef{name: "relationship", class: classSRO, props: []prop{
		{name: "relationship_type", kind: kString, required: true, check: relationshipType},
		pDescription,
		{name: "source_ref", kind: kRef, required: true, refs: refsEndpoint},
		{name: "target_ref", kind: kRef, required: true, refs: refsEndpoint},
		{name: "start_time", kind: kTimestamp},
		{name: "stop_time", kind: kTimestamp},
	}, check: func(c *checker, o *Value, path string) {
		after(c, o, path, "start_time", "stop_time", "stop-time-order")
		relationshipVocab(c, o, path)
	}})

	registerSpec(&typeDef{name: "sighting", class: classSRO, props: []prop{
		pDescription,
		{name: "first_seen", kind: kTimestamp},
		{name: "last_seen", kind: kTimestamp},
		{name: "count", kind: kInteger, hasRange: true, min: 0, max: 999999999},
		{name: "sighting_of_ref", kind: kRef, required: true, refs: []string{refAnySDO}},
		{name: "observed_data_refs", kind: kRefList, refs: []string{"observed-data"}},
		{name: "where_sighted_refs", kind: kRefList, refs: []string{"identity", "location"}},
		{name: "summary", kind: kBool},
	}, check: seenOrder})
}

// relationshipType checks that a relationship type uses only a-z, 0-9 and
// hyphens.
func relationshipType(c *checker, v *Value, path string) {
	s := v.Str
	ok := s != ""
	for i := 0; ok && i < len(s); i++ {
		ch := s[i]
		ok = ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-'
	}
	if !ok {
		c.errorf(path, "relationship-type", `property "relationship_type" must use only lower-case ASCII letters, digits and hyphens, not %s`, quote(s))
	}
}

// genericRelationships may join any two objects (STIX 2.1 section 5.1.1).
var genericRelationships = []string{"derived-from", "duplicate-of", "related-to"}

// specRelationships lists, for each domain object type, the relationship
// types the specification defines from it and the allowed target types
// (the "Relationships" tables of section 4).
var specRelationships = map[string]map[string][]string{
	"attack-pattern": {
		"delivers": {"malware"},
		"targets":  {"identity", "location", "vulnerability"},
		"uses":     {"malware", "tool"},
	},
	"campaign": {
		"attributed-to":   {"intrusion-set", "threat-actor"},
		"compromises":     {"infrastructure"},
		"originates-from": {"location"},
		"targets":         {"identity", "location", "vulnerability"},
		"uses":            {"attack-pattern", "infrastructure", "malware", "tool"},
	},
	"course-of-action": {
		"investigates": {"indicator"},
		"mitigates":    {"attack-pattern", "indicator", "malware", "tool", "vulnerability"},
		"remediates":   {"malware", "vulnerability"},
	},
	"grouping": {},
	"identity": {
		"located-at": {"location"},
	},
	"incident": {},
	"indicator": {
		"indicates": {"attack-pattern", "campaign", "infrastructure", "intrusion-set", "malware", "threat-actor", "tool"},
		"based-on":  {"observed-data"},
	},
	"infrastructure": {
		"communicates-with": {"infrastructure", "ipv4-addr", "ipv6-addr", "domain-name", "url"},
		"consists-of":       {"infrastructure", "observed-data", refAnySCO},
		"controls":          {"infrastructure", "malware"},
		"delivers":          {"malware"},
		"has":               {"vulnerability"},
		"hosts":             {"tool", "malware"},
		"located-at":        {"location"},
		"uses":              {"infrastructure"},
	},
	"intrusion-set": {
		"attributed-to":   {"threat-actor"},
		"compromises":     {"infrastructure"},
		"hosts":           {"infrastructure"},
		"owns":            {"infrastructure"},
		"originates-from": {"location"},
		"targets":         {"identity", "location", "vulnerability"},
		"uses":            {"attack-pattern", "infrastructure", "malware", "tool"},
	},
	"location": {},
	"malware": {
		"authored-by":       {"threat-actor", "intrusion-set"},
		"beacons-to":        {"infrastructure"},
		"exfiltrates-to":    {"infrastructure"},
		"communicates-with": {"ipv4-addr", "ipv6-addr", "domain-name", "url"},
		"controls":          {"malware"},
		"downloads":         {"malware", "tool", "file"},
		"drops":             {"malware", "tool", "file"},
		"exploits":          {"vulnerability"},
		"originates-from":   {"location"},
		"targets":           {"identity", "infrastructure", "location", "vulnerability"},
		"uses":              {"attack-pattern", "infrastructure", "malware", "tool"},
		"variant-of":        {"malware"},
	},
	"malware-analysis": {
		"characterizes":       {"malware"},
		"analysis-of":         {"malware"},
		"static-analysis-of":  {"malware"},
		"dynamic-analysis-of": {"malware"},
	},
	"note":          {},
	"observed-data": {},
	"opinion":       {},
	"report":        {},
	"threat-actor": {
		"attributed-to": {"identity"},
		"compromises":   {"infrastructure"},
		"hosts":         {"infrastructure"},
		"owns":          {"infrastructure"},
		"impersonates":  {"identity"},
		"located-at":    {"location"},
		"targets":       {"identity", "location", "vulnerability"},
		"uses":          {"attack-pattern", "infrastructure", "malware", "tool"},
	},
	"tool": {
		"delivers": {"malware"},
		"drops":    {"malware"},
		"has":      {"vulnerability"},
		"targets":  {"identity", "infrastructure", "location", "vulnerability"},
		"uses":     {"infrastructure"},
	},
	"vulnerability": {},
}

// relationshipVocab warns when a relationship between two objects of types
// the specification defines is not one of its relationships: the
// specification says the type SHOULD be one it lists (custom types MAY be
// used). Relationships to or from custom objects are not judged.
func relationshipVocab(c *checker, o *Value, path string) {
	rt := o.GetString("relationship_type")
	src, tgt := refType(o.GetString("source_ref")), refType(o.GetString("target_ref"))
	if rt == "" || src == "" || tgt == "" || slices.Contains(genericRelationships, rt) {
		return
	}
	defined, ok := specRelationships[src]
	td := registry[tgt]
	if !ok || td == nil || td.class != classSDO && td.class != classSCO {
		return // custom, or an invalid target reported by the property check
	}
	if targets, ok := defined[rt]; ok && refAllowed(targets, tgt) {
		return
	}
	c.warnf(joinPath(path, "relationship_type"), "relationship-vocab",
		"relationship type %s from %s to %s is not one the specification defines; it should be, or be related-to", quote(rt), src, tgt)
}

// refType returns the type part of an identifier, or "".
func refType(id string) string {
	if i := strings.Index(id, "--"); i > 0 {
		return id[:i]
	}
	return ""
}
