package normalize

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
)

func TestVersions(t *testing.T) {
	tests := []struct {
		values []string
		want   VersionFilter
		code   string
		only   string // the keyword Only reports, if any
	}{
		{nil, VersionFilter{Last: true}, "", "last"},
		{[]string{"first"}, VersionFilter{First: true}, "", "first"},
		{[]string{"first", "last"}, VersionFilter{First: true, Last: true}, "", ""},
		{[]string{"all", "last"}, VersionFilter{All: true, Last: true}, "", ""},
		{[]string{"last", "2020-01-01T01:00:00.5+01:00"}, VersionFilter{Last: true, Exact: []string{"2020-01-01T00:00:00.500000000Z"}}, "", ""},
		{[]string{"2020-01-01"}, VersionFilter{}, tearline.EINVALID, ""},
		{[]string{"LAST"}, VersionFilter{}, tearline.EINVALID, ""},
	}
	for _, tt := range tests {
		got, err := Versions(tt.values, tearline.VersionLast)
		if code := tearline.ErrorCode(err); code != tt.code {
			t.Errorf("Versions(%q) error %v, want code %q", tt.values, err, tt.code)
			continue
		}
		if err != nil {
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("Versions(%q) (-want +got):\n%s", tt.values, d)
		}
		for _, kw := range []string{tearline.VersionFirst, tearline.VersionLast} {
			if got.Only(kw) != (kw == tt.only) {
				t.Errorf("Versions(%q).Only(%s) = %v", tt.values, kw, got.Only(kw))
			}
		}
	}
}

func TestCollectionAlias(t *testing.T) {
	for alias, ok := range map[string]bool{
		"a": true, "ics_attack-2": true, strings.Repeat("x", 64): true,
		"": false, strings.Repeat("x", 65): false, "A": false, "a.b": false,
		"0b4d5a1e-7f5c-4c47-9a1c-5f6e7d8c9b0a": false,
	} {
		if err := CollectionAlias(alias); (err == nil) != ok || err != nil && tearline.ErrorCode(err) != tearline.EINVALID {
			t.Errorf("CollectionAlias(%q) = %v, want ok %v", alias, err, ok)
		}
	}
}

func TestFingerprint(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	for in, want := range map[string]string{
		hex:                              hex,
		strings.ToUpper(hex):             hex,
		strings.Repeat("AB:", 31) + "AB": hex,
		hex[2:]:                          "",
		strings.Repeat("zz", 32):         "",
	} {
		got, ok := Fingerprint(in)
		if got != want || ok != (want != "") {
			t.Errorf("Fingerprint(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestOrganizationID(t *testing.T) {
	id, err := OrganizationID("")
	if err != nil || !strings.HasPrefix(id, IdentityPrefix) {
		t.Errorf("OrganizationID(\"\") = %q, %v", id, err)
	}
	upper := "identity--0B4D5A1E-7F5C-4C47-9A1C-5F6E7D8C9B0A"
	if id, err := OrganizationID(upper); err != nil || id != strings.ToLower(upper) {
		t.Errorf("OrganizationID(%q) = %q, %v; want it in lower case", upper, id, err)
	}
	for _, bad := range []string{"0b4d5a1e-7f5c-4c47-9a1c-5f6e7d8c9b0a", "identity--x", "malware--0b4d5a1e-7f5c-4c47-9a1c-5f6e7d8c9b0a"} {
		if _, err := OrganizationID(bad); tearline.ErrorCode(err) != tearline.EINVALID {
			t.Errorf("OrganizationID(%q) error %v, want EINVALID", bad, err)
		}
	}
}
