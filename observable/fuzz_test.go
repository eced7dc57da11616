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

// FuzzFromObject checks that FromObject never panics on any bytes and that
// every observable it returns is canonical and has a storage key.
func FuzzFromObject(f *testing.F) {
	for _, s := range []string{
		`{"type":"ipv4-addr","value":"10.1.2.3/8"}`,
		`{"type":"file","hashes":{"MD5":"D41D8CD98F00B204E9800998ECF8427E","SHA-256":"x"}}`,
		`{"type":"email-addr","value":"Bob@Example.com"}`,
		indicator(`[url:value IN ('http://a.example/x', 'HTTP://A.example:80/x')]`),
		indicator(`[network-traffic:dst_ref.value = '203.0.113.5'] FOLLOWEDBY [file:hashes.MD5 = h'd41d8cd98f00b204e9800998ecf8427e']`),
		indicator(`[ipv4-addr:value ISSUBSET '198.51.100.7/24']`),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		obs, err := FromObject(raw)
		if err != nil && obs != nil {
			t.Fatalf("FromObject returned %v with error %v", obs, err)
		}
		for _, o := range obs {
			if again, err := Normalize(o.Kind, o.Value); err != nil || again != o {
				t.Fatalf("FromObject gave %v, which normalizes to %v, %v", o, again, err)
			}
			if _, err := AppendKey(nil, o); err != nil {
				t.Fatalf("FromObject gave %v without a key: %v", o, err)
			}
		}
	})
}
