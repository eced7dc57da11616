package pattern_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/stix/pattern"
)

// benchPatterns are typical indicator patterns, from the simplest (most
// indicators in the wild) to compound ones.
var benchPatterns = []struct{ name, pattern string }{
	{"ipv4", "[ipv4-addr:value = '198.51.100.1']"},
	{"sha256", "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']"},
	{"or7", "[domain-name:value = 'www.webserver.freetcp.com' OR ipv4-addr:value = '113.10.246.30' OR ipv4-addr:value = '219.90.112.203' OR ipv4-addr:value = '202.65.220.64' OR ipv4-addr:value = '75.126.95.138' OR ipv4-addr:value = '219.90.112.197' OR ipv4-addr:value = '202.65.222.45']"},
	{"followedby", `([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`},
	{"matches", `[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`},
	{"in100", "[ipv4-addr:value IN (" + ipList(100) + ")]"},
}

func ipList(n int) string {
	ips := make([]string, n)
	for i := range ips {
		ips[i] = fmt.Sprintf("'10.0.%d.%d'", i/256, i%256)
	}
	return strings.Join(ips, ", ")
}

func BenchmarkParse(b *testing.B) {
	for _, bp := range benchPatterns {
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bp.pattern)))
			for b.Loop() {
				if _, err := pattern.Parse(bp.pattern); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseChecked parses with the object definitions, as the
// indicator validator does.
func BenchmarkParseChecked(b *testing.B) {
	p := pattern.Parser{Schema: stix.PatternSchema}
	for _, bp := range benchPatterns {
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bp.pattern)))
			for b.Loop() {
				if _, err := p.Parse(bp.pattern); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkString(b *testing.B) {
	for _, bp := range benchPatterns {
		p, err := pattern.Parse(bp.pattern)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = p.String()
			}
		})
	}
}
