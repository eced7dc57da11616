package observable

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 63)
	tests := []struct {
		kind  Kind
		in    string
		want  Kind // 0: the kind given
		out   string
		error bool
	}{
		// IPv4
		{kind: IPv4, in: "1.2.3.4", out: "1.2.3.4"},
		{kind: IPv4, in: "1.2.3.4/32", out: "1.2.3.4"},
		{kind: IPv4, in: "10.1.2.3/8", out: "10.0.0.0/8"},
		{kind: IPv4, in: "0.0.0.0/0", out: "0.0.0.0/0"},
		{kind: IPv4, in: "::ffff:1.2.3.4", out: "1.2.3.4"},
		{kind: IPv4, in: "::ffff:102:304", out: "1.2.3.4"},
		{kind: IPv4, in: "::ffff:1.2.3.0/120", out: "1.2.3.0/24"},
		{kind: IPv4, in: "::ffff:1.2.3.4/128", out: "1.2.3.4"},
		{kind: IPv4, in: "::ffff:0.0.0.0/95", want: IPv6, out: "::fffe:0:0/95"},
		{kind: IPv4, in: "01.2.3.4", error: true},
		{kind: IPv4, in: "1.2.3", error: true},
		{kind: IPv4, in: "1.2.3.4/33", error: true},
		{kind: IPv4, in: "1.2.3.4/", error: true},
		{kind: IPv4, in: " 1.2.3.4", error: true},
		{kind: IPv4, in: "", error: true},
		{kind: IPv4, in: "256.1.1.1", error: true},
		// IPv6
		{kind: IPv6, in: "2001:DB8::1", out: "2001:db8::1"},
		{kind: IPv6, in: "2001:0db8:0000:0000:0000:0000:0000:0001", out: "2001:db8::1"},
		{kind: IPv6, in: "2001:db8:0:0:1:0:0:1", out: "2001:db8::1:0:0:1"},
		{kind: IPv6, in: "2001:db8::1/128", out: "2001:db8::1"},
		{kind: IPv6, in: "2001:db8::1/32", out: "2001:db8::/32"},
		{kind: IPv6, in: "::", out: "::"},
		{kind: IPv6, in: "fe80::1%eth0", error: true},
		{kind: IPv6, in: "1.2.3.4", want: IPv4, out: "1.2.3.4"},
		{kind: IPv6, in: "2001:db8:::1", error: true},
		// domains
		{kind: Domain, in: "example.com", out: "example.com"},
		{kind: Domain, in: "EXAMPLE.com.", out: "example.com"},
		{kind: Domain, in: "_dmarc.Example.COM", out: "_dmarc.example.com"},
		{kind: Domain, in: "bücher.example", out: "xn--bcher-kva.example"},
		{kind: Domain, in: "BÜCHER.example.", out: "xn--bcher-kva.example"},
		{kind: Domain, in: "xn--bcher-kva.example", out: "xn--bcher-kva.example"},
		{kind: Domain, in: "ｅｘａｍｐｌｅ。com", out: "example.com"},
		{kind: Domain, in: "localhost", out: "localhost"},
		{kind: Domain, in: long + ".com", out: long + ".com"},
		{kind: Domain, in: long + "a.com", error: true},
		{kind: Domain, in: strings.Repeat("a.", 127) + "a", error: true},
		{kind: Domain, in: "a..b", error: true},
		{kind: Domain, in: ".a", error: true},
		{kind: Domain, in: ".", error: true},
		{kind: Domain, in: "a.b..", error: true},
		{kind: Domain, in: "exa mple.com", error: true},
		{kind: Domain, in: "*.example.com", error: true},
		{kind: Domain, in: "\xff.com", error: true},
		{kind: Domain, in: "", error: true},
		// URLs
		{kind: URL, in: "http://example.com/", out: "http://example.com/"},
		{kind: URL, in: "HTTP://Example.COM", out: "http://example.com/"},
		{kind: URL, in: "http://example.com:80/a", out: "http://example.com/a"},
		{kind: URL, in: "https://example.com:443/a", out: "https://example.com/a"},
		{kind: URL, in: "https://example.com:0443/a", out: "https://example.com/a"},
		{kind: URL, in: "A://%70.", out: "a://p/"},     // an escaped domain is a domain (fuzz finding)
		{kind: URL, in: "X:/%%41a0", out: "x:/%%41a0"}, // not "%Aa0" (fuzz finding)
		{kind: URL, in: "x:/%4%31%47", out: "x:/%4%31G"},
		{kind: URL, in: "x:/%%4A", out: "x:/%J"},
		{kind: URL, in: "x:/%G%41", out: "x:/%G%41"},
		{kind: URL, in: "http://%31%32%37.0.0.1/", out: "http://127.0.0.1/"},
		{kind: URL, in: "http://EX%41MPLE.com./", out: "http://example.com/"},
		{kind: URL, in: "foo://a%2Fb/", out: "foo://a%2Fb/"},
		{kind: URL, in: "https://example.com:8443/a", out: "https://example.com:8443/a"},
		{kind: URL, in: "http://example.com:/a", out: "http://example.com/a"},
		{kind: URL, in: "http://example.com:80x/a", error: true},
		{kind: URL, in: "http://example.com:123456/a", error: true},
		{kind: URL, in: "http://example.com/a#frag", out: "http://example.com/a"},
		{kind: URL, in: "http://example.com/%7euser/%41%2f%2a", out: "http://example.com/~user/A%2F%2A"},
		{kind: URL, in: "http://example.com/a b", out: "http://example.com/a%20b"},
		{kind: URL, in: "http://example.com/ä", out: "http://example.com/%C3%A4"},
		{kind: URL, in: "http://example.com/100%", out: "http://example.com/100%"},
		{kind: URL, in: "http://example.com/a/./b/../c", out: "http://example.com/a/c"},
		{kind: URL, in: "http://example.com/a/..", out: "http://example.com/"},
		{kind: URL, in: "http://example.com/../../a", out: "http://example.com/a"},
		{kind: URL, in: "http://example.com/a/.", out: "http://example.com/a/"},
		{kind: URL, in: "http://example.com/.well-known/x", out: "http://example.com/.well-known/x"},
		{kind: URL, in: "http://example.com/a/%2E%2E/b", out: "http://example.com/b"},
		{kind: URL, in: "http://example.com?q=1", out: "http://example.com/?q=1"},
		{kind: URL, in: "http://example.com/?b=2&a=%7e", out: "http://example.com/?b=2&a=~"},
		{kind: URL, in: "http://example.com/?", out: "http://example.com/?"},
		{kind: URL, in: "http://User:Pass@Example.com/", out: "http://User:Pass@example.com/"},
		{kind: URL, in: "http://[2001:DB8::1]:8080/", out: "http://[2001:db8::1]:8080/"},
		{kind: URL, in: "http://[2001:db8::1/", error: true},
		{kind: URL, in: "http://[zz]/", error: true},
		{kind: URL, in: "http://bücher.example/", out: "http://xn--bcher-kva.example/"},
		{kind: URL, in: "http://example.com./", out: "http://example.com/"},
		{kind: URL, in: "http://1.2.3.4:8080/x.exe", out: "http://1.2.3.4:8080/x.exe"},
		{kind: URL, in: "mailto:Someone@Example.com", out: "mailto:Someone@Example.com"},
		{kind: URL, in: "urn:ISBN:0451450523", out: "urn:ISBN:0451450523"},
		{kind: URL, in: "example.com/path", error: true},
		{kind: URL, in: "://x", error: true},
		{kind: URL, in: "1http://x", error: true},
		{kind: URL, in: "", error: true},
		// e-mail
		{kind: Email, in: "alice@example.com", out: "alice@example.com"},
		{kind: Email, in: "Alice.Smith+tag@Example.COM.", out: "alice.smith+tag@example.com"},
		{kind: Email, in: "ÄLICE@bücher.example", out: "älice@xn--bcher-kva.example"},
		{kind: Email, in: "\"a@b\"@example.com", out: "\"a@b\"@example.com"},
		{kind: Email, in: "alice", error: true},
		{kind: Email, in: "@example.com", error: true},
		{kind: Email, in: "alice@", error: true},
		{kind: Email, in: "al ice@example.com", error: true},
		{kind: Email, in: strings.Repeat("a", 65) + "@example.com", error: true},
		// MAC
		{kind: MAC, in: "00:1a:2b:3c:4d:5e", out: "00:1a:2b:3c:4d:5e"},
		{kind: MAC, in: "00-1A-2B-3C-4D-5E", out: "00:1a:2b:3c:4d:5e"},
		{kind: MAC, in: "001A.2B3C.4D5E", out: "00:1a:2b:3c:4d:5e"},
		{kind: MAC, in: "001a2b3c4d5e", out: "00:1a:2b:3c:4d:5e"},
		{kind: MAC, in: "00:1a:2b-3c:4d:5e", error: true},
		{kind: MAC, in: "00:1a:2b:3c:4d:5g", error: true},
		{kind: MAC, in: "00:1a:2b:3c:4d", error: true},
		// hashes
		{kind: MD5, in: "D41D8CD98F00B204E9800998ECF8427E", out: "d41d8cd98f00b204e9800998ecf8427e"},
		{kind: MD5, in: "d41d8cd98f00b204e9800998ecf8427e", out: "d41d8cd98f00b204e9800998ecf8427e"},
		{kind: MD5, in: "d41d8cd98f00b204e9800998ecf8427", error: true},
		{kind: MD5, in: "g41d8cd98f00b204e9800998ecf8427e", error: true},
		{kind: SHA1, in: strings.Repeat("A", 40), out: strings.Repeat("a", 40)},
		{kind: SHA1, in: strings.Repeat("a", 32), error: true},
		{kind: SHA256, in: strings.Repeat("Ab", 32), out: strings.Repeat("ab", 32)},
		{kind: SHA256, in: strings.Repeat("a", 63), error: true},
		{kind: SHA512, in: strings.Repeat("0", 128), out: strings.Repeat("0", 128)},
		{kind: SHA3_256, in: strings.Repeat("F", 64), out: strings.Repeat("f", 64)},
		{kind: SHA3_512, in: strings.Repeat("F", 127), error: true},
		{kind: SSDEEP, in: "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C", out: "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"},
		{kind: SSDEEP, in: "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C,\"/tmp/a b\"", out: "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"},
		{kind: SSDEEP, in: "3:AXGB", error: true},
		{kind: SSDEEP, in: "x:AXGB:AB", error: true},
		{kind: SSDEEP, in: "3:A-B:C", error: true},
		{kind: SSDEEP, in: "3:A:B:C", error: true},
		{kind: TLSH, in: "T1" + strings.Repeat("AB", 35), out: "T1" + strings.Repeat("ab", 35)},
		{kind: TLSH, in: "t1" + strings.Repeat("ab", 35), out: "T1" + strings.Repeat("ab", 35)},
		{kind: TLSH, in: strings.Repeat("AB", 35), out: strings.Repeat("ab", 35)},
		{kind: TLSH, in: "T2" + strings.Repeat("ab", 35), error: true},
		{kind: TLSH, in: strings.Repeat("ab", 34), error: true},
		// kinds
		{kind: 0, in: "x", error: true},
		{kind: maxKind + 1, in: "x", error: true},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.kind, tt.in)
		if tt.error {
			if err == nil {
				t.Errorf("Normalize(%s, %q) = %v, want an error", tt.kind, tt.in, got)
			} else if !strings.Contains(err.Error(), tt.kind.String()) {
				t.Errorf("Normalize(%s, %q) error %q does not name the kind", tt.kind, tt.in, err)
			}
			continue
		}
		want := Observable{Kind: tt.kind, Value: tt.out}
		if tt.want != 0 {
			want.Kind = tt.want
		}
		if err != nil || got != want {
			t.Errorf("Normalize(%s, %q) = %v, %v; want %v", tt.kind, tt.in, got, err, want)
			continue
		}
		// Normalizing is idempotent.
		if again, err := Normalize(got.Kind, got.Value); err != nil || again != got {
			t.Errorf("Normalize(%v) = %v, %v; want it unchanged", got, again, err)
		}
	}
}

