package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/tearline/tearline"
)

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		header, token string
		ok            bool
	}{
		{"Bearer tl_abc", "tl_abc", true},
		{"bearer   tl_abc  ", "tl_abc", true},
		{"Token tl_abc", "tl_abc", true},
		{"BASIC " + b64("user:tl_abc"), "tl_abc", true},
		{"Basic " + b64(":tl_abc"), "tl_abc", true},
		{"Basic " + b64("a:b:c"), "b:c", true},
		{"Basic " + b64("no colon"), "", false},
		{"Basic !!!", "", false},
		{"Basic  " + b64("u:p"), "", false}, // as net/http: one space only
		{"Digest x", "", false},
		{"Bearer", "", true}, // an empty token, refused by ParseToken
		{"tl_abc", "", false},
	}
	for _, tt := range tests {
		tok, err := parseAuthorization(tt.header)
		if tt.ok != (err == nil) || tok != tt.token {
			t.Errorf("parseAuthorization(%q) = %q, %v; want %q, ok %v", tt.header, tok, err, tt.token, tt.ok)
		}
		if err != nil && tearline.ErrorCode(err) != tearline.EUNAUTHORIZED {
			t.Errorf("parseAuthorization(%q): error code %q", tt.header, tearline.ErrorCode(err))
		}
	}
}

// FuzzParseAuthorization checks that any header value is parsed without
// panicking, that Bearer and Basic carry any token through unchanged, and
// that Basic is read as net/http reads it.
func FuzzParseAuthorization(f *testing.F) {
	tok, err := NewToken()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Bearer "+tok.String(), "user", tok.String())
	f.Add("Basic "+base64.StdEncoding.EncodeToString([]byte("u:"+tok.String())), "", "p")
	f.Add("Basic ===", "a:b", ":")
	f.Add("Token \t x", "é", "\x00")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, header, user, secret string) {
		got, err := parseAuthorization(header)
		// Basic as net/http reads it.
		scheme, _, _ := strings.Cut(header, " ")
		if strings.EqualFold(scheme, "basic") {
			r := &http.Request{Header: http.Header{"Authorization": {header}}}
			_, pass, ok := r.BasicAuth()
			if ok != (err == nil) || ok && pass != got {
				t.Fatalf("%q: parsed %q, %v; net/http %q, %v", header, got, err, pass, ok)
			}
		}
		if !strings.Contains(secret, "\n") && strings.TrimSpace(secret) == secret {
			if got, err := parseAuthorization("Bearer " + secret); err != nil || got != secret {
				t.Fatalf("Bearer %q: %q, %v", secret, got, err)
			}
		}
		if !strings.Contains(user, ":") {
			h := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
			if got, err := parseAuthorization(h); err != nil || got != secret {
				t.Fatalf("Basic %q:%q: %q, %v", user, secret, got, err)
			}
		}
	})
}

// TestSecretMatches checks the comparison of a presented secret with the
// stored hash: only the SHA-256 of the secret itself matches. The
// comparison is crypto/subtle.ConstantTimeCompare of two 32-byte digests,
// whose time depends on neither input's content; a timing test would be
// flaky, so the test checks its answers.
func TestSecretMatches(t *testing.T) {
	t.Parallel()
	tok, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	h := tok.Hash()
	if len(h) != sha256.Size || !bytes.Equal(h, HashSecret(tok.Secret)) {
		t.Fatalf("Hash is not the SHA-256 of the secret")
	}
	if bytes.Contains(h, []byte(tok.Secret)) {
		t.Fatal("the hash holds the secret")
	}
	flip := func(i int) []byte {
		c := bytes.Clone(h)
		c[i] ^= 1
		return c
	}
	for _, tt := range []struct {
		name   string
		secret string
		hash   []byte
		want   bool
	}{
		{"match", tok.Secret, h, true},
		{"first byte differs", tok.Secret, flip(0), false},
		{"last byte differs", tok.Secret, flip(sha256.Size - 1), false},
		{"hash cut short", tok.Secret, h[:16], false},
		{"empty hash", tok.Secret, nil, false},
		{"secret itself as the hash", tok.Secret, []byte(tok.Secret), false},
		{"other secret", tok.Secret + "x", h, false},
		{"absent key's hash", tok.Secret, absentHash, false},
	} {
		if got := SecretMatches(tt.secret, tt.hash); got != tt.want {
			t.Errorf("%s: SecretMatches = %v", tt.name, got)
		}
	}
}
