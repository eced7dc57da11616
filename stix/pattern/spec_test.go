package pattern_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/stix/pattern"
)

// specExamples are the patterns of STIX 2.1 section 9 (9.1 to 9.8), as
// written there (not JSON-encoded), with the canonical form String must
// print when it differs from the example. Comparison expressions the text
// shows without brackets are wrapped in [ ].
var specExamples = []struct {
	where, pattern, canonical string
}{
	// 9.1 Definitions
	{"9.1 comparison expression", "[user-account:value = 'Peter']", ""},
	{"9.1 object path", "[EXISTS ipv6-addr:value]", ""},
	{"9.1 observation expression", "[ipv4-addr:value = '203.0.113.1' OR ipv4-addr:value = '203.0.113.2']", ""},
	{"9.1 observation operator", "([ipv4-addr:value = '198.51.100.5'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.10'])",
		"[ipv4-addr:value = '198.51.100.5'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.10']"},
	{"9.1 operator and qualifier", "([ipv4-addr:value = '198.51.100.5' ] AND [ipv4-addr:value = '198.51.100.10']) WITHIN 300 SECONDS",
		"([ipv4-addr:value = '198.51.100.5'] AND [ipv4-addr:value = '198.51.100.10']) WITHIN 300 SECONDS"},
	{"9.1 boolean operator", "[user-account:value = 'Peter' OR user-account:value = 'Mary']", ""},
	{"9.1 qualifier", "[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", ""},
	{"9.1 observation operator 2", "[ipv4-addr:value = '198.51.100.5'] AND [ ipv4-addr:value = '198.51.100.10']",
		"[ipv4-addr:value = '198.51.100.5'] AND [ipv4-addr:value = '198.51.100.10']"},
	{"9.1 pattern expression", "[file:size = 25536]", ""},
	// 9.2 Constants
	{"9.2 binary", "[artifact:payload_bin = b'ABI=']", ""},
	{"9.2 hex", "[file:magic_number_hex = h'ffc3']", ""},
	{"9.2 timestamp", "[file:ctime = t'2014-01-13T07:03:17Z']", ""},
	// 9.3 STIX Patterns
	{"9.3 comparison", "[ipv4-addr:value = '198.51.100.1/32']", ""},
	{"9.3 observation", "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']", ""},
	{"9.3 qualifier", "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] REPEATS 5 TIMES", ""},
	{"9.3 observation operator", "([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS", ""},
	// 9.5 Observation Expressions
	{"9.5 same object", "[ network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.value = '198.51.100.58' ]",
		"[network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.value = '198.51.100.58']"},
	{"9.5.1 WITHIN", "([file:hashes.'SHA-256' = '13987239847...'] AND [windows-registry-key:key = 'hkey']) WITHIN 120 SECONDS", ""},
	// 9.6.1 Comparison Operators
	{"9.6.1 =", "[file:name = 'foo.dll']", ""},
	{"9.6.1 !=", "[file:size != 4112]", ""},
	{"9.6.1 >", "[file:size > 256]", ""},
	{"9.6.1 <", "[file:size < 1024]", ""},
	{"9.6.1 <=", "[file:size <= 25145]", ""},
	{"9.6.1 >=", "[file:size >= 33312]", ""},
	{"9.6.1 IN", "[process:name IN ('proccy', 'proximus', 'badproc')]", ""},
	{"9.6.1 LIKE", `[directory:path LIKE 'C:\\Windows\\%\\foo']`, ""},
	{"9.6.1 MATCHES", `[directory:path MATCHES '^C:\\\\Windows\\w+$']`, ""},
	{"9.6.1 ISSUBSET", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", ""},
	{"9.6.1 ISSUPERSET", "[ipv4-addr:value ISSUPERSET '198.51.100.0/24']", ""},
	{"9.6.1 EXISTS", "[EXISTS windows-registry-key:values]", ""},
	// 9.6.4 Native Format Comparison
	{"9.6.4 string", "[artifact:payload_bin = 'dGhpcyBpcyBhIHRlc3Q=']", ""},
	{"9.6.4 string 2", "[artifact:payload_bin = 'this is a test']", ""},
	{"9.6.4 binary", "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']", ""},
	{"9.6.4 hex", "[artifact:payload_bin = h'7468697320697320612074657374']", ""},
	// 9.7 Object Path Syntax
	{"9.7.1 basic", "[EXISTS file:size]", ""},
	{"9.7.2 list", "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", ""},
	{"9.7.2 list index", "[network-traffic:protocols[0] = 'tcp']", ""},
	{"9.7.3 dictionary", "[EXISTS file:hashes.ssdeep]", "[EXISTS file:hashes.ssdeep]"},
	{"9.7.3 dictionary 2", "[file:extensions.'raster-image-ext'.image_height > 100]", ""},
	{"9.7.4 reference", "[email-message:from_ref.value = 'jdoe@example.com']", ""},
	{"9.7.4 reference list", "[directory:contains_refs[*].name = 'foo.dll']", ""},
	// 9.8 Examples
	{"9.8 SHA-256", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", ""},
	{"9.8 email regex", `[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`, ""},
	{"9.8 SHA-256 and MIME", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']", ""},
	{"9.8 two files", "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']\nAND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
		"[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']"},
	{"9.8 followed by", `([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`, ""},
	{"9.8 unix accounts", "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']", ""},
	{"9.8 pcap", `[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`, ""},
	{"9.8 windows path", `[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`, ""},
	{"9.8 PE entropy", "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]", ""},
	{"9.8 magic number", "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']", ""},
	{"9.8 destination", "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']", ""},
	{"9.8 beaconing", "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS", ""},
	{"9.8 domain resolution", "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']", ""},
	{"9.8 URL", "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']", ""},
	{"9.8 X509", "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']", ""},
	{"9.8 registry key", `[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CryptoLocker\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\CurrentVersion\\Run\\CryptoLocker_0388']`, ""},
	{"9.8 file properties", "[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']", ""},
	{"9.8 sender and subject", "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']", ""},
	{"9.8 custom USB", "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']", ""},
	{"9.8 two processes", "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
		"[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS"},
	{"9.8 subnet", "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']", ""},
	{"9.8 malware artifacts", `([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:image_ref.name = 'fooproc' OR process:image_ref.name = 'procfoo']`,
		`[file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar'] OR [process:image_ref.name = 'fooproc' OR process:image_ref.name = 'procfoo']`},
	// Section 8's bundle example.
	{"8 bundle", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", ""},
}

// specSchematic are the examples of section 9 written with placeholders
// rather than valid patterns; they must be rejected, and clearly.
var specSchematic = []struct {
	where, pattern, err string
}{
	{"9.5 different types", "[(type-a:property-j = 'W' AND type-a:property-k = 'X') OR (type-b:property-m = 'Y' AND type-b:property-n = 'Z')]",
		`pattern: column 10: property name "property-j" contains "-": quote it, 'property-j'`},
	{"9.5 qualifier scope", "([ a ] AND [ b ] REPEATS 5 TIMES) WITHIN 5 MINUTES",
		`pattern: column 6: expected ":" after the object type "a", found "]"`},
	{"9.5.2 followed by", "[ a = 'b' ] FOLLOWEDBY [ c = 'd' ] REPEATS 5 TIMES",
		`pattern: column 5: expected ":" after the object type "a", found "="`},
}

// specSchemaErrors are the examples of section 9 that use properties
// STIX 2.1 does not define (most are STIX 2.0 names): the object
// definitions reject them.
var specSchemaErrors = map[string]string{
	"9.1 comparison expression": `pattern: column 15: user-account has no property "value"`,
	"9.1 boolean operator":      `pattern: column 15: user-account has no property "value"`,
	"9.6.1 IN":                  `pattern: column 10: process has no property "name"`,
	"9.8 file properties":       `pattern: column 57: file has no property "created"`,
}

func TestSpecExamples(t *testing.T) {
	checked := pattern.Parser{Schema: stix.PatternSchema}
	for _, tc := range specExamples {
		t.Run(tc.where, func(t *testing.T) {
			t.Parallel()
			p, err := pattern.Parse(tc.pattern)
			if err != nil {
				t.Fatalf("%s: %v", tc.pattern, err)
			}
			_, err = checked.Parse(tc.pattern)
			if got, want := fmt.Sprint(err), specSchemaErrors[tc.where]; err != nil && got != want || err == nil && want != "" {
				t.Errorf("with the object definitions:\n got %v\nwant %s", err, want)
			}
			want := tc.canonical
			if want == "" {
				want = tc.pattern
			}
			if got := p.String(); got != want {
				t.Errorf("String():\n got %s\nwant %s", got, want)
			}
			roundTrip(t, p)
		})
	}
	for _, tc := range specSchematic {
		t.Run(tc.where, func(t *testing.T) {
			t.Parallel()
			_, err := pattern.Parse(tc.pattern)
			if err == nil || err.Error() != tc.err {
				t.Errorf("Parse(%s):\n got %v\nwant %s", tc.pattern, err, tc.err)
			}
		})
	}
}

// roundTrip checks that the canonical form parses to an equal pattern and
// prints the same.
func roundTrip(t testing.TB, p *pattern.Pattern) {
	t.Helper()
	s := p.String()
	q, err := pattern.Parse(s)
	if err != nil {
		t.Fatalf("canonical form %s does not parse: %v", s, err)
	}
	if diff := cmp.Diff(p, q); diff != "" {
		t.Fatalf("Parse(String()) differs from the pattern %s (-want +got):\n%s", s, diff)
	}
	if s2 := q.String(); s2 != s {
		t.Fatalf("String() is not stable:\n%s\n%s", s, s2)
	}
}
