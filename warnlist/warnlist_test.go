package warnlist

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/observable"
)

func mustObs(t *testing.T, k observable.Kind, v string) observable.Observable {
	t.Helper()
	o, err := observable.Normalize(k, v)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestBuiltinMatch(t *testing.T) {
	t.Parallel()
	s := NewBuiltin()
	tests := []struct {
		kind  observable.Kind
		value string
		want  []string
	}{
		{observable.IPv4, "10.1.2.3", []string{"private-ipv4"}},
		{observable.IPv4, "172.31.255.255", []string{"private-ipv4"}},
		{observable.IPv4, "172.32.0.1", nil},
		{observable.IPv4, "192.168.0.0/24", []string{"private-ipv4"}},
		{observable.IPv4, "192.0.0.0/2", nil}, // wider than every list
		{observable.IPv4, "100.64.1.1", []string{"shared-address-space"}},
		{observable.IPv4, "127.0.0.1", []string{"loopback"}},
		{observable.IPv6, "::1", []string{"loopback"}},
		{observable.IPv4, "169.254.169.254", []string{"link-local"}},
		{observable.IPv6, "fe80::1", []string{"link-local"}},
		{observable.IPv4, "239.255.255.250", []string{"multicast"}},
		{observable.IPv6, "ff02::1", []string{"multicast"}},
		{observable.IPv4, "198.51.100.7", []string{"documentation"}},
		{observable.IPv4, "203.0.113.0/25", []string{"documentation"}},
		{observable.IPv6, "2001:db8::dead:beef", []string{"documentation"}},
		{observable.IPv4, "198.19.0.1", []string{"benchmarking"}},
		{observable.IPv4, "255.255.255.255", []string{"reserved-ip"}},
		{observable.IPv4, "8.8.8.8", []string{"public-dns-resolvers"}},
		{observable.IPv4, "8.8.8.9", nil},
		{observable.IPv6, "2606:4700:4700::1111", []string{"public-dns-resolvers"}},
		{observable.IPv4, "::ffff:1.1.1.1", []string{"public-dns-resolvers"}},
		{observable.IPv4, "45.33.32.156", nil},
		{observable.Domain, "www.example.com", []string{"reserved-domains"}},
		{observable.Domain, "example.com", []string{"reserved-domains"}},
		{observable.Domain, "notexample.com", nil},
		{observable.Domain, "foo.bar.test.", []string{"reserved-domains"}},
		{observable.Domain, "GOOGLE.com", []string{"popular-domains"}},
		{observable.Domain, "evil.google.com", nil}, // exact entries only
		{observable.Domain, "evil-google.com", nil},
		{observable.URL, "http://10.0.0.5:8080/x", []string{"private-ipv4"}},
		{observable.URL, "http://[2001:db8::1]/x", []string{"documentation"}},
		{observable.URL, "https://login.example.org/a?b", []string{"reserved-domains"}},
		{observable.URL, "https://www.google.com/url?q=x", nil}, // a URL on a popular site may be malicious
		{observable.Email, "alice@mail.example.net", []string{"reserved-domains"}},
		{observable.Email, "alice@corp.invalid", []string{"reserved-domains"}},
		{observable.Email, "bob@acme.io", nil},
		{observable.MD5, "D41D8CD98F00B204E9800998ECF8427E", []string{"empty-file"}},
		{observable.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", []string{"empty-file"}},
		{observable.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856", nil},
	}
	for _, tt := range tests {
		o := mustObs(t, tt.kind, tt.value)
		var got []string
		for _, h := range s.Match(o) {
			if h.Value != o.Value {
				t.Errorf("Match(%s).Value = %q, want %q", o, h.Value, o.Value)
			}
			got = append(got, h.List)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Match(%s) lists (-want +got):\n%s", o, diff)
		}
	}
}

func TestAdminLists(t *testing.T) {
	t.Parallel()
	s := NewBuiltin()
	for _, e := range []struct{ list, value string }{
		{"corp-ranges", "10.20.0.0/16"},
		{"corp-ranges", "45.33.32.0/24"},
		{"corp-domains", "*.corp.acme.io"},
		{"corp-domains", "acme.io"},
		{"sinkholes", "http://sinkhole.acme.io/"},
		{"sinkholes", "AA-BB-CC-DD-EE-FF"},
		{"sinkholes", "2001:db8::/32"}, // also documentation
	} {
		if err := s.Add(e.list, e.value); err != nil {
			t.Fatalf("Add(%s, %s): %v", e.list, e.value, err)
		}
	}
	tests := []struct {
		kind  observable.Kind
		value string
		want  []string
	}{
		{observable.IPv4, "10.20.1.1", []string{"corp-ranges", "private-ipv4"}}, // most specific first
		{observable.IPv4, "10.21.1.1", []string{"private-ipv4"}},
		{observable.IPv4, "45.33.32.156", []string{"corp-ranges"}},
		{observable.Domain, "acme.io", []string{"corp-domains"}},
		{observable.Domain, "www.acme.io", nil},
		{observable.Domain, "vpn.corp.acme.io", []string{"corp-domains"}},
		{observable.URL, "HTTP://sinkhole.ACME.io:80/", []string{"sinkholes"}},
		{observable.URL, "http://sinkhole.acme.io/other", nil},
		{observable.MAC, "aa:bb:cc:dd:ee:ff", []string{"sinkholes"}},
		{observable.IPv6, "2001:db8::1", []string{"documentation", "sinkholes"}},
	}
	for _, tt := range tests {
		o := mustObs(t, tt.kind, tt.value)
		var got []string
		for _, h := range s.Match(o) {
			got = append(got, h.List)
		}
		if tt.kind == observable.IPv6 {
			// Supernets of equal length come in insertion order; compare as sets.
			if len(got) == 2 && got[0] > got[1] {
				got[0], got[1] = got[1], got[0]
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Match(%s) lists (-want +got):\n%s", o, diff)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want "" means an error
	}{
		{"10.1.2.3/8", "10.0.0.0/8"},
		{" 192.0.2.1 ", "192.0.2.1"},
		{"192.0.2.1/32", "192.0.2.1"},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24"},
		{"2001:DB8::/32", "2001:db8::/32"},
		{"*.Example.COM.", "*.example.com"},
		{"Example.COM", "example.com"},
		{"HTTPS://Example.com:443/a/../b", "https://example.com/b"},
		{"Alice@Example.com", "alice@example.com"},
		{"D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
		{"", ""},
		{"   ", ""},
		{"*.", ""},
		{"*.bad_domain!", ""},
		{"fe80::1%eth0", ""},
		{"not a value", ""},
		{"999.1.1.1", ""},
		{"01.2.3.4", ""},
		{"aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff"},
		{"10.0.0.0/33", ""},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("Parse(%q) = %s, want an error", tt.in, e)
		case tt.want != "" && err != nil:
			t.Errorf("Parse(%q): %v", tt.in, err)
		case tt.want != "" && e.String() != tt.want:
			t.Errorf("Parse(%q) = %s, want %s", tt.in, e, tt.want)
		}
	}
}

func TestBuiltinNames(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, l := range Builtin {
		if seen[l.Name] {
			t.Errorf("list %s is built in twice", l.Name)
		}
		seen[l.Name] = true
		if !IsBuiltin(l.Name) {
			t.Errorf("IsBuiltin(%s) = false", l.Name)
		}
	}
	if IsBuiltin("corp") {
		t.Error("IsBuiltin(corp) = true")
	}
	if got := len(NewBuiltin().Lists()); got != len(Builtin) {
		t.Errorf("NewBuiltin has %d lists, want %d", got, len(Builtin))
	}
}

// FuzzParse checks that every entry Parse accepts parses again to itself
// from its text form, and that a set holding it matches it.
func FuzzParse(f *testing.F) {
	for _, l := range Builtin {
		for _, v := range l.Entries {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, v string) {
		e, err := Parse(v)
		if err != nil {
			return
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %s, which does not parse: %v", v, e, err)
		}
		if again.String() != e.String() {
			t.Fatalf("Parse(%q) = %s, but that parses to %s", v, e, again)
		}
		s := NewSet()
		s.AddEntry("l", e)
		var o observable.Observable
		switch {
		case e.Prefix.IsValid():
			k := observable.IPv4
			if e.Prefix.Addr().Is6() {
				k = observable.IPv6
			}
			o = observable.Observable{Kind: k, Value: e.String()}
		case e.Wildcard != "":
			o = observable.Observable{Kind: observable.Domain, Value: e.Wildcard}
		default:
			o = e.Exact
		}
		if len(s.Match(o)) != 1 {
			t.Fatalf("a set holding %s does not match %s", e, o)
		}
	})
}
