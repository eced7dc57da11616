package match

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/tearline/tearline/observable"
)

// TestHashKeys checks the one-pass keys of hashes against what
// observable.Normalize and AppendKey give (or the value as written when
// it does not normalize).
func TestHashKeys(t *testing.T) {
	t.Parallel()
	hex := "0123456789abcdefABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, kind := range []observable.Kind{observable.MD5, observable.SHA1, observable.SHA256, observable.SHA512, observable.SHA3_256, observable.SHA3_512, observable.SSDEEP, observable.TLSH, observable.Domain} {
		for _, n := range []int{0, 1, 31, 32, 33, 40, 64, 70, 128} {
			s := hex[:n]
			for _, v := range []string{s, strings.ToUpper(s), strings.ToLower(s), s + "g", strings.Replace(s, "a", ":", 1), strings.Replace(s, "0", "\xff", 1), "T1" + s} {
				want := []byte{tagRaw}
				want = append(want, v...)
				if o, err := observable.Normalize(kind, v); err == nil {
					if k, err := observable.AppendKey(nil, o); err == nil {
						want = k
					}
				}
				if got := appendStringKey(nil, kind, v); !bytes.Equal(got, want) {
					t.Errorf("key of %s %q = %x, want %x", kind, v, got, want)
				}
			}
		}
	}
}

// TestParseIPv4 checks the IPv4 reader against net/netip: what it reads,
// netip reads as the same address, and it reads every IPv4 address netip
// writes.
func TestParseIPv4(t *testing.T) {
	t.Parallel()
	cases := []string{"", ".", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.256", "01.2.3.4",
		"1.2.3.04", "1.2.3.0", "00.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4/24",
		"1.2.3.4%eth0", "::ffff:1.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1000.1.1.1", "1.2.3.4a", "١.2.3.4", "9.99.199.249"}
	r := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var a [4]byte
		for k := range a {
			a[k] = byte(r.UintN(256))
		}
		s := netip.AddrFrom4(a).String()
		cases = append(cases, s)
		// A byte changed or dropped.
		b := []byte(s)
		k := r.IntN(len(b))
		if r.IntN(2) == 0 {
			b[k] = "0123456789./:x"[r.IntN(14)]
		} else {
			b = append(b[:k], b[k+1:]...)
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		got, ok := parseIPv4(s)
		want, err := netip.ParseAddr(s)
		wantOK := err == nil && want.Is4()
		if ok != wantOK || ok && got != want.As4() {
			t.Errorf("parseIPv4(%q) = %v, %v; netip reads %v, %v", s, got, ok, want, err)
		}
		for _, kind := range []observable.Kind{observable.IPv4, observable.IPv6} {
			k := appendStringKey(nil, kind, s)
			wantKey := []byte{tagRaw}
			wantKey = append(wantKey, s...)
			if o, err := observable.Normalize(kind, s); err == nil {
				if kk, err := observable.AppendKey(nil, o); err == nil {
					wantKey = kk
				}
			}
			if !bytes.Equal(k, wantKey) {
				t.Errorf("key of %s %q = %x, want %x", kind, s, k, wantKey)
			}
		}
	}
}
