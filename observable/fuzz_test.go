package observable

import (
	"testing"
)

// FuzzNormalize checks, for every kind, that Normalize never panics, that
// what it returns is canonical (normalizing again changes nothing), and
// that its storage key decodes back to it.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"1.2.3.4", "1.2.3.4/32", "::ffff:1.2.3.4/120", "2001:DB8::1/64", "EXAMPLE.com.", "bücher.example",
		"http://Example.com:80/a/../b/%7e?x#y", "Alice@Example.COM", "00-1A-2B-3C-4D-5E",
		"D41D8CD98F00B204E9800998ECF8427E", "3:AXGB:AXGH", "T1ABCDEF",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range Kinds {
			o, err := Normalize(k, s)
			if err != nil {
				continue
			}
			if again, err := Normalize(o.Kind, o.Value); err != nil || again != o {
				t.Fatalf("Normalize(%s, %q) = %v, but normalizing that gives %v, %v", k, s, o, again, err)
			}
			key, err := AppendKey(nil, o)
			if err != nil {
				t.Fatalf("Normalize(%s, %q) = %v, whose key fails: %v", k, s, o, err)
			}
			if back, err := ParseKey(key); err != nil || back != o {
				t.Fatalf("key of %v decodes to %v, %v", o, back, err)
			}
		}
		if k, ok := Detect(s); ok && !k.Valid() {
			t.Fatalf("Detect(%q) = invalid kind %v", s, k)
		}
	})
}
