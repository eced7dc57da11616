package observable

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Observable is a normalized value of a kind.
type Observable struct {
	Kind  Kind
	Value string
}

// String returns "kind:value".
func (o Observable) String() string { return o.Kind.String() + ":" + o.Value }

// Error is a value that cannot be normalized as the kind it was given.
type Error struct {
	Kind  Kind
	Value string // as given, cut to 200 bytes
	Msg   string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("observable: %s %q: %s", e.Kind, e.Value, e.Msg)
}

func fail(k Kind, value, format string, args ...any) error {
	if len(value) > 200 {
		value = value[:200]
	}
	return &Error{Kind: k, Value: value, Msg: fmt.Sprintf(format, args...)}
}

// Normalize returns value, of kind k, in its canonical form (see the
// package comment for each kind and NormalizeURL for URLs). The result's
// Kind is k, except that both IP kinds take either family: the result's
// kind is the family of the address (an IPv4-mapped IPv6 address is
// IPv4). When value is already canonical Normalize returns it as it is,
// without allocating. The error is an *Error saying what is wrong.
func Normalize(k Kind, value string) (Observable, error) {
	var (
		v   string
		err error
	)
	switch k {
	case IPv4, IPv6:
		return normalizeIP(k, value)
	case Domain:
		v, err = normalizeDomain(value)
	case URL:
		v, err = NormalizeURL(value)
	case Email:
		v, err = normalizeEmail(value)
	case MAC:
		v, err = normalizeMAC(value)
	case MD5, SHA1, SHA256, SHA512, SHA3_256, SHA3_512:
		v, err = normalizeHex(k, value)
	case SSDEEP:
		v, err = normalizeSSDEEP(value)
	case TLSH:
		v, err = normalizeTLSH(value)
	default:
		return Observable{}, fail(k, value, "unknown kind")
	}
	if err != nil {
		return Observable{}, fail(k, value, "%s", err.Error())
	}
	return Observable{Kind: k, Value: v}, nil
}

// same returns s when b holds the same bytes, else a new string of b. The
// comparison does not allocate.
func same(s string, b []byte) string {
	if string(b) == s {
		return s
	}
	return string(b)
}

// normalizeIP normalizes an IP address or CIDR block.
func normalizeIP(k Kind, s string) (Observable, error) {
	var buf [64]byte
	if strings.IndexByte(s, '/') < 0 {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Observable{}, fail(k, s, "not an IP address or CIDR block")
		}
		if a.Zone() != "" {
			return Observable{}, fail(k, s, "an address with a zone (%%%s) is not an observable", a.Zone())
		}
		a = a.Unmap()
		return Observable{Kind: family(a), Value: same(s, a.AppendTo(buf[:0]))}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return Observable{}, fail(k, s, "not an IP address or CIDR block")
	}
	p = p.Masked()
	a, bits := p.Addr(), p.Bits()
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
		p = netip.PrefixFrom(a, bits)
	}
	if bits == a.BitLen() {
		return Observable{Kind: family(a), Value: same(s, a.AppendTo(buf[:0]))}, nil
	}
	return Observable{Kind: family(a), Value: same(s, p.AppendTo(buf[:0]))}, nil
}

func family(a netip.Addr) Kind {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

// idnaProfile maps internationalized domain names for lookup (UTS #46,
// nontransitional) without the STD3 rules, which would refuse the
// underscores that real names carry ("_dmarc.example.com").
var idnaProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.BidiRule(), idna.StrictDomainName(false))

// normalizeDomain normalizes a domain name.
func normalizeDomain(s string) (string, error) {
	ascii, upperCase := true, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			upperCase = true
		}
	}
	if !ascii {
		if !utf8.ValidString(s) {
			return "", errors.New("not valid UTF-8")
		}
		a, err := idnaProfile.ToASCII(s)
		if err != nil {
			return "", fmt.Errorf("not a valid internationalized domain name: %v", err)
		}
		s, upperCase = a, false
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return "", errors.New("not a valid internationalized domain name")
			}
		}
	}
	if len(s) > 1 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if err := checkDomain(s); err != nil {
		return "", err
	}
	if upperCase {
		return strings.ToLower(s), nil
	}
	return s, nil
}

// checkDomain checks the form of an ASCII domain name without its
// trailing dot.
func checkDomain(s string) error {
	switch {
	case s == "":
		return errors.New("empty domain name")
	case len(s) > 253:
		return errors.New("longer than 253 bytes")
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			c := s[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("character %q at byte %d is not allowed in a domain name", c, i)
			}
			continue
		}
		switch n := i - start; {
		case n == 0:
			return fmt.Errorf("empty label at byte %d", i)
		case n > 63:
			return fmt.Errorf("label at byte %d is longer than 63 bytes", start)
		}
		start = i + 1
	}
	return nil
}

