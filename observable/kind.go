// Package observable normalizes the observable values that indicators and
// cyber-observable objects carry (addresses, domains, URLs, e-mail
// addresses, MAC addresses, file hashes), so that the same value written
// in different ways is one entry of the observable index and one key of
// the matcher.
//
// Normalize turns a value of a known Kind into its canonical text; Detect
// guesses the kind of a bare value; FromObject extracts the observables of
// a stored STIX object (SCO values and hashes, and the equality
// comparisons of a STIX indicator pattern); AppendKey encodes a normalized
// value compactly for storage.
//
// # Kinds and their canonical forms
//
//	ipv4      an IPv4 address or CIDR block, as net/netip prints it; a block
//	          is masked to its network ("10.1.2.3/8" is "10.0.0.0/8") and a
//	          /32 is the bare address. IPv4-mapped IPv6 addresses and blocks
//	          of at least /96 ("::ffff:1.2.3.4") are IPv4. Leading zeros in
//	          an octet are refused (they read as octal elsewhere).
//	ipv6      an IPv6 address or CIDR block in RFC 5952 form (lower case,
//	          longest run of zero groups as "::"); masked; a /128 is the
//	          bare address. Zones ("%eth0") are refused.
//	domain    a domain name in lower case without the trailing dot;
//	          internationalized names in their ASCII (punycode, "xn--")
//	          form, mapped for lookup by UTS #46 (golang.org/x/net/idna).
//	          Labels are 1-63 bytes of letters, digits, '-' and '_'; the
//	          name is at most 253 bytes.
//	url       see NormalizeURL for the exact rules.
//	email     an addr-spec local@domain, lower-cased as a whole, the
//	          domain normalized as a domain.
//	mac       a 48-bit MAC address as six lower-case, colon-separated
//	          hex octets ("00:1a:2b:3c:4d:5e"), from colon, hyphen, Cisco
//	          dotted ("001a.2b3c.4d5e") or bare hex forms.
//	md5, sha1, sha256, sha512, sha3-256, sha3-512
//	          lower-case hex of exactly 32, 40, 64, 128, 64, 128 digits.
//	ssdeep    "blocksize:hash:hash" as written (its hashes are base64,
//	          so case matters), checked for form only.
//	tlsh      lower-case hex of 70 digits, or "T1" followed by 70 (the
//	          prefix stays upper case).
package observable

import "strconv"

// Kind is the kind of an observable value. The zero Kind is invalid.
type Kind uint8

// The kinds, in the order of their stable numbers (AppendKey writes the
// number; never renumber).
const (
	IPv4 Kind = iota + 1
	IPv6
	Domain
	URL
	Email
	MAC
	MD5
	SHA1
	SHA256
	SHA512
	SHA3_256
	SHA3_512
	SSDEEP
	TLSH
	maxKind = TLSH
)

var kindNames = [...]string{
	IPv4: "ipv4", IPv6: "ipv6", Domain: "domain", URL: "url", Email: "email", MAC: "mac",
	MD5: "md5", SHA1: "sha1", SHA256: "sha256", SHA512: "sha512",
	SHA3_256: "sha3-256", SHA3_512: "sha3-512", SSDEEP: "ssdeep", TLSH: "tlsh",
}

// Kinds lists every valid kind in order.
var Kinds = []Kind{IPv4, IPv6, Domain, URL, Email, MAC, MD5, SHA1, SHA256, SHA512, SHA3_256, SHA3_512, SSDEEP, TLSH}

// String returns the kind's name ("ipv4", "sha256", ...), or "kind(N)"
// for an invalid kind.
func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return k >= IPv4 && k <= maxKind }

// IsHash reports whether k is a file hash algorithm.
func (k Kind) IsHash() bool { return k >= MD5 && k <= TLSH }

// ParseKind returns the kind named name (as String writes it, in any
// case). The second result is false for an unknown name.
func ParseKind(name string) (Kind, bool) {
	for _, k := range Kinds {
		if equalFold(kindNames[k], name) {
			return k, true
		}
	}
	return 0, false
}

// hexLen is the number of hex digits of the fixed-length hash kinds.
var hexLen = [...]int{MD5: 32, SHA1: 40, SHA256: 64, SHA512: 128, SHA3_256: 64, SHA3_512: 128}

// hashKinds maps the hash algorithm names of STIX hashes dictionaries
// (hash-algorithm-ov) and their common spellings, upper-cased, to kinds.
var hashKinds = map[string]Kind{
	"MD5": MD5, "SHA-1": SHA1, "SHA1": SHA1, "SHA-256": SHA256, "SHA256": SHA256,
	"SHA-512": SHA512, "SHA512": SHA512, "SHA3-256": SHA3_256, "SHA3256": SHA3_256,
	"SHA3-512": SHA3_512, "SHA3512": SHA3_512, "SSDEEP": SSDEEP, "TLSH": TLSH,
}

// HashKind returns the kind of a STIX hash algorithm name such as "SHA-256"
// (case does not matter; "SHA256" is accepted too). The second result is
// false for other names.
func HashKind(algorithm string) (Kind, bool) {
	if len(algorithm) > 8 {
		return 0, false
	}
	var buf [8]byte
	for i := 0; i < len(algorithm); i++ {
		buf[i] = upper(algorithm[i])
	}
	k, ok := hashKinds[string(buf[:len(algorithm)])]
	return k, ok
}

// equalFold reports whether a and b are equal ignoring ASCII case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
