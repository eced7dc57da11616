package pii

import "strings"

// streetSuffixes are the street types that end the street name of an
// address ("Street", "St", "Ave", ...), lower-cased.
var streetSuffixes = map[string]bool{
	"street": true, "st": true, "avenue": true, "ave": true, "av": true, "road": true,
	"rd": true, "boulevard": true, "blvd": true, "lane": true, "ln": true, "drive": true,
	"dr": true, "court": true, "ct": true, "place": true, "pl": true, "terrace": true,
	"ter": true, "parkway": true, "pkwy": true, "highway": true, "hwy": true, "way": true,
	"circle": true, "cir": true, "square": true, "sq": true, "trail": true, "trl": true,
	"plaza": true, "plz": true, "close": true, "crescent": true, "cres": true,
	"alley": true, "pike": true, "loop": true,
}

// directions may follow the street ("1600 Pennsylvania Avenue NW").
var directions = map[string]bool{
	"N": true, "S": true, "E": true, "W": true, "NE": true, "NW": true, "SE": true, "SW": true,
}

// unitWords introduce a unit after the street ("Suite 100").
var unitWords = map[string]bool{
	"apt": true, "apartment": true, "suite": true, "ste": true, "unit": true, "floor": true,
	"fl": true, "room": true, "rm": true, "bldg": true, "building": true,
}

// usStates are the two-letter codes of the US states, the District of
// Columbia and the territories.
var usStates = func() map[string]bool {
	m := map[string]bool{}
	for s := range strings.FieldsSeq(`AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN
		MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP`) {
		m[s] = true
	}
	return m
}()

// maxStreetWords bounds the words of a street name.
const maxStreetWords = 5

// streetAddress returns the end of a street address starting with the
// house number at i: a number of 1 to 6 digits (and an optional letter),
// one to four capitalized words or ordinals (5th), and a street suffix;
// then optionally a direction, a unit (", Suite 100") and a US city, state
// and ZIP code (", Springfield, IL 62704").
func streetAddress(s string, i int) (int, bool) {
	if s[i] == '0' {
		return 0, false
	}
	n, ok := digitsAt(s, i, 6)
	if !ok || n >= len(s) {
		return 0, false
	}
	if isAlpha(s[n]) && n+1 < len(s) && s[n+1] == ' ' {
		n++
	}
	if s[n] != ' ' {
		return 0, false
	}
	j := n + 1
	end := -1
	for w := 1; w <= maxStreetWords+1; w++ {
		k, ok := streetWord(s, j)
		if !ok {
			return 0, false
		}
		if w >= 2 && streetSuffixes[asciiLower(s[j:k])] && isUpper(s[j]) {
			end = k
			break
		}
		if k >= len(s) || s[k] != ' ' {
			return 0, false
		}
		j = k + 1
	}
	if end < 0 {
		return 0, false
	}
	// A direction after the suffix.
	if k, ok := wordAfter(s, end, " "); ok && directions[s[end+1:k]] {
		end = k
	}
	// A unit.
	for _, lead := range []string{", ", " "} {
		if k, ok := wordAfter(s, end, lead); ok && unitWords[asciiLower(strings.TrimSuffix(s[end+len(lead):k], "."))] {
			if k < len(s) && s[k] == '.' {
				k++
			}
			if k+1 < len(s) && s[k] == ' ' {
				m := k + 1
				for m < len(s) && isAlnum(s[m]) && m-k <= 6 {
					m++
				}
				if m > k+1 && (m == len(s) || !isAlnum(s[m])) {
					end = m
				}
			}
			break
		}
	}
	// City, state and ZIP code.
	if e, ok := cityStateZIP(s, end); ok {
		end = e
	}
	if end < len(s) && isAlnum(s[end]) {
		return 0, false
	}
	return end, true
}

// streetWord returns the end of a word of a street name at j: a word of
// letters starting with an upper-case letter (with inner apostrophes or
// hyphens), or an ordinal such as 5th or 42nd.
func streetWord(s string, j int) (int, bool) {
	if j >= len(s) {
		return 0, false
	}
	k := j
	switch {
	case isUpper(s[j]):
		k++
		for k < len(s) && k-j < 30 {
			if isAlpha(s[k]) {
				k++
			} else if (s[k] == '\'' || s[k] == '-') && k+1 < len(s) && isAlpha(s[k+1]) {
				k += 2
			} else {
				break
			}
		}
	case isDigit(s[j]):
		k, _ = digitsAt(s, j, 4)
		if k+2 > len(s) {
			return 0, false
		}
		switch s[k : k+2] {
		case "st", "nd", "rd", "th":
			k += 2
		default:
			return 0, false
		}
	default:
		return 0, false
	}
	if k < len(s) && isAlnum(s[k]) {
		return 0, false
	}
	return k, true
}

