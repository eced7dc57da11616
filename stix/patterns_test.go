package stix_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/stix/pattern"
)

// TestPatternSchema checks object paths against the SCO definitions:
// properties, nested objects, lists, dictionaries, references and
// extensions, and the custom names that are let through.
func TestPatternSchema(t *testing.T) {
	t.Parallel()
	p := pattern.Parser{Schema: stix.PatternSchema}
	tests := []struct{ in, err string }{
		{"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.id = 'ipv4-addr--x']", ""},
		{"[email-message:body_multipart[*].body_raw_ref.name = 'a.exe']", ""},
		{"[email-message:to_refs[*].value = 'a@example.com' AND email-message:from_ref.belongs_to_ref.account_login = 'a']", ""},
		{"[file:extensions.'ntfs-ext'.alternate_data_streams[0].hashes.'SHA-256' = 'x']", ""},
		{"[file:extensions.'windows-pebinary-ext'.optional_header.size_of_code > 0]", ""},
		{"[file:extensions.'x-custom'.a.b = 1 AND file:extensions.'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e'.c[0] = 2]", ""},
		{"[file:x_custom.a[*].b = 1 AND file:hashes.md5 = 'x' AND file:hashes.x_own = 'y']", ""},
		{"[process:extensions.'windows-process-ext'.startup_info.lpDesktop = 'x']", ""},
		{"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'x']", ""},
		{"[x509-certificate:x509_v3_extensions.key_usage = 'x']", ""},
		{"[windows-registry-key:values[*].data = 'x' AND EXISTS windows-registry-key:values]", ""},
		{"[process:parent_ref.image_ref.name = 'x' AND process:child_refs[*].pid = 4]", ""},
		{"[user-account:extensions.'unix-account-ext'.groups[*] = 'wheel']", ""},
		{"[file:contains_refs[*].anything.at.all = 1]", ""},
		{"[domain-name:resolves_to_refs[*].value ISSUBSET '10.0.0.0/8' OR network-traffic:dst_ref.value ISSUBSET '2001:db8::/32']", ""},
		{"[EXISTS file:hashes AND EXISTS file:extensions AND EXISTS file:object_marking_refs]", ""},
		{"[file:granular_markings[0].selectors[*] = 'name']", ""},
		{"[x-custom:anything[0].goes = 1]", ""},

		{"[file:created = t'2014-01-13T07:03:17Z']", `pattern: column 7: file has no property "created"`},
		{"[indicator:name = 'x']", `pattern: column 2: "indicator" is not a cyber-observable type: patterns match cyber-observable objects such as file or ipv4-addr`},
		{"[foo:bar = 1]", `pattern: column 2: unknown object type "foo": object paths start from a cyber-observable type such as file or ipv4-addr, or a custom type starting with "x-"`},
		{"[file:name.x = 1]", `pattern: column 12: file:name is a string: it has no properties or items`},
		{"[file:size[0] = 1]", `pattern: column 11: file:size is an integer: it has no properties or items`},
		{"[network-traffic:protocols = 'tcp']", `pattern: column 2: network-traffic:protocols is a list: compare its items with [*] or an index such as [0]`},
		{"[network-traffic:protocols.x = 'tcp']", `pattern: column 28: network-traffic:protocols is a list: reach its items with [*] or an index such as [0]`},
		{"[file:hashes[0] = 'x']", `pattern: column 13: file:hashes is a dictionary, not a list: name one of its keys`},
		{"[file:hashes.MD5.x = 'a']", `pattern: column 18: file:hashes.MD5 is a string: it has no properties or items`},
		{"[file:hashes = 'x']", `pattern: column 2: file:hashes is a dictionary: compare one of its values by key, such as file:hashes.key, or test it with EXISTS`},
		{"[file:extensions.'ntfs-ext'.nope = 1]", `pattern: column 29: file:extensions.'ntfs-ext' has no property "nope"`},
		{"[file:extensions.'tcp-ext'.src_flags_hex = h'00']", `pattern: column 18: "tcp-ext" is not a predefined extension of file; custom extensions are named by an extension-definition identifier`},
		{"[file:extensions[0] = 1]", `pattern: column 17: file:extensions is a dictionary of extensions, not a list: name an extension`},
		{"[file:extensions.'windows-pebinary-ext'.sections = 1]", `pattern: column 2: file:extensions.'windows-pebinary-ext'.sections is a list: compare its items with [*] or an index such as [0]`},
		{"[file:extensions.'windows-pebinary-ext'.optional_header = 1]", `pattern: column 2: file:extensions.'windows-pebinary-ext'.optional_header is an object: compare one of its properties, or test it with EXISTS`},
		{"[file:extensions.'windows-pebinary-ext'.optional_header[0] = 1]", `pattern: column 56: file:extensions.'windows-pebinary-ext'.optional_header is an object, not a list: name one of its properties`},
		{"[network-traffic:dst_ref[0].value = 'x']", `pattern: column 25: network-traffic:dst_ref is a reference, not a list: name a property of the object it refers to`},
		{"[network-traffic:dst_ref.nope = 1]", `pattern: column 26: network-traffic:dst_ref has no property "nope"`},
		{"[email-message:body_multipart[*].body_raw_ref.payload = 'x']", `pattern: column 47: email-message:body_multipart[*].body_raw_ref has no property "payload"`},
		{"[mac-addr:value ISSUBSET '10.0.0.0/8']", `pattern: column 2: ISSUBSET compares IP addresses: its left side must be the value of an ipv4-addr or ipv6-addr object, such as ipv4-addr:value or network-traffic:dst_ref.value, not mac-addr:value`},
		{"[ipv4-addr:resolves_to_refs[*].value ISSUBSET '10.0.0.0/8']", `pattern: column 2: ISSUBSET compares IP addresses: its left side must be the value of an ipv4-addr or ipv6-addr object, such as ipv4-addr:value or network-traffic:dst_ref.value, not ipv4-addr:resolves_to_refs[*].value`},
		{"[file:x_y = 1 AND file:nope = 2]", `pattern: column 24: file has no property "nope"`},
	}
	for _, tc := range tests {
		_, err := p.Parse(tc.in)
		if got := fmt.Sprint(err); err == nil && tc.err != "" || err != nil && got != tc.err {
			t.Errorf("Parse(%q):\n got %v\nwant %s", tc.in, err, tc.err)
		}
	}
}

