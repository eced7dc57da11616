package stix_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/tearline/tearline/stix"
)

// invalidCase is one file of testdata/invalid: an object that breaks one
// MUST rule, and the error it must draw.
type invalidCase struct {
	Rule     string         `json:"rule"`     // expected Issue.Rule
	Path     *string        `json:"path"`     // expected Issue.Path ("" for the object itself)
	Contains string         `json:"contains"` // a substring of the expected Issue.Message
	Errors   int            `json:"errors"`   // expected number of errors; 0 means 1
	Object   jsontext.Value `json:"object"`   // the invalid object
}

// minInvalidCases is the size the corpus must keep: one file per MUST rule
// of the domain, relationship, meta and cyber-observable objects.
const minInvalidCases = 60

// TestInvalidCorpus validates each object of testdata/invalid and checks
// that it is rejected with the expected error, and for no other reason.
func TestInvalidCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < minInvalidCases {
		t.Errorf("testdata/invalid has %d cases, want at least %d", len(files), minInvalidCases)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var tc invalidCase
			if err := json.Unmarshal(data, &tc, json.RejectUnknownMembers(true)); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if tc.Rule == "" || tc.Path == nil || tc.Contains == "" || len(tc.Object) == 0 {
				t.Fatalf("%s: rule, path, contains and object are all required", file)
			}
			want := tc.Errors
			if want == 0 {
				want = 1
			}
			obj, issues := stix.ValidateObject(tc.Object, "")
			if obj != nil {
				t.Errorf("object accepted")
			}
			errs := issues.Errors()
			found := false
			for _, is := range errs {
				if is.Rule == tc.Rule && is.Path == *tc.Path && strings.Contains(is.Message, tc.Contains) {
					found = true
				}
			}
			if !found || len(errs) != want {
				var b strings.Builder
				for _, is := range issues {
					b.WriteString("\n\t")
					b.WriteString(is.String())
				}
				if !found {
					t.Errorf("no error [%s] at %q containing %q; issues:%s", tc.Rule, *tc.Path, tc.Contains, b.String())
				} else {
					t.Errorf("%d errors, want %d; issues:%s", len(errs), want, b.String())
				}
			}
		})
	}
}
