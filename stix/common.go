package stix

import (
	"regexp"
	"strconv"
	"strings"
)

// Common properties by class (STIX 2.1 section 3.2 and each object's table).
var (
	propType        = prop{name: "type", kind: kString, required: true}
	propSpecVersion = prop{name: "spec_version", kind: kString, required: true, check: specVersion21}
	propID          = prop{name: "id", kind: kRef, required: true}
	propCreated     = prop{name: "created", kind: kString, required: true, check: millisTimestamp}
	propModified    = prop{name: "modified", kind: kString, required: true, check: millisTimestamp}
	propCreatedBy   = prop{name: "created_by_ref", kind: kRef, refs: []string{"identity"}}
	propRevoked     = prop{name: "revoked", kind: kBool}
	propLabels      = prop{name: "labels", kind: kStringList}
	propConfidence  = prop{name: "confidence", kind: kInteger, hasRange: true, min: 0, max: 100}
	propLang        = prop{name: "lang", kind: kString, check: langTag}
	propExtRefs     = prop{name: "external_references", kind: kObjectList, sub: externalReference, check: externalRefsRule}
	propMarkingRefs = prop{name: "object_marking_refs", kind: kRefList, refs: []string{"marking-definition"}}
	propGranular    = prop{name: "granular_markings", kind: kObjectList, sub: granularMarking}
	propExtensions  = prop{name: "extensions", kind: kAny, check: extensionsShape}
	propDefanged    = prop{name: "defanged", kind: kBool}
)

var (
	sdoCommon = []prop{propType, propSpecVersion, propID, propCreated, propModified, propCreatedBy,
		propRevoked, propLabels, propConfidence, propLang, propExtRefs, propMarkingRefs, propGranular, propExtensions}
	scoCommon = []prop{propType, {name: "spec_version", kind: kString, check: specVersion21}, propID,
		propMarkingRefs, propGranular, propDefanged, propExtensions}
	customCommon = []prop{propType, {name: "spec_version", kind: kString, check: specVersion21}, propID,
		propCreatedBy, propRevoked, propLabels, propConfidence, propLang, propExtRefs, propMarkingRefs,
		propGranular, propExtensions,
		{name: "created", kind: kString, check: millisTimestamp},
		{name: "modified", kind: kString, check: millisTimestamp}}
)

// commonProps returns the common properties of a class. Meta types list
// their own common properties in their definitions.
func commonProps(cls class) []prop {
	switch cls {
	case classSDO, classSRO:
		return sdoCommon
	case classSCO:
		return scoCommon
	case classCustom:
		return customCommon
	}
	return []prop{propType, propID}
}

func specVersion21(c *checker, v *Value, path string) {
	if v.Str != "2.1" {
		c.errorf(path, "spec-version", `property "spec_version" must be "2.1", not %s`, quote(v.Str))
	}
}

func millisTimestamp(c *checker, v *Value, path string) {
	name := path[strings.LastIndexByte(path, '.')+1:]
	c.checkTimestamp(v, path, name, true)
}

// langRE matches an RFC 5646 language tag in its common shapes.
var langRE = regexp.MustCompile(`^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?$|^[xX](?:-[A-Za-z0-9]{1,8})+$`)

func langTag(c *checker, v *Value, path string) {
	if !langRE.MatchString(v.Str) {
		c.errorf(path, "lang", "language tag %s is not an RFC 5646 tag such as \"en\" or \"pt-BR\"", quote(v.Str))
	}
}

// externalReference is the external-reference object.
var externalReference = []prop{
	{name: "source_name", kind: kString, required: true},
	{name: "description", kind: kString},
	{name: "url", kind: kString},
	{name: "hashes", kind: kHashes},
	{name: "external_id", kind: kString},
}

// externalRefsRule checks that each external reference has at least one of
// description, url and external_id besides source_name.
func externalRefsRule(c *checker, v *Value, path string) {
	for i := range v.Elems {
		e := &v.Elems[i]
		if e.Kind == Object && e.Get("description") == nil && e.Get("url") == nil && e.Get("external_id") == nil {
			c.errorf(indexPath(path, i), "external-reference", "an external reference needs at least one of description, url or external_id besides source_name")
		}
	}
}

// granularMarking is the granular-marking object.
var granularMarking = []prop{
	{name: "lang", kind: kString, check: langTag},
	{name: "marking_ref", kind: kRef, refs: []string{"marking-definition"}},
	{name: "selectors", kind: kStringList, required: true},
}

