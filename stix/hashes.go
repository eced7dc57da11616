package stix

import "strings"

// hashLengths gives the hexadecimal length of the hash algorithms of the
// hash-algorithm-ov vocabulary whose values have a fixed form.
var hashLengths = map[string]int{
	"MD5":      32,
	"SHA-1":    40,
	"SHA-256":  64,
	"SHA-512":  128,
	"SHA3-256": 64,
	"SHA3-512": 128,
}

// hashAlgorithms is hash-algorithm-ov.
var hashAlgorithms = []string{"MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH"}

// checkHashes checks a hashes dictionary: keys are hash-algorithm-ov names
// (others are allowed but warned about: custom names should start with
// "x_"), values of fixed-length algorithms are hex strings of that length.
func (c *checker) checkHashes(v *Value, path, name string) bool {
	if !c.wantKind(v, Object, path, name) {
		return false
	}
	if len(v.Members) == 0 {
		c.errorf(path, "empty-dict", "dictionary %q must not be empty; omit it instead", name)
		return false
	}
	ok := true
	for i := range v.Members {
		m := &v.Members[i]
		mp := joinPath(path, m.Name)
		if len(m.Name) < 3 || len(m.Name) > 250 || !validDictKey(m.Name) {
			c.errorf(mp, "hash-key", "hash algorithm name %s must be 3-250 ASCII letters, digits, '-' or '_'", quote(m.Name))
			ok = false
			continue
		}
		if m.Value.Kind != String {
			c.errorf(mp, "type", "hash value must be a string, not a %s", m.Value.Kind)
			ok = false
			continue
		}
		want, known := hashLengths[m.Name]
		if !known {
			if !isKnownHash(m.Name) && !strings.HasPrefix(m.Name, "x_") {
				c.warnf(mp, "hash-algorithm", "hash algorithm %s is not in hash-algorithm-ov; custom names should start with \"x_\"", quote(m.Name))
			}
			continue
		}
		if len(m.Value.Str) != want || !isHex(m.Value.Str) {
			c.errorf(mp, "hash-value", "%s hash must be %d hexadecimal characters, not %s", m.Name, want, quote(m.Value.Str))
			ok = false
		}
	}
	return ok
}

func isKnownHash(name string) bool {
	for _, h := range hashAlgorithms {
		if h == name {
			return true
		}
	}
	return false
}
