package pattern

import (
	"slices"
	"testing"
)

// lexAll returns the kinds and texts of the tokens of s, up to the first
// error.
func lexAll(s string) ([]tokKind, []string, *Error) {
	l := lexer{src: s}
	var kinds []tokKind
	var texts []string
	for {
		t, err := l.next()
		if err != nil {
			return kinds, texts, err
		}
		if t.kind == tEOF {
			return kinds, texts, nil
		}
		kinds = append(kinds, t.kind)
		texts = append(texts, t.text)
	}
}

func TestLex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		kinds []tokKind
		texts []string
	}{
		{"AND and ANDx AND-x _a1", []tokKind{tAnd, tIdent, tIdent, tIdentHyph, tIdent}, []string{"AND", "and", "ANDx", "AND-x", "_a1"}},
		{"true false True", []tokKind{tBool, tBool, tIdent}, []string{"true", "false", "True"}},
		{"t'2016-01-01T00:00:00Z' h'ff' b'AA==' t h x'1'", []tokKind{tTimestamp, tHex, tBinary, tIdent, tIdent, tIdent, tString},
			[]string{"2016-01-01T00:00:00Z", "ff", "AA==", "t", "h", "x", "1"}},
		{"1 -2 +3 .5 -.5 1.50 5.", []tokKind{tInt, tInt, tInt, tFloat, tFloat, tFloat, tInt, tDot}, []string{"1", "-2", "+3", ".5", "-.5", "1.50", "5", "."}},
		{"= == != <> < <= > >= : . , ( ) [ ] *", []tokKind{tEQ, tEQ, tNEQ, tNEQ, tLT, tLE, tGT, tGE, tColon, tDot, tComma, tLParen, tRParen, tLBrack, tRBrack, tStar}, nil},
		{`'a\'b\\c' ''`, []tokKind{tString, tString}, []string{`a'b\c`, ""}},
		{"a/*x*/b//c\nd\u2028e", []tokKind{tIdent, tIdent, tIdent, tIdent}, []string{"a", "b", "d", "e"}},
		{"x-y:z", []tokKind{tIdentHyph, tColon, tIdent}, []string{"x-y", ":", "z"}},
		{"5SECONDS", []tokKind{tInt, tSeconds}, nil},
	}
	for _, tc := range tests {
		kinds, texts, err := lexAll(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !slices.Equal(kinds, tc.kinds) {
			t.Errorf("%q: kinds %v, want %v", tc.in, kinds, tc.kinds)
		}
		if tc.texts != nil && !slices.Equal(texts, tc.texts) {
			t.Errorf("%q: texts %q, want %q", tc.in, texts, tc.texts)
		}
	}
}

// FuzzLex checks that the lexer ends on any input, that tokens follow one
// another inside the input, that errors point into it, and that strings
// survive the escaping String uses.
func FuzzLex(f *testing.F) {
	for _, s := range []string{
		"[file:hashes.'SHA-256' = 'aec0']", `'a\'b\\c'`, "t'2016-02-29T23:59:60.5Z'", "h'00ff'", "b'dGhp\ncw=='",
		"-.5 +1 007 1.", "/* x */ // y\n", "\u3000\u0085", "'\xff'", "!", `"`, "t'", "b'=='", "x-y-:z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := lexer{src: s}
		prev := 0
		for n := 0; ; n++ {
			if n > len(s)+1 {
				t.Fatalf("%q: more tokens than bytes", s)
			}
			tok, err := l.next()
			if err != nil {
				if err.Offset < 0 || err.Offset > len(s) || err.Msg == "" {
					t.Fatalf("%q: bad error %+v", s, err)
				}
				return
			}
			if tok.pos < prev || tok.end > len(s) || tok.end < tok.pos || tok.end == tok.pos && tok.kind != tEOF {
				t.Fatalf("%q: token %+v after offset %d", s, tok, prev)
			}
			prev = tok.end
			if tok.kind == tEOF {
				return
			}
			if tok.kind == tString {
				re := string(appendString(nil, tok.text))
				_, texts, err := lexAll(re)
				if err != nil || len(texts) != 1 || texts[0] != tok.text {
					t.Fatalf("%q: string %q re-escaped as %s lexes as %q, %v", s, tok.text, re, texts, err)
				}
			}
		}
	})
}
