package observable

import (
	"strings"
	"testing"
)

// feedIndicator is an indicator of the size and shape of a threat feed's
// (about 1 KB).
var feedIndicator = []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--1b7a5f2e-9d3c-4e8a-b1f0-6c2d8e4a7b90",` +
	`"created":"2025-03-01T00:00:00.000Z","modified":"2025-03-01T00:00:00.000Z","name":"QakBot C2 server",` +
	`"description":"QakBot command and control server seen in an invoice-themed phishing wave targeting financial services and healthcare organizations.",` +
	`"indicator_types":["malicious-activity"],"pattern":"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.77' AND network-traffic:dst_port = 443]",` +
	`"pattern_type":"stix","pattern_version":"2.1","valid_from":"2025-03-01T00:00:00Z","valid_until":"2025-06-01T00:00:00Z",` +
	`"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}],"labels":["c2","botnet"],"confidence":80,` +
	`"created_by_ref":"identity--0f3c2d1e-4b5a-4c6d-8e7f-9a0b1c2d3e4f","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],` +
	`"external_references":[{"source_name":"threatfox","url":"https://threatfox.abuse.ch/ioc/123456/","external_id":"TF-123456"}]}`)

func BenchmarkFromObject(b *testing.B) {
	b.SetBytes(int64(len(feedIndicator)))
	for b.Loop() {
		obs, err := FromObject(feedIndicator)
		if err != nil || len(obs) != 1 {
			b.Fatal(obs, err)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, o := range []Observable{{IPv4, "203.0.113.77"}, {Domain, "secure-login.example.com"},
		{URL, "https://secure-login.example.com/wp-content/plugins/gate.php"}, {SHA256, strings.Repeat("ab", 32)},
		{Domain, "Secure-Login.Example.com."}} {
		b.Run(o.Kind.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := Normalize(o.Kind, o.Value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
