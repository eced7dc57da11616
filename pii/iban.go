package pii

// ibanLength is the length of the IBAN of each country of the SWIFT IBAN
// registry.
var ibanLength = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
	"JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
	"MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
	"PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
	"SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// iban returns the end of an IBAN starting at i: a country code, two check
// digits and the country's number of upper-case letters and digits,
// contiguous or in groups of four separated by single spaces, whose mod-97
// check (ISO 13616) gives 1.
func iban(s string, i int) (int, bool) {
	if len(s)-i < 15 || !isUpper(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return 0, false
	}
	length, ok := ibanLength[s[i:i+2]]
	if !ok {
		return 0, false
	}
	var buf [34]byte
	n := 0
	j := i
	spaced := i+4 < len(s) && s[i+4] == ' '
	for n < length {
		if j >= len(s) {
			return 0, false
		}
		if n > 0 && n%4 == 0 && spaced {
			if s[j] != ' ' {
				return 0, false
			}
			j++
			if j >= len(s) {
				return 0, false
			}
		}
		c := s[j]
		if !isDigit(c) && !isUpper(c) {
			return 0, false
		}
		buf[n] = c
		n++
		j++
	}
	if j < len(s) && (isAlnum(s[j]) || spaced && s[j] == ' ' && j+1 < len(s) && isAlnum(s[j+1]) && !isLower(s[j+1]) && !restIsWord(s, j+1)) {
		return 0, false
	}
	if !numRight(s, j) || !mod97(buf[:n]) {
		return 0, false
	}
	return j, true
}

// restIsWord reports whether the token at i is a capitalized or upper-case
// word of letters (the sentence going on), not more IBAN groups.
func restIsWord(s string, i int) bool {
	k := i
	for k < len(s) && isAlpha(s[k]) {
		k++
	}
	return k > i && (k == len(s) || !isDigit(s[k]))
}

// mod97 computes the ISO 7064 MOD 97-10 check of an IBAN: the first four
// characters move to the end, letters become 10-35, and the number must
// leave 1 when divided by 97.
func mod97(b []byte) bool {
	r := 0
	add := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	for _, c := range b[4:] {
		add(c)
	}
	for _, c := range b[:4] {
		add(c)
	}
	return r == 1
}