// normalizeEmail normalizes an e-mail address.
func normalizeEmail(s string) (string, error) {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", errors.New("no '@'")
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case local == "":
		return "", errors.New("empty local part")
	case len(local) > 64:
		return "", errors.New("local part longer than 64 bytes")
	case !utf8.ValidString(local):
		return "", errors.New("local part is not valid UTF-8")
	}
	lowerLocal := true
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c == 0x7f {
			return "", fmt.Errorf("character %q at byte %d is not allowed in an address", c, i)
		}
		if 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf {
			lowerLocal = false
		}
	}
	d, err := normalizeDomain(domain)
	if err != nil {
		return "", fmt.Errorf("domain: %v", err)
	}
	if lowerLocal && d == domain {
		return s, nil
	}
	return strings.ToLower(local) + "@" + d, nil
}

// normalizeMAC normalizes a 48-bit MAC address.
func normalizeMAC(s string) (string, error) {
	var octets [6]byte
	switch {
	case len(s) == 17 && (s[2] == ':' || s[2] == '-'):
		sep := s[2]
		for i := range 6 {
			if i > 0 && s[3*i-1] != sep {
				return "", fmt.Errorf("expected %q at byte %d", sep, 3*i-1)
			}
			b, ok := hexByte(s[3*i], s[3*i+1])
			if !ok {
				return "", fmt.Errorf("not a hex octet at byte %d", 3*i)
			}
			octets[i] = b
		}
	case len(s) == 14 && s[4] == '.' && s[9] == '.':
		for i := range 6 {
			j := 2*i + i/2 // skip the dots
			b, ok := hexByte(s[j], s[j+1])
			if !ok {
				return "", fmt.Errorf("not a hex octet at byte %d", j)
			}
			octets[i] = b
		}
	case len(s) == 12:
		for i := range 6 {
			b, ok := hexByte(s[2*i], s[2*i+1])
			if !ok {
				return "", fmt.Errorf("not a hex octet at byte %d", 2*i)
			}
			octets[i] = b
		}
	default:
		return "", errors.New("not a MAC address (six hex octets separated by ':' or '-', or Cisco dotted form)")
	}
	var buf [17]byte
	for i, b := range octets {
		if i > 0 {
			buf[3*i-1] = ':'
		}
		buf[3*i], buf[3*i+1] = hexDigits[b>>4], hexDigits[b&15]
	}
	return same(s, buf[:]), nil
}

const hexDigits = "0123456789abcdef"

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := unhex(hi)
	l, ok2 := unhex(lo)
	return h<<4 | l, ok1 && ok2
}

// lowerHex checks that s is hex and returns it in lower case.
func lowerHex(s string) (string, error) {
	upperCase := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9' || 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			upperCase = true
		default:
			return "", fmt.Errorf("character %q at byte %d is not a hex digit", c, i)
		}
	}
	if upperCase {
		return strings.ToLower(s), nil
	}
	return s, nil
}

// normalizeHex normalizes a fixed-length hex hash.
func normalizeHex(k Kind, s string) (string, error) {
	if len(s) != hexLen[k] {
		return "", fmt.Errorf("a %s hash has %d hex digits, not %d", k, hexLen[k], len(s))
	}
	return lowerHex(s)
}

// normalizeTLSH normalizes a TLSH digest: 70 hex digits, with or without
// the "T1" version prefix.
func normalizeTLSH(s string) (string, error) {
	switch {
	case len(s) == 72 && (s[0] == 'T' || s[0] == 't') && s[1] == '1':
		h, err := lowerHex(s[2:])
		if err != nil {
			return "", err
		}
		if s[0] == 'T' && len(h) == 70 && h == s[2:] {
			return s, nil
		}
		return "T1" + h, nil
	case len(s) == 70:
		return lowerHex(s)
	}
	return "", errors.New("a TLSH digest is 70 hex digits, optionally after \"T1\"")
}

// normalizeSSDEEP checks the form of an ssdeep hash,
// "blocksize:chunk:doublechunk", and drops a trailing ',"file name"' that
// the ssdeep tool appends.
func normalizeSSDEEP(s string) (string, error) {
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 10 || i == len(s) || s[i] != ':' {
		return "", errors.New("an ssdeep hash is blocksize:chunk:chunk with a decimal block size")
	}
	colons := 0
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == ':':
			colons++
			if colons > 1 {
				return "", fmt.Errorf("unexpected ':' at byte %d", j)
			}
		case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/':
		default:
			return "", fmt.Errorf("character %q at byte %d is not base64", c, j)
		}
	}
	if colons != 1 {
		return "", errors.New("an ssdeep hash is blocksize:chunk:chunk")
	}
	return s, nil
}
