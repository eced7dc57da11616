package match_test

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/match"
	"github.com/tearline/tearline/stix/pattern"
)

// decodeAll decodes every line of a test log and returns each
// observation's objects as JSON, with the skip counts.
func decodeAll(t *testing.T, file string, m *match.Mapping) ([]string, map[string]int) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d := match.NewLineDecoder(bytes.NewReader(data), m)
	var out []string
	for {
		obs, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, obs.First.Format("15:04:05.000000")+" "+string(obs.ObjectsJSON()))
	}
	return out, d.Skips().Counts()
}

func TestSuricataMapping(t *testing.T) {
	t.Parallel()
	m, _ := match.BuiltinMapping("suricata")
	got, skips := decodeAll(t, "testdata/suricata.jsonl", m)
	want := []string{
		`10:00:00.000001 {"0":{"type":"ipv4-addr","value":"10.0.0.5"},"1":{"type":"network-traffic","src_port":53211,"dst_port":53,"protocols":["udp"],"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"192.0.2.53"},"3":{"type":"domain-name","value":"evil.example.com"}}`,
		`10:00:00.010000 {"0":{"type":"ipv4-addr","value":"192.0.2.53"},"1":{"type":"network-traffic","src_port":53,"dst_port":53211,"protocols":["udp"],"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"10.0.0.5"},"3":{"type":"domain-name","value":"evil.example.com","resolves_to_refs":["4","5"]},"4":{"type":"ipv4-addr","value":"198.51.100.7"},"5":{"type":"ipv4-addr","value":"198.51.100.7"}}`,
		`10:00:01.000000 {"0":{"type":"ipv4-addr","value":"10.0.0.5"},"1":{"type":"network-traffic","src_port":40000,"dst_port":80,"protocols":["tcp"],"extensions":{"http-request-ext":{"request_header":{"Host":"Evil.Example.com","User-Agent":"curl/8.0"},"request_value":"/payload.exe?x=1","request_method":"GET"}},"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"198.51.100.7"},"3":{"type":"domain-name","value":"Evil.Example.com"},"4":{"type":"url","value":"http://Evil.Example.com/payload.exe?x=1"}}`,
		`10:00:02.000000 {"0":{"type":"ipv4-addr","value":"10.0.0.5"},"1":{"type":"network-traffic","src_port":40001,"dst_port":443,"protocols":["tcp"],"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"203.0.113.9"},"3":{"type":"x509-certificate","subject":"CN=bad.example.net","issuer":"CN=Bad CA","serial_number":"00:AB:CD","hashes":{"SHA-1":"3e4f8b0c2a112233445566778899aabbccddeeff"},"validity_not_before":"2024-01-01T00:00:00","validity_not_after":"2025-01-01T00:00:00"},"4":{"type":"domain-name","value":"bad.example.net"}}`,
		`10:00:03.000000 {"0":{"type":"ipv4-addr","value":"198.51.100.7"},"1":{"type":"network-traffic","src_port":80,"dst_port":40000,"protocols":["tcp","http"],"extensions":{"http-request-ext":{"request_header":{"Host":"evil.example.com"},"request_value":"/payload.exe?x=1"}},"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"10.0.0.5"},"3":{"type":"domain-name","value":"evil.example.com"},"4":{"type":"file","name":"/payload.exe","hashes":{"MD5":"44D88612FEA8A8F36DE82E1278ABB02F","SHA-1":"3395856ce81f2b7382dee72602f798b642f14140","SHA-256":"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"},"size":68},"5":{"type":"url","value":"http://evil.example.com/payload.exe?x=1"}}`,
		`10:00:04.000000 {"0":{"type":"ipv6-addr","value":"2001:db8::5"},"1":{"type":"network-traffic","src_port":1234,"dst_port":443,"protocols":["tcp"],"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv6-addr","value":"2001:db8:dead::1"}}`,
		`10:00:05.000000 {"0":{"type":"ipv4-addr","value":"10.0.0.5"},"1":{"type":"network-traffic","src_port":5555,"dst_port":4444,"protocols":["tcp","failed"],"src_packets":10,"dst_packets":8,"src_byte_count":1200,"dst_byte_count":900,"start":"2024-03-01T09:59:00.000000+0000","end":"2024-03-01T10:00:05.000000+0000","src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"192.0.2.200"}}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}
	wantSkips := map[string]int{
		"event_type stats is not mapped": 1,
		"src_ip: not a string":           1,
		"no time (timestamp)":            1,
		"not a JSON object":              1,
		"timestamp is not a time":        1,
	}
	if diff := cmp.Diff(wantSkips, skips); diff != "" {
		t.Errorf("skips (-want +got):\n%s", diff)
	}
}

func TestZeekMapping(t *testing.T) {
	t.Parallel()
	m, _ := match.BuiltinMapping("zeek")
	got, skips := decodeAll(t, "testdata/zeek.jsonl", m)
	want := []string{
		`10:00:00.123456 {"0":{"type":"ipv4-addr","value":"10.0.0.5"},"1":{"type":"network-traffic","src_port":49152,"dst_port":4444,"protocols":["tcp","http"],"src_byte_count":1200,"dst_byte_count":900,"src_packets":10,"dst_packets":8,"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"192.0.2.200"}}`,
		`10:00:01.000000 {"0":{"type":"ipv4-addr","value":"10.0.0.5"},"1":{"type":"network-traffic","src_port":53211,"dst_port":53,"protocols":["udp"],"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"192.0.2.53"},"3":{"type":"domain-name","value":"evil.example.com","resolves_to_refs":["4","5"]},"4":{"type":"domain-name","value":"cdn.example.net"},"5":{"type":"ipv4-addr","value":"198.51.100.7"}}`,
		`10:00:02.500000 {"0":{"type":"ipv4-addr","value":"10.0.0.5"},"1":{"type":"network-traffic","src_port":40000,"dst_port":80,"extensions":{"http-request-ext":{"request_method":"GET","request_header":{"Host":"evil.example.com","User-Agent":"curl/8.0"},"request_value":"/payload.exe?x=1"}},"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"198.51.100.7"},"3":{"type":"domain-name","value":"evil.example.com"},"4":{"type":"url","value":"http://evil.example.com/payload.exe?x=1"}}`,
		`10:00:03.000000 {"0":{"type":"ipv4-addr","value":"198.51.100.7"},"1":{"type":"ipv4-addr","value":"10.0.0.5"},"2":{"type":"file","mime_type":"application/x-dosexec","name":"payload.exe","size":68,"hashes":{"MD5":"44d88612fea8a8f36de82e1278abb02f","SHA-1":"3395856ce81f2b7382dee72602f798b642f14140","SHA-256":"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"}}}`,
		`10:00:04.000000 {"0":{"type":"ipv4-addr","value":"10.0.0.5"},"1":{"type":"network-traffic","src_port":40001,"dst_port":443,"src_ref":"0","dst_ref":"2"},"2":{"type":"ipv4-addr","value":"203.0.113.9"},"3":{"type":"domain-name","value":"bad.example.net"},"4":{"type":"x509-certificate","subject":"CN=bad.example.net","issuer":"CN=Bad CA"}}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}
	wantSkips := map[string]int{"_path weird is not mapped": 1, "query: an object or list": 1}
	if diff := cmp.Diff(wantSkips, skips); diff != "" {
		t.Errorf("skips (-want +got):\n%s", diff)
	}
}

// TestLogMatches matches indicators against both logs end to end: values
// are normalized (case of domains, hashes), references are followed, and
// each line matches an indicator at most once.
func TestLogMatches(t *testing.T) {
	t.Parallel()
	patterns := map[string]string{
		"domain":   "[domain-name:value = 'EVIL.example.com']",
		"ip-dst":   "[network-traffic:dst_ref.value = '198.51.100.7']",
		"ip-any":   "[ipv4-addr:value = '198.51.100.7']",
		"url":      "[url:value = 'http://evil.example.com/payload.exe?x=1']",
		"md5":      "[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']",
		"sha256":   "[file:hashes.SHA256 = '275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F']",
		"cidr6":    "[ipv6-addr:value ISSUBSET '2001:db8:dead::/48']",
		"sni":      "[domain-name:value LIKE '%.example.net' AND domain-name:value != 'cdn.example.net']",
		"ua":       "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' MATCHES '^curl/']",
		"port":     "[network-traffic:dst_port = 4444 AND network-traffic:src_byte_count > 1000]",
		"resolves": "[domain-name:resolves_to_refs[*].value = '198.51.100.7']",
		"dns-then-http": "[domain-name:value = 'evil.example.com' AND domain-name:resolves_to_refs[*].value = '198.51.100.7'] " +
			"FOLLOWEDBY [url:value LIKE '%.exe%'] WITHIN 10 SECONDS",
	}
	ids := map[string]string{}
	b := match.NewBuilder(match.Options{})
	n := 0
	for name, p := range patterns {
		pat, err := pattern.Parse(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n++
		id := "indicator--00000000-0000-4000-8000-0000000000" + string(rune('0'+n/10)) + string(rune('0'+n%10))
		ids[id] = name
		if err := b.Add(match.Indicator{ID: id, Pattern: pat}); err != nil {
			t.Fatal(err)
		}
	}
	idx := b.Build()
	for _, tc := range []struct {
		format string
		want   []string // per line: the names matched
	}{
		{"suricata", []string{
			"1:domain",
			"2:domain ip-any resolves",
			"3:dns-then-http domain ip-any ip-dst ua url",
			"4:sni",
			"5:dns-then-http domain ip-any md5 sha256 url",
			"6:cidr6",
			"7:port",
		}},
		{"zeek", []string{
			"1:port",
			"2:domain ip-any resolves",
			"3:dns-then-http domain ip-any ip-dst ua url",
			"4:ip-any md5 sha256",
			"5:sni",
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			m, _ := match.BuiltinMapping(tc.format)
			data, err := os.ReadFile("testdata/" + tc.format + ".jsonl")
			if err != nil {
				t.Fatal(err)
			}
			d := match.NewLineDecoder(bytes.NewReader(data), m)
			mt := idx.NewMatcher()
			var got []string
			for i := 1; ; i++ {
				obs, err := d.Next()
				if err == io.EOF {
					break
				}
				var names []string
				for _, x := range mt.Match(obs) {
					names = append(names, ids[x.Indicator])
				}
				slicesSort(names)
				if len(names) > 0 {
					got = append(got, itoa(i)+":"+strings.Join(names, " "))
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
		})
	}
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestOnly checks that a decoder told the index builds only the objects
// its patterns start from, and that the matches stay the same.
func TestOnly(t *testing.T) {
	t.Parallel()
	b := match.NewBuilder(match.Options{})
	for i, p := range []string{"[domain-name:value = 'bad.example.net']", "[file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']"} {
		pat, err := pattern.Parse(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(match.Indicator{ID: "indicator--00000000-0000-4000-8000-00000000000" + strconv.Itoa(i+1), Pattern: pat}); err != nil {
			t.Fatal(err)
		}
	}
	idx := b.Build()
	m, _ := match.BuiltinMapping("suricata")
	data, err := os.ReadFile("testdata/suricata.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var lines [2][]string
	var skips [2]int
	for k, only := range []bool{false, true} {
		d := match.NewLineDecoder(bytes.NewReader(data), m)
		if only {
			d.Only(idx)
		}
		mt := idx.NewMatcher()
		for {
			obs, err := d.Next()
			if err == io.EOF {
				break
			}
			for _, x := range mt.Match(obs) {
				lines[k] = append(lines[k], itoa(obs.Line)+" "+x.Indicator)
			}
			if only {
				for _, o := range obs.Objects {
					if o.Type != "domain-name" && o.Type != "file" {
						t.Errorf("line %d: built a %s", obs.Line, o.Type)
					}
				}
			}
		}
		skips[k] = d.Skips().Total()
	}
	if diff := cmp.Diff(lines[0], lines[1]); diff != "" || len(lines[0]) != 2 || skips[0] != skips[1] {
		t.Errorf("matches differ (-all +only):\n%s\n%v, skips %v", diff, lines[0], skips)
	}
}
