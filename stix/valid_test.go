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
