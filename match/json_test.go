package match

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestParseDecimal checks the fast path of numbers with a fraction
// against strconv.ParseFloat, bit for bit.
func TestParseDecimal(t *testing.T) {
	t.Parallel()
	cases := []string{"0.5", "-0.0", "1709287200.123456", "0.000123", "123456789012.345", "999999999999999.9", "1.50000", "4444.0", "-3.25", "0.1", "0.3", "12345678.87654321", "4503599627370495.5", "4503599627370496.5", "0.0000000000000000001", "1e5", "1.2.3", "-", ".5"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		n := r.IntN(19)
		s := strconv.FormatUint(r.Uint64N(1<<53), 10)
		if len(s) > n+1 {
			s = s[:n+1]
		}
		k := r.IntN(len(s) + 1)
		cases = append(cases, s[:k]+"."+s[k:]+"0", "-"+s[:k]+"."+s[k:])
	}
	for _, c := range cases {
		got, ok := parseDecimal([]byte(c))
		want, err := strconv.ParseFloat(c, 64)
		if !ok {
			continue
		}
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("parseDecimal(%q) = %v, ParseFloat: %v, %v", c, got, want, err)
		}
	}
	if _, ok := parseDecimal([]byte("1709287200.123456")); !ok {
		t.Error("parseDecimal refused a Zeek time")
	}
}

// TestPlain8 checks the eight-byte test of parseString against the byte
// table, for every byte in every position.
func TestPlain8(t *testing.T) {
	t.Parallel()
	base := []byte("abcdefgh")
	for pos := range 8 {
		for c := range 256 {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			want := true
			for _, x := range b {
				want = want && !strSpecial[x]
			}
			var x uint64
			for k := 7; k >= 0; k-- {
				x = x<<8 | uint64(b[k])
			}
			if got := plain8(x); got != want {
				t.Errorf("plain8(%q) = %v, want %v", b, got, want)
			}
			checkFirstSpecial(t, x)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		var x uint64
		for range 8 {
			c := 0x20 + r.Uint64N(0x5f) // mostly printable ASCII
			if r.IntN(20) == 0 {
				c = r.Uint64N(256)
			}
			x = x<<8 | c
		}
		want := true
		for k := range 8 {
			want = want && !strSpecial[byte(x>>(8*k))]
		}
		if got := plain8(x); got != want {
			t.Errorf("plain8(%#x) = %v, want %v", x, got, want)
		}
		checkFirstSpecial(t, x)
	}
}

// checkFirstSpecial checks that firstSpecial finds the first byte of x
// (little-endian) the byte table marks, when there is one.
func checkFirstSpecial(t *testing.T, x uint64) {
	t.Helper()
	m := special8(x)
	if m == 0 {
		return
	}
	want := 0
	for want < 8 && !strSpecial[byte(x>>(8*want))] {
		want++
	}
	if got := firstSpecial(m); got != want {
		t.Errorf("firstSpecial(special8(%#x)) = %d, want %d", x, got, want)
	}
}
