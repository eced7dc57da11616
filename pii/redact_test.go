package pii

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// scanRedact scans raw and redacts what it finds.
func scanRedact(t *testing.T, raw []byte, opts Options) ([]byte, []Redaction) {
	t.Helper()
	fs, err := ScanObject(raw, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, recs, err := Redact(raw, fs)
	if err != nil {
		t.Fatal(err)
	}
	return out, recs
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		opts Options
		want string
		recs []Redaction
	}{
		{
			name: "layout and escapes kept",
			in: `{
  "type": "report",
  "name" : "Call \"Jane\" at +44 20 7946 0958",
  "description": "caf\u00e9 owner j\u006fhn.smith@corp.com\t(SSN 123-45-6789) \/ end",
  "external_references": [ {"source_name": "a", "description": "x"}, {"source_name": "b", "description": "mail mary.major@bank.com"} ]
}`,
			want: `{
  "type": "report",
  "name" : "Call \"Jane\" at [REDACTED:phone]",
  "description": "caf\u00e9 owner [REDACTED:email]\t(SSN [REDACTED:ssn]) \/ end",
  "external_references": [ {"source_name": "a", "description": "x"}, {"source_name": "b", "description": "mail [REDACTED:email]"} ]
}`,
			recs: []Redaction{
				{Path: "name", Kind: Phone, Length: 16},
				{Path: "description", Kind: Email, Length: 19},
				{Path: "description", Kind: SSN, Length: 11},
				{Path: "external_references[1].description", Kind: Email, Length: 19},
			},
		},
		{
			name: "email-addr keeps an address",
			in:   `{"type":"email-addr","spec_version":"2.1","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"mary.major@bank.com"}`,
			opts: Options{FlagIdentifiers: true},
			want: `{"type":"email-addr","spec_version":"2.1","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"\"[REDACTED:possible-pii]\"@bank.com"}`,
			recs: []Redaction{{Path: "value", Kind: PossiblePII, Length: 10}},
		},
		{
			name: "pattern literal",
			in:   `{"type":"indicator","pattern_type":"stix","pattern":"[email-addr:value = 'mary.major@bank.com']","description":"mary.major@bank.com"}`,
			opts: Options{FlagIdentifiers: true},
			want: `{"type":"indicator","pattern_type":"stix","pattern":"[email-addr:value = '[REDACTED:possible-pii]@bank.com']","description":"[REDACTED:email]"}`,
			recs: []Redaction{{Path: "pattern", Kind: PossiblePII, Length: 10}, {Path: "description", Kind: Email, Length: 19}},
		},
		{
			name: "nothing found",
			in:   `{"type":"report", "description":"nothing here"}`,
			want: `{"type":"report", "description":"nothing here"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, recs := scanRedact(t, []byte(tc.in), tc.opts)
			if diff := cmp.Diff(tc.want, string(out)); diff != "" {
				t.Errorf("redacted (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.recs, recs); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if fs, err := ScanObject(out, tc.opts); err != nil || len(fs) > 0 {
				t.Errorf("the redacted copy still has findings %v (error %v)", fs, err)
			}
		})
	}
}

func TestRedactErrors(t *testing.T) {
	t.Parallel()
	const obj = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","description":"été mary.major@bank.com","labels":["a"]}`
	tests := []struct {
		name     string
		raw      string
		findings []Finding
		msg      string
	}{
		{"no such path", obj, []Finding{{Path: "name", Start: 0, End: 1, Kind: Email}}, "no string at path"},
		{"not a string", obj, []Finding{{Path: "labels", Start: 0, End: 1, Kind: Email}}, "no string at path"},
		{"beyond the end", obj, []Finding{{Path: "description", Start: 5, End: 100, Kind: Email}}, "outside the string"},
		{"empty", obj, []Finding{{Path: "description", Start: 5, End: 5, Kind: Email}}, "outside the string"},
		{"overlap", obj, []Finding{{Path: "description", Start: 5, End: 10, Kind: Email}, {Path: "description", Start: 8, End: 12, Kind: Phone}}, "overlaps"},
		{"inside a character", obj, []Finding{{Path: "description", Start: 1, End: 3, Kind: Email}}, "character boundaries"},
		{"no kind", obj, []Finding{{Path: "description", Start: 0, End: 2}}, "no valid kind"},
		{"invalid copy", obj, []Finding{{Path: "id", Start: 0, End: 9, Kind: Email}}, "would not be valid STIX"},
		{"malformed", `{"description":"a"`, []Finding{{Path: "description", Start: 0, End: 1, Kind: Email}}, "invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, recs, err := Redact([]byte(tc.raw), tc.findings)
			if err == nil || out != nil || recs != nil {
				t.Fatalf("Redact = %s, %v, %v; want an error", out, recs, err)
			}
			if tearline.ErrorCode(err) != tearline.EINVALID || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want code invalid and %q", err, tc.msg)
			}
		})
	}
}

