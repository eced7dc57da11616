// Package matchtest generates indicator patterns and log lines for the
// matcher's benchmarks and load tests: deterministic for a seed, distinct,
// and in the shapes real feeds and sensors produce.
package matchtest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Kinds of equality patterns Equality generates, in its mix: 30% IPv4
// addresses, 25% domains, 20% URLs, 25% file hashes (SHA-256 and MD5).
const (
	IPv4 = iota
	Domain
	URL
	Hash
)

// Value is one generated observable: its kind and value.
type Value struct {
	Kind  int
	Value string
	Algo  string // Hash: "SHA-256" or "MD5"
}

// Values returns n distinct observables in the mix above.
func Values(n int, seed uint64) []Value {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]Value, 0, n)
	seen := make(map[string]bool, n)
	for len(out) < n {
		var v Value
		switch x := r.IntN(100); {
		case x < 30:
			v = Value{Kind: IPv4, Value: fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))}
		case x < 55:
			v = Value{Kind: Domain, Value: word(r) + "-" + word(r) + "." + tlds[r.IntN(len(tlds))]}
		case x < 75:
			v = Value{Kind: URL, Value: "http://" + word(r) + "." + tlds[r.IntN(len(tlds))] + "/" + word(r) + "/" + word(r) + ".php?id=" + strconv.Itoa(r.IntN(1e6))}
		default:
			if r.IntN(2) == 0 {
				v = Value{Kind: Hash, Algo: "SHA-256", Value: hexString(r, 32)}
			} else {
				v = Value{Kind: Hash, Algo: "MD5", Value: hexString(r, 16)}
			}
		}
		if seen[v.Value] {
			continue
		}
		seen[v.Value] = true
		out = append(out, v)
	}
	return out
}

// Pattern returns the STIX pattern [type:path = 'value'] of v.
func (v Value) Pattern() string {
	switch v.Kind {
	case IPv4:
		return "[ipv4-addr:value = '" + v.Value + "']"
	case Domain:
		return "[domain-name:value = '" + v.Value + "']"
	case URL:
		return "[url:value = '" + v.Value + "']"
	}
	return "[file:hashes.'" + v.Algo + "' = '" + v.Value + "']"
}

// ID returns the indicator id of the i-th generated indicator.
func ID(i int) string {
	return fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i, i)
}

var tlds = []string{"com", "net", "org", "info", "ru", "cn", "io", "xyz", "top", "biz"}

var syllables = []string{"ka", "lo", "mi", "zen", "tor", "rix", "van", "pel", "dro", "sun", "mar", "qui", "bex", "nod", "fal", "gri"}

func word(r *rand.Rand) string {
	n := 2 + r.IntN(3)
	b := make([]byte, 0, 12)
	for range n {
		b = append(b, syllables[r.IntN(len(syllables))]...)
	}
	return string(b)
}

func hexString(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 2*n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// SuricataLines returns n Suricata EVE lines (dns, http, tls, fileinfo and
// flow events, one second apart) whose addresses, names, URLs and hashes
// are random, except that about one line in hitEvery carries one of vals
// (none when hitEvery is 0).
func SuricataLines(n int, seed uint64, vals []Value, hitEvery int) [][]byte {
	r := rand.New(rand.NewPCG(seed, 0x11e5))
	out := make([][]byte, n)
	for i := range out {
		var hit *Value
		if hitEvery > 0 && len(vals) > 0 && r.IntN(hitEvery) == 0 {
			hit = &vals[r.IntN(len(vals))]
		}
		src := fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), 1+r.IntN(254))
		dst := fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
		domain := word(r) + "." + tlds[r.IntN(len(tlds))]
		path := "/" + word(r) + "/" + word(r) + ".php?id=" + strconv.Itoa(r.IntN(1e6))
		sha := hexString(r, 32)
		md5 := hexString(r, 16)
		typ := r.IntN(5)
		if hit != nil {
			switch hit.Kind {
			case IPv4:
				dst = hit.Value
			case Domain:
				domain, typ = hit.Value, 0
			case URL:
				// http://host/path
				rest := hit.Value[len("http://"):]
				for j := 0; j < len(rest); j++ {
					if rest[j] == '/' {
						domain, path = rest[:j], rest[j:]
						break
					}
				}
				typ = 1
			case Hash:
				if hit.Algo == "MD5" {
					md5 = hit.Value
				} else {
					sha = hit.Value
				}
				typ = 3
			}
		}
		ts := fmt.Sprintf("2024-03-01T%02d:%02d:%02d.%06d+0000", i/3600%24, i/60%60, i%60, r.IntN(1e6))
		head := fmt.Sprintf(`{"timestamp":"%s","flow_id":%d,"in_iface":"eth0","event_type":"%%s","src_ip":"%s","src_port":%d,"dest_ip":"%s","dest_port":%%d,"proto":"%%s"`,
			ts, r.Int64N(1<<50), src, 1024+r.IntN(60000), dst)
		var line string
		switch typ {
		case 0:
			line = fmt.Sprintf(head, "dns", 53, "UDP") + fmt.Sprintf(`,"dns":{"type":"query","id":%d,"rrname":"%s","rrtype":"A","tx_id":0}}`, r.IntN(65536), domain)
		case 1:
			line = fmt.Sprintf(head, "http", 80, "TCP") + fmt.Sprintf(`,"tx_id":0,"http":{"hostname":"%s","url":"%s","http_user_agent":"Mozilla/5.0","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":%d}}`, domain, path, r.IntN(100000))
		case 2:
			line = fmt.Sprintf(head, "tls", 443, "TCP") + fmt.Sprintf(`,"tls":{"subject":"CN=%s","issuerdn":"CN=R3, O=Let's Encrypt, C=US","serial":"04:3A:2B","sni":"%s","version":"TLS 1.3"}}`, domain, domain)
		case 3:
			line = fmt.Sprintf(head, "fileinfo", 80, "TCP") + fmt.Sprintf(`,"app_proto":"http","fileinfo":{"filename":"%s","magic":"data","state":"CLOSED","md5":"%s","sha256":"%s","stored":false,"size":%d,"tx_id":0}}`, path, md5, sha, r.IntN(1e6))
		default:
			line = fmt.Sprintf(head, "flow", 443, "TCP") + fmt.Sprintf(`,"app_proto":"tls","flow":{"pkts_toserver":%d,"pkts_toclient":%d,"bytes_toserver":%d,"bytes_toclient":%d,"age":3,"state":"closed","reason":"timeout","alerted":false}}`, r.IntN(100), r.IntN(100), r.IntN(1e5), r.IntN(1e6))
		}
		out[i] = []byte(line)
	}
	return out
}

// SingleLines returns n minimal lines of one value each, {"ts":...,
// "value":"..."}, of the kinds of vals, about one in hitEvery being one of
// vals.
func SingleLines(n int, seed uint64, vals []Value, hitEvery int) [][]byte {
	r := rand.New(rand.NewPCG(seed, 0x5157))
	out := make([][]byte, n)
	for i := range out {
		var v string
		if hitEvery > 0 && len(vals) > 0 && r.IntN(hitEvery) == 0 {
			v = vals[r.IntN(len(vals))].Value
		} else {
			v = fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
		}
		out[i] = []byte(fmt.Sprintf(`{"ts":%d.%06d,"ip":"%s"}`, 1709287200+i, r.IntN(1e6), v))
	}
	return out
}
