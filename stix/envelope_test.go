package stix

import (
	"errors"
	"io"
	"strings"
	"testing"
)

const envelopeIndicator = `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
	`"created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",` +
	`"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"}`

func TestEnvelopeReader(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		objects  int
		rule     string // of the envelope-level error expected, "" for none
		mention  string
		warnRule string
	}{
		{name: "envelope", in: `{"more":false,"next":"abc","objects":[` + envelopeIndicator + `,{"x":1}]}`, objects: 2},
		{name: "objects first", in: `{"objects":[` + envelopeIndicator + `],"more":true}`, objects: 1},
		{name: "bundle", in: `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + envelopeIndicator + `]}`,
			objects: 1, rule: "envelope-bundle", mention: "STIX bundle"},
		{name: "spec_version", in: `{"spec_version":"2.0","objects":[` + envelopeIndicator + `]}`, objects: 1, rule: "envelope-bundle"},
		{name: "no objects", in: `{"more":false}`, rule: "required", mention: `"objects"`},
		{name: "objects not a list", in: `{"objects":"x"}`, rule: "type", mention: "envelope property"},
		{name: "empty objects", in: `{"objects":[]}`, rule: "empty-list", mention: "nothing to add"},
		{name: "unknown member", in: `{"x_extra":1,"objects":[` + envelopeIndicator + `]}`, objects: 1, warnRule: "envelope-property"},
		{name: "more not a boolean", in: `{"more":"no","objects":[` + envelopeIndicator + `]}`, objects: 1, warnRule: "envelope-more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := NewEnvelopeReader(strings.NewReader(tt.in))
			n := 0
			for {
				_, _, err := br.Next()
				if err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != tt.objects {
				t.Errorf("%d objects, want %d", n, tt.objects)
			}
			errs := br.Issues.Errors()
			switch {
			case tt.rule == "" && len(errs) > 0:
				t.Errorf("unexpected errors %v", errs)
			case tt.rule != "" && (len(errs) != 1 || errs[0].Rule != tt.rule || !strings.Contains(errs[0].Message, tt.mention)):
				t.Errorf("errors %v, want one %s error mentioning %q", errs, tt.rule, tt.mention)
			}
			if tt.warnRule != "" && !br.Issues.Warnings().has(tt.warnRule) {
				t.Errorf("warnings %v lack %s", br.Issues.Warnings(), tt.warnRule)
			}
		})
	}
}

func TestEnvelopeSyntaxError(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"objects":[` + envelopeIndicator, `{"objects":[]} x`} {
		br := NewEnvelopeReader(strings.NewReader(in))
		var err error
		for err == nil {
			_, _, err = br.Next()
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want a *SyntaxError", in, err)
		}
	}
}

func TestReadEnvelope(t *testing.T) {
	in := `{"objects":[` + envelopeIndicator + `,{"type":"indicator"}]}`
	var results []*Result
	issues, err := ReadEnvelope(strings.NewReader(in), func(r *Result) error {
		results = append(results, r)
		return nil
	})
	if err != nil || issues.HasErrors() {
		t.Fatalf("ReadEnvelope: %v, %v", issues, err)
	}
	if len(results) != 2 || results[0].Object == nil || results[1].Object != nil || results[1].Path != "objects[1]" {
		t.Fatalf("results %+v", results)
	}
	if results[0].Object.ID != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" || string(results[0].Raw) != envelopeIndicator {
		t.Errorf("object %+v", results[0].Object)
	}
	// The same body read as a bundle lacks the bundle's own properties.
	issues, err = ReadBundle(strings.NewReader(in), func(*Result) error { return nil })
	if err != nil || !issues.has("required") {
		t.Errorf("as a bundle: %v, %v", issues, err)
	}
}
