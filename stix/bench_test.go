package stix_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tearline/tearline/stix"
)

// sharedData is the shared test data directory, relative to this package.
const sharedData = "../../shared/data"

// readShared returns the contents of a file under sharedData, skipping the
// test when the shared data is absent.
func readShared(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(sharedData, name))
	if os.IsNotExist(err) {
		tb.Skipf("shared test data %s is absent; skipping", filepath.Join(sharedData, name))
	}
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

const enterpriseAttack = "attack/enterprise-attack-18.1.json"

func BenchmarkReadBundleAttack(b *testing.B) {
	data := readShared(b, enterpriseAttack)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var objects int
	for b.Loop() {
		objects = 0
		_, err := stix.ReadBundle(bytes.NewReader(data), func(res *stix.Result) error {
			if res.Object == nil {
				b.Fatalf("%s: %v", res.Path, res.Issues)
			}
			objects++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(objects)*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

// indicator is a typical indicator as a TAXII client would send it.
var indicator = []byte(`{
  "type": "indicator",
  "spec_version": "2.1",
  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
  "created": "2016-04-06T20:03:48.000Z",
  "modified": "2016-04-06T20:03:48.000Z",
  "indicator_types": ["malicious-activity"],
  "name": "Poison Ivy Malware",
  "description": "This file is part of Poison Ivy",
  "pattern": "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
  "pattern_type": "stix",
  "valid_from": "2016-01-01T00:00:00Z",
  "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "installation"}],
  "labels": ["malware", "rat"],
  "confidence": 85,
  "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],
  "x_acme_source": "sandbox"
}`)

func BenchmarkValidateObject(b *testing.B) {
	if obj, issues := stix.ValidateObject(indicator, ""); obj == nil {
		b.Fatalf("the benchmark indicator is invalid: %v", issues)
	}
	b.SetBytes(int64(len(indicator)))
	b.ReportAllocs()
	for b.Loop() {
		stix.ValidateObject(indicator, "objects[0]")
	}
}

func BenchmarkParseValue(b *testing.B) {
	b.SetBytes(int64(len(indicator)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stix.ParseValue(indicator); err != nil {
			b.Fatal(err)
		}
	}
}
