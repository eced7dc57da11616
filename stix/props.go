package stix

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
)

// checkProps checks the members of the object o at path against the property
// definitions. Members not defined there are returned as unknown so the
// caller can apply the custom-property rules.
func (c *checker) checkProps(o *Value, path string, defs ...[]prop) (unknown []string) {
	for _, list := range defs {
		for i := range list {
			p := &list[i]
			if p.required && o.Get(p.name) == nil {
				c.errorf(joinPath(path, p.name), "required", "required property %q is missing", p.name)
			}
		}
	}
members:
	for i := range o.Members {
		m := &o.Members[i]
		for _, list := range defs {
			for j := range list {
				if list[j].name == m.Name {
					c.checkProp(&list[j], &m.Value, joinPath(path, m.Name))
					continue members
				}
			}
		}
		unknown = append(unknown, m.Name)
	}
	return unknown
}

// checkProp checks one value against its property definition.
func (c *checker) checkProp(p *prop, v *Value, path string) {
	if v.Kind == Null {
		c.errorf(path, "null", "property %q must not be null; omit it instead", p.name)
		return
	}
	ok := true
	switch p.kind {
	case kAny:
	case kString:
		ok = c.wantKind(v, String, path, p.name)
	case kStringList:
		ok = c.wantList(v, path, p.name, func(e *Value, ep string) bool { return c.wantKind(e, String, ep, p.name) })
	case kTimestamp:
		ok = c.checkTimestamp(v, path, p.name, false)
	case kBool:
		ok = c.wantKind(v, Bool, path, p.name)
	case kInteger:
		ok = c.checkNumber(p, v, path, true)
	case kFloat:
		ok = c.checkNumber(p, v, path, false)
	case kRef:
		ok = c.checkRef(v, path, p.name, p.refs)
	case kRefList:
		ok = c.wantList(v, path, p.name, func(e *Value, ep string) bool { return c.checkRef(e, ep, p.name, p.refs) })
	case kVocab, kEnum:
		ok = c.checkVocab(p, v, path)
	case kVocabList, kEnumList:
		ok = c.wantList(v, path, p.name, func(e *Value, ep string) bool { return c.checkVocab(p, e, ep) })
	case kKillChainPhases:
		ok = c.wantList(v, path, p.name, func(e *Value, ep string) bool {
			if !c.wantKind(e, Object, ep, p.name) {
				return false
			}
			c.checkObject(e, ep, killChainPhase)
			return true
		})
	case kHashes:
		ok = c.checkHashes(v, path, p.name)
	case kDict:
		ok = c.checkDict(v, path, p.name)
	case kBinary:
		if ok = c.wantKind(v, String, path, p.name); ok && !validBinary(v.Str) {
			c.errorf(path, "binary", "property %q must be base64-encoded binary data (RFC 4648, padded, no line breaks)", p.name)
			ok = false
		}
	case kHex:
		if ok = c.wantKind(v, String, path, p.name); ok && !validHex(v.Str) {
			c.errorf(path, "hex", "property %q must be a hexadecimal string of an even number of digits", p.name)
			ok = false
		}
	case kObject:
		if ok = c.wantKind(v, Object, path, p.name); ok {
			c.checkObject(v, path, p.sub)
		}
	case kObjectList:
		ok = c.wantList(v, path, p.name, func(e *Value, ep string) bool {
			if !c.wantKind(e, Object, ep, p.name) {
				return false
			}
			c.checkObject(e, ep, p.sub)
			return true
		})
	}
	if ok && p.check != nil {
		p.check(c, v, path)
	}
}

// checkObject checks a nested object against its property definitions;
// nested objects take no custom properties.
func (c *checker) checkObject(o *Value, path string, defs []prop) {
	for _, name := range c.checkProps(o, path, defs) {
		c.customProperty(o, path, name)
	}
}

// wantKind records an error unless v is of kind k.
func (c *checker) wantKind(v *Value, k Kind, path, name string) bool {
	if v.Kind != k {
		c.errorf(path, "type", "property %q must be a %s, not a %s", name, k, v.Kind)
		return false
	}
	return true
}

// wantList checks that v is a non-empty list and runs each on every element.
func (c *checker) wantList(v *Value, path, name string, each func(e *Value, path string) bool) bool {
	if !c.wantKind(v, Array, path, name) {
		return false
	}
	if len(v.Elems) == 0 {
		c.errorf(path, "empty-list", "property %q must not be an empty list; omit it instead", name)
		return false
	}
	ok := true
	for i := range v.Elems {
		if !each(&v.Elems[i], indexPath(path, i)) {
			ok = false
		}
	}
	return ok
}

// checkTimestamp checks a STIX timestamp; millis demands at least
// millisecond precision (created and modified).
func (c *checker) checkTimestamp(v *Value, path, name string, millis bool) bool {
	if !c.wantKind(v, String, path, name) {
		return false
	}
	_, frac, err := ParseTimestamp(v.Str)
	if err != nil {
		c.errorf(path, "timestamp-format", "property %q is not a STIX timestamp (RFC 3339, UTC, e.g. 2016-05-12T08:17:27.000Z): %s: %v", name, quote(v.Str), err)
		return false
	}
	if millis && frac < 3 {
		c.errorf(path, "timestamp-millis", "property %q must be precise to the millisecond (at least 3 fractional digits): %s", name, quote(v.Str))
		return false
	}
	return true
}

