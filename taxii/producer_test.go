package taxii

import (
	"fmt"
	"net/http"
	"testing"
)

// TestFeedbackNotifiesSubmitterOfUnscored: feedback on a sighting, a
// relationship, a note or a language-content object without
// created_by_ref, which get no score record, reaches the organization
// that submitted it, as for scored types (TestFeedbackNotifiesSubmitter).
func TestFeedbackNotifiesSubmitterOfUnscored(t *testing.T) {
	t.Parallel()
	e := newExchangeEnv(t, dissemConfig())
	recv := newReceiver(t)
	e.subscribe("CERT-FR", "feedback on ours", `{"feedback": true}`, recv.ts.URL+"/hook")
	expect(t, e.post("hub", colPath(e.intel, "objects/"), envelope(indicator(6, 0), indicator(7, 0))), http.StatusAccepted)
	ind, ind7 := objID("indicator", 6), objID("indicator", 7)
	ts := baseTime.Format(millisLayout)
	objs := map[string]string{
		objID("sighting", 1):         sdo("sighting", 1, fmt.Sprintf(`"sighting_of_ref":%q`, ind)),
		objID("relationship", 1):     rel(1, "related-to", ind, ind7),
		objID("note", 1):             sdo("note", 1, fmt.Sprintf(`"content":"seen here too","object_refs":[%q]`, ind)),
		objID("language-content", 1): sdo("language-content", 1, fmt.Sprintf(`"object_ref":%q,"object_modified":%q,"contents":{"fr":{"name":"indicateur"}}`, ind, ts)),
	}
	var env []string
	for _, o := range objs {
		env = append(env, o)
	}
	r := e.post("partner", colPath(e.intel, "objects/"), envelope(env...))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.SuccessCount != len(objs) {
		t.Fatalf("the partner's submission: %s", r.body)
	}
	var questions []string
	for id := range objs {
		questions = append(questions, e.feedbackID("hub", id, map[string]any{"kind": "question", "content": "where?"}))
	}
	recv.wait("the hub's questions about the partner's objects", hasAll(questions...))
}
