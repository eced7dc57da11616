package pii

// passportKeywords introduce a passport number (English, French, Spanish,
// Italian, German, Dutch).
var passportKeywords = []string{"passport", "passeport", "pasaporte", "passaporto", "reisepass", "paspoort"}

// passportFiller are the words allowed between the keyword and the number.
var passportFiller = map[string]bool{
	"no": true, "nr": true, "num": true, "number": true, "numbers": true, "id": true,
	"is": true, "was": true, "of": true, "the": true, "nummer": true, "numero": true,
	"número": true, "numéro": true, "n": true, "ref": true, "s": true, "card": true,
}

// passportWindow bounds how far after the keyword the number may start.
const passportWindow = 40

// passport returns the span of a passport number introduced by a keyword
// starting at i ("Passport No. 123456789", "passport: C01X00T47"): within
// passportWindow bytes after the keyword, past filler words and
// punctuation, a token of 6 to 9 upper-case letters and digits with at
// least 5 digits.
func passport(s string, i int) (start, end int, ok bool) {
	c := lower(s[i])
	if c != 'p' && c != 'r' {
		return 0, 0, false
	}
	kwEnd := -1
	for _, kw := range passportKeywords {
		if kw[0] == c && hasPrefixFold(s, i, kw) {
			kwEnd = i + len(kw)
			break
		}
	}
	if kwEnd < 0 {
		return 0, 0, false
	}
	if kwEnd < len(s) && lower(s[kwEnd]) == 's' { // plural
		kwEnd++
	}
	if kwEnd < len(s) && isAlpha(s[kwEnd]) {
		return 0, 0, false
	}
	limit := min(len(s), kwEnd+passportWindow)
	j := kwEnd
	abbrev := false // the last word read was an abbreviation such as "No"
	for j < limit {
		switch c := s[j]; {
		case c == ' ' || c == ':' || c == '#' || c == ',' || c == '(' || c == '-' || c == '\t' || c == '"' || c == '\'':
			j++
			continue
		case c == '.':
			// "No." goes on; any other full stop before a space ends
			// the sentence.
			if !abbrev && j+1 < len(s) && (s[j+1] == ' ' || s[j+1] == '\n') {
				return 0, 0, false
			}
			abbrev = false
			j++
			continue
		case isAlnum(c) || c >= 0x80:
			k := j
			for k < len(s) && (isAlnum(s[k]) || s[k] >= 0x80) && k-j <= 12 {
				k++
			}
			tok := s[j:k]
			if passportNumber(tok) && numRight(s, k) {
				return j, k, true
			}
			w := asciiLower(tok)
			if !passportFiller[w] {
				return 0, 0, false
			}
			abbrev = w == "no" || w == "nr" || w == "num" || w == "n" || w == "ref"
			j = k
			continue
		}
		return 0, 0, false
	}
	return 0, 0, false
}

// passportNumber reports whether tok has the shape of a passport number: 6
// to 9 upper-case letters and digits, at least 5 of them digits.
func passportNumber(tok string) bool {
	if len(tok) < 6 || len(tok) > 9 {
		return false
	}
	digits := 0
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case isDigit(c):
			digits++
		case !isUpper(c):
			return false
		}
	}
	return digits >= 5
}
