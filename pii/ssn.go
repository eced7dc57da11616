package pii

// ssnKeywords are the words that must precede (within ssnWindow bytes) a
// social security number written without dashes.
var ssnKeywords = []string{"ssn", "ssns", "social security", "soc. sec.", "ss#", "ss no"}

const ssnWindow = 40

// ssn returns the end of a US social security number starting at i:
// AAA-GG-SSSS, or AAA GG SSSS and AAAGGSSSS after a keyword such as "SSN".
// The area may not be 000, 666 or 900-999, the group 00 nor the serial
// 0000: the Social Security Administration never issues those.
func ssn(s string, i int) (int, bool) {
	if len(s)-i < 9 {
		return 0, false
	}
	a, ok := digitsAt(s, i, 3)
	if a-i != 3 {
		return 0, false
	}
	var end int
	switch sep := s[a]; {
	case sep == '-' || sep == ' ':
		g, okg := digitsAt(s, a+1, 2)
		if g-a-1 != 2 || !okg || g >= len(s) || s[g] != sep {
			return 0, false
		}
		n, okn := digitsAt(s, g+1, 4)
		if n-g-1 != 4 || !okn {
			return 0, false
		}
		end = n
		if sep == ' ' && !precededBy(s, i, ssnWindow, ssnKeywords...) {
			return 0, false
		}
	case ok:
		return 0, false
	default:
		n, okn := digitsAt(s, i, 9)
		if n-i != 9 || !okn || !precededBy(s, i, ssnWindow, ssnKeywords...) {
			return 0, false
		}
		end = n
	}
	if !numRight(s, end) {
		return 0, false
	}
	var d [9]byte
	k := 0
	for j := i; j < end; j++ {
		if isDigit(s[j]) {
			d[k] = s[j] - '0'
			k++
		}
	}
	area := int(d[0])*100 + int(d[1])*10 + int(d[2])
	group := int(d[3])*10 + int(d[4])
	serial := int(d[5])*1000 + int(d[6])*100 + int(d[7])*10 + int(d[8])
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return 0, false
	}
	return end, true
}
