package stix

// The STIX 2.1 domain objects (section 4), note to vulnerability.

func init() {
	registerSpec(&typeDef{name: "note", class: classSDO, props: []prop{
		{name: "abstract", kind: kString},
		{name: "content", kind: kString, required: true},
		pAuthors, pObjectRefs,
	}})

	registerSpec(&typeDef{name: "observed-data", class: classSDO, props: []prop{
		{name: "first_observed", kind: kTimestamp, required: true},
		{name: "last_observed", kind: kTimestamp, required: true},
		{name: "number_observed", kind: kInteger, required: true, hasRange: true, min: 1, max: 999999999},
		{name: "objects", kind: kDict, check: observedObjects},
		{name: "object_refs", kind: kRefList, refs: []string{refAnySCO, refAnySRO}},
	}, check: observedDataRules})

	registerSpec(&typeDef{name: "opinion", class: classSDO, props: []prop{
		{name: "explanation", kind: kString},
		pAuthors,
		{name: "opinion", kind: kEnum, required: true, vocab: opinionEnum},
		pObjectRefs,
	}})

	registerSpec(&typeDef{name: "report", class: classSDO, props: []prop{
		pName, pDescription,
		{name: "report_types", kind: kVocabList, vocab: reportTypeOV},
		{name: "published", kind: kTimestamp, required: true},
		pObjectRefs,
	}})

	registerSpec(&typeDef{name: "threat-actor", class: classSDO, props: []prop{
		pName, pDescription,
		{name: "threat_actor_types", kind: kVocabList, vocab: threatActorTypeOV},
		pAliases, pFirstSeen, pLastSeen,
		{name: "roles", kind: kVocabList, vocab: threatActorRoleOV},
		pGoals,
		{name: "sophistication", kind: kVocab, vocab: threatActorSophisticationOV},
		pResourceLevel, pPrimaryMotive, pSecondaryMotiv,
		{name: "personal_motivations", kind: kVocabList, vocab: attackMotivationOV},
	}, check: seenOrder})

	registerSpec(&typeDef{name: "tool", class: classSDO, props: []prop{
		pName, pDescription,
		{name: "tool_types", kind: kVocabList, vocab: toolTypeOV},
		pAliases, pKillChain,
		{name: "tool_version", kind: kString},
	}})

	registerSpec(&typeDef{name: "vulnerability", class: classSDO, props: []prop{
		pName, pDescription,
	}})
}

// observedObjects checks the deprecated objects dictionary of observed-data:
// each value is a cyber-observable object with a type.
func observedObjects(c *checker, v *Value, path string) {
	c.warnf(path, "deprecated", `property "objects" is deprecated; use object_refs and separate cyber-observable objects`)
	for i := range v.Members {
		m := &v.Members[i]
		mp := joinPath(path, m.Name)
		if m.Value.Kind != Object {
			c.errorf(mp, "type", "observed object %s must be an object, not a %s", quote(m.Name), m.Value.Kind)
			continue
		}
		if t := m.Value.Get("type"); t == nil || t.Kind != String || !ValidTypeName(t.Str) {
			c.errorf(joinPath(mp, "type"), "type-name", "observed object %s needs a valid \"type\"", quote(m.Name))
		}
	}
}

// observedDataRules: last_observed >= first_observed; exactly one of
// object_refs and the deprecated objects; object_refs names an SCO.
func observedDataRules(c *checker, o *Value, path string) {
	notBefore(c, o, path, "first_observed", "last_observed", "last-observed-order")
	refs, objs := o.Get("object_refs"), o.Get("objects")
	switch {
	case refs == nil && objs == nil:
		c.errorf(joinPath(path, "object_refs"), "required", `required property "object_refs" is missing (nor is there the deprecated "objects")`)
	case refs != nil && objs != nil:
		c.errorf(joinPath(path, "objects"), "observed-data-objects", `properties "objects" and "object_refs" must not both be present`)
	}
	if refs == nil || refs.Kind != Array || len(refs.Elems) == 0 {
		return
	}
	for i := range refs.Elems {
		e := &refs.Elems[i]
		if e.Kind != String {
			return // reported by the property check
		}
		typ, _, err := ParseID(e.Str)
		if err != nil {
			return // reported by the property check
		}
		if refAllowed(refsSCO, typ) {
			return
		}
	}
	c.errorf(joinPath(path, "object_refs"), "observed-data-sco", `property "object_refs" must refer to at least one cyber-observable object`)
}
