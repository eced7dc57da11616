package match

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/stix/pattern"
)

// comp is a compiled comparison: the parsed one, with what evaluating it
// needs prepared (the regular expression, the LIKE pattern, the CIDR
// block, the constant normalized for each observable kind it may meet).
type comp struct {
	*pattern.Comparison
	re   *regexp.Regexp
	like likePattern
	pfx  netip.Prefix
	norm []normLit // the constant (or the IN constants) normalized per kind
}

// normLit is a string constant normalized as one observable kind.
type normLit struct {
	kind observable.Kind
	in   int // index of the IN constant, 0 otherwise
	val  string
}

// cnode is a compiled comparison expression: a comparison (c set) or AND
// or OR of kids.
type cnode struct {
	op   pattern.BoolOp // 0 for a comparison
	c    *comp
	kids []cnode
}

// evalObs reports whether the comparison expression holds for some object
// of the observation: comparisons joined by AND must hold for one object
// (STIX 2.1 section 9.5), those joined by OR for any.
func (n *cnode) evalObs(obs *Observation) bool {
	for i := range obs.Objects {
		if n.evalObject(obs, i) {
			return true
		}
	}
	return false
}

// evalObject reports whether the expression holds for object oi.
func (n *cnode) evalObject(obs *Observation, oi int) bool {
	switch n.op {
	case pattern.BoolAnd:
		for i := range n.kids {
			if !n.kids[i].evalObject(obs, oi) {
				return false
			}
		}
		return true
	case pattern.BoolOr:
		for i := range n.kids {
			if n.kids[i].evalObject(obs, oi) {
				return true
			}
		}
		return false
	}
	c := n.c
	if obs.Objects[oi].Type != c.ObjectType {
		return false
	}
	return walk(obs, oi, c.Path, c)
}

// visit reports whether one value the path reached satisfies the
// comparison; the walk stops at the first that does.
func (c *comp) visit(v Value, owner string, rel []pattern.Step) bool {
	if c.Op == pattern.OpExists {
		return true
	}
	res, ok := c.test(v, owner, rel)
	if !ok {
		// A value of another type than the constant is neither equal nor
		// unequal, less nor greater: no operator, negated or not, holds.
		return false
	}
	return res != c.Not
}

// test applies the operator (without NOT) to one value; ok is false when
// the value cannot be compared with the constant.
func (c *comp) test(v Value, owner string, rel []pattern.Step) (res, ok bool) {
	switch c.Op {
	case pattern.OpEqual:
		return c.equal(c.Value, 0, v, owner, rel)
	case pattern.OpNotEqual:
		eq, ok := c.equal(c.Value, 0, v, owner, rel)
		return !eq, ok
	case pattern.OpIn:
		any := false
		for i, l := range c.Value.List {
			eq, ok := c.equal(l, i, v, owner, rel)
			if ok {
				any = true
				if eq {
					return true, true
				}
			}
		}
		return false, any
	case pattern.OpGreater, pattern.OpGreaterEqual, pattern.OpLess, pattern.OpLessEqual:
		d, ok := order(v, c.Value)
		if !ok {
			return false, false
		}
		switch c.Op {
		case pattern.OpGreater:
			return d > 0, true
		case pattern.OpGreaterEqual:
			return d >= 0, true
		case pattern.OpLess:
			return d < 0, true
		}
		return d <= 0, true
	case pattern.OpLike:
		if v.Kind != KindString {
			return false, false
		}
		return likeMatch(c.like, v.Str), true
	case pattern.OpMatches:
		if v.Kind != KindString {
			return false, false
		}
		if isBinaryProp(rel) {
			// A binary property is matched as its bytes (STIX 2.1 section
			// 9.6.1), each byte read as the character of that code point,
			// so that \xd4 in the expression matches the byte 0xd4.
			if b, ok := binaryOf(v.Str, rel, 0); ok {
				return c.re.MatchString(latin1(b)), true
			}
		}
		return c.re.MatchString(v.Str), true
	case pattern.OpIsSubset, pattern.OpIsSuperset:
		if v.Kind != KindString {
			return false, false
		}
		p, ok := parsePrefix(v.Str)
		if !ok || p.Addr().Is4() != c.pfx.Addr().Is4() {
			return false, false
		}
		if c.Op == pattern.OpIsSubset {
			return c.pfx.Bits() <= p.Bits() && c.pfx.Contains(p.Addr()), true
		}
		return p.Bits() <= c.pfx.Bits() && p.Contains(c.pfx.Addr()), true
	}
	return false, false
}

