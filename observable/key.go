package observable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// AppendKey appends the storage key of a normalized observable to dst:
// the kind's number in one byte, then the value in a compact form that
// two values share only when they are equal. Keys compare as bytes, so a
// store can index them as a BLOB:
//
//	ipv4, ipv6   the address bytes (4 or 16), then, for a CIDR block, one
//	             byte of prefix length
//	mac          the 6 octets
//	md5 ... sha3-512
//	             the hash bytes (half the hex length)
//	tlsh         0 (no prefix) or 1 ("T1"), then the 35 digest bytes
//	domain       packed: three characters of [a-z0-9-._] in two bytes
//	email        one byte: the length of the local part, plus 0x80 when
//	             the local part is packed with the domain; then either the
//	             whole address without '@' packed, or the local part as
//	             written followed by the packed domain
//	url          1 for "http://", 2 for "https://" then the rest as written,
//	             or 0 then the whole URL
//	ssdeep       the text
//
// The value must be in its canonical form (as Normalize returns it);
// otherwise AppendKey returns an error and dst unchanged. ParseKey is its
// inverse.
func AppendKey(dst []byte, o Observable) ([]byte, error) {
	n := len(dst)
	dst = append(dst, byte(o.Kind))
	v := o.Value
	bad := func(msg string) ([]byte, error) {
		return dst[:n], fmt.Errorf("observable: key of %s %q: %s", o.Kind, v, msg)
	}
	switch o.Kind {
	case IPv4, IPv6:
		if strings.IndexByte(v, '/') < 0 {
			a, err := netip.ParseAddr(v)
			if err != nil || family(a) != o.Kind || a.Is4In6() {
				return bad("not a canonical address")
			}
			return a.AppendBinary(dst)
		}
		p, err := netip.ParsePrefix(v)
		if err != nil || family(p.Addr()) != o.Kind || p.Masked() != p || p.Bits() == p.Addr().BitLen() {
			return bad("not a canonical CIDR block")
		}
		dst, _ = p.Addr().AppendBinary(dst)
		return append(dst, byte(p.Bits())), nil
	case MAC:
		if len(v) != 17 {
			return bad("not a canonical MAC address")
		}
		for i := range 6 {
			b, ok := hexByte(v[3*i], v[3*i+1])
			if !ok || i > 0 && v[3*i-1] != ':' {
				return bad("not a canonical MAC address")
			}
			dst = append(dst, b)
		}
	case MD5, SHA1, SHA256, SHA512, SHA3_256, SHA3_512:
		if len(v) != hexLen[o.Kind] {
			return bad("wrong length")
		}
		var ok bool
		if dst, ok = appendLowerHex(dst, v); !ok {
			return bad("not lower-case hex")
		}
	case TLSH:
		prefix := byte(0)
		if strings.HasPrefix(v, "T1") {
			prefix, v = 1, v[2:]
		}
		dst = append(dst, prefix)
		var ok bool
		if len(v) != 70 {
			return bad("not a canonical TLSH digest")
		}
		if dst, ok = appendLowerHex(dst, v); !ok {
			return bad("not lower-case hex")
		}
	case Domain:
		if checkDomain(v) != nil {
			return bad("not a domain name")
		}
		var ok bool
		if dst, ok = appendPacked(dst, v); !ok {
			return bad("not a canonical domain name")
		}
	case Email:
		at := strings.LastIndexByte(v, '@')
		if at <= 0 || at > 64 || checkDomain(v[at+1:]) != nil {
			return bad("not a canonical address")
		}
		local, domain := v[:at], v[at+1:]
		if packable(local) {
			dst = append(dst, byte(at)|0x80)
			var ok bool
			if dst, ok = appendPacked(dst, local+domain); !ok {
				return bad("not a canonical address")
			}
		} else {
			dst = append(dst, byte(at))
			dst = append(dst, local...)
			var ok bool
			if dst, ok = appendPacked(dst, domain); !ok {
				return bad("not a canonical address")
			}
		}
	case URL:
		switch {
		case strings.HasPrefix(v, "http://"):
			dst = append(append(dst, 1), v[len("http://"):]...)
		case strings.HasPrefix(v, "https://"):
			dst = append(append(dst, 2), v[len("https://"):]...)
		default:
			dst = append(append(dst, 0), v...)
		}
	case SSDEEP:
		if v == "" {
			return bad("empty")
		}
		dst = append(dst, v...)
	default:
		return bad("unknown kind")
	}
	return dst, nil
}

