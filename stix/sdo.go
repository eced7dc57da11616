package stix

import "strconv"

// The STIX 2.1 domain objects (section 4), attack-pattern to malware-analysis;
// sdo2.go holds the rest.

// Properties several domain objects share.
var (
	pName        = prop{name: "name", kind: kString, required: true}
	pNameOpt     = prop{name: "name", kind: kString}
	pDescription = prop{name: "description", kind: kString}
	pAliases     = prop{name: "aliases", kind: kStringList}
	pKillChain   = prop{name: "kill_chain_phases", kind: kKillChainPhases}
	pFirstSeen   = prop{name: "first_seen", kind: kTimestamp}
	pLastSeen    = prop{name: "last_seen", kind: kTimestamp}
	pGoals       = prop{name: "goals", kind: kStringList}
	pObjectRefs  = prop{name: "object_refs", kind: kRefList, required: true, refs: refsAnyObject}
	pAuthors     = prop{name: "authors", kind: kStringList}

	pResourceLevel  = prop{name: "resource_level", kind: kVocab, vocab: attackResourceLevelOV}
	pPrimaryMotive  = prop{name: "primary_motivation", kind: kVocab, vocab: attackMotivationOV}
	pSecondaryMotiv = prop{name: "secondary_motivations", kind: kVocabList, vocab: attackMotivationOV}
)

// Allowed targets of references, built once.
var (
	// refsAnyObject admits every STIX object; only bundles, which are not
	// objects, are refused.
	refsAnyObject = []string{refAnySDO, refAnySCO, refAnySRO, "marking-definition", "language-content", "extension-definition"}
	refsSoftware  = []string{"software"}
	refsSCO       = []string{refAnySCO}
)

