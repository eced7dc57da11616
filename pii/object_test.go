package pii

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/stix"
)

// fnd is the finding of sub, of kind k, in the decoded string text at path.
func fnd(path string, k Kind, text, sub string) Finding {
	i := strings.Index(text, sub)
	if i < 0 {
		panic("test: " + sub + " is not in " + text)
	}
	return Finding{Path: path, Start: i, End: i + len(sub), Kind: k}
}

func TestScanObject(t *testing.T) {
	t.Parallel()
	const (
		desc  = "Sent by john.smith@acme-corp.de (+44 20 7946 0958); abuse@acme-corp.de was told."
		ref   = "Interview with the victim, SSN 123-45-6789."
		note  = "Card 4111 1111 1111 1111 was used"
		body  = "Wire to DE89 3704 0044 0532 0130 00 today"
		email = "mary.major@bank.com"
	)
	tests := []struct {
		name string
		obj  string
		opts Options
		want []Finding
	}{
		{
			name: "indicator text properties",
			obj: `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
				"name":"Phish from jane.roe@bank.de","description":"` + desc + `",
				"pattern":"[email-addr:value = 'jane.roe@bank.de']","pattern_type":"stix",
				"labels":["victim mary.major@bank.com"],
				"external_references":[{"source_name":"a","url":"https://x.org/jane.roe@bank.de","external_id":"202-555-0143"},
					{"source_name":"b","description":"` + ref + `"}],
				"x_acme_notes":{"comment":"` + note + `","score":5,"deep":[{"x":"` + body + `"}]}}`,
			want: []Finding{
				fnd("name", Email, "Phish from jane.roe@bank.de", "jane.roe@bank.de"),
				fnd("description", Email, desc, "john.smith@acme-corp.de"),
				fnd("description", Phone, desc, "+44 20 7946 0958"),
				fnd("labels[0]", Email, "victim mary.major@bank.com", email),
				fnd("external_references[1].description", SSN, ref, "123-45-6789"),
				fnd("x_acme_notes.comment", Card, note, "4111 1111 1111 1111"),
				fnd("x_acme_notes.deep[0].x", IBAN, body, "DE89 3704 0044 0532 0130 00"),
			},
		},
		{
			name: "pattern flagged",
			obj:  `{"type":"indicator","pattern_type":"stix","pattern":"[email-addr:value = 'jane.roe@bank.de' OR email-message:to_refs[*].value IN ('abuse@bank.de', 'bob@bank.de')] AND [user-account:account_login = 'jroe' AND user-account:account_type = 'unix'] AND [ipv4-addr:value = '10.0.0.1']"}`,
			opts: Options{FlagIdentifiers: true},
			want: []Finding{
				fnd("pattern", PossiblePII, "[email-addr:value = 'jane.roe@bank.de'", "jane.roe"),
				fnd("pattern", PossiblePII, "[email-addr:value = 'jane.roe@bank.de' OR email-message:to_refs[*].value IN ('abuse@bank.de', 'bob", "bob"),
				fnd("pattern", PossiblePII, "[email-addr:value = 'jane.roe@bank.de' OR email-message:to_refs[*].value IN ('abuse@bank.de', 'bob@bank.de')] AND [user-account:account_login = 'jroe", "jroe"),
			},
		},
		{
			name: "pattern of another language",
			obj:  `{"type":"indicator","pattern_type":"sigma","pattern":"email-addr:value = 'jane.roe@bank.de'"}`,
			opts: Options{FlagIdentifiers: true},
		},
		{
			name: "pattern not flagged without the option",
			obj:  `{"type":"indicator","pattern_type":"stix","pattern":"[email-addr:value = 'jane.roe@bank.de']"}`,
		},
		{
			name: "email-addr",
			obj:  `{"type":"email-addr","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"mary.major@bank.com","display_name":"Mary Major"}`,
			opts: Options{FlagIdentifiers: true},
			want: []Finding{{Path: "value", Start: 0, End: len("mary.major"), Kind: PossiblePII}},
		},
		{
			name: "email-addr without the option",
			obj:  `{"type":"email-addr","value":"mary.major@bank.com"}`,
		},
		{
			name: "email-addr role mailbox",
			obj:  `{"type":"email-addr","value":"abuse@bank.com"}`,
			opts: Options{FlagIdentifiers: true},
		},
		{
			name: "user-account",
			obj:  `{"type":"user-account","user_id":"1001","account_login":"jdoe","display_name":"John Doe, +1 202-555-0143"}`,
			opts: Options{FlagIdentifiers: true},
			want: []Finding{
				{Path: "user_id", Start: 0, End: 4, Kind: PossiblePII},
				{Path: "account_login", Start: 0, End: 4, Kind: PossiblePII},
				fnd("display_name", Phone, "John Doe, +1 202-555-0143", "+1 202-555-0143"),
			},
		},
		{
			name: "user-account system account",
			obj:  `{"type":"user-account","user_id":"0","account_login":"root","display_name":"System Administrator"}`,
			opts: Options{FlagIdentifiers: true},
		},
		{
			name: "email-message",
			obj: `{"type":"email-message","is_multipart":true,"subject":"Call me at +44 20 7946 0958",
				"additional_header_fields":{"Reply-To":["jane.roe@bank.de"]},
				"body_multipart":[{"content_type":"text/plain","body":"x"},{"content_type":"text/plain","body":"` + body + `","content_disposition":"jane.roe@bank.de"}]}`,
			want: []Finding{
				fnd("subject", Phone, "Call me at +44 20 7946 0958", "+44 20 7946 0958"),
				fnd("body_multipart[1].body", IBAN, body, "DE89 3704 0044 0532 0130 00"),
			},
		},
		{
			name: "note and opinion",
			obj:  `{"type":"note","abstract":"from mary.major@bank.com","content":"` + note + `","authors":["Mary <mary.major@bank.com>"]}`,
			want: []Finding{
				fnd("abstract", Email, "from mary.major@bank.com", email),
				fnd("content", Card, note, "4111 1111 1111 1111"),
				fnd("authors[0]", Email, "Mary <mary.major@bank.com>", email),
			},
		},
		{
			name: "opinion",
			obj:  `{"type":"opinion","explanation":"SSN 123-45-6789","opinion":"agree"}`,
			want: []Finding{fnd("explanation", SSN, "SSN 123-45-6789", "123-45-6789")},
		},
		{
			name: "identity of a person",
			obj:  `{"type":"identity","identity_class":"individual","name":"Mary Major","contact_information":"mary.major@bank.com, 10 Downing Street"}`,
			want: []Finding{
				fnd("contact_information", Email, "mary.major@bank.com, 10 Downing Street", email),
				fnd("contact_information", Address, "mary.major@bank.com, 10 Downing Street", "10 Downing Street"),
			},
		},
		{
			name: "identity of an organization",
			obj:  `{"contact_information":"mary.major@bank.com","type":"identity","identity_class":"organization"}`,
		},
		{
			name: "file name",
			obj:  `{"type":"file","name":"Passport C01X00T47 scan.pdf","hashes":{"MD5":"d41d8cd98f00b204e9800998ecf8427e"}}`,
			want: []Finding{fnd("name", Passport, "Passport C01X00T47 scan.pdf", "C01X00T47")},
		},
		{
			name: "escapes",
			obj:  `{"type":"report","description":"\"Quoted\" \u00e9t\u00e9: j\u006fhn.smith@corp.com\n\ud83d\ude00 +44 20 7946 0958"}`,
			want: []Finding{
				fnd("description", Email, "\"Quoted\" été: john.smith@corp.com\n😀 +44 20 7946 0958", "john.smith@corp.com"),
				fnd("description", Phone, "\"Quoted\" été: john.smith@corp.com\n😀 +44 20 7946 0958", "+44 20 7946 0958"),
			},
		},
		{
			name: "odd member names",
			obj:  `{"type":"x-acme-thing","x_acme":{"odd name":"mary.major@bank.com","a.b":["x","mary.major@bank.com"],"\u0041":"mary.major@bank.com"}}`,
			want: []Finding{
				{Path: `x_acme["odd name"]`, Start: 0, End: len(email), Kind: Email},
				{Path: `x_acme["a.b"][1]`, Start: 0, End: len(email), Kind: Email},
				{Path: `x_acme.A`, Start: 0, End: len(email), Kind: Email},
			},
		},
		{
			name: "x_ inside extensions",
			obj:  `{"type":"file","name":"a.exe","extensions":{"x-acme-ext":{"x_note":"mary.major@bank.com","value":"mary.major@bank.com"}}}`,
			want: []Finding{{Path: "extensions.x-acme-ext.x_note", Start: 0, End: len(email), Kind: Email}},
		},
		{
			name: "not scanned",
			obj: `{"type":"observed-data","x":"mary.major@bank.com","value":"mary.major@bank.com","object_refs":["mary.major@bank.com"],
				"external_references":[{"source_name":"mary.major@bank.com","url":"mailto:mary.major@bank.com"}],"x_":"mary.major@bank.com"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ScanObject([]byte(tc.obj), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ScanObject (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScanObjectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		obj, path, msg string
	}{
		{`[]`, "", "must be a JSON object"},
		{``, "", "must be a JSON object"},
		{`{"type":"report","description":"abc`, "description", "unterminated string"},
		{`{"type":"report","description":"a\qb"}`, "description", "invalid escape"},
		{`{"type":"report","description":"\ud83d"}`, "description", "surrogate"},
		{`{"type":"report","x_a":{"b":[1,2,}]}}`, "x_a.b[2]", "expected a JSON value"},
		{`{"type":"report","x_a":{"b":"c"} x}`, "", "expected ','"},
		{`{"type":"report"} {}`, "", "after the object"},
		{`{"type":"report","n":01}`, "", "expected ','"},
		{`{"type":"report","n":-}`, "n", "invalid number"},
		{`{"type":"report","n":tru}`, "n", "invalid literal"},
		{`{"type":"report","d":"a` + "\x01" + `"}`, "d", "control character"},
		{`{"type":"report","d":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "d" + strings.Repeat("[0]", 63), "nesting too deep"},
	}
	for _, tc := range tests {
		t.Run(tc.obj, func(t *testing.T) {
			t.Parallel()
			_, err := ScanObject([]byte(tc.obj), Options{})
			var se *stix.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *stix.SyntaxError", err)
			}
			if se.Path != tc.path || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("error at path %q: %q; want path %q and %q", se.Path, se.Msg, tc.path, tc.msg)
			}
		})
	}
}
