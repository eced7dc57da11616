package observable

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

// NormalizeURL returns the canonical form of an absolute URL (RFC 3986).
// The rules, applied in this order:
//
//  1. The fragment ("#..." to the end) is dropped.
//  2. The scheme is required and lower-cased; it is letters, digits, '+',
//     '-' and '.', starting with a letter.
//  3. With an authority ("scheme://"): the user information is kept; the
//     host is lower-cased, an IP literal is written as net/netip prints it
//     (IPv6 in brackets), and any other host is normalized as a domain
//     (internationalized names to punycode, trailing dot dropped) when it
//     is one, else only lower-cased; the port loses its leading zeros, and
//     an empty port or the scheme's default port (http and ws 80, https
//     and wss 443, ftp 21) is dropped; an empty path becomes "/"; dot
//     segments ("." and "..") are removed from the path (RFC 3986 section
//     5.2.4).
//  4. Everywhere after the scheme (user information, path, query), a
//     percent-encoded unreserved character (letters, digits, '-', '.',
//     '_', '~') is decoded, the hex digits of other percent-encodings are
//     upper-cased, and bytes a URL may not hold (controls, space, '"',
//     '<', '>', '\', '^', '`', '{', '|', '}', and non-ASCII bytes, taken
//     as UTF-8) are percent-encoded. A '%' not followed by two hex digits
//     is kept, and an escaped hex digit within two bytes after it stays
//     escaped (decoded, it could turn the '%' into an escape). The query is otherwise kept as written: its parameters are
//     not reordered and an empty query ("?") stays.
//
// A URL already in this form is returned as it is, without allocating
// when it is shorter than 256 bytes. It is an error for the scheme to be
// missing or malformed, for the port not to be decimal, or for an IP
// literal in brackets not to parse.
func NormalizeURL(s string) (string, error) {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return "", errors.New("no scheme (such as \"https:\")")
	}
	scheme := s[:colon]
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", fmt.Errorf("malformed scheme %q", scheme)
		}
	}
	var stack [256]byte
	b := stack[:0]
	for i := 0; i < len(scheme); i++ {
		b = append(b, lower(scheme[i]))
	}
	b = append(b, ':')
	rest := s[colon+1:]
	if !strings.HasPrefix(rest, "//") {
		// No authority (mailto:, urn:, ...): only the percent-encoding rules.
		b = appendEscaped(b, rest, true)
		return same(s, b), nil
	}
	b = append(b, "//"...)
	rest = rest[2:]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, rest := rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		b = appendEscaped(b, authority[:at], false)
		b = append(b, '@')
		authority = authority[at+1:]
	}
	host, port := authority, ""
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.Contains(authority[i:], "]") {
		host, port = authority[:i], authority[i+1:]
	}
	if strings.IndexByte(host, ':') >= 0 && !strings.HasPrefix(host, "[") {
		return "", fmt.Errorf("malformed host %q: an IPv6 address must be in brackets", host)
	}
	var err error
	if b, err = appendHost(b, host); err != nil {
		return "", err
	}
	for len(port) > 1 && port[0] == '0' {
		port = port[1:]
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' || i >= 5 {
			return "", fmt.Errorf("port %q is not a number", port)
		}
	}
	if port != "" && port != defaultPort(b[:len(scheme)]) {
		b = append(b, ':')
		b = append(b, port...)
	}
	path, query := rest, ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		path, query = rest[:i], rest[i:]
	}
	start := len(b)
	if path == "" {
		b = append(b, '/')
	} else {
		b = appendEscaped(b, path, false)
		b = removeDotSegments(b, start)
	}
	b = appendEscaped(b, query, true)
	return same(s, b), nil
}

// defaultPort returns the default port of a lower-case scheme, or "".
func defaultPort(scheme []byte) string {
	switch string(scheme) {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	case "ftp":
		return "21"
	}
	return ""
}

