package export

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/tearline/tearline/match"
)

func newUUID() string { return uuid.NewString() }

// msg returns a rule's msg: the indicator's name, or its id, without the
// characters a rule option cannot hold.
func msg(ind match.IndicatorJSON) string {
	name := ind.Name
	if name == "" {
		name = ind.ID
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '"' || r == ';' || r == '\\' || r < ' ' || r == 0x7f:
			return ' '
		}
		return r
	}, name)
	if len(name) > 200 {
		name = name[:200]
	}
	return "TEARLINE " + strings.TrimSpace(name)
}

// content writes s as a rule content string: printable ASCII as it is,
// the characters content cannot hold and other bytes as |hex|.
func content(s string) string {
	var b strings.Builder
	hex := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		special := c == '"' || c == ';' || c == '\\' || c == '|' || c == ':' || c < ' ' || c >= 0x7f
		if special != hex {
			b.WriteByte('|')
			hex = special
		}
		if special {
			fmt.Fprintf(&b, "%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	if hex {
		b.WriteByte('|')
	}
	return b.String()
}

// ipGroups groups the addresses of items by direction.
func ipGroups(items []item) map[int][]string {
	g := map[int][]string{}
	for _, it := range items {
		if it.kind == kindIP {
			g[it.dir] = append(g[it.dir], it.value)
		}
	}
	return g
}

// rule writes one rule with the standard tail.
func (x *Writer) rule(head, options string, ind match.IndicatorJSON) {
	fmt.Fprintf(x.w, "alert %s (msg:\"%s\"; %smetadata:stix_id %s; sid:%d; rev:1;)\n", head, msg(ind), options, ind.ID, x.sid)
	x.sid++
	x.n++
}

// suricata writes Suricata rules: addresses as IP rules (direction from
// src_ref or dst_ref), domain names as DNS query and TLS SNI rules, http
// URLs as HTTP host and URI rules. File hashes and e-mail addresses, and
// URLs of other schemes, are skipped.
func (x *Writer) suricata(ind match.IndicatorJSON, items []item) error {
	for dir, ips := range ordered(ipGroups(items)) {
		list := "[" + strings.Join(ips, ",") + "]"
		switch dir {
		case dirSrc:
			x.rule("ip "+list+" any -> any any", "", ind)
		case dirDst:
			x.rule("ip any any -> "+list+" any", "", ind)
		default:
			x.rule("ip any any <> "+list+" any", "", ind)
		}
	}
	for _, it := range items {
		switch it.kind {
		case kindDomain:
			c := content(it.value)
			x.rule("dns any any -> any any", `dns.query; content:"`+c+`"; nocase; startswith; endswith; `, ind)
			x.rule("tls any any -> any any", `tls.sni; content:"`+c+`"; nocase; startswith; endswith; `, ind)
		case kindURL:
			host, uri, ok := httpParts(it.value)
			if !ok {
				x.skip(ind, "URL "+it.value+": only http:// URLs are visible to a network sensor")
				continue
			}
			x.rule("http any any -> any any", `http.host; content:"`+content(host)+`"; startswith; endswith; http.uri.raw; content:"`+content(uri)+`"; startswith; endswith; `, ind)
		case kindHash:
			x.skip(ind, "file hash "+it.value+": Suricata matches hashes from list files (filemd5, filesha256), not in rules; use blocklist-hash")
		case kindEmail:
			x.skip(ind, "e-mail address "+it.value+": not expressed in Suricata rules")
		}
	}
	return nil
}

// snort writes Snort rules (the subset Snort 2.9 and 3 share): addresses as
// IP rules, domain names as DNS query content in wire format, http URLs as
// HTTP header and URI content.
func (x *Writer) snort(ind match.IndicatorJSON, items []item) error {
	for dir, ips := range ordered(ipGroups(items)) {
		list := "[" + strings.Join(ips, ",") + "]"
		switch dir {
		case dirSrc:
			x.rule("ip "+list+" any -> any any", "", ind)
		case dirDst:
			x.rule("ip any any -> "+list+" any", "", ind)
		default:
			x.rule("ip any any <> "+list+" any", "", ind)
		}
	}
	for _, it := range items {
		switch it.kind {
		case kindDomain:
			x.rule("udp any any -> any 53", `content:"`+dnsWire(it.value)+`"; nocase; `, ind)
		case kindURL:
			host, uri, ok := httpParts(it.value)
			if !ok {
				x.skip(ind, "URL "+it.value+": only http:// URLs are visible to a network sensor")
				continue
			}
			x.rule("tcp any any -> any any", `flow:to_server,established; content:"`+content(host)+`"; http_header; nocase; content:"`+content(uri)+`"; http_raw_uri; `, ind)
		case kindHash:
			x.skip(ind, "file hash "+it.value+": Snort rules do not match file hashes; use blocklist-hash")
		case kindEmail:
			x.skip(ind, "e-mail address "+it.value+": not expressed in Snort rules")
		}
	}
	return nil
}

// dnsWire writes a domain name as a DNS query carries it: each label
// after its length, then the root's zero, as rule content.
func dnsWire(name string) string {
	var b strings.Builder
	for _, l := range strings.Split(name, ".") {
		fmt.Fprintf(&b, "|%02X|%s", len(l), content(l))
	}
	b.WriteString("|00|")
	return b.String()
}

// httpParts splits an http URL into its host (with a port other than 80)
// and its request target (path and query).
func httpParts(s string) (host, uri string, ok bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return "", "", false
	}
	uri = u.RequestURI()
	if i := strings.Index(s, u.Host); i >= 0 {
		// The request target exactly as written after the host.
		rest := s[i+len(u.Host):]
		if rest != "" {
			uri = rest
		}
	}
	return u.Host, uri, true
}

// ordered yields the groups in direction order, for stable output.
func ordered(g map[int][]string) func(func(int, []string) bool) {
	return func(yield func(int, []string) bool) {
		for _, d := range []int{dirAny, dirSrc, dirDst} {
			if ips, ok := g[d]; ok {
				if !yield(d, ips) {
					return
				}
			}
		}
	}
}
