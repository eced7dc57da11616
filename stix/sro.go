package stix

// The STIX 2.1 relationship objects (section 5).

// refsEndpoint are the allowed ends of a relationship: domain and
// cyber-observable objects (custom ones included), never relationships,
// sightings, meta objects or bundles.
var refsEndpoint = []string{refAnySDO, refAnySCO}

func init() {
	register(&typeDef{name: "relationship", class: classSRO, props: []prop{
		{name: "relationship_type", kind: kString, required: true, check: relationshipType},
		pDescription,
		{name: "source_ref", kind: kRef, required: true, refs: refsEndpoint},
		{name: "target_ref", kind: kRef, required: true, refs: refsEndpoint},
		{name: "start_time", kind: kTimestamp},
		{name: "stop_time", kind: kTimestamp},
	}, check: func(c *checker, o *Value, path string) {
		after(c, o, path, "start_time", "stop_time", "stop-time-order")
	}})

	register(&typeDef{name: "sighting", class: classSRO, props: []prop{
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