// wordAfter returns the end of the word of letters that follows lead at
// s[end:].
func wordAfter(s string, end int, lead string) (int, bool) {
	if !strings.HasPrefix(s[end:], lead) {
		return 0, false
	}
	j := end + len(lead)
	k := j
	for k < len(s) && isAlpha(s[k]) && k-j < 20 {
		k++
	}
	if k == j || k < len(s) && isDigit(s[k]) {
		return 0, false
	}
	return k, true
}

// cityStateZIP returns the end of ", City, ST" with an optional ZIP code
// ("12345" or "12345-6789") at end.
func cityStateZIP(s string, end int) (int, bool) {
	if !strings.HasPrefix(s[end:], ", ") {
		return 0, false
	}
	j := end + 2
	for w := 0; ; w++ {
		if w == 3 || j >= len(s) || !isUpper(s[j]) {
			return 0, false
		}
		k, ok := streetWord(s, j)
		if !ok {
			return 0, false
		}
		j = k
		if strings.HasPrefix(s[j:], ", ") {
			break
		}
		if j >= len(s) || s[j] != ' ' {
			return 0, false
		}
		j++
	}
	j += 2
	if j+2 > len(s) || !usStates[s[j:j+2]] || j+2 < len(s) && isAlnum(s[j+2]) {
		return 0, false
	}
	j += 2
	if j+6 <= len(s) && s[j] == ' ' {
		if z, ok := digitsAt(s, j+1, 5); ok && z-j-1 == 5 {
			j = z
			if j+5 <= len(s) && s[j] == '-' {
				if z4, ok := digitsAt(s, j+1, 4); ok && z4-j-1 == 4 {
					j = z4
				}
			}
		}
	}
	return j, true
}

// German street names end in -straße, -strasse or -str. and come before the
// house number ("Hauptstraße 12", "Kieler Straße 5a").
var strasseForms = []string{"straße", "strasse", "str."}

// scanStrasse appends the German street addresses of s.
func scanStrasse(dst []Span, s string) []Span {
	for _, needle := range []string{"str", "Str"} {
		for from := 0; ; {
			p := strings.Index(s[from:], needle)
			if p < 0 {
				break
			}
			p += from
			from = p + len(needle)
			if start, end, ok := strasse(s, p); ok {
				dst = append(dst, Span{start, end, Address})
			}
		}
	}
	return dst
}

// strasse returns the span of a German street address whose street type
// starts at p.
func strasse(s string, p int) (start, end int, ok bool) {
	k := -1
	for _, f := range strasseForms {
		if hasPrefixFold(s, p, f) {
			k = p + len(f)
			break
		}
	}
	if k < 0 {
		return 0, 0, false
	}
	// The word the street type ends.
	ws := p
	for ws > 0 && p-ws < 40 && (isAlpha(s[ws-1]) || s[ws-1] >= 0x80 || s[ws-1] == '-') {
		ws--
	}
	if ws == p {
		// "Straße" on its own: the street name is the word before.
		if !isUpper(s[p]) || ws < 2 || s[ws-1] != ' ' {
			return 0, 0, false
		}
		ws--
		for ws > 0 && p-ws < 40 && (isAlpha(s[ws-1]) || s[ws-1] >= 0x80 || s[ws-1] == '-') {
			ws--
		}
		if ws == p-1 {
			return 0, 0, false
		}
	}
	if !(isUpper(s[ws]) || s[ws] >= 0xC0) || ws > 0 && isAlnum(s[ws-1]) {
		return 0, 0, false
	}
	if k >= len(s) || s[k] != ' ' && s[k-1] != '.' {
		return 0, 0, false
	}
	if s[k] == ' ' {
		k++
	}
	if k >= len(s) || s[k] == '0' {
		return 0, 0, false
	}
	n, done := digitsAt(s, k, 4)
	if n == k || !done {
		return 0, 0, false
	}
	if n < len(s) && isAlpha(s[n]) && (n+1 == len(s) || !isAlnum(s[n+1])) {
		n++
	}
	if !numRight(s, n) {
		return 0, 0, false
	}
	// A postal code and a town.
	if strings.HasPrefix(s[n:], ", ") {
		if z, ok := digitsAt(s, n+2, 5); ok && z-n-2 == 5 && z+1 < len(s) && s[z] == ' ' && (isUpper(s[z+1]) || s[z+1] >= 0xC0) {
			t := z + 1
			for t < len(s) && (isAlpha(s[t]) || s[t] >= 0x80 || s[t] == '-') && t-z < 40 {
				t++
			}
			n = t
		}
	}
	return ws, n, true
}
