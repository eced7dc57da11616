package match_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tearline/tearline/match"
	"github.com/tearline/tearline/stix/pattern"
)

// od writes an observed-data object (STIX 2.0 style, embedded objects) at
// second sec after 2016-06-01T00:00:00Z.
func od(sec int, objects string) string {
	t := time.Date(2016, 6, 1, 0, 0, sec, 0, time.UTC).Format(time.RFC3339)
	return fmt.Sprintf(`{"type":"observed-data","id":"observed-data--%08d-0000-4000-8000-000000000000","first_observed":%q,"last_observed":%q,"number_observed":1,"objects":%s}`, sec, t, t, objects)
}

// run compiles one pattern and matches the observations in order; it
// returns how many times the indicator matched.
func run(t *testing.T, pat string, observations ...string) int {
	t.Helper()
	p, err := pattern.Parse(pat)
	if err != nil {
		t.Fatalf("parse %s: %v", pat, err)
	}
	b := match.NewBuilder(match.Options{})
	if err := b.Add(match.Indicator{ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Pattern: p}); err != nil {
		t.Fatal(err)
	}
	idx := b.Build()
	var skips match.Skips
	obs, err := match.ReadSTIX([]byte(`{"type":"bundle","id":"bundle--1","objects":[`+strings.Join(observations, ",")+`]}`), &skips)
	if err != nil {
		t.Fatal(err)
	}
	if skips.Total() != 0 {
		t.Fatalf("skipped: %v", skips.Counts())
	}
	m := idx.NewMatcher()
	n := 0
	for i := range obs {
		n += len(m.Match(&obs[i]))
	}
	return n
}

