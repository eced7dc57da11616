package stix

import (
	"slices"
	"strings"
)

// The STIX 2.1 meta objects (section 7): language-content,
// marking-definition and extension-definition. commonProps(classMeta) holds
// only type and id, so each definition lists its own common properties.

// tlp1 maps the ids of the four standard TLP 1.0 marking definitions (STIX
// 2.1 section 7.2.1.4) to their colour. They are the only TLP 1.0 marking
// definitions allowed.
var tlp1 = map[string]string{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "white",
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}

// tlp1Created is the created timestamp of the standard TLP 1.0 definitions.
const tlp1Created = "2017-01-20T00:00:00.000Z"

// tlp1Props are the properties a standard TLP 1.0 definition carries.
var tlp1Props = []string{"type", "spec_version", "id", "created", "definition_type", "name", "definition"}

// tlp2Ext is the TLP 2.0 extension definition of the OASIS common objects
// repository; marking definitions using it carry a tlp_2_0 value.
const tlp2Ext = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// tlp2 maps the ids of the standard TLP 2.0 marking definitions to their
// tlp_2_0 value.
var tlp2 = map[string]string{
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
}

var tlp2Values = []string{"clear", "green", "amber", "amber+strict", "red"}

func init() {
	registerSpec(&typeDef{name: "marking-definition", class: classMeta, props: concat(
		[]prop{propSpecVersion, propCreated, propCreatedBy, propExtRefs, propMarkingRefs, propGranular,
			propExtensions,
			{name: "name", kind: kString},
			{name: "definition_type", kind: kString},
			{name: "definition", kind: kAny, check: wantObject},
		},
		notApplicable("marking-definition", "modified", "revoked", "labels", "confidence", "lang"),
	), check: markingRules})

	registerSpec(&typeDef{name: "language-content", class: classMeta, props: concat(
		[]prop{propSpecVersion, propCreated, propModified, propCreatedBy, propRevoked, propLabels,
			propConfidence, propExtRefs, propMarkingRefs, propGranular, propExtensions,
			{name: "object_ref", kind: kRef, required: true, refs: []string{refAnySDO, refAnySCO, refAnySRO,
				"marking-definition", "extension-definition"}},
			{name: "object_modified", kind: kTimestamp},
			{name: "contents", kind: kDict, required: true, check: languageContents},
		},
		notApplicable("language-content", "lang"),
	)})

	createdBy := propCreatedBy
	createdBy.required = true
	registerSpec(&typeDef{name: "extension-definition", class: classMeta, props: concat(
		[]prop{propSpecVersion, propCreated, propModified, createdBy, propRevoked, propLabels,
			propExtRefs, propMarkingRefs, propGranular,
			pName, pDescription,
			{name: "schema", kind: kString, required: true},
			{name: "version", kind: kString, required: true},
			{name: "extension_types", kind: kEnumList, required: true, vocab: extensionTypeProp.vocab},
			{name: "extension_properties", kind: kStringList},
		},
		notApplicable("extension-definition", "confidence", "lang", "extensions"),
	), check: extensionDefinitionRules})
}

