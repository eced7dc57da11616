package observable

import (
	"net/netip"
	"strings"
)

// Detect guesses the kind of a bare value, for lookups that do not say
// it, and reports whether it found one. It tries, in order: an IP address
// or CIDR block (ipv4 or ipv6 by family); a value with "://" (url); a
// value with '@' (email); hex digits of a hash length (32 md5, 40 sha1,
// 64 sha256, 128 sha512, 70 tlsh, and "T1" + 70 hex tlsh); a MAC address;
// an ssdeep hash; a domain name with at least one dot. SHA3-256 and
// SHA3-512 hashes are the lengths of SHA-256 and SHA-512 and are only
// found when the kind is given. The kind returned is the one to pass to
// Normalize, which may still refuse the value.
func Detect(s string) (Kind, bool) {
	if s == "" {
		return 0, false
	}
	if c := s[0]; '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' {
		if strings.IndexByte(s, '/') >= 0 {
			if p, err := netip.ParsePrefix(s); err == nil {
				return family(p.Addr().Unmap()), true
			}
		} else if a, err := netip.ParseAddr(s); err == nil {
			return family(a.Unmap()), true
		}
	}
	if strings.Contains(s, "://") {
		return URL, true
	}
	if strings.IndexByte(s, '@') >= 0 {
		return Email, true
	}
	if allHex(s) {
		switch len(s) {
		case 32:
			return MD5, true
		case 40:
			return SHA1, true
		case 64:
			return SHA256, true
		case 128:
			return SHA512, true
		case 70:
			return TLSH, true
		case 12:
			return MAC, true
		}
	}
	if len(s) == 72 && (s[0] == 'T' || s[0] == 't') && s[1] == '1' && allHex(s[2:]) {
		return TLSH, true
	}
	if _, err := normalizeMAC(s); err == nil {
		return MAC, true
	}
	if _, err := normalizeSSDEEP(s); err == nil {
		return SSDEEP, true
	}
	if strings.IndexByte(s, '.') > 0 || strings.ContainsRune(s, '。') {
		if _, err := normalizeDomain(s); err == nil {
			return Domain, true
		}
	}
	return 0, false
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return len(s) > 0
}