// equal compares value v with constant l (the in-th of an IN list);
// strings that are observables of a known kind compare in normalized
// form.
func (c *comp) equal(l pattern.Literal, in int, v Value, owner string, rel []pattern.Step) (eq, ok bool) {
	switch l.Kind {
	case pattern.StringLit:
		if v.Kind != KindString {
			return false, false
		}
		if k := kindOf(owner, rel); k != 0 {
			lit, lok := c.normalized(k, in, l.Str)
			if o, err := observable.Normalize(k, v.Str); err == nil && lok {
				return o.Value == lit, true
			}
		}
		return v.Str == l.Str, true
	case pattern.IntLit, pattern.FloatLit:
		d, ok := order(v, l)
		return d == 0, ok
	case pattern.BoolLit:
		if v.Kind != KindBool {
			return false, false
		}
		return (v.Num == 1) == l.Bool, true
	case pattern.TimestampLit:
		d, ok := order(v, l)
		return d == 0, ok
	case pattern.HexLit, pattern.BinaryLit:
		if v.Kind != KindString {
			return false, false
		}
		b, ok := binaryOf(v.Str, rel, l.Kind)
		if !ok {
			// The native format comparison (STIX 2.1 section 9.6.4):
			// a constant and a property both in their text form.
			return false, false
		}
		return bytes.Equal(b, l.Bytes), true
	}
	return false, false
}

// normalized returns the string constant (the in-th of an IN list)
// normalized as kind k: prepared at compile time, or computed now.
func (c *comp) normalized(k observable.Kind, in int, s string) (string, bool) {
	for _, n := range c.norm {
		if n.kind == k && n.in == in {
			return n.val, true
		}
	}
	o, err := observable.Normalize(k, s)
	if err != nil {
		return "", false
	}
	return o.Value, true
}

// binaryOf decodes a binary or hex property's text: _hex properties as
// hex, _bin properties as base64, others as the constant's own form.
func binaryOf(s string, rel []pattern.Step, lk pattern.LitKind) ([]byte, bool) {
	name := ""
	if n := len(rel); n > 0 && rel[n-1].Kind == pattern.StepKey {
		name = rel[n-1].Key
	}
	useHex := strings.HasSuffix(name, "_hex") || !strings.HasSuffix(name, "_bin") && lk == pattern.HexLit
	if useHex {
		b, err := hex.DecodeString(s)
		return b, err == nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

// isBinaryProp reports whether the path ends at a binary (_bin) or hex
// (_hex) property.
func isBinaryProp(rel []pattern.Step) bool {
	n := len(rel)
	return n > 0 && rel[n-1].Kind == pattern.StepKey && (strings.HasSuffix(rel[n-1].Key, "_bin") || strings.HasSuffix(rel[n-1].Key, "_hex"))
}

// latin1 reads each byte as the character of that code point.
func latin1(b []byte) string {
	out := make([]rune, len(b))
	for i, c := range b {
		out[i] = rune(c)
	}
	return string(out)
}

// order compares value v with constant l: -1, 0 or +1. Numbers compare
// with numbers, strings with strings (byte order), timestamps with
// strings that hold RFC 3339 timestamps; ok is false otherwise.
func order(v Value, l pattern.Literal) (int, bool) {
	switch l.Kind {
	case pattern.IntLit:
		switch v.Kind {
		case KindInt:
			return cmp3(v.Num, l.Int), true
		case KindFloat:
			return cmpFloat(v.Float(), float64(l.Int)), true
		}
	case pattern.FloatLit:
		if v.Kind == KindInt || v.Kind == KindFloat {
			return cmpFloat(v.Float(), l.Float), true
		}
	case pattern.StringLit:
		if v.Kind == KindString {
			return strings.Compare(v.Str, l.Str), true
		}
	case pattern.TimestampLit:
		if v.Kind == KindString {
			t, err := time.Parse(time.RFC3339Nano, v.Str)
			if err != nil {
				return 0, false
			}
			return t.Compare(l.Time), true
		}
	}
	return 0, false
}

func cmp3(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parsePrefix reads an IP address or CIDR block as a masked prefix (an
// address is a prefix of its full length), IPv4-mapped IPv6 as IPv4.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') < 0 {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	p = p.Masked()
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p, true
}

// likePattern is a compiled LIKE pattern (STIX 2.1 section 9.6.1: %
// matches any sequence of characters, _ exactly one; there is no escape).
type likePattern []rune

// likeLiteral returns the longest literal part of a LIKE pattern, which
// every matching value contains.
func likeLiteral(p string) string {
	best := ""
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '%' || r == '_' }) {
		if len(part) > len(best) {
			best = part
		}
	}
	return best
}

// likeMatch reports whether s matches the whole pattern: the greedy
// wildcard algorithm, which backtracks only to the last %, so it takes at
// most len(p)*len(s) steps.
func likeMatch(p likePattern, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		r, n := utf8.DecodeRuneInString(s[si:])
		switch {
		case pi < len(p) && (p[pi] == '_' || p[pi] != '%' && p[pi] == r):
			pi++
			si += n
		case pi < len(p) && p[pi] == '%':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			_, m := utf8.DecodeRuneInString(s[mark:])
			mark += m
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}