func concat(lists ...[]prop) []prop {
	var out []prop
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// notApplicable returns definitions for common properties the type does not
// take. The specification lists them as not applicable without a MUST NOT,
// so their use is a warning.
func notApplicable(typ string, names ...string) []prop {
	out := make([]prop, len(names))
	for i, name := range names {
		out[i] = prop{name: name, kind: kAny, check: func(c *checker, v *Value, path string) {
			c.warnf(path, "not-applicable", "property %q does not apply to %s objects and is ignored", name, typ)
		}}
	}
	return out
}

func wantObject(c *checker, v *Value, path string) {
	c.wantKind(v, Object, path, lastStep(path))
}

// markingRules checks a marking definition: definition_type and definition
// together, or an extension defining the marking; TLP 1.0 only as the four
// standard objects; statement markings; TLP 2.0 extension values.
func markingRules(c *checker, o *Value, path string) {
	dt, def := o.Get("definition_type"), o.Get("definition")
	ext := o.Get("extensions")
	switch {
	case dt != nil && def == nil:
		c.errorf(joinPath(path, "definition"), "marking-definition", `property "definition" is required when definition_type is present`)
	case dt == nil && def != nil:
		c.errorf(joinPath(path, "definition_type"), "marking-definition", `property "definition_type" is required when definition is present`)
	case dt == nil && def == nil && !hasExtensionDefinition(ext):
		c.errorf(path, "marking-definition", "a marking definition needs definition_type and definition, or an extension-definition extension that defines the marking")
	}
	id := o.GetString("id")
	if color, ok := tlp1[id]; ok {
		tlpStandard(c, o, path, color)
	}
	if dt != nil && dt.Kind == String && def != nil && def.Kind == Object {
		switch dt.Str {
		case "tlp":
			tlpDefinition(c, def, joinPath(path, "definition"))
			if _, ok := tlp1[id]; !ok && id != "" {
				c.errorf(joinPath(path, "id"), "tlp-nonstandard", "TLP marking definitions must be the four standard objects of the specification; %s is not one of them", quote(id))
			}
		case "statement":
			statementDefinition(c, def, joinPath(path, "definition"))
		default:
			c.warnf(joinPath(path, "definition_type"), "definition-type", `property "definition_type" should be "statement" or "tlp" (new markings should use an extension), not %s`, quote(dt.Str))
		}
	}
	if ext != nil && ext.Kind == Object {
		markingExtensions(c, ext, joinPath(path, "extensions"), id)
	}
}

// hasExtensionDefinition reports whether an extensions dictionary holds an
// extension-definition extension.
func hasExtensionDefinition(ext *Value) bool {
	if ext == nil || ext.Kind != Object {
		return false
	}
	for i := range ext.Members {
		if strings.HasPrefix(ext.Members[i].Name, "extension-definition--") {
			return true
		}
	}
	return false
}

// tlpStandard checks that a standard TLP 1.0 marking definition carries
// exactly the content the specification gives it.
func tlpStandard(c *checker, o *Value, path, color string) {
	name := "TLP:" + strings.ToUpper(color)
	if s := o.GetString("created"); s != tlp1Created {
		c.errorf(joinPath(path, "created"), "tlp-standard", "the standard %s marking definition must have created %s, not %s", name, tlp1Created, describeOpt(o.Get("created")))
	}
	if s := o.GetString("definition_type"); s != "tlp" {
		c.errorf(joinPath(path, "definition_type"), "tlp-standard", `the standard %s marking definition must have definition_type "tlp", not %s`, name, describeOpt(o.Get("definition_type")))
	}
	if s := o.GetString("name"); s != name {
		c.errorf(joinPath(path, "name"), "tlp-standard", "the standard %s marking definition must have name %q, not %s", name, name, describeOpt(o.Get("name")))
	}
	if def := o.Get("definition"); def != nil && def.Kind == Object {
		if got := def.GetString("tlp"); got != color || len(def.Members) != 1 {
			c.errorf(joinPath(path, "definition"), "tlp-standard", `the standard %s marking definition must have definition {"tlp": %q}`, name, color)
		}
	}
	for i := range o.Members {
		m := o.Members[i].Name
		if !slices.Contains(tlp1Props, m) {
			c.errorf(joinPath(path, m), "tlp-standard", "the standard %s marking definition has no property %q", name, m)
		}
	}
}

// describeOpt names a possibly absent value for a message.
func describeOpt(v *Value) string {
	if v == nil {
		return "nothing"
	}
	return describe(v)
}

// tlpDefinition checks a TLP 1.0 definition: {"tlp": "white|green|amber|red"}.
func tlpDefinition(c *checker, def *Value, path string) {
	v := def.Get("tlp")
	if v == nil || len(def.Members) != 1 {
		c.errorf(path, "tlp", `a TLP definition must be exactly {"tlp": colour}`)
		return
	}
	switch {
	case v.Kind != String:
		c.errorf(joinPath(path, "tlp"), "tlp", "the TLP colour must be a string, not a %s", v.Kind)
	case v.Str != "white" && v.Str != "green" && v.Str != "amber" && v.Str != "red":
		c.errorf(joinPath(path, "tlp"), "tlp", "the TLP colour must be white, green, amber or red, not %s", quote(v.Str))
	}
}

// statementDefinition checks a statement definition: {"statement": "..."}.
func statementDefinition(c *checker, def *Value, path string) {
	v := def.Get("statement")
	if v == nil || len(def.Members) != 1 {
		c.errorf(path, "statement", `a statement definition must be exactly {"statement": text}`)
		return
	}
	if v.Kind != String {
		c.errorf(joinPath(path, "statement"), "statement", "the statement must be a string, not a %s", v.Kind)
	}
}

// markingExtensions checks the extensions of a marking definition: each
// extension-definition extension is a property extension, TLP 2.0 values
// come from the TLP 2.0 levels and the standard TLP 2.0 ids carry theirs.
func markingExtensions(c *checker, ext *Value, path, id string) {
	want, standard := tlp2[id]
	var found bool
	for i := range ext.Members {
		m := &ext.Members[i]
		if m.Value.Kind != Object || !strings.HasPrefix(m.Name, "extension-definition--") {
			continue
		}
		mp := joinPath(path, m.Name)
		if et := m.Value.Get("extension_type"); et != nil && et.Kind == String &&
			et.Str != "property-extension" && et.Str != "toplevel-property-extension" {
			c.errorf(joinPath(mp, "extension_type"), "marking-extension", "a marking definition extension must be a property extension, not %s", quote(et.Str))
		}
		if m.Name != tlp2Ext {
			continue
		}
		found = true
		v := m.Value.Get("tlp_2_0")
		switch {
		case v == nil:
			c.errorf(joinPath(mp, "tlp_2_0"), "tlp2", `required property "tlp_2_0" of the TLP 2.0 extension is missing`)
		case v.Kind != String || !slices.Contains(tlp2Values, v.Str):
			c.errorf(joinPath(mp, "tlp_2_0"), "tlp2", "TLP 2.0 level must be one of clear, green, amber, amber+strict, red, not %s", describe(v))
		case standard && v.Str != want:
			c.errorf(joinPath(mp, "tlp_2_0"), "tlp-standard", "the standard TLP 2.0 marking definition %s must have tlp_2_0 %q, not %q", id, want, v.Str)
		}
	}
	if standard && !found {
		c.errorf(path, "tlp-standard", "the standard TLP 2.0 marking definition %s must carry the TLP 2.0 extension %s", id, tlp2Ext)
	}
}

// languageContents checks the contents of language-content: each key a
// language tag, each value a non-empty object of translated properties
// (strings, lists or objects).
func languageContents(c *checker, v *Value, path string) {
	for i := range v.Members {
		m := &v.Members[i]
		mp := joinPath(path, m.Name)
		if !langRE.MatchString(m.Name) {
			c.errorf(mp, "lang", "contents key %s is not an RFC 5646 language tag such as \"de\" or \"pt-BR\"", quote(m.Name))
		}
		if m.Value.Kind != Object {
			c.errorf(mp, "language-content", "the translations for %s must be an object of properties, not a %s", quote(m.Name), m.Value.Kind)
			continue
		}
		if len(m.Value.Members) == 0 {
			c.errorf(mp, "language-content", "the translations for %s must not be empty", quote(m.Name))
		}
		for j := range m.Value.Members {
			t := &m.Value.Members[j]
			switch t.Value.Kind {
			case String, Array, Object:
			default:
				c.errorf(joinPath(mp, t.Name), "language-content", "the translation of %s must be a string, list or object, not a %s", quote(t.Name), t.Value.Kind)
			}
		}
	}
}

// extensionDefinitionRules: extension_properties only for top-level
// property extensions.
func extensionDefinitionRules(c *checker, o *Value, path string) {
	if o.Get("extension_properties") == nil {
		return
	}
	types := o.Get("extension_types")
	if types == nil || types.Kind != Array {
		return
	}
	for i := range types.Elems {
		if types.Elems[i].Kind == String && types.Elems[i].Str == "toplevel-property-extension" {
			return
		}
	}
	c.errorf(joinPath(path, "extension_properties"), "extension-properties", `property "extension_properties" may only be used when extension_types contains "toplevel-property-extension"`)
}
