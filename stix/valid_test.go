package stix_test

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/tearline/tearline/stix"
)

// TestValidCorpus validates every object of the shared real-world STIX 2.1
// files (MITRE ATT&CK, the OASIS examples). All of them are valid, so any
// error is a bug in the validator; warnings are counted by rule and logged.
func TestValidCorpus(t *testing.T) {
	var files []string
	for _, dir := range []string{"attack", "oasis-examples"} {
		m, err := filepath.Glob(filepath.Join(sharedData, dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("shared test data %s is absent; skipping", sharedData)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			warnings := map[string]int{}
			var objects, errs int
			report := func(issues stix.Issues) {
				for _, is := range issues {
					if is.Warning {
						warnings[is.Rule]++
						continue
					}
					if errs++; errs <= 20 {
						t.Errorf("%s: %s", file, is)
					}
				}
			}
			if topLevelType(t, data) == "bundle" {
				bundleIssues, err := stix.ReadBundle(bytes.NewReader(data), func(r *stix.Result) error {
					objects++
					report(r.Issues)
					return nil
				})
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				report(bundleIssues)
			} else {
				objects++
				_, issues := stix.ValidateObject(data, "")
				report(issues)
			}
			if errs > 20 {
				t.Errorf("%s: %d more errors", file, errs-20)
			}
			var b strings.Builder
			for _, rule := range slices.Sorted(maps.Keys(warnings)) {
				fmt.Fprintf(&b, " %s=%d", rule, warnings[rule])
			}
			t.Logf("%d objects; warnings by rule:%s", objects, b.String())
		})
	}
}

// topLevelType returns the "type" member of the top-level JSON object in
// data without decoding the rest.
func topLevelType(t *testing.T, data []byte) string {
	d := jsontext.NewDecoder(bytes.NewReader(data))
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '{' {
		t.Fatalf("not a JSON object: %v", err)
	}
	for d.PeekKind() != '}' {
		name, err := d.ReadToken()
		if err != nil {
			t.Fatal(err)
		}
		if name.String() == "type" {
			v, err := d.ReadToken()
			if err != nil {
				t.Fatal(err)
			}
			return v.String()
		}
		if err := d.SkipValue(); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatal(err)
		}
	}
	return ""
}

// TestShouldRules checks that objects breaking only a SHOULD rule of the
// specification are accepted with the expected warning.
func TestShouldRules(t *testing.T) {
	const head = `"spec_version": "2.1", "created": "2017-04-14T13:07:49.812Z", "modified": "2017-04-14T13:07:49.812Z"`
	tests := []struct {
		name, rule, path, object string
	}{
		{"open vocabulary", "vocab", "indicator_types[1]", `{"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", ` + head + `,
			"indicator_types": ["malicious-activity", "evil"], "pattern": "[url:value = 'http://x.example/']", "pattern_type": "stix", "valid_from": "2017-01-01T00:00:00Z"}`},
		{"pattern type vocabulary", "vocab", "pattern_type", `{"type": "indicator", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", ` + head + `,
			"pattern": "alert tcp any any -> any any", "pattern_type": "zeek", "valid_from": "2017-01-01T00:00:00Z"}`},
		{"relationship type", "relationship-vocab", "relationship_type", `{"type": "relationship", "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad", ` + head + `,
			"relationship_type": "uses", "source_ref": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "target_ref": "attack-pattern--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`},
		{"country code", "country-code", "country", `{"type": "location", "id": "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64", ` + head + `, "country": "Germany"}`},
		{"negative precision", "negative", "precision", `{"type": "location", "id": "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64", ` + head + `,
			"latitude": 48.8566, "longitude": 2.3522, "precision": -1}`},
		{"custom property prefix", "custom-property-prefix", "severity", `{"type": "vulnerability", "id": "vulnerability--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061", ` + head + `,
			"name": "CVE-2016-1234", "severity": "high"}`},
		{"deprecated objects", "deprecated", "objects", `{"type": "observed-data", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf", ` + head + `,
			"first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z", "number_observed": 1,
			"objects": {"0": {"type": "ipv4-addr", "value": "198.51.100.3"}}}`},
		{"marking not versioned", "not-applicable", "modified", `{"type": "marking-definition", "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41d0", ` + head + `,
			"definition_type": "statement", "definition": {"statement": "Copyright 2017 ACME"}}`},
		{"marking definition type", "definition-type", "definition_type", `{"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41d0",
			"created": "2017-04-14T13:07:49.812Z", "definition_type": "acme", "definition": {"level": "internal"}}`},
		{"UUID version", "id-uuid-version", "id", `{"type": "tool", "id": "tool--8e2e2d2b-17d4-5cbf-938f-98ee46b3cd3f", ` + head + `, "name": "VNC"}`},
		{"kill chain case", "kill-chain-case", "kill_chain_phases[0].phase_name", `{"type": "attack-pattern", "id": "attack-pattern--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061", ` + head + `,
			"name": "Spear Phishing", "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "Initial Access"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, issues := stix.ValidateObject([]byte(tt.object), "")
			if obj == nil {
				t.Fatalf("rejected: %v", issues)
			}
			for _, is := range issues {
				if is.Warning && is.Rule == tt.rule && is.Path == tt.path {
					return
				}
			}
			t.Errorf("no warning [%s] at %q; issues: %v", tt.rule, tt.path, issues)
		})
	}
}
