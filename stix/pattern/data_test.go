package pattern_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/stix/pattern"
)

// sharedData is the shared test data directory, relative to this package.
const sharedData = "../../../shared/data"

// TestSharedDataPatterns parses the pattern of every STIX indicator in the
// shared real-world bundles, with and without the object definitions.
func TestSharedDataPatterns(t *testing.T) {
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
	checked := pattern.Parser{Schema: stix.PatternSchema}
	n := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(`"pattern"`)) {
			continue // no indicators (MITRE ATT&CK): do not decode 50 MB for nothing
		}
		var bundle struct {
			Objects []struct {
				Type        string `json:"type"`
				Pattern     string `json:"pattern"`
				PatternType string `json:"pattern_type"`
			}
		}
		if err := json.Unmarshal(data, &bundle); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, o := range bundle.Objects {
			if o.Type != "indicator" || o.PatternType != "stix" {
				continue
			}
			n++
			p, err := pattern.Parse(o.Pattern)
			if err != nil {
				t.Errorf("%s: %s: %v", file, o.Pattern, err)
				continue
			}
			roundTrip(t, p)
			if _, err := checked.Parse(o.Pattern); err != nil {
				t.Errorf("%s: %s: with the SCO definitions: %v", file, o.Pattern, err)
			}
		}
	}
	t.Logf("%d patterns from %d files", n, len(files))
	if n == 0 {
		t.Error("no indicator patterns found")
	}
}
