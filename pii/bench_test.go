package pii

import (
	"testing"

	"github.com/tearline/tearline/stix"
)

// attackDescriptions returns the descriptions of the ATT&CK Enterprise
// bundle and their total size.
func attackDescriptions(b *testing.B) ([]string, int) {
	var descs []string
	n := 0
	for _, raw := range bundleObjects(b, readShared(b, attackBundles[0])) {
		v, err := stix.ParseValue(raw)
		if err != nil {
			b.Fatal(err)
		}
		if d := v.GetString("description"); d != "" {
			descs = append(descs, d)
			n += len(d)
		}
	}
	return descs, n
}

// BenchmarkScanTextAttack scans every description of ATT&CK Enterprise
// (MB/s of description text).
func BenchmarkScanTextAttack(b *testing.B) {
	descs, n := attackDescriptions(b)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range descs {
			ScanText(d)
		}
	}
}

// BenchmarkScanObjectAttack scans every object of ATT&CK Enterprise with
// identifiers flagged (MB/s of object JSON, objects/s, ns per object).
func BenchmarkScanObjectAttack(b *testing.B) {
	objs := bundleObjects(b, readShared(b, attackBundles[0]))
	n := 0
	for _, o := range objs {
		n += len(o)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range objs {
			if _, err := ScanObject(o, Options{FlagIdentifiers: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
	perObject := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(len(objs))
	b.ReportMetric(1e9/perObject, "objects/s")
	b.ReportMetric(perObject, "ns/object")
}

// typicalIndicator is an indicator as TAXII clients send them (1.1 kB):
// name, description, pattern, kill chain, markings, external references,
// and no personal data.
var typicalIndicator = []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
	`"created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",` +
	`"indicator_types":["malicious-activity"],"name":"Emotet C2 server 198.51.100.7",` +
	`"description":"Command and control server of the Emotet botnet seen in a phishing campaign against the financial sector between 2024-01-03 and 2024-02-17; the loader (SHA-256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855) beacons every 300 seconds over TLS to port 8080.",` +
	`"pattern":"[ipv4-addr:value = '198.51.100.7'] AND [network-traffic:dst_port = 8080]","pattern_type":"stix","valid_from":"2024-01-03T00:00:00Z",` +
	`"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}],"labels":["emotet","c2"],"confidence":80,` +
	`"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],` +
	`"external_references":[{"source_name":"mitre-attack","external_id":"S0367","url":"https://attack.mitre.org/software/S0367"},` +
	`{"source_name":"acme","description":"ACME CERT advisory 2024-017, version 1.2","url":"https://cert.acme.example/advisories/2024-017"}]}`)

// BenchmarkScanObjectIndicator scans a typical indicator (ns/op).
func BenchmarkScanObjectIndicator(b *testing.B) {
	b.SetBytes(int64(len(typicalIndicator)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ScanObject(typicalIndicator, Options{FlagIdentifiers: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// piiReport is a report with personal data of every kind.
var piiReport = []byte(`{"type":"report","spec_version":"2.1","id":"report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3","created":"2015-12-21T19:59:11.000Z","modified":"2015-12-21T19:59:11.000Z",` +
	`"name":"Victim interview","published":"2016-01-20T17:00:00.000Z","report_types":["campaign"],"object_refs":["campaign--83422c77-904c-4dc1-aff5-5c38f3a2c55c"],` +
	`"description":"` + piiNote + `","x_acme_notes":{"comment":"` + piiNote + `"}}`)

// BenchmarkScanObjectPII scans a report full of personal data (ns/op).
func BenchmarkScanObjectPII(b *testing.B) {
	b.SetBytes(int64(len(piiReport)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ScanObject(piiReport, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedact redacts the report of BenchmarkScanObjectPII (ns/op,
// which includes validating the copy).
func BenchmarkRedact(b *testing.B) {
	fs, err := ScanObject(piiReport, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Redact(piiReport, fs); err != nil {
			b.Fatal(err)
		}
	}
}