// TestSpecOracle checks the matcher case by case against what STIX 2.1
// section 9 says the example patterns match. Each case cites the section
// and, in want, the number of matches the text implies for the
// observations given (a pattern matches again each time a new observation
// completes it).
func TestSpecOracle(t *testing.T) {
	t.Parallel()
	ip := func(v string) string { return `{"0":{"type":"ipv4-addr","value":"` + v + `"}}` }
	file := func(props string) string { return `{"0":{"type":"file",` + props + `}}` }
	tests := []struct {
		name, pattern string
		obs           []string
		want          int
	}{
		// 9.1/9.3: one comparison, one observation.
		{"9.6.1 = string", "[file:name = 'foo.dll']", []string{od(0, file(`"name":"foo.dll"`))}, 1},
		{"9.6.1 = is exact", "[file:name = 'foo.dll']", []string{od(0, file(`"name":"Foo.dll"`))}, 0},
		{"9.6.1 != holds for another value", "[file:size != 4112]", []string{od(0, file(`"size":4111`))}, 1},
		{"9.6.1 != fails for the value", "[file:size != 4112]", []string{od(0, file(`"size":4112`))}, 0},
		{"9.6.1 != needs the property", "[file:size != 4112]", []string{od(0, file(`"name":"x"`))}, 0},
		{"9.6.1 >", "[file:size > 256]", []string{od(0, file(`"size":257`)), od(1, file(`"size":256`))}, 1},
		{"9.6.1 <", "[file:size < 1024]", []string{od(0, file(`"size":1023`)), od(1, file(`"size":1024`))}, 1},
		{"9.6.1 <=", "[file:size <= 25145]", []string{od(0, file(`"size":25145`)), od(1, file(`"size":25146`))}, 1},
		{"9.6.1 >=", "[file:size >= 33312]", []string{od(0, file(`"size":33312`)), od(1, file(`"size":33311`))}, 1},
		{"9.6.1 IN", "[process:name IN ('proccy', 'proximus', 'badproc')]",
			[]string{od(0, `{"0":{"type":"process","name":"proximus"}}`), od(1, `{"0":{"type":"process","name":"goodproc"}}`)}, 1},
		{"9.6.1 LIKE", `[directory:path LIKE 'C:\\Windows\\%\\foo']`,
			[]string{od(0, `{"0":{"type":"directory","path":"C:\\Windows\\System32\\foo"}}`), od(1, `{"0":{"type":"directory","path":"C:\\Windows\\foo\\bar"}}`)}, 1},
		{"9.6.1 LIKE _", `[file:name LIKE 'a_c.dll']`, []string{od(0, file(`"name":"abc.dll"`)), od(1, file(`"name":"ac.dll"`)), od(2, file(`"name":"aéc.dll"`))}, 2},
		{"9.6.1 MATCHES", `[directory:path MATCHES '^C:\\\\Windows\\w+$']`,
			[]string{od(0, `{"0":{"type":"directory","path":"C:\\Windowsfoo"}}`), od(1, `{"0":{"type":"directory","path":"C:\\Windows\\foo"}}`)}, 1},
		{"9.6.1 MATCHES is DOTALL", `[file:name MATCHES '^a.b$']`, []string{od(0, file(`"name":"a\nb"`))}, 1},
		{"9.6.1 ISSUBSET", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", []string{od(0, ip("198.51.100.7")), od(1, ip("198.51.101.7")), od(2, ip("198.51.100.0/25"))}, 2},
		{"9.6.1 ISSUPERSET", "[ipv4-addr:value ISSUPERSET '198.51.100.0/24']", []string{od(0, ip("198.51.0.0/16")), od(1, ip("198.51.100.7")), od(2, ip("198.51.100.0/24"))}, 2},
		{"9.6.1 EXISTS", "[EXISTS windows-registry-key:values]",
			[]string{od(0, `{"0":{"type":"windows-registry-key","key":"HKEY_LOCAL_MACHINE\\foo","values":[{"name":"Foo","data":"qwerty"}]}}`), od(1, `{"0":{"type":"windows-registry-key","key":"HKEY_LOCAL_MACHINE\\bar"}}`)}, 1},
		{"9.6.1 NOT =", "[file:name NOT = 'foo.dll']", []string{od(0, file(`"name":"bar.dll"`)), od(1, file(`"name":"foo.dll"`))}, 1},
		{"9.6.1 NOT IN", "[process:name NOT IN ('a', 'b')]", []string{od(0, `{"0":{"type":"process","name":"c"}}`), od(1, `{"0":{"type":"process","name":"a"}}`)}, 1},
		{"9.6.1 NOT LIKE", "[file:name NOT LIKE '%.exe']", []string{od(0, file(`"name":"a.exe"`)), od(1, file(`"name":"a.dll"`))}, 1},
		{"9.6.1 NOT MATCHES", "[file:name NOT MATCHES '^a']", []string{od(0, file(`"name":"abc"`)), od(1, file(`"name":"bcd"`))}, 1},
		{"9.6.1 NOT ISSUBSET", "[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']", []string{od(0, ip("10.1.2.3")), od(1, ip("11.1.2.3"))}, 1},
		// 9.6.2 strings compare by code point.
		{"9.6.2 string order", "[file:name > 'b']", []string{od(0, file(`"name":"c"`)), od(1, file(`"name":"a"`)), od(2, file(`"name":"B"`))}, 1},
		// 9.6.4 native format: binary and hex.
		{"9.6.4 binary as text", "[artifact:payload_bin = 'dGhpcyBpcyBhIHRlc3Q=']", []string{od(0, `{"0":{"type":"artifact","payload_bin":"dGhpcyBpcyBhIHRlc3Q="}}`)}, 1},
		{"9.6.4 binary constant", "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']", []string{od(0, `{"0":{"type":"artifact","payload_bin":"dGhpcyBpcyBhIHRlc3Q="}}`), od(1, `{"0":{"type":"artifact","payload_bin":"dGhpcw=="}}`)}, 1},
		{"9.6.4 hex constant", "[file:magic_number_hex = h'ffd8']", []string{od(0, file(`"magic_number_hex":"FFD8"`)), od(1, file(`"magic_number_hex":"ffd9"`))}, 1},
		{"9.6.1 MATCHES on binary bytes", `[artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`,
			[]string{od(0, `{"0":{"type":"artifact","mime_type":"application/vnd.tcpdump.pcap","payload_bin":"1MOyoQIABAAAAAAA"}}`), od(1, `{"0":{"type":"artifact","payload_bin":"dGhpcw=="}}`)}, 1},
		// 9.2 timestamps compare as instants.
		{"9.2 timestamp", "[file:ctime = t'2014-01-13T07:03:17Z']", []string{od(0, file(`"ctime":"2014-01-13T07:03:17.000Z"`)), od(1, file(`"ctime":"2014-01-13T07:03:18Z"`))}, 1},
		// 9.5: comparisons joined by AND hold for one object.
		{"9.5 AND on one object", "[network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.value = '198.51.100.58']",
			[]string{od(0, `{"0":{"type":"ipv4-addr","value":"203.0.113.10"},"1":{"type":"ipv4-addr","value":"198.51.100.58"},"2":{"type":"network-traffic","src_ref":"0","dst_ref":"1","protocols":["tcp"]}}`)}, 1},
		{"9.5 AND on two objects is no match", "[network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.value = '198.51.100.58']",
			[]string{od(0, `{"0":{"type":"ipv4-addr","value":"203.0.113.10"},"1":{"type":"ipv4-addr","value":"198.51.100.58"},"2":{"type":"network-traffic","src_ref":"0","dst_ref":"0","protocols":["tcp"]},"3":{"type":"network-traffic","src_ref":"1","dst_ref":"1","protocols":["tcp"]}}`)}, 0},
		{"9.5 OR within an observation", "[ipv4-addr:value = '203.0.113.1' OR ipv4-addr:value = '203.0.113.2']", []string{od(0, ip("203.0.113.2")), od(1, ip("203.0.113.3"))}, 1},
		{"9.3 /32 equals the address", "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
			[]string{od(0, ip("198.51.100.1")), od(1, `{"0":{"type":"ipv6-addr","value":"2001:db8:dead:beef:dead:beef:dead:1"}}`), od(2, ip("198.51.100.2"))}, 2},
		// 9.7 observation operators.
		{"9.7 AND on two observations", "[ipv4-addr:value = '198.51.100.5'] AND [ipv4-addr:value = '198.51.100.10']",
			[]string{od(0, ip("198.51.100.10")), od(5, ip("198.51.100.5"))}, 1},
		{"9.7 AND needs different observations", "[ipv4-addr:value = '198.51.100.5'] AND [ipv4-addr:value ISSUBSET '198.51.100.0/24']",
			[]string{od(0, ip("198.51.100.5"))}, 0},
		{"9.7 AND, one side only", "[ipv4-addr:value = '198.51.100.5'] AND [ipv4-addr:value = '198.51.100.10']",
			[]string{od(0, ip("198.51.100.5")), od(1, ip("198.51.100.5"))}, 0},
		{"9.7 OR", "[ipv4-addr:value = '198.51.100.5'] OR [domain-name:value = 'example.com']",
			[]string{od(0, `{"0":{"type":"domain-name","value":"example.com"}}`), od(1, ip("198.51.100.6"))}, 1},
		{"9.7 FOLLOWEDBY in order", "[ipv4-addr:value = '198.51.100.5'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.10']",
			[]string{od(0, ip("198.51.100.5")), od(10, ip("198.51.100.10"))}, 1},
		{"9.7 FOLLOWEDBY out of order", "[ipv4-addr:value = '198.51.100.5'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.10']",
			[]string{od(0, ip("198.51.100.10")), od(10, ip("198.51.100.5"))}, 0},
		// 9.7 qualifiers.
		{"9.7 REPEATS", "[ipv4-addr:value = '198.51.100.1/32'] REPEATS 5 TIMES",
			[]string{od(0, ip("198.51.100.1")), od(1, ip("198.51.100.1")), od(2, ip("198.51.100.1")), od(3, ip("198.51.100.1")), od(4, ip("198.51.100.1"))}, 1},
		{"9.7 REPEATS not reached", "[ipv4-addr:value = '198.51.100.1'] REPEATS 5 TIMES",
			[]string{od(0, ip("198.51.100.1")), od(1, ip("198.51.100.1")), od(2, ip("198.51.100.1")), od(3, ip("198.51.100.1"))}, 0},
		{"9.7 WITHIN inside the window", "([ipv4-addr:value = '198.51.100.5'] AND [ipv4-addr:value = '198.51.100.10']) WITHIN 300 SECONDS",
			[]string{od(0, ip("198.51.100.5")), od(300, ip("198.51.100.10"))}, 1},
		{"9.7 WITHIN outside the window", "([ipv4-addr:value = '198.51.100.5'] AND [ipv4-addr:value = '198.51.100.10']) WITHIN 300 SECONDS",
			[]string{od(0, ip("198.51.100.5")), od(301, ip("198.51.100.10"))}, 0},
		{"9.7 START STOP inside", "[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
			[]string{od(0, file(`"name":"foo.dll"`))}, 1},
		{"9.7 START STOP outside", "[file:name = 'foo.dll'] START t'2016-05-01T00:00:00Z' STOP t'2016-06-01T00:00:00Z'",
			[]string{od(0, file(`"name":"foo.dll"`))}, 0},
		{"9.7 REPEATS WITHIN", "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 2 TIMES WITHIN 1800 SECONDS",
			[]string{
				od(0, `{"0":{"type":"domain-name","value":"example.com"},"1":{"type":"network-traffic","dst_ref":"0","protocols":["tcp"]}}`),
				od(1801, `{"0":{"type":"domain-name","value":"example.com"},"1":{"type":"network-traffic","dst_ref":"0","protocols":["tcp"]}}`),
				od(1900, `{"0":{"type":"domain-name","value":"example.com"},"1":{"type":"network-traffic","dst_ref":"0","protocols":["tcp"]}}`),
			}, 1},
		{"9.7 FOLLOWEDBY WITHIN", "([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) WITHIN 60 SECONDS",
			[]string{od(0, file(`"name":"a"`)), od(100, file(`"name":"b"`)), od(110, file(`"name":"a"`)), od(120, file(`"name":"b"`))}, 1},
		// 9.8 pattern examples.
		{"9.8 hashes OR", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']",
			[]string{od(0, file(`"hashes":{"MD5":"CEAD3F77F6CDA6EC00F57D76C9A6879F"}`)), od(1, file(`"hashes":{"SHA-256":"aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}`)), od(2, file(`"hashes":{"MD5":"00000000000000000000000000000000"}`))}, 2},
		{"9.8 file in directory", `[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`,
			[]string{od(0, `{"0":{"type":"directory","path":"C:\\Windows\\System32"},"1":{"type":"file","name":"foo.dll","parent_directory_ref":"0"}}`),
				od(1, `{"0":{"type":"directory","path":"C:\\Temp"},"1":{"type":"file","name":"foo.dll","parent_directory_ref":"0"}}`)}, 1},
		{"9.8 e-mail MATCHES", `[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`,
			[]string{od(0, `{"0":{"type":"email-addr","value":"alice@example.com"},"1":{"type":"file","name":"Final Report 2016.exe"},"2":{"type":"email-message","is_multipart":true,"from_ref":"0","body_multipart":[{"body":"hi"},{"body_raw_ref":"1"}]}}`),
				od(1, `{"0":{"type":"email-addr","value":"alice@example.org"},"1":{"type":"file","name":"Final Report 2016.exe"},"2":{"type":"email-message","is_multipart":true,"from_ref":"0","body_multipart":[{"body_raw_ref":"1"}]}}`)}, 1},
		{"9.8 registry values", `[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\System\\Foo\\Bar' AND windows-registry-key:values[*].name = 'Baz']`,
			[]string{od(0, `{"0":{"type":"windows-registry-key","key":"HKEY_LOCAL_MACHINE\\System\\Foo\\Bar","values":[{"name":"Qux"},{"name":"Baz"}]}}`)}, 1},
		{"9.8 list index", `[windows-registry-key:values[0].name = 'Baz']`,
			[]string{od(0, `{"0":{"type":"windows-registry-key","key":"k","values":[{"name":"Qux"},{"name":"Baz"}]}}`), od(1, `{"0":{"type":"windows-registry-key","key":"k","values":[{"name":"Baz"}]}}`)}, 1},
		{"9.8 certificate", `[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']`,
			[]string{od(0, `{"0":{"type":"x509-certificate","issuer":"CN=WEBMAIL","serial_number":"4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28"}}`), od(1, `{"0":{"type":"x509-certificate","issuer":"CN=WEBMAIL","serial_number":"00"}}`)}, 1},
		{"9.8 resolves_to_refs", `[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`,
			[]string{od(0, `{"0":{"type":"ipv4-addr","value":"198.51.100.1"},"1":{"type":"domain-name","value":"www.5z8.info","resolves_to_refs":["0"]}}`)}, 1},
		{"9.8 url OR", `[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']`,
			[]string{od(0, `{"0":{"type":"url","value":"http://EXAMPLE.com/bar"}}`), od(1, `{"0":{"type":"url","value":"http://example.com/baz"}}`)}, 1},
		{"9.8 PE entropy", `[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`,
			[]string{od(0, file(`"extensions":{"windows-pebinary-ext":{"pe_type":"exe","sections":[{"name":".text","entropy":6.1},{"name":".rsrc","entropy":7.5}]}}`)),
				od(1, file(`"extensions":{"windows-pebinary-ext":{"pe_type":"exe","sections":[{"name":".text","entropy":6.1}]}}`))}, 1},
		{"9.8 dst_ref type and ISSUBSET", `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']`,
			[]string{od(0, `{"0":{"type":"ipv4-addr","value":"198.51.100.99"},"1":{"type":"network-traffic","dst_ref":"0","protocols":["tcp"]}}`),
				od(1, `{"0":{"type":"ipv4-addr","value":"198.51.99.99"},"1":{"type":"network-traffic","dst_ref":"0","protocols":["tcp"]}}`)}, 1},
		{"9.8 IPv6 ISSUBSET", `[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']`,
			[]string{od(0, `{"0":{"type":"ipv6-addr","value":"2001:db8:dead:beef::1"},"1":{"type":"network-traffic","dst_ref":"0","protocols":["tcp"]}}`),
				od(1, `{"0":{"type":"ipv6-addr","value":"2001:db8:dead:bee0::1"},"1":{"type":"network-traffic","dst_ref":"0","protocols":["tcp"]}}`)}, 1},
		{"9.8 user account AND process", `[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [process:pid = 1234]`,
			[]string{od(0, `{"0":{"type":"user-account","account_type":"unix","user_id":"1007","account_login":"Peter"}}`), od(1, `{"0":{"type":"process","pid":1234}}`)}, 1},
		{"9.8 certificate FOLLOWEDBY", `[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS`,
			[]string{od(0, `{"0":{"type":"process","command_line":"C:\\>-add GlobalSign.cer -c -s -r localMachine Root"}}`), od(200, `{"0":{"type":"process","command_line":"C:\\>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher"}}`)}, 1},
		{"9.8 AND OR of observations", `([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']`,
			[]string{od(0, file(`"name":"foo.dll"`)), od(1, `{"0":{"type":"process","name":"procfoo"}}`), od(2, `{"0":{"type":"windows-registry-key","key":"HKEY_LOCAL_MACHINE\\foo\\bar"}}`)}, 2},
		{"9.8 parenthesised OR of ANDs", `[(file:name = 'foo.dll' AND file:size = 10) OR (file:name = 'bar.dll' AND file:size = 20)]`,
			[]string{od(0, file(`"name":"foo.dll","size":20`)), od(1, file(`"name":"bar.dll","size":20`))}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := run(t, tc.pattern, tc.obs...); got != tc.want {
				t.Errorf("%s\nmatched %d times, want %d", tc.pattern, got, tc.want)
			}
		})
	}
}
