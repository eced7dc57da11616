package export_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/export"
)

// ind writes an indicator with a STIX pattern.
func ind(n int, name, pat string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n),
		"created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": name,
		"pattern": pat, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
	})
	return b
}

// testObjects covers every kind of observable and every reason to skip.
func testObjects() [][]byte {
	return [][]byte{
		ind(1, "C2 address", "[ipv4-addr:value = '198.51.100.7' OR ipv6-addr:value = '2001:DB8::1']"),
		ind(2, "C2 block", "[network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24']"),
		ind(3, "Phishing; \"domain\"", "[domain-name:value IN ('Evil.Example.com', 'bad.example.net')]"),
		ind(4, "Payload URL", "[url:value = 'http://evil.example.com:8080/a;b?x=1']"),
		ind(5, "Dropper", "[file:hashes.'SHA-256' = '275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F' OR file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']"),
		ind(6, "Sender", "[email-addr:value = 'Mallory@Example.com']"),
		ind(7, "Sequence", "[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'a.example']"),
		ind(8, "Repeated", "[ipv4-addr:value = '192.0.2.2'] REPEATS 3 TIMES"),
		ind(9, "Conjunction", "[file:name = 'a.exe' AND file:size = 10]"),
		ind(10, "Like", "[domain-name:value LIKE '%.example.org']"),
		ind(11, "Source", "[network-traffic:src_ref.value = '192.0.2.99']"),
		ind(12, "Secure URL", "[url:value = 'https://secure.example.com/login']"),
		[]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000013","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"alert ip any any -> 192.0.2.200 any (msg:\"native\"; sid:1000001; rev:1;)","pattern_type":"suricata","valid_from":"2024-01-01T00:00:00Z"}`),
		[]byte(`{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-000000000014","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"x","is_family":false}`),
	}
}

func exportAll(t *testing.T, format string) (string, []export.Skip) {
	t.Helper()
	var buf bytes.Buffer
	w, err := export.NewWriter(&buf, format, export.Options{Now: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range testObjects() {
		if err := w.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), w.Skipped()
}

// body drops the comment lines.
func body(s, comment string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if !strings.HasPrefix(l, comment) {
			out = append(out, l)
		}
	}
	return out
}

func skippedIDs(skips []export.Skip) []string {
	var out []string
	for _, s := range skips {
		out = append(out, s.ID[len(s.ID)-2:]+": "+s.Reason)
	}
	return out
}

// common are the skips every format shares: patterns no list or rule
// expresses.
var common = []string{
	"07: observation operators (FOLLOWEDBY) join several observations, which a list or rule cannot express",
	"08: qualifiers (WITHIN, REPEATS, START/STOP) cannot be expressed",
	"09: comparisons joined by AND cannot be expressed",
	"10: LIKE on domain-name:value cannot be expressed",
}

func TestFormats(t *testing.T) {
	t.Parallel()
	const sha = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
	const md5 = "44d88612fea8a8f36de82e1278abb02f"
	tests := []struct {
		format, comment string
		want            []string
		skips           []string
	}{
		{"blocklist-ip", "#", []string{"198.51.100.7", "2001:db8::1", "203.0.113.0/24", "192.0.2.99"}, []string{
			"03: domain evil.example.com does not belong in blocklist-ip", "03: domain bad.example.net does not belong in blocklist-ip",
			"04: url http://evil.example.com:8080/a;b?x=1 does not belong in blocklist-ip",
			"05: hash " + sha + " does not belong in blocklist-ip", "05: hash " + md5 + " does not belong in blocklist-ip",
			"06: email mallory@example.com does not belong in blocklist-ip",
			"12: url https://secure.example.com/login does not belong in blocklist-ip",
			"13: pattern_type suricata is not STIX"}},
		{"blocklist-domain", "#", []string{"evil.example.com", "bad.example.net"}, nil},
		{"blocklist-url", "#", []string{"http://evil.example.com:8080/a;b?x=1", "https://secure.example.com/login"}, nil},
		{"blocklist-hash", "#", []string{sha, md5}, nil},
		{"csv", "", []string{
			"indicator_id,name,type,value,valid_from,valid_until",
			"indicator--00000000-0000-4000-8000-000000000001,C2 address,ip,198.51.100.7,2024-01-01T00:00:00Z,",
			"indicator--00000000-0000-4000-8000-000000000001,C2 address,ip,2001:db8::1,2024-01-01T00:00:00Z,",
			"indicator--00000000-0000-4000-8000-000000000002,C2 block,ip,203.0.113.0/24,2024-01-01T00:00:00Z,",
			`indicator--00000000-0000-4000-8000-000000000003,"Phishing; ""domain""",domain,evil.example.com,2024-01-01T00:00:00Z,`,
			`indicator--00000000-0000-4000-8000-000000000003,"Phishing; ""domain""",domain,bad.example.net,2024-01-01T00:00:00Z,`,
			"indicator--00000000-0000-4000-8000-000000000004,Payload URL,url,http://evil.example.com:8080/a;b?x=1,2024-01-01T00:00:00Z,",
			"indicator--00000000-0000-4000-8000-000000000005,Dropper,SHA-256," + sha + ",2024-01-01T00:00:00Z,",
			"indicator--00000000-0000-4000-8000-000000000005,Dropper,MD5," + md5 + ",2024-01-01T00:00:00Z,",
			"indicator--00000000-0000-4000-8000-000000000006,Sender,email,mallory@example.com,2024-01-01T00:00:00Z,",
			"indicator--00000000-0000-4000-8000-000000000011,Source,ip,192.0.2.99,2024-01-01T00:00:00Z,",
			"indicator--00000000-0000-4000-8000-000000000012,Secure URL,url,https://secure.example.com/login,2024-01-01T00:00:00Z,",
		}, nil},
		{"rpz", ";", []string{"$TTL 300", "$ORIGIN rpz.tearline.", "@ SOA localhost. hostmaster.localhost. 1709251200 3600 600 86400 300", "@ NS localhost.",
			"32.7.100.51.198.rpz-ip CNAME .", "128.1.zz.db8.2001.rpz-ip CNAME .", "24.0.113.0.203.rpz-ip CNAME .",
			"evil.example.com CNAME .", "*.evil.example.com CNAME .", "bad.example.net CNAME .", "*.bad.example.net CNAME .",
			"32.99.2.0.192.rpz-ip CNAME ."}, nil},
		{"suricata", "#", []string{
			`alert ip any any <> [198.51.100.7,2001:db8::1] any (msg:"TEARLINE C2 address"; metadata:stix_id indicator--00000000-0000-4000-8000-000000000001; sid:9000000; rev:1;)`,
			`alert ip any any -> [203.0.113.0/24] any (msg:"TEARLINE C2 block"; metadata:stix_id indicator--00000000-0000-4000-8000-000000000002; sid:9000001; rev:1;)`,
			`alert dns any any -> any any (msg:"TEARLINE Phishing   domain"; dns.query; content:"evil.example.com"; nocase; startswith; endswith; metadata:stix_id indicator--00000000-0000-4000-8000-000000000003; sid:9000002; rev:1;)`,
			`alert tls any any -> any any (msg:"TEARLINE Phishing   domain"; tls.sni; content:"evil.example.com"; nocase; startswith; endswith; metadata:stix_id indicator--00000000-0000-4000-8000-000000000003; sid:9000003; rev:1;)`,
			`alert dns any any -> any any (msg:"TEARLINE Phishing   domain"; dns.query; content:"bad.example.net"; nocase; startswith; endswith; metadata:stix_id indicator--00000000-0000-4000-8000-000000000003; sid:9000004; rev:1;)`,
			`alert tls any any -> any any (msg:"TEARLINE Phishing   domain"; tls.sni; content:"bad.example.net"; nocase; startswith; endswith; metadata:stix_id indicator--00000000-0000-4000-8000-000000000003; sid:9000005; rev:1;)`,
			`alert http any any -> any any (msg:"TEARLINE Payload URL"; http.host; content:"evil.example.com|3A|8080"; startswith; endswith; http.uri.raw; content:"/a|3B|b?x=1"; startswith; endswith; metadata:stix_id indicator--00000000-0000-4000-8000-000000000004; sid:9000006; rev:1;)`,
			`alert ip [192.0.2.99] any -> any any (msg:"TEARLINE Source"; metadata:stix_id indicator--00000000-0000-4000-8000-000000000011; sid:9000007; rev:1;)`,
			`alert ip any any -> 192.0.2.200 any (msg:"native"; sid:1000001; rev:1;)`,
		}, []string{
			"05: file hash " + sha + ": Suricata matches hashes from list files (filemd5, filesha256), not in rules; use blocklist-hash",
			"05: file hash " + md5 + ": Suricata matches hashes from list files (filemd5, filesha256), not in rules; use blocklist-hash",
			"06: e-mail address mallory@example.com: not expressed in Suricata rules",
			"12: URL https://secure.example.com/login: only http:// URLs are visible to a network sensor",
		}},
		{"snort", "#", []string{
			`alert ip any any <> [198.51.100.7,2001:db8::1] any (msg:"TEARLINE C2 address"; metadata:stix_id indicator--00000000-0000-4000-8000-000000000001; sid:9000000; rev:1;)`,
			`alert ip any any -> [203.0.113.0/24] any (msg:"TEARLINE C2 block"; metadata:stix_id indicator--00000000-0000-4000-8000-000000000002; sid:9000001; rev:1;)`,
			`alert udp any any -> any 53 (msg:"TEARLINE Phishing   domain"; content:"|04|evil|07|example|03|com|00|"; nocase; metadata:stix_id indicator--00000000-0000-4000-8000-000000000003; sid:9000002; rev:1;)`,
			`alert udp any any -> any 53 (msg:"TEARLINE Phishing   domain"; content:"|03|bad|07|example|03|net|00|"; nocase; metadata:stix_id indicator--00000000-0000-4000-8000-000000000003; sid:9000003; rev:1;)`,
			`alert tcp any any -> any any (msg:"TEARLINE Payload URL"; flow:to_server,established; content:"evil.example.com|3A|8080"; http_header; nocase; content:"/a|3B|b?x=1"; http_raw_uri; metadata:stix_id indicator--00000000-0000-4000-8000-000000000004; sid:9000004; rev:1;)`,
			`alert ip [192.0.2.99] any -> any any (msg:"TEARLINE Source"; metadata:stix_id indicator--00000000-0000-4000-8000-000000000011; sid:9000005; rev:1;)`,
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			t.Parallel()
			out, skips := exportAll(t, tc.format)
			got := body(out, tc.comment)
			if tc.comment == "" {
				got = strings.Split(strings.TrimSpace(out), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.format, diff)
			}
			if tc.skips != nil {
				want := append([]string{}, tc.skips...)
				if diff := cmp.Diff(append(common, want...), sortSkips(skippedIDs(skips), common)); diff != "" {
					t.Errorf("skipped (-want +got):\n%s", diff)
				}
			}
			// Every skip is also in the file, where comments are allowed.
			if tc.comment != "" {
				for _, s := range skips {
					if !strings.Contains(out, tc.comment+" skipped "+s.ID+": ") {
						t.Errorf("skip of %s not listed in the export", s.ID)
					}
				}
			}
			if len(skips) == 0 {
				t.Errorf("nothing skipped")
			}
		})
	}
}

// sortSkips puts the common skips first, in their order, and the others
// after in theirs.
func sortSkips(got, first []string) []string {
	var a, b []string
	for _, s := range got {
		isCommon := false
		for _, c := range first {
			if s == c {
				isCommon = true
			}
		}
		if isCommon {
			a = append(a, s)
		} else {
			b = append(b, s)
		}
	}
	return append(a, b...)
}

func TestSTIXBundle(t *testing.T) {
	t.Parallel()
	out, skips := exportAll(t, "stix")
	var bundle struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal([]byte(out), &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.Type != "bundle" || len(bundle.Objects) != len(testObjects()) || len(skips) != 0 {
		t.Errorf("bundle of %d objects, %d skipped", len(bundle.Objects), len(skips))
	}
	for i, o := range testObjects() {
		if !bytes.Equal(bundle.Objects[i], o) {
			t.Errorf("object %d changed", i)
		}
	}
}

// TestSuricataLoads loads the exported rules in Suricata (suricata -T).
func TestSuricataLoads(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("suricata")
	if err != nil {
		t.Skip("suricata is not installed (Debian: suricata from bookworm-backports; .ci/run installs it): the rules are not loaded")
	}
	out, _ := exportAll(t, "suricata")
	dir := t.TempDir()
	rules := filepath.Join(dir, "tearline.rules")
	if err := os.WriteFile(rules, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-T", "-v", "-S", rules, "-c", "testdata/suricata.yaml", "-l", dir)
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("suricata -T refused the rules: %v\n%s\n%s", err, res, out)
	}
	if !strings.Contains(string(res), "9 rules successfully loaded, 0 rules failed") {
		t.Errorf("suricata -T:\n%s", res)
	}
}
