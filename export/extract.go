package export

import (
	"net/netip"
	"strings"

	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/stix/pattern"
)

// Kinds of observables the formats take.
const (
	kindIP     = "ip"     // an IPv4 or IPv6 address or CIDR block
	kindDomain = "domain" // a domain name
	kindURL    = "url"
	kindHash   = "hash" // a file hash; Algo says which
	kindEmail  = "email"
)

// Direction of an address in network traffic.
const (
	dirAny = iota // either end (ipv4-addr:value)
	dirSrc        // network-traffic:src_ref.value
	dirDst        // network-traffic:dst_ref.value
)

// item is one observable an indicator's pattern looks for.
type item struct {
	kind  string
	value string // normalized
	algo  string // kindHash: MD5, SHA-1, SHA-256...
	dir   int    // kindIP
}

// extract returns what a pattern looks for when a defensive measure can
// express it: one observation expression, no qualifiers, and comparisons
// joined by OR, each = or IN on the value of an address, domain name, URL
// or e-mail address, on a file hash, or ISSUBSET on an address; else it
// returns why not.
func extract(p *pattern.Pattern) ([]item, string) {
	var obs *pattern.Observation
	switch e := p.Expr.(type) {
	case *pattern.Observation:
		obs = e
	case *pattern.Qualified:
		return nil, "qualifiers (WITHIN, REPEATS, START/STOP) cannot be expressed"
	case *pattern.Compound:
		return nil, "observation operators (" + e.Op.String() + ") join several observations, which a list or rule cannot express"
	default:
		return nil, "unknown pattern expression"
	}
	var out []item
	var walk func(c pattern.CompExpr) string
	walk = func(c pattern.CompExpr) string {
		switch c := c.(type) {
		case *pattern.BoolExpr:
			if c.Op == pattern.BoolAnd {
				return "comparisons joined by AND cannot be expressed"
			}
			for _, k := range c.Comps {
				if r := walk(k); r != "" {
					return r
				}
			}
			return ""
		case *pattern.Comparison:
			items, r := comparison(c)
			out = append(out, items...)
			return r
		}
		return "unknown comparison expression"
	}
	if r := walk(obs.Comp); r != "" {
		return nil, r
	}
	return out, ""
}

// comparison returns the observables of one comparison.
func comparison(c *pattern.Comparison) ([]item, string) {
	path := pattern.FormatPath(c.ObjectType, c.Path)
	if c.Not {
		return nil, "NOT " + c.Op.String() + " on " + path + " cannot be expressed"
	}
	var lits []pattern.Literal
	switch c.Op {
	case pattern.OpEqual:
		lits = []pattern.Literal{c.Value}
	case pattern.OpIn:
		lits = c.Value.List
	case pattern.OpIsSubset:
		lits = []pattern.Literal{c.Value}
	default:
		return nil, c.Op.String() + " on " + path + " cannot be expressed"
	}
	var it item
	switch {
	case path == "ipv4-addr:value" || path == "ipv6-addr:value":
		it = item{kind: kindIP, dir: dirAny}
	case path == "network-traffic:src_ref.value":
		it = item{kind: kindIP, dir: dirSrc}
	case path == "network-traffic:dst_ref.value":
		it = item{kind: kindIP, dir: dirDst}
	case c.Op == pattern.OpIsSubset:
		return nil, "ISSUBSET on " + path + " cannot be expressed"
	case path == "domain-name:value":
		it = item{kind: kindDomain}
	case path == "url:value":
		it = item{kind: kindURL}
	case path == "email-addr:value":
		it = item{kind: kindEmail}
	case c.ObjectType == "file" && len(c.Path) == 2 && c.Path[0].Key == "hashes" && c.Path[1].Kind == pattern.StepKey:
		it = item{kind: kindHash, algo: c.Path[1].Key}
	default:
		return nil, path + " is not an address, domain name, URL, e-mail address or file hash"
	}
	var out []item
	for _, l := range lits {
		if l.Kind != pattern.StringLit {
			return nil, path + " is compared with a constant that is not a string"
		}
		x := it
		v, ok := normalize(&x, l.Str)
		if !ok {
			return nil, "'" + l.Str + "' is not a valid " + x.kind + " for " + path
		}
		x.value = v
		out = append(out, x)
	}
	return out, ""
}

// normalize returns the canonical form of a value of it's kind; for a
// hash it also settles the algorithm's name.
func normalize(it *item, s string) (string, bool) {
	var k observable.Kind
	switch it.kind {
	case kindIP:
		k = observable.IPv4
		if strings.Contains(s, ":") {
			k = observable.IPv6
		}
	case kindDomain:
		k = observable.Domain
	case kindURL:
		k = observable.URL
	case kindEmail:
		k = observable.Email
	case kindHash:
		hk, ok := observable.HashKind(it.algo)
		if !ok {
			return "", false
		}
		k = hk
		it.algo = hashNames[hk]
	}
	o, err := observable.Normalize(k, s)
	if err != nil {
		return "", false
	}
	if it.kind == kindIP {
		if _, err := netip.ParsePrefix(withBits(o.Value)); err != nil {
			return "", false
		}
	}
	return o.Value, true
}

// withBits writes an address as a prefix of its full length.
func withBits(s string) string {
	if strings.IndexByte(s, '/') >= 0 {
		return s
	}
	if strings.IndexByte(s, ':') >= 0 {
		return s + "/128"
	}
	return s + "/32"
}

// hashNames are the hash-algorithm-ov names of the hash kinds.
var hashNames = map[observable.Kind]string{
	observable.MD5: "MD5", observable.SHA1: "SHA-1", observable.SHA256: "SHA-256", observable.SHA512: "SHA-512",
	observable.SHA3_256: "SHA3-256", observable.SHA3_512: "SHA3-512", observable.SSDEEP: "SSDEEP", observable.TLSH: "TLSH",
}
