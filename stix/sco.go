package stix

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds what the cyber-observable (SCO) definitions in
// sco_*.go share: the rules that demand at least one
// of several properties, and the format checks of observable values.

// Reference targets shared by several SCO properties.
var (
	refsAnySCO       = []string{refAnySCO}
	refsFileOrDir    = []string{"file", "directory"}
	refsEmailAddr    = []string{"email-addr"}
	refsArtifact     = []string{"artifact"}
	refsUserAccount  = []string{"user-account"}
	refsNetTraffic   = []string{"network-traffic"}
	refsNetEndpoint  = []string{"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"}
	refsProcess      = []string{"process"}
	refsFile         = []string{"file"}
	refsArtifactFile = []string{"artifact", "file"}
)

// scoExtAnyOf lists, for the predefined SCO extensions that have no required
// property, the properties of which an extension must have at least one. It
// is filled by the init functions that register the extensions.
var scoExtAnyOf = map[string]anyOfRule{}

// anyOfRule is a precomputed "at least one of" rule: the names and the
// message text listing them.
type anyOfRule struct {
	names []string
	list  string // `"a", "b" or "c"`
}

func newAnyOf(names ...string) anyOfRule {
	return anyOfRule{names: names, list: orList(names)}
}

// propNames returns the names of props other than those in except.
func propNames(props []prop, except ...string) []string {
	var names []string
	for _, p := range props {
		if !slices.Contains(except, p.name) {
			names = append(names, p.name)
		}
	}
	return names
}

// orList renders names as `"a", "b" or "c"`.
func orList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(`"` + n + `"`)
	}
	return b.String()
}

// has reports whether o has at least one of the rule's properties.
func (r anyOfRule) has(o *Value) bool {
	for i := range o.Members {
		if slices.Contains(r.names, o.Members[i].Name) {
			return true
		}
	}
	return false
}

// requireAnyOf records an error at path unless o has one of the rule's
// properties; what names the object in the message ("a file", "extension
// \"ntfs-ext\"").
func (c *checker) requireAnyOf(o *Value, path, what string, r anyOfRule) {
	if !r.has(o) {
		c.errorf(path, "at-least-one", "%s needs at least one of %s", what, r.list)
	}
}

// anyOfCheck returns a prop.check for a nested object (or each object of a
// list of them) that must have at least one of names.
func anyOfCheck(what string, names ...string) func(c *checker, v *Value, path string) {
	r := newAnyOf(names...)
	return func(c *checker, v *Value, path string) {
		if v.Kind == Array {
			for i := range v.Elems {
				if v.Elems[i].Kind == Object {
					c.requireAnyOf(&v.Elems[i], indexPath(path, i), what, r)
				}
			}
			return
		}
		c.requireAnyOf(v, path, what, r)
	}
}

// checkSCOExtensions applies the at-least-one rules of the predefined
// extensions present in the SCO o.
func (c *checker) checkSCOExtensions(o *Value, path string) {
	ext := o.Get("extensions")
	if ext == nil || ext.Kind != Object {
		return
	}
	for i := range ext.Members {
		m := &ext.Members[i]
		r, ok := scoExtAnyOf[m.Name]
		if !ok || m.Value.Kind != Object || len(m.Value.Members) == 0 {
			continue // empty extensions are reported by extensionsShape
		}
		c.requireAnyOf(&m.Value, joinPath(joinPath(path, "extensions"), m.Name), "extension "+quote(m.Name), r)
	}
}

// requireOwnProperty records an error unless o has at least one of the
// properties its type defines (besides the common ones), or an extension
// when withExt is set: the rule of process, user-account,
// windows-registry-key and x509-certificate.
func (c *checker) requireOwnProperty(o *Value, path string, r anyOfRule, withExt bool) {
	if r.has(o) {
		return
	}
	if withExt {
		if ext := o.Get("extensions"); ext != nil && ext.Kind == Object && len(ext.Members) > 0 {
			return
		}
		c.errorf(path, "at-least-one", "a %s object needs at least one of its own properties (%s) or an extension", o.GetString("type"), r.list)
		return
	}
	c.errorf(path, "at-least-one", "a %s object needs at least one of its own properties (%s)", o.GetString("type"), r.list)
}

