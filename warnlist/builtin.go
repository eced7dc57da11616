package warnlist

import "fmt"

// List is a named warning list.
type List struct {
	Name        string
	Description string
	Entries     []string
}

// Builtin lists the warning lists every server holds. Administrators add
// their own lists (or entries to these names) beside them; built-in
// entries cannot be removed.
var Builtin = []List{
	{"private-ipv4", "RFC 1918 private IPv4 networks", []string{
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}},
	{"private-ipv6", "RFC 4193 unique local IPv6 addresses", []string{"fc00::/7"}},
	{"shared-address-space", "RFC 6598 carrier-grade NAT space", []string{"100.64.0.0/10"}},
	{"loopback", "loopback addresses (RFC 1122, RFC 4291)", []string{"127.0.0.0/8", "::1"}},
	{"link-local", "link-local addresses (RFC 3927, RFC 4291)", []string{"169.254.0.0/16", "fe80::/10"}},
	{"multicast", "multicast addresses (RFC 5771, RFC 4291)", []string{"224.0.0.0/4", "ff00::/8"}},
	{"documentation", "documentation addresses (RFC 5737, RFC 3849)", []string{
		"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"}},
	{"benchmarking", "benchmarking addresses (RFC 2544, RFC 5180)", []string{"198.18.0.0/15", "2001:2::/48"}},
	{"reserved-ip", "unspecified, reserved and broadcast addresses (RFC 1122, RFC 6890, RFC 4291)", []string{
		"0.0.0.0/8", "192.0.0.0/24", "240.0.0.0/4", "255.255.255.255", "::", "64:ff9b:1::/48", "100::/64"}},
	{"public-dns-resolvers", "well-known public DNS resolvers", []string{
		"8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844", // Google
		"1.1.1.1", "1.0.0.1", "2606:4700:4700::1111", "2606:4700:4700::1001", // Cloudflare
		"9.9.9.9", "149.112.112.112", "2620:fe::fe", "2620:fe::9", // Quad9
		"208.67.222.222", "208.67.220.220", "2620:119:35::35", "2620:119:53::53", // OpenDNS
		"94.140.14.14", "94.140.15.15", // AdGuard
		"76.76.2.0", "76.76.10.0", // Control D
	}},
	{"reserved-domains", "reserved domain names (RFC 2606, RFC 6761, RFC 6762, RFC 8375)", []string{
		"*.example", "*.test", "*.invalid", "*.localhost", "*.local", "*.home.arpa",
		"*.example.com", "*.example.net", "*.example.org"}},
	{"popular-domains", "very popular domains that are not malicious in themselves", []string{
		"google.com", "www.google.com", "youtube.com", "www.youtube.com", "facebook.com", "www.facebook.com",
		"microsoft.com", "www.microsoft.com", "apple.com", "www.apple.com", "amazon.com", "www.amazon.com",
		"wikipedia.org", "www.wikipedia.org", "twitter.com", "x.com", "instagram.com", "www.instagram.com",
		"linkedin.com", "www.linkedin.com", "netflix.com", "yahoo.com", "bing.com", "www.bing.com",
		"live.com", "office.com", "microsoftonline.com", "login.microsoftonline.com", "windowsupdate.com",
		"github.com", "cloudflare.com", "akamai.com", "gstatic.com", "googleapis.com", "icloud.com",
		"whatsapp.com", "zoom.us", "baidu.com", "yandex.ru", "mozilla.org", "ubuntu.com", "debian.org",
	}},
	{"empty-file", "hashes of the empty file", []string{
		"d41d8cd98f00b204e9800998ecf8427e",
		"da39a3ee5e6b4b0d3255bfef95601890afd80709",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
	}},
}

// IsBuiltin reports whether name is the name of a built-in list.
func IsBuiltin(name string) bool {
	for _, l := range Builtin {
		if l.Name == name {
			return true
		}
	}
	return false
}

// NewBuiltin returns a set of the built-in lists.
func NewBuiltin() *Set {
	s := NewSet()
	for _, l := range Builtin {
		for _, v := range l.Entries {
			if err := s.Add(l.Name, v); err != nil {
				panic(fmt.Sprintf("warnlist: built-in list %s: %v", l.Name, err))
			}
		}
	}
	return s
}