func TestNormalizeNoAllocs(t *testing.T) {
	normal := []Observable{
		{IPv4, "1.2.3.4"}, {IPv4, "10.0.0.0/8"}, {IPv6, "2001:db8::1"}, {IPv6, "2001:db8::/32"},
		{Domain, "www.example.com"}, {URL, "https://www.example.com/a/b?c=d"}, {Email, "alice@example.com"},
		{MAC, "00:1a:2b:3c:4d:5e"}, {MD5, "d41d8cd98f00b204e9800998ecf8427e"}, {SHA256, strings.Repeat("ab", 32)},
		{SSDEEP, "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"}, {TLSH, "T1" + strings.Repeat("ab", 35)},
	}
	for _, o := range normal {
		n := testing.AllocsPerRun(100, func() {
			if got, err := Normalize(o.Kind, o.Value); err != nil || got != o {
				t.Fatalf("Normalize(%v) = %v, %v", o, got, err)
			}
		})
		if n != 0 {
			t.Errorf("Normalize(%v) allocates %v times; want 0", o, n)
		}
	}
}

func TestParseKind(t *testing.T) {
	t.Parallel()
	for _, k := range Kinds {
		if got, ok := ParseKind(k.String()); !ok || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, ok)
		}
		if got, ok := ParseKind(strings.ToUpper(k.String())); !ok || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", strings.ToUpper(k.String()), got, ok)
		}
	}
	if _, ok := ParseKind("ip"); ok {
		t.Error("ParseKind(ip) succeeded")
	}
	if s := Kind(0).String(); s != "kind(0)" {
		t.Errorf("Kind(0).String() = %q", s)
	}
	for name, want := range map[string]Kind{"SHA-256": SHA256, "sha256": SHA256, "MD5": MD5, "SHA3-512": SHA3_512, "ssdeep": SSDEEP, "TLSH": TLSH} {
		if got, ok := HashKind(name); !ok || got != want {
			t.Errorf("HashKind(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{"SHA-384", "x_custom", "", "SHA-256-extra-long"} {
		if got, ok := HashKind(name); ok {
			t.Errorf("HashKind(%q) = %v", name, got)
		}
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Kind
	}{
		{"1.2.3.4", IPv4},
		{"1.2.3.4/32", IPv4},
		{"10.0.0.0/8", IPv4},
		{"::ffff:1.2.3.4", IPv4},
		{"2001:db8::1", IPv6},
		{"2001:db8::/32", IPv6},
		{"EXAMPLE.com.", Domain},
		{"bücher.example", Domain},
		{"abc.def", Domain},
		{"deadbeef.com", Domain},
		{"http://example.com/a", URL},
		{"alice@example.com", Email},
		{"00:1a:2b:3c:4d:5e", MAC},
		{"00-1a-2b-3c-4d-5e", MAC},
		{"001a2b3c4d5e", MAC},
		{strings.Repeat("a", 32), MD5},
		{strings.Repeat("A", 40), SHA1},
		{strings.Repeat("a", 64), SHA256},
		{strings.Repeat("a", 128), SHA512},
		{strings.Repeat("a", 70), TLSH},
		{"T1" + strings.Repeat("a", 70), TLSH},
		{"3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C", SSDEEP},
		{"", 0},
		{"localhost", 0},
		{"not a value", 0},
		{strings.Repeat("a", 33), 0},
	}
	for _, tt := range tests {
		got, ok := Detect(tt.in)
		if got != tt.want || ok != (tt.want != 0) {
			t.Errorf("Detect(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	values := []Observable{
		{IPv4, "1.2.3.4"}, {IPv4, "10.0.0.0/8"}, {IPv4, "0.0.0.0/0"}, {IPv6, "2001:db8::1"}, {IPv6, "2001:db8::/32"},
		{IPv6, "::fffe:0:0/95"},
		{Domain, "a"}, {Domain, "ab"}, {Domain, "abc"}, {Domain, "www.example.com"}, {Domain, "_x-y.z9"},
		{URL, "http://example.com/"}, {URL, "https://example.com/"}, {URL, "ftp://example.com/"},
		{Email, "alice@example.com"}, {Email, "a+b@example.com"}, {Email, "ä@example.com"},
		{MAC, "00:1a:2b:3c:4d:5e"}, {MD5, "d41d8cd98f00b204e9800998ecf8427e"}, {SHA1, strings.Repeat("0a", 20)},
		{SHA256, strings.Repeat("ab", 32)}, {SHA512, strings.Repeat("cd", 64)}, {SHA3_256, strings.Repeat("ef", 32)},
		{SHA3_512, strings.Repeat("01", 64)}, {SSDEEP, "3:AXGB:AXGH"}, {TLSH, "T1" + strings.Repeat("ab", 35)},
		{TLSH, strings.Repeat("ab", 35)},
	}
	seen := map[string]Observable{}
	for _, o := range values {
		key, err := AppendKey(nil, o)
		if err != nil {
			t.Errorf("AppendKey(%v): %v", o, err)
			continue
		}
		if prev, ok := seen[string(key)]; ok {
			t.Errorf("%v and %v have the same key %x", prev, o, key)
		}
		seen[string(key)] = o
		got, err := ParseKey(key)
		if err != nil || got != o {
			t.Errorf("ParseKey(AppendKey(%v)) = %v, %v", o, got, err)
		}
	}
	// Keys of values that are not canonical are refused.
	for _, o := range []Observable{
		{IPv4, "1.2.3.4/32"}, {IPv4, "10.1.0.0/8"}, {IPv4, "::ffff:1.2.3.4"}, {IPv6, "1.2.3.4"}, {Domain, "Example.com"},
		{Domain, "a..b"}, {MD5, "D41D8CD98F00B204E9800998ECF8427E"}, {MAC, "00-1a-2b-3c-4d-5e"},
		{Email, "alice@Example.com"}, {TLSH, "t1" + strings.Repeat("ab", 35)}, {0, "x"},
	} {
		if key, err := AppendKey([]byte("prefix"), o); err == nil || string(key) != "prefix" {
			t.Errorf("AppendKey(%v) = %q, %v; want an error and dst unchanged", o, key, err)
		}
	}
	for _, key := range []string{"", "\x01", "\x01\x01\x02\x03", "\x03\xff\xff", "\x03\x00\x00", "\x63ab", "\x04\x05x"} {
		if o, err := ParseKey([]byte(key)); err == nil {
			t.Errorf("ParseKey(%q) = %v, want an error", key, o)
		}
	}
}