// ParseKey decodes a key written by AppendKey.
func ParseKey(key []byte) (Observable, error) {
	if len(key) < 2 {
		return Observable{}, errors.New("observable: key too short")
	}
	k, b := Kind(key[0]), key[1:]
	bad := func() (Observable, error) {
		return Observable{}, fmt.Errorf("observable: malformed %s key %x", k, key)
	}
	var v string
	switch k {
	case IPv4, IPv6:
		size := 4
		if k == IPv6 {
			size = 16
		}
		if len(b) != size && len(b) != size+1 {
			return bad()
		}
		a, ok := netip.AddrFromSlice(b[:size])
		if !ok {
			return bad()
		}
		if len(b) == size {
			v = a.String()
			break
		}
		p := netip.PrefixFrom(a, int(b[size]))
		if !p.IsValid() || p.Bits() == a.BitLen() || p.Masked() != p {
			return bad()
		}
		v = p.String()
	case MAC:
		if len(b) != 6 {
			return bad()
		}
		var buf [17]byte
		for i, o := range b {
			if i > 0 {
				buf[3*i-1] = ':'
			}
			buf[3*i], buf[3*i+1] = hexDigits[o>>4], hexDigits[o&15]
		}
		v = string(buf[:])
	case MD5, SHA1, SHA256, SHA512, SHA3_256, SHA3_512:
		if 2*len(b) != hexLen[k] {
			return bad()
		}
		v = hexString(b)
	case TLSH:
		if len(b) != 36 || b[0] > 1 {
			return bad()
		}
		v = hexString(b[1:])
		if b[0] == 1 {
			v = "T1" + v
		}
	case Domain:
		var ok bool
		if v, ok = unpack(b); !ok || checkDomain(v) != nil {
			return bad()
		}
	case Email:
		n := int(b[0] & 0x7f)
		if n == 0 || n > 64 {
			return bad()
		}
		if b[0]&0x80 != 0 {
			all, ok := unpack(b[1:])
			if !ok || len(all) <= n {
				return bad()
			}
			v = all[:n] + "@" + all[n:]
		} else {
			if len(b) < 1+n {
				return bad()
			}
			d, ok := unpack(b[1+n:])
			if !ok {
				return bad()
			}
			v = string(b[1:1+n]) + "@" + d
		}
	case URL:
		switch b[0] {
		case 0:
			v = string(b[1:])
		case 1:
			v = "http://" + string(b[1:])
		case 2:
			v = "https://" + string(b[1:])
		default:
			return bad()
		}
	case SSDEEP:
		v = string(b)
	default:
		return bad()
	}
	return Observable{Kind: k, Value: v}, nil
}

func appendLowerHex(dst []byte, s string) ([]byte, bool) {
	for i := 0; i+1 < len(s); i += 2 {
		hi, lo := s[i], s[i+1]
		if 'A' <= hi && hi <= 'F' || 'A' <= lo && lo <= 'F' {
			return dst, false
		}
		b, ok := hexByte(hi, lo)
		if !ok {
			return dst, false
		}
		dst = append(dst, b)
	}
	return dst, len(s)%2 == 0
}

func hexString(b []byte) string {
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = hexDigits[c>>4], hexDigits[c&15]
	}
	return string(out)
}

// packAlphabet is the 39 characters of packed text; code 0 pads the last
// group of three.
const packAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-._"

var packCode = func() (t [256]byte) {
	for i := range packAlphabet {
		t[packAlphabet[i]] = byte(i + 1)
	}
	return t
}()

func packable(s string) bool {
	for i := 0; i < len(s); i++ {
		if packCode[s[i]] == 0 {
			return false
		}
	}
	return true
}

// appendPacked packs s, three characters in two bytes (base 40), and
// reports false when s holds a character outside packAlphabet.
func appendPacked(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i += 3 {
		var n uint16
		for j := i; j < i+3; j++ {
			var c byte
			if j < len(s) {
				if c = packCode[s[j]]; c == 0 {
					return dst, false
				}
			}
			n = n*40 + uint16(c)
		}
		dst = binary.BigEndian.AppendUint16(dst, n)
	}
	return dst, true
}

// unpack is the inverse of appendPacked.
func unpack(b []byte) (string, bool) {
	if len(b)%2 != 0 || len(b) == 0 {
		return "", false
	}
	out := make([]byte, 0, len(b)/2*3)
	for i := 0; i < len(b); i += 2 {
		n := binary.BigEndian.Uint16(b[i:])
		if n >= 40*40*40 {
			return "", false
		}
		codes := [3]uint16{n / 1600, n / 40 % 40, n % 40}
		for j, c := range codes {
			if c == 0 {
				// Padding ends the text: it may only fill the last group.
				if i+2 != len(b) || j == 0 || codes[2] != 0 || j == 1 && codes[2] != 0 {
					return "", false
				}
				break
			}
			out = append(out, packAlphabet[c-1])
		}
	}
	return string(out), true
}
