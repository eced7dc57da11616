package observable

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/stix/pattern"
)

// indicator returns an indicator object with the given pattern.
func indicator(p string) string {
	return `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern_type":"stix",` +
		`"valid_from":"2016-01-01T00:00:00Z","pattern":` + quoteJSON(p) + `}`
}

func quoteJSON(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func TestFromObject(t *testing.T) {
	t.Parallel()
	sha256 := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		raw  string
		want []Observable
	}{
		{"ipv4-addr", `{"type":"ipv4-addr","id":"ipv4-addr--1","value":"10.1.2.3/8"}`, []Observable{{IPv4, "10.0.0.0/8"}}},
		{"ipv6-addr", `{"type":"ipv6-addr","value":"2001:DB8::1"}`, []Observable{{IPv6, "2001:db8::1"}}},
		{"domain-name", `{"type":"domain-name","value":"Example.COM."}`, []Observable{{Domain, "example.com"}}},
		{"url", `{"type":"url","value":"HTTP://example.com:80"}`, []Observable{{URL, "http://example.com/"}}},
		{"email-addr", `{"type":"email-addr","value":"Bob@Example.com","display_name":"Bob"}`, []Observable{{Email, "bob@example.com"}}},
		{"mac-addr", `{"type":"mac-addr","value":"00-1A-2B-3C-4D-5E"}`, []Observable{{MAC, "00:1a:2b:3c:4d:5e"}}},
		{"file", `{"type":"file","name":"a.exe","hashes":{"MD5":"D41D8CD98F00B204E9800998ECF8427E","SHA-256":"` + sha256 +
			`","x_custom":"zz","SHA-1":"short"}}`, []Observable{{MD5, "d41d8cd98f00b204e9800998ecf8427e"}, {SHA256, sha256}}},
		{"artifact", `{"type":"artifact","hashes":{"SHA-256":"` + sha256 + `"}}`, []Observable{{SHA256, sha256}}},
		{"x509", `{"type":"x509-certificate","hashes":{"SHA-1":"` + strings.Repeat("0a", 20) + `"}}`, []Observable{{SHA1, strings.Repeat("0a", 20)}}},
		{"bad value", `{"type":"ipv4-addr","value":"999.1.1.1"}`, nil},
		{"no value", `{"type":"ipv4-addr","value":5}`, nil},
		{"other object", `{"type":"malware","name":"1.2.3.4"}`, nil},
		{"equal", indicator(`[ipv4-addr:value = '1.2.3.4/32']`), []Observable{{IPv4, "1.2.3.4"}}},
		{"in", indicator(`[url:value IN ('http://a.example/x', 'HTTP://A.example:80/x', 'https://b.example')]`),
			[]Observable{{URL, "http://a.example/x"}, {URL, "https://b.example/"}}},
		{"hash", indicator(`[file:hashes.'SHA-256' = '` + strings.ToUpper(sha256) + `']`), []Observable{{SHA256, sha256}}},
		{"hash key unquoted", indicator(`[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']`), []Observable{{MD5, "d41d8cd98f00b204e9800998ecf8427e"}}},
		{"hex hash", indicator(`[file:hashes.MD5 = h'd41d8cd98f00b204e9800998ecf8427e']`), []Observable{{MD5, "d41d8cd98f00b204e9800998ecf8427e"}}},
		{"issubset", indicator(`[ipv4-addr:value ISSUBSET '198.51.100.7/24']`), []Observable{{IPv4, "198.51.100.0/24"}}},
		{"boolean and observation operators", indicator(`([domain-name:value = 'A.example' OR email-addr:value = 'x@b.example'] AND ` +
			`[mac-addr:value = '00:1a:2b:3c:4d:5e']) FOLLOWEDBY [ipv6-addr:value = '::1'] WITHIN 600 SECONDS`),
			[]Observable{{Domain, "a.example"}, {Email, "x@b.example"}, {MAC, "00:1a:2b:3c:4d:5e"}, {IPv6, "::1"}}},
		{"network-traffic refs", indicator(`[network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 443 AND ` +
			`network-traffic:src_ref.value = 'evil.example' AND network-traffic:src_ref.value = 'not a value']`),
			[]Observable{{IPv4, "203.0.113.5"}, {Domain, "evil.example"}}},
		{"email-message refs", indicator(`[email-message:from_ref.value = 'A@b.example' AND email-message:to_refs[*].value = 'c@d.example']`),
			[]Observable{{Email, "a@b.example"}, {Email, "c@d.example"}}},
		{"resolves_to", indicator(`[domain-name:resolves_to_refs[*].value = '192.0.2.1']`), []Observable{{IPv4, "192.0.2.1"}}},
		{"skipped comparisons", indicator(`[ipv4-addr:value != '1.1.1.1' AND ipv4-addr:value NOT = '2.2.2.2'] AND ` +
			`[domain-name:value LIKE '%.example' OR url:value MATCHES '^http' OR file:name = 'a.exe' OR ` +
			`file:hashes.'SHA-384' = 'ab' OR x-custom:value = '3.3.3.3' OR ipv4-addr:value ISSUPERSET '4.4.4.0/24']`), nil},
		{"duplicates", indicator(`[ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '::ffff:1.2.3.4']`), []Observable{{IPv4, "1.2.3.4"}}},
		{"not stix", `{"type":"indicator","pattern_type":"snort","pattern":"alert tcp any any -> 1.2.3.4 any"}`, nil},
	}
	for _, tt := range tests {
		got, err := FromObject([]byte(tt.raw))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: FromObject (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestFromObjectErrors(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`{"type":`, `[1]`, ``, indicator(`[ipv4-addr:value = `)} {
		if got, err := FromObject([]byte(raw)); err == nil {
			t.Errorf("FromObject(%q) = %v, want an error", raw, got)
		}
	}
	var perr *pattern.Error
	if _, err := FromObject([]byte(indicator(`[ipv4-addr:value = `))); !errors.As(err, &perr) {
		t.Errorf("a bad pattern gives %v, want a *pattern.Error", err)
	}
}

// TestFromObjectExamples extracts the observables of the OASIS examples,
// every object of which must be read without error.
func TestFromObjectExamples(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../shared/data/oasis-examples/*.json")
	if len(files) == 0 {
		t.Skip("no OASIS examples in ../../shared/data/oasis-examples")
	}
	total := 0
	seen := map[Observable]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = stix.ReadBundle(bytes.NewReader(data), func(r *stix.Result) error {
			if r.Raw == nil {
				return nil
			}
			obs, err := FromObject(r.Raw)
			if err != nil && r.Object != nil {
				t.Errorf("%s %s: %v", filepath.Base(f), r.Path, err)
			}
			for _, o := range obs {
				seen[o] = true
			}
			total += len(obs)
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	for _, o := range []Observable{{IPv4, "198.51.100.3"}, {URL, "http://x4z9arb.cn/4712/"}} {
		if !seen[o] {
			t.Errorf("%v not found in the examples", o)
		}
	}
	t.Logf("%d observables, %d distinct, in %d files", total, len(seen), len(files))
}