// appendHost appends the normalized host of a URL.
func appendHost(b []byte, host string) ([]byte, error) {
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") {
			return nil, fmt.Errorf("unterminated IP literal %q", host)
		}
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() {
			return nil, fmt.Errorf("malformed IPv6 literal %q", host)
		}
		b = append(b, '[')
		b = a.AppendTo(b)
		return append(b, ']'), nil
	}
	if strings.IndexByte(host, '%') >= 0 {
		// Decode escaped unreserved characters before telling what the
		// host is: "%70." is the domain "p." and must come out as "p",
		// as normalizing "p." gives (an escape that stays is kept).
		host = string(appendEscaped(nil, host, false))
	}
	if digitsAndDots(host) {
		// Parsing only what may be an address spares the error value a
		// failed parse allocates.
		if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
			return a.AppendTo(b), nil
		}
	}
	if d, err := normalizeDomain(host); err == nil {
		return append(b, d...), nil
	}
	// Not a domain name (a registry-based name of another scheme, say):
	// lower-case it and escape what a URL may not hold.
	start := len(b)
	b = appendEscaped(b, host, false)
	for i := start; i < len(b); i++ {
		if b[i] == '%' && i+2 < len(b) {
			i += 2 // keep the escape's upper-case digits
			continue
		}
		b[i] = lower(b[i])
	}
	return b, nil
}

// urlAllowed marks the bytes a URL may hold as they are: unreserved,
// reserved (gen-delims and sub-delims) and '%'.
var urlAllowed = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~:/?#[]@!$&'()*+,;=%" {
		t[c] = true
	}
	return t
}()

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// appendEscaped appends s with the percent-encoding rules of
// NormalizeURL. '?' is kept unless inQuery is false, in which case it
// cannot occur in s anyway.
func appendEscaped(b []byte, s string, inQuery bool) []byte {
	const upperHex = "0123456789ABCDEF"
	stray := -1 // where in b the last '%' kept without two hex digits is
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v, _ := hexByte(s[i+1], s[i+2])
			// A hex digit decoded right after a kept '%' could make it an
			// escape the next normalization would read ("%%41a" is not
			// "%Aa"): such a digit stays escaped.
			if unreserved(v) && !(isHex(v) && stray >= 0 && len(b)-stray <= 2) {
				b = append(b, v)
			} else {
				b = append(b, '%', upper(s[i+1]), upper(s[i+2]))
			}
			i += 2
		case c < utf8.RuneSelf && urlAllowed[c]:
			if c == '%' {
				stray = len(b)
			}
			b = append(b, c)
		default:
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return b
}

func isHex(c byte) bool { _, ok := unhex(c); return ok }

// removeDotSegments removes the "." and ".." segments of the path that
// starts at b[start] and runs to the end of b, in place.
func removeDotSegments(b []byte, start int) []byte {
	path := b[start:]
	if !hasDotSegment(path) {
		return b
	}
	out := start // next byte of the output path
	in := start
	for in < len(b) {
		// A segment is "/" followed by bytes up to the next "/".
		j := in + 1
		for j < len(b) && b[j] != '/' {
			j++
		}
		n := j - in - 1
		dot := n == 1 && b[in+1] == '.'
		dotdot := n == 2 && b[in+1] == '.' && b[in+2] == '.'
		switch {
		case dot:
			if j == len(b) {
				b[out] = '/'
				out++
			}
		case dotdot:
			// Drop the last output segment with its slash.
			for out > start && b[out-1] != '/' {
				out--
			}
			if out > start {
				out--
			}
			if j == len(b) {
				b[out] = '/'
				out++
			}
		default:
			out += copy(b[out:], b[in:j])
		}
		in = j
	}
	if out == start {
		b[out] = '/'
		out++
	}
	return b[:out]
}

// hasDotSegment reports whether a path (starting with '/') has a "." or
// ".." segment.
func hasDotSegment(p []byte) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
			if j < len(p) && p[j] == '.' {
				j++
			}
			if j == len(p) || p[j] == '/' {
				return true
			}
		}
	}
	return false
}

func digitsAndDots(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || c == '.') {
			return false
		}
	}
	return s != ""
}
