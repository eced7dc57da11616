package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tearline/tearline/marking"
)

// BenchmarkRecord measures sustained recording, one disclosure per call from
// every core, the final write and fsync included.
func BenchmarkRecord(b *testing.B) {
	l := open(b, filepath.Join(b.TempDir(), DirName), Options{})
	d := disclosure(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Record(d)
		}
	})
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRecordBatch records pages of 100 disclosures; ns/op is per
// disclosure.
func BenchmarkRecordBatch(b *testing.B) {
	l := open(b, filepath.Join(b.TempDir(), DirName), Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		page := make([]Disclosure, 0, 100)
		for pb.Next() {
			page = append(page, disclosure(len(page)))
			if len(page) == cap(page) {
				l.RecordBatch(page)
				page = page[:0]
			}
		}
		l.RecordBatch(page)
	})
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReadLoop serves pages of 100 objects from every core: for each
// object the access decision, a validity pass standing for the store scan
// and the JSON response, and the copy into the response; then, in
// with-ledger, one RecordBatch per page. ns/op is per object served; the
// ratio of the two is the ledger's cost to read throughput (the writer
// goroutine competes for the same cores).
func BenchmarkReadLoop(b *testing.B) {
	policy, err := marking.NewPolicy(nil, marking.Options{})
	if err != nil {
		b.Fatal(err)
	}
	objs := make([][]byte, 100)
	for i := range objs {
		objs[i], _ = json.Marshal(map[string]any{
			"type": "indicator", "spec_version": "2.1",
			"id":                  fmt.Sprintf("indicator--%08d-17d4-4cbf-938f-98ee46b3cd3f", i),
			"created":             "2024-01-02T03:04:05.000Z",
			"modified":            "2024-01-02T03:04:05.000Z",
			"name":                "bad ip",
			"description":         "seen in phishing campaigns against the energy sector in several countries",
			"indicator_types":     []string{"malicious-activity", "attribution"},
			"pattern":             fmt.Sprintf("[ipv4-addr:value = '198.51.100.%d']", i),
			"pattern_type":        "stix",
			"valid_from":          "2024-01-02T03:04:05Z",
			"object_marking_refs": []string{marking.TLP2Green},
			"labels":              []string{"one", "two", "three"},
			"external_references": []any{map[string]any{"source_name": "vendor", "url": "https://vendor.example/report/1"}},
		})
	}
	recipient := &marking.Recipient{OrgID: "identity--b", Member: true, CollectionReader: true, Country: "US"}
	for _, withLedger := range []bool{false, true} {
		name := "without-ledger"
		if withLedger {
			name = "with-ledger"
		}
		b.Run(name, func(b *testing.B) {
			var l *Ledger
			cpu0 := cpuTime()
			if withLedger {
				l = open(b, filepath.Join(b.TempDir(), DirName), Options{})
			}
			b.RunParallel(func(pb *testing.PB) {
				var out bytes.Buffer
				page := make([]Disclosure, 0, len(objs))
				i := 0
				for pb.Next() {
					raw := objs[i]
					res := policy.Decide(recipient, raw)
					if !json.Valid(res.Raw) {
						b.Error("invalid")
					}
					out.Write(res.Raw)
					if l != nil {
						page = append(page, Disclosure{
							Org: recipient.OrgID, Key: "key-1", Collection: "collection-1",
							Path: PathObjects, Object: "indicator--x", Version: "2024-01-02T03:04:05.000Z",
							Decision: res.Decision, TLP: res.TLP, Reason: res.Reason,
						})
					}
					if i++; i == len(objs) {
						i = 0
						out.Reset()
						if l != nil {
							l.RecordBatch(page)
							page = page[:0]
						}
					}
				}
				if l != nil {
					l.RecordBatch(page)
				}
			})
			if l != nil {
				if err := l.Close(); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time per object is steadier than wall time on a busy
			// machine, and counts the writer goroutine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkEncode is the writer's CPU cost: encoding and chaining a record
// of one disclosure and of a page of 100, without I/O.
func BenchmarkEncode(b *testing.B) {
	e := newEncoder(0, [32]byte{})
	d := Disclosure{
		Time: t0, Org: "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Key: "4b1c0f7e-2f55-4d8e-9a43-6f1f0e5b8c21",
		Collection: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Path: PathObjects,
		Object: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Version: "2024-01-02T03:04:05.000Z",
		Decision: marking.Redacted, TLP: marking.Amber, Reason: "granular marking TLP:RED on description",
		Request: "01JXYZ8Q4N6P2V3W5R7T9K1M0",
	}
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("page-%d", n), func(b *testing.B) {
			page := make([]Disclosure, n)
			for i := range page {
				page[i] = d
			}
			buf := e.appendRecord(nil, page)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = e.appendRecord(buf[:0], page)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/disclosure")
		})
	}
}

// cpuTime returns the user and system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
