package stix

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"
)

// TestSCOIDKnown checks SCOID against identifiers published by others: the
// OASIS STIX 2.1 example bundles and the test suite of the OASIS python
// library (stix2/test/v21/test_deterministic_ids.py), not values computed
// by this package.
func TestSCOIDKnown(t *testing.T) {
	tests := []struct {
		name, source, obj, want string
	}{{
		name:   "file with MD5 and SHA-1 (MD5 is preferred)",
		source: "oasis-examples/sighting-of-observed-data.json",
		obj: `{"type": "file", "id": "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d", "spec_version": "2.1",
			"hashes": {"MD5": "1717b7fff97d37a1e1a0029d83492de1", "SHA-1": "c79a326f8411e9488bdc3779753e1e3489aaedea"},
			"size": 83968, "name": "resume.pdf"}`,
		want: "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d",
	}, {
		name:   "hash order in the document does not matter",
		source: "oasis-examples/sighting-of-observed-data.json, hashes reordered",
		obj: `{"type": "file", "name": "resume.pdf",
			"hashes": {"SHA-1": "c79a326f8411e9488bdc3779753e1e3489aaedea", "MD5": "1717b7fff97d37a1e1a0029d83492de1"}}`,
		want: "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d",
	}, {
		name:   "windows-registry-key key",
		source: "oasis-examples/sighting-of-observed-data.json",
		obj: `{"type": "windows-registry-key", "id": "windows-registry-key--16b80d14-d574-5620-abad-10ff304b1c26",
			"spec_version": "2.1", "key": "HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\WSALG2"}`,
		want: "windows-registry-key--16b80d14-d574-5620-abad-10ff304b1c26",
	}, {
		name:   "windows-registry-key values",
		source: "python-stix2 test_id_gen_recursive_dict_conversion_2",
		obj: `{"type": "windows-registry-key", "values": [
			{"name": "Foo", "data": "qwerty"}, {"name": "Bar", "data": "42"}]}`,
		want: "windows-registry-key--36594eba-bcc7-5014-9835-0e154264e588",
	}, {
		name:   "file with a windows-pebinary-ext extension and a float",
		source: "python-stix2 test_id_gen_recursive_dict_conversion_1",
		obj: `{"type": "file", "name": "example.exe", "size": 68000, "magic_number_hex": "50000000",
			"hashes": {"SHA-256": "841a8921140aba50671ebb0770fecc4ee308c4952cfeff8de154ab14eeef4649"},
			"extensions": {"windows-pebinary-ext": {"pe_type": "exe", "machine_hex": "014c",
				"sections": [{"name": ".data", "size": 4096, "entropy": 7.980693,
					"hashes": {"SHA-256": "6e3b6f3978e5cd96ba7abee35c24e867b7e64072e2ecb22d0ee7a6e6af6894d0"}}]}}}`,
		want: "file--ced31cd4-bdcb-537d-aefa-92d291bfc11d",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SCOID([]byte(tt.obj))
			if err != nil {
				t.Fatalf("SCOID: %v", err)
			}
			if got != tt.want {
				t.Errorf("SCOID = %s, want %s (from %s)", got, tt.want, tt.source)
			}
		})
	}
}