// TestIndicatorPattern checks that the indicator validator parses STIX
// patterns, and only those.
func TestIndicatorPattern(t *testing.T) {
	t.Parallel()
	indicator := func(pattern, patternType string) []byte {
		return fmt.Appendf(nil, `{"type": "indicator", "spec_version": "2.1",
			"id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
			"created": "2016-04-29T14:09:00.000Z", "modified": "2016-04-29T14:09:00.000Z",
			"pattern": %q, "pattern_type": %q, "valid_from": "2016-01-01T00:00:00Z"}`, pattern, patternType)
	}
	tests := []struct {
		pattern, patternType, issue string
	}{
		{"[ipv4-addr:value = '198.51.100.1']", "stix", ""},
		{"[ipv4-addr:value = '198.51.100.1'", "stix", "objects[3].pattern: invalid STIX pattern at column 34: expected \"]\", AND or OR, found the end of the pattern [pattern]"},
		{"[file:created = t'2014-01-13T07:03:17Z']", "stix", `objects[3].pattern: invalid STIX pattern at column 7: file has no property "created" [pattern]`},
		{"alert tcp any any -> any any (msg:\"x\";)", "snort", ""},
		{"[not a stix pattern", "sigma", ""},
	}
	for _, tc := range tests {
		obj, issues := stix.ValidateObject(indicator(tc.pattern, tc.patternType), "objects[3]")
		var errs []string
		for _, is := range issues.Errors() {
			errs = append(errs, is.String())
		}
		if got := strings.Join(errs, "\n"); got != tc.issue {
			t.Errorf("%s %q:\n got %s\nwant %s", tc.patternType, tc.pattern, got, tc.issue)
		}
		if (obj == nil) != (tc.issue != "") {
			t.Errorf("%s %q: accepted %v", tc.patternType, tc.pattern, obj != nil)
		}
	}
}

// TestPatternSchemaTypes checks that the 18 cyber-observable types of STIX
// 2.1 section 6 are known, with their common properties.
func TestPatternSchemaTypes(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"artifact", "autonomous-system", "directory", "domain-name", "email-addr",
		"email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process",
		"software", "url", "user-account", "windows-registry-key", "x509-certificate"} {
		for _, prop := range []string{"type", "id", "spec_version", "defanged"} {
			r := stix.PatternSchema.Resolve(typ, []pattern.Step{{Kind: pattern.StepKey, Key: prop}})
			if r.Problem != "" || len(r.Types) != 1 || r.Types[0] != typ {
				t.Errorf("%s:%s resolves to %+v", typ, prop, r)
			}
		}
	}
}
