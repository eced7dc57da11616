package pii

import (
	"cmp"
	"slices"
)

// Span is one piece of personal data in a text: text[Start:End] holds data
// of kind Kind. Start and End are byte offsets and always fall on UTF-8
// character boundaries of a valid UTF-8 text.
type Span struct {
	Start int  `json:"start"`
	End   int  `json:"end"`
	Kind  Kind `json:"kind"`
}

// ScanText returns the personal data found in text, as non-overlapping spans
// in increasing order of Start; nil when there is none. The text may be of
// any size and need not be valid UTF-8: every detector reads a bounded
// window around each candidate, so the time taken grows linearly with the
// length of the text. See the package documentation for what each kind
// matches.
func ScanText(text string) []Span {
	return appendSpans(nil, text)
}

// appendSpans appends the spans of s to dst (which it may reuse) and returns
// the extended slice; the spans it adds are sorted and do not overlap.
func appendSpans(dst []Span, s string) []Span {
	base := len(dst)
	var st state
	for i := 0; i < len(s); i++ {
		act := action[s[i]]
		if act == 0 {
			continue
		}
		switch act {
		case actDigit:
			if !numLeft(s, i) {
				continue
			}
			dst = scanNumberAt(dst, s, i, &st)
		case actPlus:
			if !numLeft(s, i) {
				continue
			}
			if end, ok := intlPhone(s, i, &st); ok {
				dst = append(dst, Span{i, end, Phone})
			}
		case actParen:
			if end, ok := nanpPhone(s, i, &st); ok {
				dst = append(dst, Span{i, end, Phone})
			}
		case actAt:
			if start, end, ok := email(s, i); ok {
				dst = append(dst, Span{start, end, Email})
			}
		case actUpper:
			if i > 0 && isAlnum(s[i-1]) {
				continue
			}
			if end, ok := iban(s, i); ok {
				dst = append(dst, Span{i, end, IBAN})
			}
			dst = scanWordAt(dst, s, i)
		case actLowerKey:
			if i > 0 && isAlnum(s[i-1]) {
				continue
			}
			dst = scanWordAt(dst, s, i)
		}
	}
	dst = scanStrasse(dst, s)
	return resolve(dst, base)
}

// state is what the scan of one text keeps.
type state struct {
	phoneChecks int // full phone number validations made (see phoneBudget)
}

// scanNumberAt tries the kinds that start with a digit at i, which is at a
// left boundary.
func scanNumberAt(dst []Span, s string, i int, st *state) []Span {
	if end, ok := ssn(s, i); ok {
		dst = append(dst, Span{i, end, SSN})
	}
	if end, ok := card(s, i); ok {
		dst = append(dst, Span{i, end, Card})
	}
	if end, ok := nanpPhone(s, i, st); ok {
		dst = append(dst, Span{i, end, Phone})
	}
	if end, ok := streetAddress(s, i); ok {
		dst = append(dst, Span{i, end, Address})
	}
	return dst
}

// scanWordAt tries the keyword-led kinds at the start of a word.
func scanWordAt(dst []Span, s string, i int) []Span {
	if start, end, ok := passport(s, i); ok {
		dst = append(dst, Span{start, end, Passport})
	}
	return dst
}

// priority breaks ties between spans of equal extent: the more specific
// check wins.
var priority = [...]int{Card: 7, IBAN: 6, SSN: 5, Passport: 4, Phone: 3, Email: 2, Address: 1}

// resolve sorts dst[base:] and removes overlaps: of overlapping spans the
// one starting first is kept, and of spans starting together the longest,
// then the most specific.
func resolve(dst []Span, base int) []Span {
	spans := dst[base:]
	if len(spans) < 2 {
		return dst
	}
	slices.SortFunc(spans, func(a, b Span) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		if c := cmp.Compare(b.End, a.End); c != 0 {
			return c
		}
		return cmp.Compare(priority[b.Kind], priority[a.Kind])
	})
	out := spans[:1]
	for _, sp := range spans[1:] {
		if sp.Start >= out[len(out)-1].End {
			out = append(out, sp)
		}
	}
	return dst[:base+len(out)]
}