// TestSCOIDName checks the UUIDv5 name against the specification's recipe
// spelled out by hand: the canonical JSON of the contributing properties.
func TestSCOIDName(t *testing.T) {
	tests := []struct {
		obj  string
		name string // the canonical JSON the UUIDv5 is computed from
	}{
		{`{"type":"ipv4-addr","value":"198.51.100.3"}`, `{"value":"198.51.100.3"}`},
		{`{"type":"email-addr","value":"john@example.com","display_name":"John Doe"}`, `{"value":"john@example.com"}`},
		{`{"type":"autonomous-system","number":1.5e1,"name":"x"}`, `{"number":15}`},
		{`{"type":"software","version":"2.0","vendor":"Ex","name":"Word","languages":["eng"]}`,
			`{"name":"Word","vendor":"Ex","version":"2.0"}`},
		{`{"type":"network-traffic","src_ref":"ipv4-addr--ff26c255-6336-5bc5-b98d-13d6226742dd","protocols":["tcp"],"dst_port":443,"src_byte_count":10}`,
			`{"dst_port":443,"protocols":["tcp"],"src_ref":"ipv4-addr--ff26c255-6336-5bc5-b98d-13d6226742dd"}`},
		{`{"type":"x509-certificate","hashes":{"SHA-256":"` + strings.Repeat("a", 64) + `","x_custom":"1"},"serial_number":"01"}`,
			`{"hashes":{"SHA-256":"` + strings.Repeat("a", 64) + `"},"serial_number":"01"}`},
		{`{"type":"artifact","hashes":{"TLSH":"T1","SSDEEP":"3:a:b"},"payload_bin":"aGk="}`,
			`{"hashes":{"TLSH":"T1"},"payload_bin":"aGk="}`},
		{`{"type":"url","value":"http://example.com/\u00e9\u2028\u0007\""}`, "{\"value\":\"http://example.com/\u00e9\u2028\\u0007\\\"\"}"},
	}
	for _, tt := range tests {
		got, err := SCOID([]byte(tt.obj))
		if err != nil {
			t.Errorf("SCOID(%s): %v", tt.obj, err)
			continue
		}
		typ := got[:strings.Index(got, "--")]
		want := typ + "--" + uuid.NewSHA1(uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7"), []byte(tt.name)).String()
		if got != want {
			t.Errorf("SCOID(%s) = %s, want the UUIDv5 of %s = %s", tt.obj, got, tt.name, want)
		}
		if canon, err := jcs.Transform([]byte(tt.name)); err != nil || string(canon) != tt.name {
			t.Errorf("test name %s is not canonical: %s %v", tt.name, canon, err)
		}
	}
}

func TestSCOIDErrors(t *testing.T) {
	tests := []struct {
		obj     string
		is      error
		message string
	}{
		{obj: `{"type":"process","pid":1}`, is: ErrNoIDContributingProperties},
		{obj: `{"type":"email-message","is_multipart":false}`, is: ErrNoIDContributingProperties},
		{obj: `{"type":"indicator"}`, message: "not a STIX 2.1 cyber-observable type"},
		{obj: `{"type":"x-custom-sco","value":"a"}`, message: "not a STIX 2.1 cyber-observable type"},
		{obj: `[1]`, message: "must be a JSON object"},
		{obj: `{"type":`, message: "truncated"},
		{obj: `{"type":"file","hashes":{}}`, message: "empty"},
	}
	for _, tt := range tests {
		id, err := SCOID([]byte(tt.obj))
		if err == nil {
			t.Errorf("SCOID(%s) = %s, want an error", tt.obj, id)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("SCOID(%s) error %v, want %v", tt.obj, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.message) {
			t.Errorf("SCOID(%s) error %q, want it to contain %q", tt.obj, err, tt.message)
		}
	}
}

// TestCheckSCOID checks the id warnings of ValidateObject.
func TestCheckSCOID(t *testing.T) {
	tests := []struct {
		name string
		obj  string
		want []string // rules of the expected warnings
	}{
		{"deterministic", `{"type":"ipv4-addr","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"}`, nil},
		{"upper-case hex is the same UUID", `{"type":"ipv4-addr","id":"ipv4-addr--28BB3599-77CD-5A82-A950-B5BC3CAF07C4","value":"198.51.100.3"}`, nil},
		{"random v4 with contributing properties", `{"type":"ipv4-addr","id":"ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956","value":"198.51.100.3"}`, []string{"sco-id"}},
		{"wrong v5", `{"type":"ipv4-addr","id":"ipv4-addr--ff26c255-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`, []string{"sco-id"}},
		{"version 1", `{"type":"ipv4-addr","id":"ipv4-addr--ff26c255-6336-1bc5-b98d-13d6226742dd","value":"198.51.100.3"}`, []string{"sco-id-version", "sco-id"}},
		{"process with v4", `{"type":"process","id":"process--f52a906a-0dfc-40bd-92f1-e7778ead38a9","pid":1221}`, nil},
		{"process with v5", `{"type":"process","id":"process--f52a906a-0dfc-50bd-92f1-e7778ead38a9","pid":1221}`, []string{"sco-id"}},
		{"email-message without contributing properties, v4", `{"type":"email-message","id":"email-message--f52a906a-0dfc-40bd-92f1-e7778ead38a9","is_multipart":false}`, nil},
		{"custom SCO is not checked for determinism", `{"type":"x-foo-bar","id":"x-foo-bar--f52a906a-0dfc-50bd-92f1-e7778ead38a9","extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"new-sco"}}}`, nil},
		{"custom SCO version 1", `{"type":"x-foo-bar","id":"x-foo-bar--f52a906a-0dfc-10bd-92f1-e7778ead38a9","extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"new-sco"}}}`, []string{"sco-id-version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, issues := ValidateObject([]byte(tt.obj), "")
			if obj == nil {
				t.Fatalf("unexpected errors: %v", issues)
			}
			var got []string
			for _, is := range issues.Warnings() {
				if strings.HasPrefix(is.Rule, "sco-id") {
					got = append(got, is.Rule)
					if is.Path != "id" {
						t.Errorf("warning %v: path %q, want id", is, is.Path)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("id warnings %v, want %v; all issues: %v", got, tt.want, issues)
			}
		})
	}
}

// TestCheckSCOIDSkipsInvalid: objects with errors get no id warnings.
func TestCheckSCOIDSkipsInvalid(t *testing.T) {
	_, issues := ValidateObject([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--1e4ffad7-0b88-41d4-ba4d-77d27490b956","value":"300.1.1.1"}`), "")
	if !issues.HasErrors() {
		t.Fatal("want an error for the address")
	}
	for _, is := range issues {
		if strings.HasPrefix(is.Rule, "sco-id") {
			t.Errorf("unexpected %v", is)
		}
	}
}

func BenchmarkSCOID(b *testing.B) {
	var v Value
	v, err := ParseValue([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"}`))
	if err != nil {
		b.Fatal(err)
	}
	def := registry["ipv4-addr"]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scoID(def, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateSCO(b *testing.B) {
	raw := []byte(`{"type":"file","spec_version":"2.1","id":"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d",
		"hashes":{"MD5":"1717b7fff97d37a1e1a0029d83492de1","SHA-1":"c79a326f8411e9488bdc3779753e1e3489aaedea"},
		"size":83968,"name":"resume.pdf"}`)
	b.ReportAllocs()
	for b.Loop() {
		if obj, issues := ValidateObject(raw, ""); obj == nil || len(issues) > 0 {
			b.Fatal(issues)
		}
	}
}