// checkSelectors checks each granular marking: exactly one of lang and
// marking_ref, and every selector resolving to a property of the object.
func (c *checker) checkSelectors(o, gm *Value, path string) {
	for i := range gm.Elems {
		g := &gm.Elems[i]
		if g.Kind != Object {
			continue
		}
		gp := indexPath(path, i)
		if (g.Get("lang") == nil) == (g.Get("marking_ref") == nil) {
			c.errorf(gp, "granular-marking", "a granular marking must have exactly one of lang and marking_ref")
		}
		sel := g.Get("selectors")
		if sel == nil || sel.Kind != Array {
			continue
		}
		for j := range sel.Elems {
			s := &sel.Elems[j]
			if s.Kind != String {
				continue
			}
			if err := resolveSelector(o, s.Str); err != "" {
				c.errorf(indexPath(joinPath(gp, "selectors"), j), "selector", "selector %s %s", quote(s.Str), err)
			}
		}
	}
}

// resolveSelector follows a granular-marking selector such as
// "external_references.[1].url" through the object. It returns "" when the
// selector resolves, else why not.
func resolveSelector(o *Value, sel string) string {
	if sel == "" {
		return "is empty"
	}
	cur := o
	for step := range strings.SplitSeq(sel, ".") {
		if strings.HasPrefix(step, "[") && strings.HasSuffix(step, "]") {
			n, err := strconv.Atoi(step[1 : len(step)-1])
			if err != nil || n < 0 || step[1] == '+' {
				return "has a malformed list index " + quote(step)
			}
			if cur.Kind != Array {
				return "indexes " + quote(step) + " into a value that is not a list"
			}
			if n >= len(cur.Elems) {
				return "indexes " + quote(step) + " past the end of a list of " + strconv.Itoa(len(cur.Elems))
			}
			cur = &cur.Elems[n]
			continue
		}
		if step == "" {
			return "has an empty path step"
		}
		if cur.Kind != Object {
			return "selects " + quote(step) + " inside a value that is not an object"
		}
		next := cur.Get(step)
		if next == nil {
			return "does not resolve: the object has no property " + quote(step) + " there"
		}
		cur = next
	}
	return ""
}

// extensionsShape checks the extensions dictionary: every value an object,
// every key an extension-definition id or a predefined/custom extension name.
func extensionsShape(c *checker, v *Value, path string) {
	// extensions is a dictionary whose values have their own rules, so it is
	// not a kObject (whose members would all be taken as unknown).
	if !c.wantKind(v, Object, path, "extensions") {
		return
	}
	if len(v.Members) == 0 {
		c.errorf(path, "empty-dict", `dictionary "extensions" must not be empty; omit it instead`)
	}
	for i := range v.Members {
		m := &v.Members[i]
		mp := joinPath(path, m.Name)
		if m.Value.Kind != Object {
			c.errorf(mp, "extension", "extension %s must be an object, not a %s", quote(m.Name), m.Value.Kind)
			continue
		}
		if len(m.Value.Members) == 0 {
			c.errorf(mp, "extension", "extension %s must not be empty", quote(m.Name))
		}
		if strings.HasPrefix(m.Name, "extension-definition--") {
			if _, _, err := ParseID(m.Name); err != nil {
				c.errorf(mp, "extension", "extension key %s is not a valid extension-definition identifier: %v", quote(m.Name), err)
			}
			if et := m.Value.Get("extension_type"); et != nil {
				c.checkVocab(&extensionTypeProp, et, joinPath(mp, "extension_type"))
			}
		}
	}
}

// extensionTypeProp is the extension_type enumeration.
var extensionTypeProp = prop{name: "extension_type", kind: kEnum, vocab: []string{
	"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}}

// checkExtensions checks the predefined extensions of a type (SCO
// extensions such as file's "archive-ext") and rejects unknown names that are
// neither extension-definition ids nor custom "x-" names.
func (c *checker) checkExtensions(def *typeDef, ext *Value, path string) {
	for i := range ext.Members {
		m := &ext.Members[i]
		if m.Value.Kind != Object || strings.HasPrefix(m.Name, "extension-definition--") {
			continue
		}
		mp := joinPath(path, m.Name)
		if props, ok := def.extensions[m.Name]; ok {
			c.checkObject(&m.Value, mp, props)
			continue
		}
		if strings.HasPrefix(m.Name, "x-") {
			c.warnf(mp, "custom-extension", "custom extension %s uses the deprecated x- form; use an extension-definition", quote(m.Name))
			continue
		}
		c.errorf(mp, "extension-name", "extension %s is neither a predefined extension of %s nor an extension-definition identifier", quote(m.Name), quote(def.name))
	}
}