// Byte classes.
const (
	cDigit = 1 << iota
	cUpper
	cLower
	cUnder
	cHex
)

var class = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = cDigit | cHex
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = cUpper
		t[c+32] = cLower
	}
	for c := 'A'; c <= 'F'; c++ {
		t[c] |= cHex
		t[c+32] |= cHex
	}
	t['_'] = cUnder
	return t
}()

func isDigit(c byte) bool { return class[c]&cDigit != 0 }
func isUpper(c byte) bool { return class[c]&cUpper != 0 }
func isLower(c byte) bool { return class[c]&cLower != 0 }
func isAlpha(c byte) bool { return class[c]&(cUpper|cLower) != 0 }
func isAlnum(c byte) bool { return class[c]&(cDigit|cUpper|cLower) != 0 }
func isWord(c byte) bool  { return class[c]&(cDigit|cUpper|cLower|cUnder) != 0 }
func isHex(c byte) bool   { return class[c]&cHex != 0 }

func lower(c byte) byte {
	if isUpper(c) {
		return c + 32
	}
	return c
}

// Actions of the main loop, by byte.
const (
	actDigit = iota + 1
	actPlus
	actParen
	actAt
	actUpper
	actLowerKey
)

var action = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = actDigit
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = actUpper
	}
	t['+'] = actPlus
	t['('] = actParen
	t['@'] = actAt
	// First letters of lower-case keywords (passport and its translations).
	for _, c := range "pr" {
		t[c] = actLowerKey
	}
	return t
}()

// glue are the bytes that join a number to a neighbouring token into one
// larger token (a version, a path, an identifier, an expression): a number
// next to one of them is part of something else.
var glue = func() (t [256]bool) {
	for _, c := range []byte(".-/\\:@+=&%$~^|*_") {
		t[c] = true
	}
	return t
}()

// numLeft reports whether a number may start at i: the byte before it is
// neither part of a word nor glue (':' is allowed: "SSN:", "Tel:").
func numLeft(s string, i int) bool {
	if i == 0 {
		return true
	}
	p := s[i-1]
	if isAlnum(p) {
		return false
	}
	if p == ':' {
		// A colon after a digit is a time or a port; after a letter, a label.
		return i < 2 || !isDigit(s[i-2])
	}
	return !glue[p]
}

// numRight reports whether a number may end at j: the next byte is not part
// of a word, and not glue followed by more of a token.
func numRight(s string, j int) bool {
	if j >= len(s) {
		return true
	}
	c := s[j]
	if isWord(c) || c == '@' {
		return false
	}
	if j+1 < len(s) && isAlnum(s[j+1]) {
		switch c {
		case '.', '-', '/', '\\', ':', '+', '=', '_':
			return false
		case ',':
			return !isDigit(s[j+1])
		}
	}
	return true
}

// digitsAt returns the end of the run of at most max digits starting at i,
// and whether the run ended before max (the next byte is not a digit).
func digitsAt(s string, i, max int) (int, bool) {
	j := i
	for j < len(s) && j-i < max && isDigit(s[j]) {
		j++
	}
	return j, j >= len(s) || !isDigit(s[j])
}

// hasPrefixFold reports whether s[i:] begins with the lower-case ASCII word
// kw, ignoring case.
func hasPrefixFold(s string, i int, kw string) bool {
	if len(s)-i < len(kw) {
		return false
	}
	for k := 0; k < len(kw); k++ {
		if lower(s[i+k]) != kw[k] {
			return false
		}
	}
	return true
}

// precededBy reports whether one of the lower-case keywords kws occurs as a
// word in the window of at most window bytes before i.
func precededBy(s string, i, window int, kws ...string) bool {
	from := max(0, i-window)
	for k := from; k < i; k++ {
		if k > 0 && isAlpha(s[k-1]) {
			continue
		}
		for _, kw := range kws {
			if hasPrefixFold(s, k, kw) && (k+len(kw) >= len(s) || !isAlpha(s[k+len(kw)])) {
				return true
			}
		}
	}
	return false
}
