package pattern

import (
	"net/netip"
	"regexp/syntax"
	"slices"
	"strings"
)

// check applies the rules of one comparison beyond the grammar: the object
// path against the Schema, and the constants of MATCHES, ISSUBSET and
// ISSUPERSET. valPos is where the constant starts.
func (p *parser) check(c *Comparison, valPos int) {
	var r Resolution
	resolved := p.schema != nil
	if resolved {
		r = p.schema.Resolve(c.ObjectType, c.Path)
		if r.Problem != "" {
			pos := p.typePos
			if r.Bad >= 0 && r.Bad < len(p.stepPos) {
				pos = p.stepPos[r.Bad]
			}
			p.fail(pos, r.Problem)
		}
		if c.Op != OpExists {
			switch r.Kind {
			case PropList:
				p.fail(p.typePos, pathText(c)+" is a list: compare its items with [*] or an index such as [0]")
			case PropObject:
				p.fail(p.typePos, pathText(c)+" is an object: compare one of its properties, or test it with EXISTS")
			case PropDictionary:
				p.fail(p.typePos, pathText(c)+" is a dictionary: compare one of its values by key, such as "+pathText(c)+".key, or test it with EXISTS")
			}
		}
	}
	switch c.Op {
	case OpMatches:
		// The matcher runs MATCHES with Go's regexp (RE2, linear time) in
		// DOTALL mode, as the specification requires.
		if _, err := syntax.Parse(c.Value.Str, syntax.Perl|syntax.DotNL); err != nil {
			p.fail(valPos, "MATCHES needs a regular expression that Go's RE2 engine accepts "+
				"(STIX names PCRE, whose backreferences and lookaround RE2 lacks): "+err.Error())
		}
	case OpIsSubset, OpIsSuperset:
		p.checkIPSet(c, r, resolved, valPos)
	}
}

// checkIPSet checks ISSUBSET and ISSUPERSET: the path is the value of an
// ipv4-addr or ipv6-addr (possibly through a reference), and the constant
// an address or CIDR block of a version that object holds.
func (p *parser) checkIPSet(c *Comparison, r Resolution, resolved bool, valPos int) {
	op := c.Op.String()
	last := c.Path[len(c.Path)-1]
	v4, v6 := true, true // the address versions the path may hold
	custom := strings.HasPrefix(c.ObjectType, "x-")
	switch {
	case last.Kind != StepKey || last.Key != "value":
		v4, v6 = false, false
	case resolved && r.Types != nil:
		v4, v6 = slices.Contains(r.Types, "ipv4-addr"), slices.Contains(r.Types, "ipv6-addr")
	case len(c.Path) == 1 && !custom:
		v4, v6 = c.ObjectType == "ipv4-addr", c.ObjectType == "ipv6-addr"
	}
	if !v4 && !v6 {
		p.fail(p.typePos, op+" compares IP addresses: its left side must be the value of an ipv4-addr or ipv6-addr object, "+
			"such as ipv4-addr:value or network-traffic:dst_ref.value, not "+pathText(c))
	}
	s := c.Value.Str
	var addr netip.Addr
	if strings.IndexByte(s, '/') >= 0 {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			p.fail(valPos, op+" needs an IP address or CIDR block such as '198.51.100.0/24', not "+string(appendString(nil, truncate(s, 60))))
		}
		addr = pfx.Addr()
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			p.fail(valPos, op+" needs an IP address or CIDR block such as '198.51.100.0/24', not "+string(appendString(nil, truncate(s, 60))))
		}
		addr = a
	}
	switch {
	case addr.Is4() && !v4:
		p.fail(valPos, string(appendString(nil, s))+" is an IPv4 address or block, but "+pathText(c)+" holds IPv6 addresses")
	case addr.Is6() && !v6:
		p.fail(valPos, string(appendString(nil, s))+" is an IPv6 address or block, but "+pathText(c)+" holds IPv4 addresses")
	}
}

// pathText writes the object path of c for a message.
func pathText(c *Comparison) string {
	return FormatPath(c.ObjectType, c.Path)
}
