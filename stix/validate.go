package stix

import (
	"bytes"
	"strings"
	"time"

	"github.com/tearline/tearline"
)

// ValidateObject parses and validates one STIX 2.1 object given as JSON.
// path is the JSON path of the object in its document ("objects[12]", or ""
// for a standalone object) and prefixes the path of every issue. The returned
// object, whose Raw is raw itself (not copied), is nil when any error (not
// warning) was found.
func ValidateObject(raw []byte, path string) (*tearline.Object, Issues) {
	c := &checker{}
	if len(raw) > MaxObjectSize {
		c.errorf(path, "size", "object is %d bytes, larger than the %d-byte (10 MiB) limit", len(raw), MaxObjectSize)
		return nil, c.issues
	}
	v, err := ParseValue(raw)
	if err != nil {
		se := err.(*SyntaxError)
		c.errorf(joinPath(path, se.Path), "json", "%s", se.Msg)
		return nil, c.issues
	}
	obj := c.validate(&v, path)
	if c.issues.HasErrors() {
		return nil, c.issues
	}
	obj.Raw = raw
	obj.Digest = Digest(&v)
	obj.Text = TextOf(&v, raw)
	return obj, c.issues
}

// TextOf returns the top-level name and description of v, parsed from
// raw, as validation records them in tearline.Object.Text.
func TextOf(v *Value, raw []byte) *tearline.Text {
	t := &tearline.Text{Of: raw}
	if n := v.Get("name"); n != nil && n.Kind == String {
		t.Name, t.Has = n.Str, true
	}
	if d := v.Get("description"); d != nil && d.Kind == String {
		t.Description, t.Has = d.Str, true
	}
	return t
}

// ReadText returns what a full-text index reads of the object in raw: its
// top-level name and description, as validation records them in
// tearline.Object.Text. Text without either member name is not parsed;
// text that is not a JSON object has neither.
func ReadText(raw []byte) *tearline.Text {
	if !bytes.Contains(raw, []byte(`"name"`)) && !bytes.Contains(raw, []byte(`"description"`)) {
		return &tearline.Text{Of: raw}
	}
	v, err := ParseValue(raw)
	if err != nil || v.Kind != Object {
		return &tearline.Text{Of: raw}
	}
	return TextOf(&v, raw)
}

// validate checks a parsed object and returns its envelope fields.
func (c *checker) validate(o *Value, path string) *tearline.Object {
	if o.Kind != Object {
		c.errorf(path, "type", "a STIX object must be a JSON object, not a %s", o.Kind)
		return nil
	}
	obj := &tearline.Object{}
	tv := o.Get("type")
	if tv == nil {
		c.errorf(joinPath(path, "type"), "required", `required property "type" is missing`)
		return nil
	}
	if tv.Kind != String || !ValidTypeName(tv.Str) {
		c.errorf(joinPath(path, "type"), "type-name", `property "type" must be 3-250 characters of a-z, 0-9 and single hyphens, not %s`, describe(tv))
		return nil
	}
	obj.Type = tv.Str
	def := registry[obj.Type]
	if def == nil {
		def = customDef(o, obj.Type)
		if def == nil {
			c.errorf(joinPath(path, "type"), "unknown-type", "unknown object type %s: custom types must start with \"x-\" or declare a new-sdo, new-sco or new-sro extension", quote(obj.Type))
			return nil
		}
	}
	common := commonProps(def.class)
	unknown := c.checkProps(o, path, common, def.props)

	c.checkIDType(o, path, obj)
	if sv := o.Get("spec_version"); sv != nil && sv.Kind == String {
		obj.SpecVersion = sv.Str
	} else if def.class == classSCO || def.class == classCustom {
		obj.SpecVersion = "2.1"
	}
	obj.Created = c.timeOf(o, "created")
	modified := c.timeOf(o, "modified")
	switch {
	case !modified.IsZero():
		obj.Version = modified
	default:
		obj.Version = obj.Created
	}
	if !modified.IsZero() && !obj.Created.IsZero() && modified.Before(obj.Created) {
		c.errorf(joinPath(path, "modified"), "modified-before-created", "modified (%s) must not be earlier than created (%s)", o.GetString("modified"), o.GetString("created"))
	}
	if r := o.Get("revoked"); r != nil && r.Kind == Bool {
		obj.Revoked = r.Bool
	}

	if gm := o.Get("granular_markings"); gm != nil && gm.Kind == Array {
		c.checkSelectors(o, gm, joinPath(path, "granular_markings"))
	}
	if ext := o.Get("extensions"); ext != nil && ext.Kind == Object {
		c.checkExtensions(def, ext, joinPath(path, "extensions"))
	}
	// The properties of a custom object type are its own, not custom
	// additions to a spec type, so they need no "x_" prefix.
	customType := registry[obj.Type] == nil
	for _, name := range unknown {
		if customType && ValidPropertyName(name) {
			c.customValue(o.Get(name), joinPath(path, name), name)
			continue
		}
		c.customProperty(o, path, name)
	}
	if def.check != nil {
		def.check(c, o, path)
	}
	if def.class == classSCO {
		c.checkSCOID(def, o, path)
	}
	return obj
}

