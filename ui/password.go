package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters of new hashes (OWASP's minimum of 19 MiB, two
// passes). Verification reads the parameters from the stored hash, so
// they can be raised without invalidating passwords.
var hashParams = argonParams{memory: 19 * 1024, time: 2, threads: 1}

type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// HashPassword returns the argon2id hash of password in the PHC string
// format ($argon2id$v=19$m=...,t=...,p=...$salt$hash). It refuses a
// password shorter than MinPasswordLength or longer than 1024 bytes.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("a password needs at least %d characters", MinPasswordLength)
	}
	if len(password) > 1024 {
		return "", fmt.Errorf("a password has at most 1024 bytes")
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	p := hashParams
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the hash that
// HashPassword returned. A malformed hash matches nothing.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) || len(password) > 1024 {
		return false
	}
	var p argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return false
	}
	// Bounds keep a tampered hash from costing the server its memory.
	if p.memory == 0 || p.memory > 1<<20 || p.time == 0 || p.time > 16 || p.threads == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a user name is unknown, so that the
// answer takes as long as for a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("no-such-user-password")
	return h
})