// checkNumber checks integers and floats and their range.
func (c *checker) checkNumber(p *prop, v *Value, path string, integer bool) bool {
	if !c.wantKind(v, Number, path, p.name) {
		return false
	}
	f, err := strconv.ParseFloat(v.Str, 64)
	if err != nil || math.IsInf(f, 0) {
		c.errorf(path, "number", "property %q is out of the representable range", p.name)
		return false
	}
	if integer && (strings.ContainsAny(v.Str, ".eE") || f != math.Trunc(f)) {
		c.errorf(path, "integer", "property %q must be an integer, not %s", p.name, v.Str)
		return false
	}
	if p.hasRange && (f < p.min || f > p.max) {
		c.errorf(path, "range", "property %q must be between %s and %s, not %s", p.name, fmtNum(p.min), fmtNum(p.max), v.Str)
		return false
	}
	return true
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// checkRef checks an identifier and that it names an allowed type.
func (c *checker) checkRef(v *Value, path, name string, refs []string) bool {
	if !c.wantKind(v, String, path, name) {
		return false
	}
	typ, _, err := ParseID(v.Str)
	if err != nil {
		c.errorf(path, "identifier", "property %q must be a STIX identifier: %s: %v", name, quote(v.Str), err)
		return false
	}
	if refs != nil && !refAllowed(refs, typ) {
		c.errorf(path, "ref-type", "property %q must refer to %s, not to a %q object", name, refsText(refs), typ)
		return false
	}
	return true
}

// Pseudo types usable in prop.refs for whole classes of targets.
const (
	refAnySDO = "<SDO>"
	refAnySCO = "<SCO>"
	refAnySRO = "<SRO>"
)

// refsText renders allowed reference targets for a message.
func refsText(refs []string) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		switch r {
		case refAnySDO:
			r = "a domain object (SDO)"
		case refAnySCO:
			r = "a cyber-observable object (SCO)"
		case refAnySRO:
			r = "a relationship or sighting (SRO)"
		}
		names[i] = r
	}
	return strings.Join(names, " or ")
}

// refAllowed reports whether typ is among refs, where refs may name classes
// (refAnySDO...) and custom types (x- prefixed) count as SDOs or SCOs. A
// bundle is not a STIX object and matches no class.
func refAllowed(refs []string, typ string) bool {
	if slices.Contains(refs, typ) {
		return true
	}
	if typ == "bundle" {
		return false
	}
	d, known := registry[typ]
	for _, r := range refs {
		switch r {
		case refAnySDO:
			if known && d.class == classSDO || !known {
				return true
			}
		case refAnySCO:
			if known && d.class == classSCO || !known {
				return true
			}
		case refAnySRO:
			if known && d.class == classSRO {
				return true
			}
		}
	}
	return false
}

// checkVocab checks a vocabulary or enumeration value.
func (c *checker) checkVocab(p *prop, v *Value, path string) bool {
	if !c.wantKind(v, String, path, p.name) {
		return false
	}
	if slices.Contains(p.vocab, v.Str) {
		return true
	}
	if p.kind == kEnum || p.kind == kEnumList {
		c.errorf(path, "enum", "property %q must be one of %s, not %s", p.name, strings.Join(p.vocab, ", "), quote(v.Str))
		return false
	}
	c.warnf(path, "vocab", "property %q should be one of %s, not %s", p.name, strings.Join(p.vocab, ", "), quote(v.Str))
	return true
}

// checkDict checks a dictionary: an object with conformant keys.
func (c *checker) checkDict(v *Value, path, name string) bool {
	if !c.wantKind(v, Object, path, name) {
		return false
	}
	if len(v.Members) == 0 {
		c.errorf(path, "empty-dict", "dictionary %q must not be empty; omit it instead", name)
		return false
	}
	ok := true
	for _, m := range v.Members {
		if !validDictKey(m.Name) {
			c.errorf(joinPath(path, m.Name), "dict-key", "dictionary key %s must be 1-250 ASCII letters, digits, '-' or '_'", quote(m.Name))
			ok = false
		}
	}
	return ok
}

func validDictKey(k string) bool {
	if len(k) < 1 || len(k) > 250 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// validHex reports whether s is of the STIX hex type: a non-empty, even
// number of hexadecimal digits.
func validHex(s string) bool { return s != "" && len(s)%2 == 0 && isHex(s) }

// validBinary reports whether s is of the STIX binary type: non-empty
// padded base64 (RFC 4648 section 4) without the line breaks the Go decoder
// would skip.
func validBinary(s string) bool {
	if s == "" || strings.ContainsAny(s, "\r\n") {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if hexVal(s[i]) == 255 {
			return false
		}
	}
	return true
}

// killChainPhase is the kill-chain-phase object.
var killChainPhase = []prop{
	{name: "kill_chain_name", kind: kString, required: true, check: lowerHyphen},
	{name: "phase_name", kind: kString, required: true, check: lowerHyphen},
}

// lowerHyphen warns when a string is not lower case with hyphens, as the
// spec recommends for kill chain and phase names.
func lowerHyphen(c *checker, v *Value, path string) {
	if strings.ToLower(v.Str) != v.Str || strings.ContainsAny(v.Str, " _") {
		c.warnf(path, "kill-chain-case", "should be all lower case with hyphens between words: %s", quote(v.Str))
	}
}
