package webhook

import (
	"errors"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	t.Parallel()
	secret, body := []byte("whsec-test"), []byte(`{"type":"bundle","id":"bundle--1","objects":[]}`)
	at := time.Unix(1767225600, 0)
	h := Sign(secret, at, body)
	// Computed independently: printf '1767225600.%s' "$body" | openssl dgst -sha256 -hmac whsec-test
	const want = "t=1767225600,v1=fc2759cdd2528e2d4e4bf9b9cbd0e45ba8556c78c9433e76873726b4c0a75c8a"
	if h != want {
		t.Fatalf("Sign = %q, want %q", h, want)
	}
	for _, tc := range []struct {
		name   string
		header string
		secret []byte
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", h, secret, body, at.Add(time.Minute), nil},
		{"valid, rotated secrets", h + ",v1=" + Sign([]byte("old"), at, body)[len("t=1767225600,v1="):], secret, body, at, nil},
		{"other secret", h, []byte("other"), body, at, ErrMismatch},
		{"altered body", h, secret, append([]byte(" "), body...), at, ErrMismatch},
		{"replayed later", h, secret, body, at.Add(6 * time.Minute), ErrTooOld},
		{"from the future", h, secret, body, at.Add(-6 * time.Minute), ErrTooOld},
		{"other time", "t=1767225601" + h[len("t=1767225600"):], secret, body, at, ErrMismatch},
		{"no t", h[len("t=1767225600,"):], secret, body, at, ErrMalformed},
		{"no v1", "t=1767225600", secret, body, at, ErrMalformed},
		{"short v1", "t=1767225600,v1=abcd", secret, body, at, ErrMalformed},
		{"t twice", "t=1,t=1767225600" + h[len("t=1767225600"):], secret, body, at, ErrMalformed},
		{"negative t", "t=-5,v1=" + h[len("t=1767225600,v1="):], secret, body, at, ErrMalformed},
		{"garbage", "hello", secret, body, at, ErrMalformed},
		{"empty", "", secret, body, at, ErrMalformed},
	} {
		err := Verify(tc.header, tc.secret, tc.body, tc.now, 0)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("t=1767225600,v1=fc2759cdd2528e2d4e4bf9b9cbd0e45ba8556c78c9433e76873726b4c0a75c8a")
	f.Add("t=1,v1=00,v0=zz")
	f.Add(",,,=")
	f.Fuzz(func(t *testing.T, header string) {
		ts, sigs, err := Parse(header)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q) error %v is not ErrMalformed", header, err)
			}
			return
		}
		if ts < 0 || len(sigs) == 0 {
			t.Fatalf("Parse(%q) = %d, %d signatures", header, ts, len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("Parse(%q) gave a %d-byte signature", header, len(s))
			}
		}
	})
}
