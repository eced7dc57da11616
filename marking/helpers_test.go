package marking

import (
	"encoding/json"
	"testing"
)

const (
	orgA = "identity--0d6ae59c-8a4e-4c1f-9a53-5a1c1f0e0a01" // producer
	orgB = "identity--0d6ae59c-8a4e-4c1f-9a53-5a1c1f0e0a02"
)

// indicator returns a valid indicator with extra top-level members.
func indicator(t testing.TB, extra map[string]any) []byte {
	t.Helper()
	m := map[string]any{
		"type": "indicator", "spec_version": "2.1",
		"id":              "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		"created":         "2024-01-02T03:04:05.000Z",
		"modified":        "2024-01-02T03:04:05.000Z",
		"created_by_ref":  orgA,
		"name":            "bad ip",
		"description":     "seen in phishing",
		"indicator_types": []string{"malicious-activity", "attribution"},
		"pattern":         "[ipv4-addr:value = '198.51.100.7']",
		"pattern_type":    "stix",
		"valid_from":      "2024-01-02T03:04:05Z",
		"labels":          []string{"one", "two", "three"},
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// markingDef returns a marking definition with the Tearline extension.
func markingDef(t testing.TB, id string, ext map[string]any) []byte {
	t.Helper()
	ext["extension_type"] = "property-extension"
	b, err := json.Marshal(map[string]any{
		"type": "marking-definition", "spec_version": "2.1", "id": id,
		"created": "2024-01-01T00:00:00.000Z", "name": id[len(id)-4:],
		"extensions": map[string]any{TearlineExtension: ext},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustPolicy(t testing.TB, defs ...[]byte) *Policy {
	t.Helper()
	d := NewDefinitions()
	for _, raw := range defs {
		if err := d.Add(raw); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	p, err := NewPolicy(d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
