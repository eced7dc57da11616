package observable

import (
	"encoding/hex"
	"errors"

	"github.com/tearline/tearline/stix/pattern"
)

// FromObject returns the observables of a stored STIX object, normalized,
// each once, in the order found:
//
//   - from cyber-observable objects: the value of ipv4-addr, ipv6-addr,
//     domain-name, url, email-addr and mac-addr; the hashes of file,
//     artifact and x509-certificate (hash-algorithm-ov names, see
//     HashKind);
//   - from an indicator whose pattern_type is "stix": every comparison
//     with = or IN, not negated, on those paths ("[ipv4-addr:value =
//     '1.2.3.4']", "[file:hashes.'SHA-256' = '...']", "[url:value IN
//     ('a', 'b')]"), ISSUBSET on ipv4-addr:value and ipv6-addr:value (a
//     CIDR block), and = or IN on the value of referenced objects whose
//     kind follows from the path or the value: network-traffic src_ref
//     and dst_ref (an address, domain or MAC), domain-name
//     resolves_to_refs[*] (an address or domain), ipv4-addr and ipv6-addr
//     resolves_to_refs[*] (a MAC), and email-message from_ref,
//     sender_ref, to_refs[*], cc_refs[*] and bcc_refs[*] (an e-mail
//     address). Hash comparisons may use hex (h'...') or binary (b'...')
//     constants. Observation operators and qualifiers do not matter:
//     every such comparison of the pattern counts.
//
// Values that do not normalize are skipped; other objects have none. The
// error is for raw that is not a JSON object, or an indicator pattern that
// does not parse (its *pattern.Error).
func FromObject(raw []byte) ([]Observable, error) {
	var typ, value, patternType, pat []byte
	var hashes []byte
	err := members(raw, func(name, v []byte) {
		switch {
		case nameIs(name, "type"):
			typ = v
		case nameIs(name, "value"):
			value = v
		case nameIs(name, "hashes"):
			hashes = v
		case nameIs(name, "pattern_type"):
			patternType = v
		case nameIs(name, "pattern"):
			pat = v
		}
	})
	if err != nil {
		return nil, err
	}
	var x extractor
	switch t, _ := stringValue(typ); t {
	case "ipv4-addr":
		x.addRaw(IPv4, value)
	case "ipv6-addr":
		x.addRaw(IPv6, value)
	case "domain-name":
		x.addRaw(Domain, value)
	case "url":
		x.addRaw(URL, value)
	case "email-addr":
		x.addRaw(Email, value)
	case "mac-addr":
		x.addRaw(MAC, value)
	case "file", "artifact", "x509-certificate":
		if len(hashes) > 0 && hashes[0] == '{' {
			if err := members(hashes, func(name, v []byte) {
				if k, ok := HashKind(string(name)); ok {
					x.addRaw(k, v)
				}
			}); err != nil {
				return nil, err
			}
		}
	case "indicator":
		if pt, _ := stringValue(patternType); pt != "stix" {
			break
		}
		ps, ok := stringValue(pat)
		if !ok {
			return nil, errors.New("observable: the indicator's pattern is not a string")
		}
		p, err := pattern.Parse(ps)
		if err != nil {
			return nil, err
		}
		x.obs(p.Expr)
	}
	return x.out, nil
}

// extractor gathers the observables of one object.
type extractor struct {
	out []Observable
}

// addRaw adds a raw JSON string value.
func (x *extractor) addRaw(k Kind, raw []byte) {
	if s, ok := stringValue(raw); ok {
		x.add(k, s)
	}
}

// add normalizes value as kind k and adds it unless it is there already
// or does not normalize.
func (x *extractor) add(k Kind, value string) {
	if value == "" {
		return
	}
	o, err := Normalize(k, value)
	if err != nil {
		return
	}
	for _, p := range x.out {
		if p == o {
			return
		}
	}
	x.out = append(x.out, o)
}