// propName returns the property name at the end of path, without a trailing
// list index.
func propName(path string) string {
	for strings.HasSuffix(path, "]") {
		i := strings.LastIndexByte(path, '[')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return path[strings.LastIndexByte(path, '.')+1:]
}

// dictValues returns a prop.check for a dictionary whose values must each
// satisfy ok; want describes the allowed values for the message.
func dictValues(want string, ok func(v *Value) bool) func(c *checker, v *Value, path string) {
	return func(c *checker, v *Value, path string) {
		for i := range v.Members {
			m := &v.Members[i]
			if !ok(&m.Value) {
				c.errorf(joinPath(path, m.Name), "dict-value", "the value of %s in %q must be %s, not %s", quote(m.Name), propName(path), want, aKind(m.Value.Kind))
			}
		}
	}
}

// aKind names a JSON kind with its article: "an array", "a string".
func aKind(k Kind) string {
	if k == Array || k == Object {
		return "an " + k.String()
	}
	return "a " + k.String()
}

func isStr(v *Value) bool { return v.Kind == String }

func isInt(v *Value) bool {
	return v.Kind == Number && !strings.ContainsAny(v.Str, ".eE")
}

func isStrOrInt(v *Value) bool { return isStr(v) || isInt(v) }

// isStrOrStrs accepts a string or a non-empty list of strings, the
// two forms header fields take in practice (the specification's examples
// use strings, its JSON schema lists).
func isStrOrStrs(v *Value) bool {
	if v.Kind == String {
		return true
	}
	if v.Kind != Array || len(v.Elems) == 0 {
		return false
	}
	for i := range v.Elems {
		if v.Elems[i].Kind != String {
			return false
		}
	}
	return true
}

// isDefanged reports whether an SCO says its values have been defanged
// (e.g. "hxxp://example[.]com"): their formats are then not checked, as
// defanging breaks them on purpose.
func isDefanged(o *Value) bool {
	d := o.Get("defanged")
	return d != nil && d.Kind == Bool && d.Bool
}

// formatCheck returns a typeDef.check that applies check to the string
// property name unless the object is defanged.
func formatCheck(name string, check func(c *checker, v *Value, path string)) func(c *checker, o *Value, path string) {
	return func(c *checker, o *Value, path string) {
		if isDefanged(o) {
			return
		}
		if v := o.Get(name); v != nil && v.Kind == String {
			check(c, v, joinPath(path, name))
		}
	}
}

// ipv4Value checks an IPv4 address or CIDR block.
func ipv4Value(c *checker, v *Value, path string) {
	if !validIP(v.Str, true) {
		c.errorf(path, "ip-address", `property %q must be an IPv4 address or CIDR block such as "198.51.100.3" or "198.51.100.0/24", not %s`, propName(path), quote(v.Str))
	}
}

// ipv6Value checks an IPv6 address or CIDR block.
func ipv6Value(c *checker, v *Value, path string) {
	if !validIP(v.Str, false) {
		c.errorf(path, "ip-address", `property %q must be an IPv6 address or CIDR block such as "2001:db8::1" or "2001:db8::/32", not %s`, propName(path), quote(v.Str))
	}
}

func validIP(s string, v4 bool) bool {
	var a netip.Addr
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return false
		}
		a = p.Addr()
	} else {
		var err error
		if a, err = netip.ParseAddr(s); err != nil {
			return false
		}
	}
	if v4 {
		return a.Is4()
	}
	return a.Is6()
}

// macValue checks a MAC-48 address: lower case, colon-delimited, two hex
// digits per octet.
func macValue(c *checker, v *Value, path string) {
	if !validMAC(v.Str) {
		c.errorf(path, "mac-address", `property %q must be a colon-delimited, lower-case MAC-48 address with two digits per octet, such as "00:1a:2b:3c:4d:5e", not %s`, propName(path), quote(v.Str))
	}
}

func validMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		ch := s[i]
		if i%3 == 2 {
			if ch != ':' {
				return false
			}
		} else if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f') {
			return false
		}
	}
	return true
}

// domainNameValue checks a domain name (RFC 1034, internationalized names
// per RFC 5890): dot-separated non-empty labels of letters, digits, hyphens
// and underscores (found in service names such as _dmarc), or non-ASCII
// letters; an optional final dot; ASCII labels of at most 63 and names of at
// most 253 characters.
func domainNameValue(c *checker, v *Value, path string) {
	if why := domainNameProblem(v.Str); why != "" {
		c.errorf(path, "domain-name", "property %q must be a domain name such as \"example.com\": %s %s", propName(path), quote(v.Str), why)
	}
}

