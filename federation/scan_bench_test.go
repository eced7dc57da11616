package federation

import "testing"

// benchIndicator is a generated feed indicator of the size the federation
// workload pulls (about 1 KB).
const benchIndicator = `{"type":"indicator","spec_version":"2.1","id":"indicator--6b1d5f0e-5c0a-4f7e-9d6e-2f1c8b3a9e47",` +
	`"created":"2026-11-20T08:15:42.123Z","modified":"2026-11-20T08:15:42.123Z","name":"Malicious IP 203.0.113.77",` +
	`"description":"Command and control server observed in a phishing campaign targeting the energy sector; ` +
	`traffic to this address was seen from several member organizations during the week, using TLS on port 443 ` +
	`with a self-signed certificate and a JA3 fingerprint shared with earlier campaigns of the same actor.",` +
	`"indicator_types":["malicious-activity","attribution"],"pattern":"[ipv4-addr:value = '203.0.113.77']",` +
	`"pattern_type":"stix","pattern_version":"2.1","valid_from":"2026-11-20T08:15:42Z","valid_until":"2027-02-18T08:15:42Z",` +
	`"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}],"confidence":75,` +
	`"labels":["c2","phishing"],"lang":"en","external_references":[{"source_name":"isac-report","external_id":"ISAC-2026-1142",` +
	`"url":"https://isac.example/reports/2026-1142"}],"object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],` +
	`"granular_markings":[{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["description"]}]}`

func BenchmarkScan(b *testing.B) {
	raw := []byte(benchIndicator)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := scan(raw)
		if err != nil || len(f.refs) != 2 || f.id == "" {
			b.Fatalf("scan: %+v, %v", f, err)
		}
	}
}