func init() {
	registerSpec(&typeDef{name: "attack-pattern", class: classSDO, props: []prop{
		pName, pDescription, pAliases, pKillChain,
	}})

	registerSpec(&typeDef{name: "campaign", class: classSDO, props: []prop{
		pName, pDescription, pAliases, pFirstSeen, pLastSeen,
		{name: "objective", kind: kString},
	}, check: seenOrder})

	registerSpec(&typeDef{name: "course-of-action", class: classSDO, props: []prop{
		pName, pDescription,
		{name: "action", kind: kAny, check: reserved},
	}})

	registerSpec(&typeDef{name: "grouping", class: classSDO, props: []prop{
		pNameOpt, pDescription,
		{name: "context", kind: kVocab, required: true, vocab: groupingContextOV},
		pObjectRefs,
	}})

	registerSpec(&typeDef{name: "identity", class: classSDO, props: []prop{
		pName, pDescription,
		{name: "roles", kind: kStringList},
		{name: "identity_class", kind: kVocab, vocab: identityClassOV},
		{name: "sectors", kind: kVocabList, vocab: industrySectorOV},
		{name: "contact_information", kind: kString},
	}})

	registerSpec(&typeDef{name: "incident", class: classSDO, props: []prop{
		pName, pDescription, pKillChain,
	}})

	registerSpec(&typeDef{name: "indicator", class: classSDO, props: []prop{
		pNameOpt, pDescription,
		{name: "indicator_types", kind: kVocabList, vocab: indicatorTypeOV},
		{name: "pattern", kind: kString, required: true},
		{name: "pattern_type", kind: kVocab, required: true, vocab: patternTypeOV},
		{name: "pattern_version", kind: kString},
		{name: "valid_from", kind: kTimestamp, required: true},
		{name: "valid_until", kind: kTimestamp},
		pKillChain,
	}, check: func(c *checker, o *Value, path string) {
		after(c, o, path, "valid_from", "valid_until", "valid-until-order")
		indicatorPattern(c, o, path)
	}})

	registerSpec(&typeDef{name: "infrastructure", class: classSDO, props: []prop{
		pName, pDescription,
		{name: "infrastructure_types", kind: kVocabList, vocab: infrastructureTypeOV},
		pAliases, pKillChain, pFirstSeen, pLastSeen,
	}, check: seenOrder})

	registerSpec(&typeDef{name: "intrusion-set", class: classSDO, props: []prop{
		pName, pDescription, pAliases, pFirstSeen, pLastSeen, pGoals,
		pResourceLevel, pPrimaryMotive, pSecondaryMotiv,
	}, check: seenOrder})

	registerSpec(&typeDef{name: "location", class: classSDO, props: []prop{
		pNameOpt, pDescription,
		{name: "latitude", kind: kFloat, hasRange: true, min: -90, max: 90},
		{name: "longitude", kind: kFloat, hasRange: true, min: -180, max: 180},
		{name: "precision", kind: kFloat, check: nonNegative},
		{name: "region", kind: kVocab, vocab: regionOV},
		{name: "country", kind: kString, check: countryCode},
		{name: "administrative_area", kind: kString},
		{name: "city", kind: kString},
		{name: "street_address", kind: kString},
		{name: "postal_code", kind: kString},
	}, check: locationRules})

	registerSpec(&typeDef{name: "malware", class: classSDO, props: []prop{
		pNameOpt, pDescription,
		{name: "malware_types", kind: kVocabList, vocab: malwareTypeOV},
		{name: "is_family", kind: kBool, required: true},
		pAliases, pKillChain, pFirstSeen, pLastSeen,
		{name: "operating_system_refs", kind: kRefList, refs: refsSoftware},
		{name: "architecture_execution_envs", kind: kVocabList, vocab: processorArchitectureOV},
		{name: "implementation_languages", kind: kVocabList, vocab: implementationLanguageOV},
		{name: "capabilities", kind: kVocabList, vocab: malwareCapabilitiesOV},
		{name: "sample_refs", kind: kRefList, refs: []string{"file", "artifact"}},
	}, check: malwareRules})

	registerSpec(&typeDef{name: "malware-analysis", class: classSDO, props: []prop{
		{name: "product", kind: kString, required: true},
		{name: "version", kind: kString},
		{name: "host_vm_ref", kind: kRef, refs: refsSoftware},
		{name: "operating_system_ref", kind: kRef, refs: refsSoftware},
		{name: "installed_software_refs", kind: kRefList, refs: refsSoftware},
		{name: "configuration_version", kind: kString},
		{name: "modules", kind: kStringList},
		{name: "analysis_engine_version", kind: kString},
		{name: "analysis_definition_version", kind: kString},
		{name: "submitted", kind: kTimestamp},
		{name: "analysis_started", kind: kTimestamp},
		{name: "analysis_ended", kind: kTimestamp},
		{name: "result_name", kind: kString},
		{name: "result", kind: kVocab, vocab: malwareResultOV},
		{name: "analysis_sco_refs", kind: kRefList, refs: refsSCO},
		{name: "sample_ref", kind: kRef, refs: []string{"file", "network-traffic", "artifact"}},
	}, check: malwareAnalysisRules})
}

// seenOrder checks that last_seen is not earlier than first_seen.
func seenOrder(c *checker, o *Value, path string) {
	notBefore(c, o, path, "first_seen", "last_seen", "last-seen-order")
}

// notBefore records an error when the timestamp property later is earlier
// than the timestamp property earlier. Absent or malformed values are left
// to the property checks.
func notBefore(c *checker, o *Value, path, earlier, later, rule string) {
	if o.Get(earlier) == nil || o.Get(later) == nil {
		return
	}
	e, l := c.timeOf(o, earlier), c.timeOf(o, later)
	if !e.IsZero() && !l.IsZero() && l.Before(e) {
		c.errorf(joinPath(path, later), rule, "property %q (%s) must not be earlier than %s (%s)",
			later, o.GetString(later), earlier, o.GetString(earlier))
	}
}

