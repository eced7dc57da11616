// Package normalize holds the rules that every store applies to what it is
// asked to keep, so that the sqlite and postgres stores accept, refuse and
// canonicalize the same values: collection aliases, organization names and
// profiles, certificate fingerprints, version filters, and the comparison
// of object versions by content.
package normalize

import (
	"encoding/hex"
	"strings"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// MaxAliasLen is the longest collection alias accepted.
const MaxAliasLen = 64

// CollectionAlias returns EINVALID unless s is 1 to 64 lower-case ASCII
// letters, digits, '-' and '_', and is not itself a UUID (which would make
// FindCollection ambiguous between one collection's alias and another's
// id).
func CollectionAlias(s string) error {
	if s == "" {
		return tearline.Errorf(tearline.EINVALID, "collection alias is empty")
	}
	if len(s) > MaxAliasLen {
		return tearline.Errorf(tearline.EINVALID, "collection alias is longer than %d characters", MaxAliasLen)
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return tearline.Errorf(tearline.EINVALID,
				"collection alias %q may only hold lower-case letters, digits, '-' and '_'", s)
		}
	}
	if _, err := uuid.Parse(s); err == nil {
		return tearline.Errorf(tearline.EINVALID, "collection alias %q must not be a UUID", s)
	}
	return nil
}

// Fingerprint returns a SHA-256 certificate fingerprint as 64 lower-case
// hex digits, with any ':' separators removed (as openssl prints them), and
// whether s was one.
func Fingerprint(s string) (string, bool) {
	s = strings.ToLower(strings.ReplaceAll(s, ":", ""))
	if len(s) != 64 {
		return "", false
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", false
	}
	return s, true
}
