package auth

import "testing"

// FuzzParseToken checks that ParseToken accepts exactly the tokens
// Token.String produces.
func FuzzParseToken(f *testing.F) {
	tok, err := NewToken()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok.String())
	f.Add("tl_")
	f.Add("tl_0123456789abcdef_" + "A")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			return
		}
		if tok.String() != s {
			t.Fatalf("accepted %q, which prints as %q", s, tok.String())
		}
	})
}
