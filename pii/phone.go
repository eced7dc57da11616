package pii

import "github.com/nyaruka/phonenumbers"

// Bounds of an international number: E.164 allows 15 digits after the +;
// fewer than 8 in all is a short code or something else (a time zone
// offset, a count).
const (
	minPhoneDigits = 8
	maxPhoneDigits = 15
	maxPhoneBytes  = 32
)

// intlPhone returns the end of an international phone number starting with
// the + at i: digits in groups separated by single spaces, hyphens, dots or
// slashes, with at most one parenthesized group ("+44 (0)20 7946 0958"),
// that the phonenumbers library holds valid for its country.
func intlPhone(s string, i int, st *state) (int, bool) {
	if i+1 >= len(s) || !isDigit(s[i+1]) {
		return 0, false
	}
	// groupEnds holds the end of each digit group and the digit count there,
	// so that a number followed by another number can be tried without it.
	type mark struct{ end, digits int }
	var ends [maxPhoneDigits + 1]mark
	n := 0
	digits := 0
	paren := false   // a parenthesized group was seen
	inParen := false // inside it
	j := i + 1
	for j < len(s) && j-i <= maxPhoneBytes {
		c := s[j]
		switch {
		case isDigit(c):
			digits++
			if digits > maxPhoneDigits {
				return 0, false
			}
			j++
			if j >= len(s) || !isDigit(s[j]) {
				if !inParen {
					ends[n] = mark{j, digits}
					n++
				}
			}
			continue
		case c == '(' && !paren && j+1 < len(s) && isDigit(s[j+1]):
			paren, inParen = true, true
			j++
			continue
		case c == ')' && inParen && isDigit(s[j-1]) && j+1 < len(s) && (isDigit(s[j+1]) || s[j+1] == ' ' && j+2 < len(s) && isDigit(s[j+2])):
			inParen = false
			j++
			if s[j] == ' ' {
				j++
			}
			continue
		case (c == ' ' || c == '-' || c == '.' || c == '/') && !inParen && isDigit(s[j-1]) && j+1 < len(s) && (isDigit(s[j+1]) || s[j+1] == '('):
			j++
			continue
		}
		break
	}
	if j < len(s) && isDigit(s[j]) {
		return 0, false // longer than maxPhoneBytes
	}
	// Try the whole run, then without its last one or two groups.
	for k := n - 1; k >= 0 && k >= n-3; k-- {
		m := ends[k]
		if m.digits < minPhoneDigits {
			break
		}
		if !numRight(s, m.end) {
			continue
		}
		if st.validPhone(s[i:m.end], 0) {
			return m.end, true
		}
	}
	return 0, false
}

// nanpPhone returns the end of a North American number written in the
// national format at i: (NXX) NXX-XXXX, NXX-NXX-XXXX or NXX.NXX.XXXX,
// optionally after "1-". Other national formats need a country to be read
// and are not detected.
func nanpPhone(s string, i int, st *state) (int, bool) {
	j := i
	if s[j] == '(' {
		if !numLeft(s, j) || len(s)-j < 13 {
			return 0, false
		}
		if a, _ := digitsAt(s, j+1, 4); a-j-1 != 3 || s[a] != ')' {
			return 0, false
		}
		j += 5
		if s[j] == ' ' {
			j++
		}
		e, _ := digitsAt(s, j, 4)
		if e-j != 3 || e+5 > len(s) || s[e] != '-' {
			return 0, false
		}
		n, ok := digitsAt(s, e+1, 5)
		if n-e-1 != 4 || !ok || !numRight(s, n) {
			return 0, false
		}
		return n, st.validPhone(s[i:n], 1)
	}
	if s[j] == '1' && j+1 < len(s) && (s[j+1] == '-' || s[j+1] == ' ' || s[j+1] == '.') {
		j += 2
	}
	a, _ := digitsAt(s, j, 4)
	if a-j != 3 || a >= len(s) || (s[a] != '-' && s[a] != '.') {
		return 0, false
	}
	sep := s[a]
	e, _ := digitsAt(s, a+1, 4)
	if e-a-1 != 3 || e >= len(s) || s[e] != sep {
		return 0, false
	}
	n, ok := digitsAt(s, e+1, 5)
	if n-e-1 != 4 || !ok || !numRight(s, n) {
		return 0, false
	}
	return n, st.validPhone(s[i:n], 1)
}

// phoneBudget is how many numbers of one text are checked in full by the
// phonenumbers library (some 10-30 µs each, for its regular expressions).
// Beyond it, a candidate is taken as a phone number when its length is
// possible for its country: a text with more numbers than that is a list of
// numbers or an attack, and flagging too much is the safe side.
const phoneBudget = 64

// validPhone reports whether the number written in s is a valid phone
// number. cc is the country calling code of a national number (1 for the
// NANP formats), or 0 when s starts with + and the code.
func (st *state) validPhone(s string, cc int) bool {
	var digits [maxPhoneDigits + 1]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '(' && i+2 < len(s) && s[i+1] == '0' && s[i+2] == ')' && cc == 0 {
			i += 2 // a trunk prefix "(0)" after the country code is not dialled
			continue
		}
		if isDigit(c) {
			if n == len(digits) {
				return false
			}
			digits[n] = c - '0'
			n++
		}
	}
	d := digits[:n]
	if cc == 0 {
		// Country calling codes are prefix-free: at most one of the
		// first one to three digits is a code.
		for l := 1; l <= 3 && l < n; l++ {
			v := 0
			for _, x := range d[:l] {
				v = v*10 + int(x)
			}
			if phonenumbers.GetRegionCodeForCountryCode(v) != phonenumbers.UNKNOWN_REGION {
				cc, d = v, d[l:]
				break
			}
		}
		if cc == 0 {
			return false
		}
	} else if cc == 1 && len(d) == 11 && d[0] == 1 {
		d = d[1:]
	}
	if len(d) < 4 || len(d) > 14 {
		return false
	}
	var nn uint64
	for _, x := range d {
		nn = nn*10 + uint64(x)
	}
	code := int32(cc)
	num := phonenumbers.PhoneNumber{CountryCode: &code, NationalNumber: &nn}
	if d[0] == 0 {
		zeros := int32(0)
		for int(zeros) < len(d)-1 && d[zeros] == 0 {
			zeros++
		}
		leading := true
		num.ItalianLeadingZero = &leading
		if zeros > 1 {
			num.NumberOfLeadingZeros = &zeros
		}
	}
	if !phonenumbers.IsPossibleNumber(&num) {
		return false
	}
	if st.phoneChecks >= phoneBudget {
		return true
	}
	st.phoneChecks++
	return phonenumbers.IsValidNumber(&num)
}
