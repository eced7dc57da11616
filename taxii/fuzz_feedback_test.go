package taxii

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// FuzzFeedbackForm reads any body as the feedback form of POST
// /api/v1/objects/{id}/feedback/, as postFeedback reads and checks it: it
// never panics, refuses with EINVALID or ETOOLARGE only, and a form that
// passes its check builds a STIX object that is valid.
func FuzzFeedbackForm(f *testing.F) {
	for _, s := range []string{
		`{"kind":"sighting","count":3,"first_seen":"2026-01-01T00:00:00Z","last_seen":"2026-01-02T00:00:00Z","where":"mail gateway","false_positive":true}`,
		`{"kind":"sighting","where_sighted_refs":["identity--b4e4c1a2-6c2e-4f35-9c47-5d3b2a1e0f99"],"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]}`,
		`{"kind":"opinion","opinion":"strongly-disagree","explanation":"benign CDN address"}`,
		`{"kind":"question","content":"Seen with port 8443 too?","abstract":"ports"}`,
		`{"kind":"answer","content":"yes","in_reply_to":"note--0b7a3f4e-1d1c-4d8e-9b7a-6c9d2e1f3a01"}`,
		`{"kind":"note","content":""}`,
		`{"kind":"sighting","count":-1,"first_seen":"yesterday"}`,
		`{"kind":"opinion","opinion":"meh"}`,
		`{"kind":"other"}`, `{"kind":"note","content":"x","object_marking_refs":["tlp:red"]}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	target := &tearline.Entry{Object: tearline.Object{ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		Raw: []byte(`{"type":"indicator","object_marking_refs":["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]}`)}}
	const org = "identity--0b7a3f4e-1d1c-4d8e-9b7a-6c9d2e1f3a0f"
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/objects/x/feedback/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req feedbackRequest
		err := decodeJSON(httptest.NewRecorder(), r, &req)
		if err == nil {
			err = req.check()
		}
		if err != nil {
			if c := tearline.ErrorCode(err); c != tearline.EINVALID && c != tearline.ETOOLARGE {
				t.Fatalf("%q: %v is not EINVALID", body, err)
			}
			return
		}
		raw, id := req.build(target, org, now)
		obj, issues := stix.ValidateObject(raw, "feedback")
		if obj == nil || obj.ID != id {
			t.Fatalf("form %q passed its check but builds an invalid object %s: %v", body, raw, issues)
		}
	})
}
