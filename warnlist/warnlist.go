// Package warnlist holds lists of observable values that are almost never
// malicious, so that an indicator or cyber-observable carrying one is
// flagged on its receipt and scored lower: private, loopback, link-local,
// multicast, documentation and benchmarking address ranges, well-known
// public DNS resolvers, reserved and very popular domain names, the hashes
// of the empty file, and lists that administrators add.
//
// # Entries and what they match
//
// An entry is one of:
//
//	an IP address or CIDR block  matches addresses and blocks inside it
//	                             (ipv4 and ipv6 values, and the host of a
//	                             URL written with an address)
//	"*." followed by a domain    matches the domain and every name under
//	                             it: domain values, the host of a URL, the
//	                             domain of an e-mail address
//	a domain                     matches that domain value exactly (not
//	                             names under it, nor URLs on it: a popular
//	                             site may still host a malicious page)
//	a URL, e-mail address, MAC   matches that value exactly
//	address or file hash
//
// Values are normalized as package observable does before they are
// compared ("HTTP://Example.COM:80/" is "http://example.com/").
//
// A Set is safe for concurrent Match calls once built; Add must not run
// concurrently with anything else.
package warnlist

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/gaissmai/bart"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/observable"
)

// Set is a collection of warning lists compiled for matching.
type Set struct {
	ips *bart.Table[[]string] // prefix -> names of the lists holding it
	// wild maps a domain to the lists holding "*." + it.
	wild map[string][]string
	// exact maps an observable ("kind:value") to the lists holding it.
	exact map[observable.Observable][]string
	// names are the lists, in the order first added.
	names []string
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{ips: new(bart.Table[[]string]), wild: map[string][]string{}, exact: map[observable.Observable][]string{}}
}

// Entry is a parsed entry: an IP block, a domain wildcard, or an exact
// observable value.
type Entry struct {
	// Prefix is set for an address or CIDR block.
	Prefix netip.Prefix
	// Wildcard is the domain of a "*.domain" entry.
	Wildcard string
	// Exact is set for any other value.
	Exact observable.Observable
}

// String returns the entry in its normalized text form, as stored.
func (e Entry) String() string {
	switch {
	case e.Prefix.IsValid():
		if e.Prefix.IsSingleIP() {
			return e.Prefix.Addr().String()
		}
		return e.Prefix.String()
	case e.Wildcard != "":
		return "*." + e.Wildcard
	}
	return e.Exact.Value
}

// Parse reads an entry: an IP address or CIDR block, "*.domain", or a
// value whose kind observable.Detect finds (a domain, URL, e-mail or MAC
// address, or hash; SHA3 hashes are not detected and cannot be listed).
// The error says what is wrong with value.
func Parse(value string) (Entry, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return Entry{}, fmt.Errorf("empty warning-list entry")
	}
	if p, err := netip.ParsePrefix(v); err == nil {
		return Entry{Prefix: canonical(p)}, nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		if a.Zone() != "" {
			return Entry{}, fmt.Errorf("warning-list entry %q: addresses with a zone cannot be listed", value)
		}
		a = a.Unmap()
		return Entry{Prefix: netip.PrefixFrom(a, a.BitLen())}, nil
	}
	if d, ok := strings.CutPrefix(v, "*."); ok {
		o, err := observable.Normalize(observable.Domain, d)
		if err != nil {
			return Entry{}, fmt.Errorf("warning-list entry %q: %s is not a domain name: %v", value, d, msgOf(err))
		}
		return Entry{Wildcard: o.Value}, nil
	}
	if strings.Trim(v, "0123456789./") == "" {
		return Entry{}, fmt.Errorf("warning-list entry %q is not a valid IP address or CIDR block", value)
	}
	k, ok := observable.Detect(v)
	if !ok {
		return Entry{}, fmt.Errorf("warning-list entry %q is neither an IP address, CIDR block, *.domain, domain, URL, e-mail address, MAC address nor file hash", value)
	}
	o, err := observable.Normalize(k, v)
	if err != nil {
		return Entry{}, fmt.Errorf("warning-list entry %q: %v", value, msgOf(err))
	}
	_, addrErr := netip.ParseAddr(o.Value)
	_, pfxErr := netip.ParsePrefix(o.Value)
	if o.Kind == observable.IPv4 || o.Kind == observable.IPv6 || addrErr == nil || pfxErr == nil {
		// Detect took it for an address; netip refused it above.
		return Entry{}, fmt.Errorf("warning-list entry %q is not an IP address or CIDR block", value)
	}
	if o.Kind == observable.Domain && !strings.Contains(o.Value, ".") {
		return Entry{}, fmt.Errorf("warning-list entry %q is a single-label name; list it as *.%s", value, o.Value)
	}
	return Entry{Exact: o}, nil
}

