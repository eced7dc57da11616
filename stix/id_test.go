package stix_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tearline/tearline/stix"
)

func TestParseID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		typ     string
		version int
	}{
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "indicator", 4},
		{"file--5a27d487-c542-5f97-a131-a8866b477b46", "file", 5},
		{"x-mitre-tactic--2558fd61-8c75-4730-94c4-11926db2a263", "x-mitre-tactic", 4},
		{"relationship--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F", "relationship", 4},
		{"abc--00000000-0000-1000-8000-000000000000", "abc", 1},
		{"x-c2--01890a5d-ac96-774b-bcce-b302099a8057", "x-c2", 7},
		{"a2c--01890a5d-ac96-874b-bcce-b302099a8057", "a2c", 8},
	}
	for _, tt := range tests {
		typ, ver, err := stix.ParseID(tt.in)
		if err != nil || typ != tt.typ || ver != tt.version {
			t.Errorf("ParseID(%q) = %q, %d, %v; want %q, %d", tt.in, typ, ver, err, tt.typ, tt.version)
		}
	}
}

func TestParseIDErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, msg string }{
		{"", `"type--UUID"`},
		{"indicator", `"type--UUID"`},
		{"indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", `"type--UUID"`},
		{"--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "not a valid STIX type name"},
		{"ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "not a valid STIX type name"},
		{"Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "not a valid STIX type name"},
		{"3ds--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "not a valid STIX type name"},
		{"x--mitre--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "not a valid STIX type name"},
		{"x-mitre---8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "not a valid STIX type name"},
		{"indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f", "not of the form"},
		{"indicator--{8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f}", "not of the form"},
		{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f ", "not of the form"},
		{"indicator--8e2e2d2b_17d4-4cbf-938f-98ee46b3cd3f", "not of the form"},
		{"indicator--8e2e2d2g-17d4-4cbf-938f-98ee46b3cd3f", "non-hexadecimal"},
		{"indicator--+e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "non-hexadecimal"},
		{"indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f", "version"},
		{"indicator--8e2e2d2b-17d4-9cbf-938f-98ee46b3cd3f", "version"},
		{"indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f", "variant"},
		{"indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f", "variant"},
		{"indicator--00000000-0000-0000-0000-000000000000", "version"},
	}
	for _, tt := range tests {
		typ, _, err := stix.ParseID(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseID(%q) = %q, %v; want an error containing %q", tt.in, typ, err, tt.msg)
		}
	}
}

func TestValidTypeName(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"indicator": true, "x-mitre-tactic": true, "ipv4-addr": true, "abc": true, "a1b": true,
		"ab": false, "": false, "-abc": false, "abc-": false, "a--b": false, "1abc": false,
		"Abc": false, "ab_c": false, "ab c": false, "abé": false,
		strings.Repeat("a", 250): true, strings.Repeat("a", 251): false,
	} {
		if got := stix.ValidTypeName(s); got != want {
			t.Errorf("ValidTypeName(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidPropertyName(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"x_acme": true, "name": true, "abc": true, "a_1": true, "x__y": true,
		"id": false, "": false, "_abc": false, "1abc": false, "X_acme": false, "x-acme": false, "x acme": false,
		strings.Repeat("a", 250): true, strings.Repeat("a", 251): false,
	} {
		if got := stix.ValidPropertyName(s); got != want {
			t.Errorf("ValidPropertyName(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestParseIDMessages checks that error messages quote what they show and
// stay valid UTF-8 when they shorten it.
func TestParseIDMessages(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{strings.Repeat("é", 60), "a\"b\nc", strings.Repeat("x", 100) + "\xff"} {
		_, _, err := stix.ParseID(typ + "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
		if err == nil || !utf8.ValidString(err.Error()) || strings.ContainsAny(err.Error(), "\n") {
			t.Errorf("ParseID(%q...): %q", typ, err)
		}
	}
}