// customDef returns the definition used for an unregistered type: x- types
// and types declaring a new-object extension are accepted with the common
// properties of the class they resemble.
func customDef(o *Value, typ string) *typeDef {
	cls := class(0)
	if ext := o.Get("extensions"); ext != nil && ext.Kind == Object {
		for _, m := range ext.Members {
			switch m.Value.GetString("extension_type") {
			case "new-sdo":
				cls = classSDO
			case "new-sro":
				cls = classSRO
			case "new-sco":
				cls = classSCO
			}
		}
	}
	if cls == 0 && strings.HasPrefix(typ, "x-") {
		cls = classCustom
		if o.Get("created") != nil || o.Get("modified") != nil {
			cls = classSDO
		}
	}
	if cls == 0 {
		return nil
	}
	return &typeDef{name: typ, class: cls}
}

// checkIDType checks that the id names the object's own type and fills obj.ID.
func (c *checker) checkIDType(o *Value, path string, obj *tearline.Object) {
	idv := o.Get("id")
	if idv == nil || idv.Kind != String {
		return // reported by checkProps
	}
	typ, _, err := ParseID(idv.Str)
	if err != nil {
		return // reported by checkProps
	}
	if typ != obj.Type {
		c.errorf(joinPath(path, "id"), "id-type", "id %s must start with the object's type %q followed by \"--\"", quote(idv.Str), obj.Type)
		return
	}
	obj.ID = idv.Str
}

// timeOf returns the parsed timestamp property name, or the zero time when it
// is absent or malformed (malformed values are reported by checkProps).
func (c *checker) timeOf(o *Value, name string) time.Time {
	v := o.Get(name)
	if v == nil || v.Kind != String {
		return time.Time{}
	}
	t, _, err := ParseTimestamp(v.Str)
	if err != nil {
		return time.Time{}
	}
	return t
}

// customProperty applies the rules for a property the type does not define.
func (c *checker) customProperty(o *Value, path, name string) {
	p := joinPath(path, name)
	if !ValidPropertyName(name) {
		c.errorf(p, "custom-property-name", "property %s is not defined for this type, and custom property names must be 3-250 characters of a-z, 0-9 and '_'", quote(name))
		return
	}
	if !strings.HasPrefix(name, "x_") {
		c.warnf(p, "custom-property-prefix", "property %s is not defined for this type; custom properties should start with \"x_\"", quote(name))
	}
	c.customValue(o.Get(name), p, name)
}

// customValue applies the rules every custom property value follows: it is
// not null or an empty list, and the names ending in "_hex" and "_bin" are
// of the hex and binary types.
func (c *checker) customValue(v *Value, p, name string) {
	switch {
	case v.Kind == Null:
		c.errorf(p, "null", "property %q must not be null; omit it instead", name)
	case v.Kind == Array && len(v.Elems) == 0:
		c.errorf(p, "empty-list", "property %q must not be an empty list; omit it instead", name)
	case strings.HasSuffix(name, "_hex") && (v.Kind != String || !validHex(v.Str)):
		c.errorf(p, "hex", "property %q ends in \"_hex\", so it must be a hexadecimal string of an even number of digits", name)
	case strings.HasSuffix(name, "_bin") && (v.Kind != String || !validBinary(v.Str)):
		c.errorf(p, "binary", "property %q ends in \"_bin\", so it must be base64-encoded binary data", name)
	}
}

// describe names a JSON value for a message: the quoted string or its kind.
func describe(v *Value) string {
	if v.Kind == String {
		return quote(v.Str)
	}
	return "a " + v.Kind.String()
}