// msgOf returns the message of an observable error without its prefix.
func msgOf(err error) string {
	if e, ok := err.(*observable.Error); ok {
		return e.Msg
	}
	return err.Error()
}

// canonical masks p and turns an IPv4-mapped IPv6 block into IPv4.
func canonical(p netip.Prefix) netip.Prefix {
	a := p.Addr()
	if a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return p.Masked()
}

// Add puts value on the list named list. The error is Parse's.
func (s *Set) Add(list, value string) error {
	e, err := Parse(value)
	if err != nil {
		return err
	}
	s.AddEntry(list, e)
	return nil
}

// AddEntry puts a parsed entry on the list named list.
func (s *Set) AddEntry(list string, e Entry) {
	if !slices.Contains(s.names, list) {
		s.names = append(s.names, list)
	}
	switch {
	case e.Prefix.IsValid():
		s.ips.Modify(e.Prefix, func(lists []string, _ bool) ([]string, bool) {
			return with(lists, list), false
		})
	case e.Wildcard != "":
		s.wild[e.Wildcard] = with(s.wild[e.Wildcard], list)
	default:
		s.exact[e.Exact] = with(s.exact[e.Exact], list)
	}
}

// with returns lists with name added once.
func with(lists []string, name string) []string {
	if slices.Contains(lists, name) {
		return lists
	}
	return append(slices.Clip(lists), name)
}

// Lists returns the names of the lists in the set, in the order they were
// first added to.
func (s *Set) Lists() []string { return slices.Clone(s.names) }

// Match returns the lists that hold o, a normalized observable, each once,
// as hits naming o's value; nil when none does.
func (s *Set) Match(o observable.Observable) []tearline.WarningHit {
	var lists []string
	add := func(ls []string) {
		for _, l := range ls {
			if !slices.Contains(lists, l) {
				lists = append(lists, l)
			}
		}
	}
	switch o.Kind {
	case observable.IPv4, observable.IPv6:
		s.matchIP(o.Value, add)
	case observable.Domain:
		add(s.exact[o])
		s.matchDomain(o.Value, add)
	case observable.URL:
		add(s.exact[o])
		if host := urlHost(o.Value); host != "" {
			if !s.matchIP(host, add) {
				s.matchDomain(host, add)
			}
		}
	case observable.Email:
		add(s.exact[o])
		if at := strings.LastIndexByte(o.Value, '@'); at >= 0 {
			s.matchDomain(o.Value[at+1:], add)
		}
	default:
		add(s.exact[o])
	}
	if len(lists) == 0 {
		return nil
	}
	hits := make([]tearline.WarningHit, len(lists))
	for i, l := range lists {
		hits[i] = tearline.WarningHit{List: l, Value: o.Value}
	}
	return hits
}

// matchIP adds the lists of the blocks that hold the address or block v,
// and reports whether v is one.
func (s *Set) matchIP(v string, add func([]string)) bool {
	var p netip.Prefix
	if strings.IndexByte(v, '/') >= 0 {
		var err error
		if p, err = netip.ParsePrefix(v); err != nil {
			return false
		}
	} else {
		a, err := netip.ParseAddr(strings.Trim(v, "[]"))
		if err != nil {
			return false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if s.ips.Size() == 0 {
		return true
	}
	for _, lists := range s.ips.Supernets(p) {
		add(lists)
	}
	return true
}

// matchDomain adds the lists of the wildcards that cover domain d.
func (s *Set) matchDomain(d string, add func([]string)) {
	if len(s.wild) == 0 {
		return
	}
	for {
		add(s.wild[d])
		dot := strings.IndexByte(d, '.')
		if dot < 0 {
			return
		}
		d = d[dot+1:]
	}
}

// urlHost returns the host of a normalized URL (an IPv6 address without
// its brackets), or "".
func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	rest := u[i+3:]
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	if strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 0 {
			return rest[1:end]
		}
		return ""
	}
	if colon := strings.LastIndexByte(rest, ':'); colon >= 0 {
		rest = rest[:colon]
	}
	return rest
}