// after records an error unless the timestamp property later is strictly
// later than the timestamp property earlier.
func after(c *checker, o *Value, path, earlier, later, rule string) {
	if o.Get(earlier) == nil || o.Get(later) == nil {
		return
	}
	e, l := c.timeOf(o, earlier), c.timeOf(o, later)
	if !e.IsZero() && !l.IsZero() && !l.After(e) {
		c.errorf(joinPath(path, later), rule, "property %q (%s) must be later than %s (%s)",
			later, o.GetString(later), earlier, o.GetString(earlier))
	}
}

// reserved rejects a property the specification reserves for future use.
func reserved(c *checker, v *Value, path string) {
	c.errorf(path, "reserved", "property %q is reserved by STIX 2.1 and must not be used", lastStep(path))
}

// lastStep returns the member name at the end of a path.
func lastStep(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '.' {
			return path[i+1:]
		}
	}
	return path
}

// nonNegative warns about a negative measure such as a location's precision
// in meters: meaningless, though the specification states no MUST.
func nonNegative(c *checker, v *Value, path string) {
	if f, err := strconv.ParseFloat(v.Str, 64); err == nil && f < 0 {
		c.warnf(path, "negative", "property %q should not be negative: %s", lastStep(path), v.Str)
	}
}

// countryCode warns when a country is not an ISO 3166-1 alpha-2 code, as
// the specification recommends.
func countryCode(c *checker, v *Value, path string) {
	s := v.Str
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		c.warnf(path, "country-code", "property \"country\" should be an ISO 3166-1 alpha-2 code such as \"DE\", not %s", quote(s))
	}
}

// locationRules: at least one of region, country and latitude/longitude;
// latitude and longitude together; precision only with both.
func locationRules(c *checker, o *Value, path string) {
	lat, lon := o.Get("latitude"), o.Get("longitude")
	switch {
	case lat == nil && lon == nil:
		if o.Get("region") == nil && o.Get("country") == nil {
			c.errorf(path, "location-required", "a location needs at least one of region, country, or latitude and longitude")
		}
	case lat == nil:
		c.errorf(joinPath(path, "longitude"), "location-coordinates", `property "longitude" requires latitude`)
	case lon == nil:
		c.errorf(joinPath(path, "latitude"), "location-coordinates", `property "latitude" requires longitude`)
	}
	if o.Get("precision") != nil && (lat == nil || lon == nil) {
		c.errorf(joinPath(path, "precision"), "location-precision", `property "precision" requires latitude and longitude`)
	}
}

// malwareRules: a malware family must be named; first_seen <= last_seen.
func malwareRules(c *checker, o *Value, path string) {
	if f := o.Get("is_family"); f != nil && f.Kind == Bool && f.Bool && o.Get("name") == nil {
		c.errorf(joinPath(path, "name"), "malware-name", `property "name" is required when is_family is true`)
	}
	seenOrder(c, o, path)
}

// malwareAnalysisRules: a result or captured observables are required.
func malwareAnalysisRules(c *checker, o *Value, path string) {
	if o.Get("result") == nil && o.Get("analysis_sco_refs") == nil {
		c.errorf(path, "malware-analysis-result", "a malware analysis needs at least one of result and analysis_sco_refs")
	}
}

// registerSpec registers a domain, relationship or meta object type of the
// specification, adding the checks they all share to its own.
func registerSpec(d *typeDef) {
	own := d.check
	d.check = func(c *checker, o *Value, path string) {
		uuidV4(c, o, path)
		if own != nil {
			own(c, o, path)
		}
	}
	register(d)
}

// uuidV4 warns when an identifier does not use a version 4 UUID, which the
// specification recommends for all but cyber-observable objects.
func uuidV4(c *checker, o *Value, path string) {
	v := o.Get("id")
	if v == nil || v.Kind != String {
		return
	}
	if _, ver, err := ParseID(v.Str); err == nil && ver != 4 {
		c.warnf(joinPath(path, "id"), "id-uuid-version", "identifier %s should use a version 4 (random) UUID, not version %d", quote(v.Str), ver)
	}
}
