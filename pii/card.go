package pii

// card returns the end of a payment card number starting at i: 13 to 19
// digits, contiguous or in the groups cards print (4-4-4-4, 4-4-4-4-3,
// 4-6-5, 4-6-4) separated by single spaces or single hyphens, with a known
// issuer prefix and length and a valid Luhn check digit.
func card(s string, i int) (int, bool) {
	type group struct{ start, end int }
	var gs [6]group
	n, digits := 0, 0
	var sep byte
	j := i
	for n < len(gs) {
		k, _ := digitsAt(s, j, 20)
		if digits+k-j > 19 {
			if n == 0 {
				return 0, false
			}
			break
		}
		gs[n] = group{j, k}
		n++
		digits += k - j
		if n == 1 && k-j != 4 && k-j < 13 {
			return 0, false // a card starts with a group of 4, or is contiguous
		}
		if k+1 < len(s) && (s[k] == ' ' || s[k] == '-') && isDigit(s[k+1]) && (sep == 0 || s[k] == sep) {
			sep = s[k]
			j = k + 1
			continue
		}
		break
	}
	if digits < 13 {
		return 0, false
	}
	// The longest prefix of the groups that is a card number wins.
	for m := n; m >= 1; m-- {
		g := gs[:m]
		var lens [6]int
		total := 0
		for x := range g {
			lens[x] = g[x].end - g[x].start
			total += lens[x]
		}
		if total < 13 || !cardShape(lens[:m]) {
			continue
		}
		end := g[m-1].end
		if !numRight(s, end) || m > 1 && hexNeighbour(s, i, end, sep, lens[0]) {
			continue
		}
		var num [19]byte
		x := 0
		for p := i; p < end; p++ {
			if isDigit(s[p]) {
				num[x] = s[p] - '0'
				x++
			}
		}
		if issuer(num[:x]) && luhn(num[:x]) {
			return end, true
		}
	}
	return 0, false
}

// cardShape reports whether digit groups of these lengths are the way a
// card number is printed.
func cardShape(lens []int) bool {
	switch len(lens) {
	case 1:
		return true
	case 3:
		return lens[0] == 4 && lens[1] == 6 && (lens[2] == 5 || lens[2] == 4)
	case 4, 5:
		for _, l := range lens[:len(lens)-1] {
			if l != 4 {
				return false
			}
		}
		return lens[len(lens)-1] >= 1 && lens[len(lens)-1] <= 4
	}
	return false
}

// hexNeighbour reports whether the grouped number s[start:end] continues,
// across the same separator, with a group of hexadecimal characters as long
// as its first group: then it is a slice of a hex dump or a longer grouped
// number, not a card.
func hexNeighbour(s string, start, end int, sep byte, glen int) bool {
	if start >= 2 && s[start-1] == sep {
		k := start - 1
		for k > 0 && isHex(s[k-1]) {
			k--
		}
		if start-1-k == glen && (k == 0 || !isAlnum(s[k-1])) {
			return true
		}
	}
	if end+1 < len(s) && s[end] == sep {
		k := end + 1
		for k < len(s) && isHex(s[k]) {
			k++
		}
		if k-end-1 == glen && (k == len(s) || !isAlnum(s[k])) {
			return true
		}
	}
	return false
}

// issuer reports whether the digits begin with an issuer identification
// number of a card network that issues numbers of this length.
func issuer(d []byte) bool {
	n := len(d)
	p := func(k int) int { // the first k digits as a number
		v := 0
		for _, c := range d[:k] {
			v = v*10 + int(c)
		}
		return v
	}
	switch {
	case d[0] == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720: // Mastercard
		return n == 16
	case p(2) == 34 || p(2) == 37: // American Express
		return n == 15
	case p(4) >= 2200 && p(4) <= 2204: // Mir
		return n >= 16
	case p(3) >= 300 && p(3) <= 305, p(4) == 3095, p(2) == 36, p(2) == 38, p(2) == 39: // Diners Club
		return n >= 14
	case p(4) >= 3528 && p(4) <= 3589: // JCB
		return n >= 16
	case p(4) == 6011, p(3) >= 644 && p(3) <= 649, p(2) == 65: // Discover
		return n >= 16
	case p(2) == 62: // UnionPay
		return n >= 16
	case p(2) == 60: // RuPay
		return n >= 16
	case p(2) == 50, p(2) >= 56 && p(2) <= 58, p(2) == 63, p(2) == 67: // Maestro
		return n >= 13
	}
	return false
}

// luhn reports whether the digits end in a valid Luhn check digit.
func luhn(d []byte) bool {
	sum := 0
	for k := range d {
		v := int(d[len(d)-1-k])
		if k%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}