func (x *extractor) obs(e pattern.ObsExpr) {
	switch e := e.(type) {
	case *pattern.Observation:
		x.comp(e.Comp)
	case *pattern.Compound:
		for _, s := range e.Exprs {
			x.obs(s)
		}
	case *pattern.Qualified:
		x.obs(e.Expr)
	}
}

func (x *extractor) comp(c pattern.CompExpr) {
	switch c := c.(type) {
	case *pattern.BoolExpr:
		for _, s := range c.Comps {
			x.comp(s)
		}
	case *pattern.Comparison:
		x.comparison(c)
	}
}

// Sets of kinds a referenced object's value may have.
const (
	anyAddress = iota + 1 // ipv4, ipv6, domain or mac
	ipOrDomain            // ipv4, ipv6 or domain
)

func (x *extractor) comparison(c *pattern.Comparison) {
	if c.Not {
		return
	}
	k, refs := pathKind(c.ObjectType, c.Path)
	if k == 0 && refs == 0 {
		return
	}
	switch c.Op {
	case pattern.OpEqual:
		x.literal(k, refs, c.Value)
	case pattern.OpIn:
		for _, l := range c.Value.List {
			x.literal(k, refs, l)
		}
	case pattern.OpIsSubset:
		if k == IPv4 || k == IPv6 {
			x.literal(k, 0, c.Value)
		}
	}
}

// literal adds the value of a constant compared with a path of kind k, or
// of one of the kinds of refs.
func (x *extractor) literal(k Kind, refs int, l pattern.Literal) {
	var s string
	switch l.Kind {
	case pattern.StringLit:
		s = l.Str
	case pattern.HexLit, pattern.BinaryLit:
		if !k.IsHash() || k == SSDEEP {
			return
		}
		s = hex.EncodeToString(l.Bytes)
	default:
		return
	}
	if refs != 0 {
		d, ok := Detect(s)
		switch {
		case !ok:
			return
		case d == IPv4 || d == IPv6 || d == Domain:
		case d == MAC && refs == anyAddress:
		default:
			return
		}
		k = d
	}
	x.add(k, s)
}

// pathKind returns the kind of the values at an object path, or the set of
// kinds that a referenced object's value may have; zeros for paths that
// hold no observable.
func pathKind(typ string, path []pattern.Step) (Kind, int) {
	key := func(i int, name string) bool {
		return i < len(path) && path[i].Kind == pattern.StepKey && path[i].Key == name
	}
	anyItem := func(i int) bool {
		return i < len(path) && (path[i].Kind == pattern.StepAnyIndex || path[i].Kind == pattern.StepIndex)
	}
	value := func(i int) bool { return len(path) == i+1 && key(i, "value") }
	switch typ {
	case "ipv4-addr", "ipv6-addr":
		switch {
		case value(0):
			if typ == "ipv4-addr" {
				return IPv4, 0
			}
			return IPv6, 0
		case key(0, "resolves_to_refs") && anyItem(1) && value(2):
			return MAC, 0
		}
	case "domain-name":
		switch {
		case value(0):
			return Domain, 0
		case key(0, "resolves_to_refs") && anyItem(1) && value(2):
			return 0, ipOrDomain
		}
	case "url":
		if value(0) {
			return URL, 0
		}
	case "email-addr":
		if value(0) {
			return Email, 0
		}
	case "mac-addr":
		if value(0) {
			return MAC, 0
		}
	case "file", "artifact", "x509-certificate":
		if len(path) == 2 && key(0, "hashes") && path[1].Kind == pattern.StepKey {
			if k, ok := HashKind(path[1].Key); ok {
				return k, 0
			}
		}
	case "network-traffic":
		if (key(0, "src_ref") || key(0, "dst_ref")) && value(1) {
			return 0, anyAddress
		}
	case "email-message":
		switch {
		case (key(0, "from_ref") || key(0, "sender_ref")) && value(1):
			return Email, 0
		case (key(0, "to_refs") || key(0, "cc_refs") || key(0, "bcc_refs")) && anyItem(1) && value(2):
			return Email, 0
		}
	}
	return 0, 0
}