// piiNote is personal data of every text kind, injected into real objects.
const piiNote = "Victim Mary Major, mary.major@bank.com, +44 20 7946 0958, SSN 123-45-6789, " +
	"card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, passport no. C01X00T47, 10 Downing Street"

// TestRedactOASIS adds personal data to every OASIS example object (in a
// custom property and, where the object has one, its description), and
// checks that the redacted copy is valid STIX, has nothing left to find, and
// differs from the input only in the redacted strings.
func TestRedactOASIS(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(sharedData, "oasis-examples", "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("the OASIS examples in %s are absent", sharedData)
	}
	n := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range bundleObjects(t, data) {
			if bytes.Contains(raw, []byte(`"definition_type": "tlp"`)) {
				continue // the standard TLP definitions admit no other property
			}
			in := bytes.Replace(raw, []byte("{"), []byte(`{"x_pii_test": {"note": "`+piiNote+`"}, `), 1)
			in = bytes.Replace(in, []byte(`"description": "`), []byte(`"description": "`+piiNote+`. `), 1)
			if _, issues := stix.ValidateObject(in, ""); issues.HasErrors() {
				t.Fatalf("%s: the test object is invalid: %v\n%s", file, issues.Errors(), in)
			}
			out, recs := scanRedact(t, in, Options{FlagIdentifiers: true})
			if _, issues := stix.ValidateObject(out, ""); issues.HasErrors() {
				t.Errorf("%s: redacted copy invalid: %v\n%s", file, issues.Errors(), out)
			}
			if len(recs) < 7 {
				t.Errorf("%s: only %d redactions: %v", file, len(recs), recs)
			}
			if fs, err := ScanObject(out, Options{FlagIdentifiers: true}); err != nil || len(fs) > 0 {
				t.Errorf("%s: redacted copy still has %v (%v)", file, fs, err)
			}
			a, _ := stix.ParseValue(in)
			b, _ := stix.ParseValue(out)
			if !sameExceptRedacted(a, b) {
				t.Errorf("%s: the redacted copy changed more than strings with findings:\n%s\n%s", file, in, out)
			}
			n++
		}
	}
	t.Logf("%d OASIS objects redacted", n)
}

// sameExceptRedacted reports whether b has the structure and values of a,
// except strings of a replaced by strings with a placeholder in b.
func sameExceptRedacted(a, b stix.Value) bool {
	if a.Kind != b.Kind || len(a.Members) != len(b.Members) || len(a.Elems) != len(b.Elems) {
		return false
	}
	switch a.Kind {
	case stix.String:
		return a.Str == b.Str || strings.Contains(b.Str, "[REDACTED:")
	case stix.Object:
		for i := range a.Members {
			if a.Members[i].Name != b.Members[i].Name || !sameExceptRedacted(a.Members[i].Value, b.Members[i].Value) {
				return false
			}
		}
	case stix.Array:
		for i := range a.Elems {
			if !sameExceptRedacted(a.Elems[i], b.Elems[i]) {
				return false
			}
		}
	default:
		return a.Str == b.Str && a.Bool == b.Bool
	}
	return true
}

// TestRedactValidPattern redacts the identifiers of a valid indicator's
// pattern: the copy keeps a valid STIX pattern.
func TestRedactValidPattern(t *testing.T) {
	t.Parallel()
	in := []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z",` +
		`"pattern":"[email-addr:value = 'mary.major@bank.com' OR email-message:from_ref.value MATCHES '^john\\\\.doe@corp\\\\.com$'] AND [user-account:account_login = 'jdoe']",` +
		`"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`)
	if _, issues := stix.ValidateObject(in, ""); issues.HasErrors() {
		t.Fatalf("test object invalid: %v", issues)
	}
	out, recs := scanRedact(t, in, Options{FlagIdentifiers: true})
	want := `[email-addr:value = '[REDACTED:possible-pii]@bank.com' OR email-message:from_ref.value MATCHES '[REDACTED:possible-pii]@corp\\.com$'] AND [user-account:account_login = '[REDACTED:possible-pii]']`
	v, err := stix.ParseValue(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.GetString("pattern"); got != want {
		t.Errorf("pattern %s, want %s", got, want)
	}
	if len(recs) != 3 {
		t.Errorf("records %v, want 3", recs)
	}
	if _, issues := stix.ValidateObject(out, ""); issues.HasErrors() {
		t.Errorf("redacted copy invalid: %v", issues)
	}
}
