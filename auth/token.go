// Package auth issues API tokens and authenticates HTTP requests: bearer
// tokens, HTTP Basic with the token as password, and TLS client
// certificates bound to organizations.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// TokenPrefix starts every Tearline API token, so leaked tokens are easy to
// find with secret scanners.
const TokenPrefix = "tl_"

// Token is a new API token: its public key id, and the secret whose hash
// is stored.
type Token struct {
	KeyID  string // 16 hex digits
	Secret string // 43 base64url characters (32 random bytes)
}

// String returns the token as the client sends it: tl_<keyid>_<secret>.
func (t Token) String() string { return TokenPrefix + t.KeyID + "_" + t.Secret }

// Hash returns the stored form of the secret. The secret has 256 random
// bits, so a plain SHA-256 resists guessing; a slow password hash would add
// latency to every request and no safety.
func (t Token) Hash() []byte { return HashSecret(t.Secret) }

// NewToken returns a fresh random token.
func NewToken() (Token, error) {
	var id [8]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Token{}, err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return Token{}, err
	}
	return Token{KeyID: hex.EncodeToString(id[:]), Secret: base64.RawURLEncoding.EncodeToString(secret[:])}, nil
}

// ErrMalformedToken is returned by ParseToken for anything not shaped like
// a Tearline token.
var ErrMalformedToken = errors.New("malformed API token: expected tl_<key id>_<secret>")

// ParseToken splits a token into key id and secret.
func ParseToken(s string) (Token, error) {
	rest, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok || len(rest) != 16+1+43 || rest[16] != '_' {
		return Token{}, ErrMalformedToken
	}
	t := Token{KeyID: rest[:16], Secret: rest[17:]}
	if _, err := hex.DecodeString(t.KeyID); err != nil {
		return Token{}, ErrMalformedToken
	}
	if _, err := base64.RawURLEncoding.DecodeString(t.Secret); err != nil {
		return Token{}, ErrMalformedToken
	}
	return t, nil
}

// HashSecret returns the SHA-256 of a token secret.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// SecretMatches compares a presented secret with a stored hash in constant
// time.
func SecretMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), hash) == 1
}