func domainNameProblem(s string) string {
	name := strings.TrimSuffix(s, ".")
	if name == "" {
		return "is empty"
	}
	ascii := true
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return "has an empty label"
		}
		labelASCII := true
		for _, r := range label {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			case r >= utf8.RuneSelf && r != utf8.RuneError && !unicode.IsSpace(r) && !unicode.IsControl(r) && r != '\u3002' && r != '\uff0e' && r != '\uff61':
				labelASCII = false
			default:
				return "contains the character " + quote(string(r))
			}
		}
		if labelASCII && len(label) > 63 {
			return "has a label longer than 63 characters"
		}
		ascii = ascii && labelASCII
	}
	if ascii && len(name) > 253 {
		return "is longer than 253 characters"
	}
	return ""
}

// emailAddrValue checks a single addr-spec (RFC 5322, with RFC 6531 UTF-8):
// local@domain, without a display name.
func emailAddrValue(c *checker, v *Value, path string) {
	if why := emailAddrProblem(v.Str); why != "" {
		c.errorf(path, "email-address", "property %q must be a single email address without a display name, such as \"jdoe@example.com\": %s %s", propName(path), quote(v.Str), why)
	}
}

func emailAddrProblem(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "has no @"
	}
	local, domain := s[:at], s[at+1:]
	if local == "" {
		return "has nothing before the @"
	}
	if domain == "" {
		return "has nothing after the @"
	}
	if !(len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"') {
		if r, bad := findAddrSpecial(local); bad {
			return "contains " + quote(string(r)) + " before the @"
		}
	}
	if !(domain[0] == '[' && domain[len(domain)-1] == ']') {
		if r, bad := findAddrSpecial(domain); bad {
			return "contains " + quote(string(r)) + " after the @"
		}
	}
	return ""
}

// findAddrSpecial returns the first character of s not allowed unquoted in
// an address: white space, control characters and RFC 5322 specials.
func findAddrSpecial(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError || strings.ContainsRune(`<>()[],;:@"\`, r) {
			return r, true
		}
	}
	return 0, false
}

// urlValue checks that a string parses as an RFC 3986 URL with a scheme.
func urlValue(c *checker, v *Value, path string) {
	u, err := url.Parse(v.Str)
	if err != nil || u.Scheme == "" || (u.Opaque == "" && u.Host == "" && u.Path == "") {
		c.errorf(path, "url", `property %q must be a URL with a scheme, such as "https://example.com/a", not %s`, propName(path), quote(v.Str))
	}
}

// charsetValue checks a character set name such as "UTF-8" or
// "ISO-8859-1": the value MUST be a name from the IANA character set
// registry, whose names use only these characters.
func charsetValue(c *checker, v *Value, path string) {
	ok := len(v.Str) >= 2 && len(v.Str) <= 250
	for i := 0; ok && i < len(v.Str); i++ {
		ch := v.Str[i]
		ok = ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("/.+_:()-", ch) >= 0
	}
	if !ok {
		c.errorf(path, "charset", `property %q must be an IANA character set name such as "UTF-8", not %s`, propName(path), quote(v.Str))
	}
}

// mimeTopLevel are the top-level media types of the IANA registry.
var mimeTopLevel = []string{"application", "audio", "font", "example", "haptics", "image", "message", "model", "multipart", "text", "video"}

// mimeTypeValue warns when a media type is not of the IANA form
// type/subtype: the specification says it SHOULD come from the IANA
// registry.
func mimeTypeValue(c *checker, v *Value, path string) {
	s := v.Str
	slash := strings.IndexByte(s, '/')
	ok := slash > 0 && slices.Contains(mimeTopLevel, strings.ToLower(s[:slash]))
	if ok {
		sub := s[slash+1:]
		if semi := strings.IndexByte(sub, ';'); semi >= 0 {
			sub = sub[:semi]
		}
		ok = sub != ""
		for i := 0; ok && i < len(sub); i++ {
			ch := sub[i]
			ok = ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("!#$&^_.+-", ch) >= 0
		}
	}
	if !ok {
		c.warnf(path, "mime-type", `property %q should be an IANA media type such as "application/pdf", not %s`, propName(path), quote(s))
	}
}
