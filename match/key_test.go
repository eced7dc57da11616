package match

import (
	"bytes"
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
