package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/limit"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/metrics"
)

// exchangeEnv is env with a hosting organization "Hub" (federal, US;
// analyst key "hub", reader key "hub-reader", translator key
// "hub-translator") and a partner "CERT-FR" (national CERT, FR, prefers
// French; contributor key "partner"), both with read and write grants on
// intel.
type exchangeEnv struct{ *env }

func newExchangeEnv(t *testing.T, cfg Config) *exchangeEnv {
	cfg.HostOrg = "Hub"
	e := &exchangeEnv{newEnv(t, &cfg, false)}
	for _, o := range []*tearline.Organization{
		{Name: "Hub", Type: "federal", Country: "US"},
		{Name: "CERT-FR", Type: "national-cert", Country: "FR", Languages: []string{"fr"}},
	} {
		if err := e.db.CreateOrganization(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		e.orgs[o.Name] = o
		e.grant(e.intel, o.Name, true, true)
	}
	e.tokens["hub"] = e.newKey(e.orgs["Hub"], tearline.RoleAnalyst)
	e.tokens["hub-reader"] = e.newKey(e.orgs["Hub"], tearline.RoleReader)
	e.tokens["partner"] = e.newKey(e.orgs["CERT-FR"], tearline.RoleContributor)
	e.tokens["hub-translator"] = e.newKey(e.orgs["Hub"], tearline.RoleTranslator)
	return e
}

// feedback posts the feedback form about object id as who.
func (e *exchangeEnv) feedback(who, id string, form map[string]any) *response {
	e.t.Helper()
	return e.admin(who, http.MethodPost, "/api/v1/objects/"+id+"/feedback/", form)
}

// feedbackID posts the form, expects 201 and returns the new object's id.
func (e *exchangeEnv) feedbackID(who, id string, form map[string]any) string {
	e.t.Helper()
	r := e.feedback(who, id, form)
	expect(e.t, r, http.StatusCreated)
	var res struct {
		ID     string          `json:"id"`
		Object json.RawMessage `json:"object"`
	}
	r.decode(e.t, &res)
	return res.ID
}

// submission reads a submission as who.
func (e *exchangeEnv) submission(who, id string) submissionJSON {
	e.t.Helper()
	r := e.admin(who, http.MethodGet, "/api/v1/submissions/"+id+"/", nil)
	expect(e.t, r, http.StatusOK)
	var s submissionJSON
	r.decode(e.t, &s)
	return s
}

// TestExchangeRoundTrip has a partner submit an indicator, the hosting
// organization acknowledge it, sight it, disagree with it and ask a
// question, the partner answer; each side is notified through its
// webhook, and the sharing metrics report exactly the figures of these
// events.
func TestExchangeRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := dissemConfig()
	cfg.Metrics = metrics.New()
	e := newExchangeEnv(t, cfg)
	hub, partner := e.orgs["Hub"], e.orgs["CERT-FR"]
	recvPartner, recvHub := newReceiver(t), newReceiver(t)
	e.subscribe("CERT-FR", "feedback on ours", `{"feedback": true}`, recvPartner.ts.URL+"/hook")
	e.subscribe("Hub", "feedback on ours", `{"feedback": true}`, recvHub.ts.URL+"/hook")

	// The partner submits an indicator it created.
	ind := sdo("indicator", 1, fmt.Sprintf(`"created_by_ref":%q,"name":"c2","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":%q`,
		partner.ID, baseTime.Format(millisLayout)))
	indID := objID("indicator", 1)
	r := e.post("partner", colPath(e.intel, "objects/"), envelope(ind))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)

	// Both sides see it received; others do not see it at all.
	sub := e.submission("partner", st.ID)
	if sub.State != tearline.TriageReceived || sub.Org != partner.ID || !slices.Equal(sub.Objects, []string{indID}) ||
		sub.ToAcknowledge != nil || sub.ToFirstFeedback != nil {
		t.Fatalf("new submission: %+v", sub)
	}
	expect(t, e.admin("reader", http.MethodGet, "/api/v1/submissions/"+st.ID+"/", nil), http.StatusNotFound)
	var list struct{ Submissions []submissionJSON }
	r = e.admin("hub", http.MethodGet, "/api/v1/submissions/?state=received", nil)
	expect(t, r, http.StatusOK)
	r.decode(t, &list)
	if len(list.Submissions) != 1 || list.Submissions[0].ID != st.ID || list.Submissions[0].OrgName != "CERT-FR" {
		t.Fatalf("the hub's list: %s", r.body)
	}
	r = e.admin("reader", http.MethodGet, "/api/v1/submissions/", nil)
	expect(t, r, http.StatusOK)
	r.decode(t, &list)
	if len(list.Submissions) != 0 {
		t.Fatalf("another organization's list: %s", r.body)
	}
	// Only the hub's analysts move the state.
	expect(t, e.admin("analyst", http.MethodPost, "/api/v1/submissions/"+st.ID+"/triage/", map[string]string{"state": "acknowledged"}), http.StatusForbidden)
	expect(t, e.admin("hub-reader", http.MethodPost, "/api/v1/submissions/"+st.ID+"/triage/", map[string]string{"state": "acknowledged"}), http.StatusForbidden)
	expect(t, e.admin("hub", http.MethodPost, "/api/v1/submissions/"+st.ID+"/triage/", map[string]string{"state": "received"}), http.StatusBadRequest)

	// The hub acknowledges, sights, disagrees and asks.
	r = e.admin("hub", http.MethodPost, "/api/v1/submissions/"+st.ID+"/triage/", map[string]string{"state": "acknowledged", "note": "thanks, looking"})
	expect(t, r, http.StatusOK)
	sightingID := e.feedbackID("hub", indID, map[string]any{"kind": "sighting", "count": 3, "where": "two power plants",
		"first_seen": "2026-01-02T03:04:05Z", "last_seen": "2026-01-03T03:04:05Z"})
	opinionID := e.feedbackID("hub", indID, map[string]any{"kind": "opinion", "opinion": "disagree", "explanation": "false positive: a CDN"})
	questionID := e.feedbackID("hub", indID, map[string]any{"kind": "question", "content": "Where did you see it first?"})
	e.admin("hub", http.MethodPost, "/api/v1/submissions/"+st.ID+"/triage/", map[string]string{"state": "in-analysis"})

	// The partner is told at once, through its webhook.
	recvPartner.wait("the hub's feedback", hasAll(sightingID, opinionID, questionID))

	// The partner answers; the hub is told.
	answerID := e.feedbackID("partner", indID, map[string]any{"kind": "answer", "content": "On our honeypot, in January.", "in_reply_to": questionID})
	recvHub.wait("the partner's answer", hasAll(answerID))
	r = e.admin("hub", http.MethodPost, "/api/v1/submissions/"+st.ID+"/triage/", map[string]string{"state": "answered"})
	expect(t, r, http.StatusOK)

	// The partner asks for the hub's opinion in French; the hub is told
	// (a note on its opinion), its translator answers, the partner is told
	// (a note on its request) and gets the translation with the original.
	r = e.admin("partner", http.MethodPost, "/api/v1/translations/", map[string]string{"object_id": opinionID, "language": "FR", "note": "pour le ministre"})
	expect(t, r, http.StatusCreated)
	var treq translationJSON
	r.decode(t, &treq)
	if treq.Language != "fr" || treq.State != tearline.TranslationOpen || treq.NoteID == "" {
		t.Fatalf("translation request: %s", r.body)
	}
	recvHub.wait("the translation request", hasAll(treq.NoteID))
	expect(t, e.admin("hub-reader", http.MethodPost, "/api/v1/translations/"+treq.ID+"/answer/",
		map[string]any{"contents": map[string]string{"explanation": "x"}}), http.StatusForbidden)
	var open struct{ Translations []translationJSON }
	r = e.admin("hub-translator", http.MethodGet, "/api/v1/translations/?state=open", nil)
	expect(t, r, http.StatusOK)
	r.decode(t, &open)
	if len(open.Translations) != 1 || open.Translations[0].ID != treq.ID {
		t.Fatalf("open requests as the translator sees them: %s", r.body)
	}
	r = e.admin("hub-translator", http.MethodPost, "/api/v1/translations/"+treq.ID+"/answer/",
		map[string]any{"contents": map[string]string{"explanation": "faux positif : un CDN"}})
	expect(t, r, http.StatusCreated)
	var answer struct {
		translationJSON
		Object     json.RawMessage `json:"object"`
		AnswerNote string          `json:"answer_note_id"`
	}
	r.decode(t, &answer)
	if answer.State != tearline.TranslationAnswered || answer.AnswerID == "" || answer.AnswerNote == "" || answer.AnsweredBy != hub.ID {
		t.Fatalf("answer: %s", r.body)
	}
	recvPartner.wait("the translation", hasAll(answer.AnswerNote))
	expect(t, e.admin("hub-translator", http.MethodPost, "/api/v1/translations/"+treq.ID+"/answer/",
		map[string]any{"contents": map[string]string{"explanation": "encore"}}), http.StatusConflict)
	var tl struct {
		Languages    []string
		Translations []json.RawMessage
	}
	r = e.admin("partner", http.MethodGet, "/api/v1/objects/"+opinionID+"/translations/", nil)
	expect(t, r, http.StatusOK)
	r.decode(t, &tl)
	if len(tl.Translations) != 1 || !strings.Contains(string(tl.Translations[0]), `"fr":{"explanation":"faux positif : un CDN"}`) ||
		!strings.Contains(string(tl.Translations[0]), `"object_ref":"`+opinionID+`"`) {
		t.Fatalf("the partner's translations of the opinion: %s", r.body)
	}
	r = e.admin("partner", http.MethodGet, "/api/v1/objects/"+opinionID+"/translations/?lang=de", nil)
	expect(t, r, http.StatusOK)
	r.decode(t, &tl)
	if len(tl.Translations) != 0 {
		t.Fatalf("translations into German: %s", r.body)
	}
	expect(t, e.admin("nogrant", http.MethodGet, "/api/v1/objects/"+opinionID+"/translations/", nil), http.StatusNotFound)

	// The stored objects are what the forms said.
	objs := map[string]map[string]any{}
	for _, entry := range e.storedIn(e.intel) {
		var m map[string]any
		if err := json.Unmarshal(entry.Raw, &m); err != nil {
			t.Fatal(err)
		}
		objs[entry.ID] = m
	}
	for id, want := range map[string]map[string]any{
		sightingID: {"sighting_of_ref": indID, "count": 3.0, "description": "Seen at: two power plants", "created_by_ref": hub.ID},
		opinionID:  {"opinion": "disagree", "explanation": "false positive: a CDN", "object_refs": []any{indID}},
		questionID: {"labels": []any{"question"}, "object_refs": []any{indID}},
		answerID:   {"labels": []any{"answer"}, "object_refs": []any{indID, questionID}, "created_by_ref": partner.ID},
	} {
		for k, v := range want {
			if d := cmp.Diff(v, objs[id][k]); d != "" {
				t.Errorf("%s.%s (-want +got):\n%s", id, k, d)
			}
		}
		// The feedback carries the markings of the object it is about.
		if d := cmp.Diff([]any{marking.TLP2Green}, objs[id]["object_marking_refs"]); d != "" {
			t.Errorf("%s markings (-want +got):\n%s", id, d)
		}
	}

	// The partner sees the state and the measured times of its submission.
	sub = e.submission("partner", st.ID)
	if sub.State != tearline.TriageAnswered || sub.ToAcknowledge == nil || sub.ToFirstFeedback == nil ||
		*sub.ToFirstFeedback < *sub.ToAcknowledge || sub.Note != "" || sub.UpdatedBy != hub.ID {
		t.Fatalf("after the exchange: %+v", sub)
	}
	// Three submissions of the partner: the indicator, the answer and
	// the translation request's note.
	r = e.admin("partner", http.MethodGet, "/api/v1/submissions/", nil)
	expect(t, r, http.StatusOK)
	r.decode(t, &list)
	if len(list.Submissions) != 3 {
		t.Fatalf("the partner's submissions: %s", r.body)
	}
	var (
		avail, acks, firsts []float64
		shared              []string
	)
	for _, s := range list.Submissions {
		avail = append(avail, s.ToAvailable)
		if s.ToAcknowledge != nil {
			acks = append(acks, *s.ToAcknowledge)
		}
		if s.ToFirstFeedback != nil {
			firsts = append(firsts, *s.ToFirstFeedback)
		}
		shared = append(shared, s.Objects...)
		if s.ID != st.ID && s.State != tearline.TriageReceived {
			t.Errorf("submission %s: %+v", s.ID, s)
		}
	}
	slices.Sort(avail)
	slices.Sort(firsts)
	slices.Sort(shared)
	if want := []string{answerID, indID, treq.NoteID}; !cmp.Equal(shared, sortedCopy(want)) {
		t.Fatalf("the partner shared %v, want %v", shared, want)
	}
	// Acknowledged: the indicator; first feedback: the indicator (the
	// sighting) and the request (the translator's note).
	if len(acks) != 1 || len(firsts) != 2 {
		t.Fatalf("acknowledged %v, first feedback %v", acks, firsts)
	}

	// The partner reads the collection: it consumes, as both did through
	// their webhooks.
	r = e.get("partner", colPath(e.intel, "objects/"))
	expect(t, r, http.StatusOK)
	var page envelopeResource
	r.decode(t, &page)
	// Every webhook worker done with every feed entry: no delivery in flight.
	poll(t, "the webhooks idle", func() bool { return e.srv.dissem.Backlog() == 0 })
	received := len(page.Objects) + len(acceptedIDs(recvPartner.wait("", func([]delivery) bool { return true }))) +
		len(acceptedIDs(recvHub.wait("", func([]delivery) bool { return true })))

	// The metrics are the figures of these events.
	r = e.admin("hub", http.MethodGet, "/api/v1/metrics/sharing/?period=1d", nil)
	expect(t, r, http.StatusOK)
	var m sharingMetrics
	r.decode(t, &m)
	f := func(v float64) *float64 { return &v }
	ack := acks[0]
	recs, err := e.db.(tearline.Scores).FindScores(context.Background(), shared)
	if err != nil {
		t.Fatal(err)
	}
	buckets := map[string]int{"0-19": 0, "20-39": 0, "40-59": 0, "60-79": 0, "80-100": 0}
	var contexts []float64
	for _, rec := range recs {
		buckets[contextBuckets[min(rec.Context/20, 4)]]++
		contexts = append(contexts, float64(rec.Context))
	}
	slices.Sort(contexts)
	quality := qualityHistogram{Scored: len(recs), Buckets: buckets}
	if len(contexts) > 0 {
		quality.Median = f(contexts[(len(contexts)+1)/2-1])
	}
	one := func(v float64) durationStats { return durationStats{Count: 1, Median: f(v), P90: f(v)} }
	two := durationStats{Count: 2, Median: f(firsts[0]), P90: f(firsts[1])}
	want := sharingMetrics{
		From: m.From, To: m.To,
		Organizations: orgActivity{
			Submitting: orgCounts{Total: 1, ByType: map[string]int{"national-cert": 1}, ByCountry: map[string]int{"FR": 1}},
			Consuming: orgCounts{Total: 2, ByType: map[string]int{"national-cert": 1, "federal": 1},
				ByCountry: map[string]int{"FR": 1, "US": 1}},
		},
		Objects: objectFlow{Shared: 3, Received: received, ByDay: []dayFlow{{Day: tearline.Day(sub.Received).Format("2006-01-02"),
			Shared: 3, Received: received}}},
		Submissions: submissionCounts{Total: 3, ByState: map[string]int{"answered": 1, "received": 2}},
		ToAvailable: durationStats{Count: 3, Median: f(avail[1]), P90: f(avail[2])},
		ToAcknowledge: groupedDurations{durationStats: one(ack), Waiting: 2,
			ByPartner: map[string]durationStats{"CERT-FR": one(ack)}, ByPartnerType: map[string]durationStats{"national-cert": one(ack)}},
		ToFeedback: groupedDurations{durationStats: two, Waiting: 1,
			ByPartner: map[string]durationStats{"CERT-FR": two}, ByPartnerType: map[string]durationStats{"national-cert": two}},
		// The indicator got a sighting and an opinion, the answer and the
		// request nothing of the kind; the notes of another organization
		// are the hub's question and its translator's note on the request.
		Feedback: feedbackFigures{Objects: 3, WithAny: 1, Rate: 1.0 / 3, Sightings: 1, Opinions: 1, Notes: 2},
		Quality:  quality,
	}
	if d := cmp.Diff(want, m, cmp.AllowUnexported(sharingMetrics{}, groupedDurations{})); d != "" {
		t.Errorf("sharing metrics (-want +got):\n%s", d)
	}
	if len(page.Objects) != 8 {
		t.Errorf("the partner read %d objects, want the indicator, four feedback objects, the request, the translation and its note", len(page.Objects))
	}
	// The same figures in Prometheus form (over 30 days).
	r = e.admin("admin", http.MethodGet, "/metrics", nil)
	expect(t, r, http.StatusOK)
	for _, line := range []string{
		`tearline_sharing_objects{direction="shared"} 3`,
		fmt.Sprintf(`tearline_sharing_objects{direction="received"} %d`, received),
		fmt.Sprintf(`tearline_sharing_feedback_rate %g`, 1.0/3),
		`tearline_sharing_organizations{activity="submitting",country="FR",type="all"} 1`,
		`tearline_sharing_organizations{activity="consuming",country="all",type="national-cert"} 1`,
		`tearline_sharing_waiting_submissions{measure="acknowledge"} 2`,
		fmt.Sprintf(`tearline_sharing_seconds{measure="acknowledge",quantile="0.5"} %g`, ack),
	} {
		if !strings.Contains(string(r.body), line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	// Only the hub's analysts and admins read the metrics.
	expect(t, e.admin("analyst", http.MethodGet, "/api/v1/metrics/sharing/", nil), http.StatusForbidden)
}

// storedIn returns the latest versions stored in c.
func (e *exchangeEnv) storedIn(c *tearline.Collection) []*tearline.Entry {
	e.t.Helper()
	page, err := e.db.QueryObjects(context.Background(), tearline.ObjectQuery{CollectionID: c.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Entries
}

// TestFeedbackBadInput: an object the caller may not see is the 404 of a
// missing one, malformed forms name the faulty member, floods are
// limited per key.
func TestFeedbackBadInput(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.FeedbackLimit = limit.Config{Rate: 0.001, Burst: 16}
	e := newExchangeEnv(t, cfg)
	e.add(e.intel, indicator(1, 0))
	e.grant(e.other, "Contributor Org", true, true)
	e.add(e.other, indicator(2, 0)) // the partner has no grant on other
	red := sdo("indicator", 3, fmt.Sprintf(`"pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":%q`, baseTime.Format(millisLayout)))
	red = red[:len(red)-len(`"`+marking.TLP2Green+`"]}`)] + `"` + marking.TLP2Red + `"]}`
	e.add(e.intel, red) // TLP:RED from the contributor: not for the partner
	sighting := map[string]any{"kind": "sighting"}

	missing := e.feedback("partner", objID("indicator", 99), sighting)
	expect(t, missing, http.StatusNotFound)
	for _, id := range []string{objID("indicator", 2), objID("indicator", 3)} {
		r := e.feedback("partner", id, sighting)
		expect(t, r, http.StatusNotFound)
		var got, want errorResource
		r.decode(t, &got)
		missing.decode(t, &want)
		if got.Title != want.Title || len(got.Description) != len(want.Description) {
			t.Errorf("feedback on a withheld object %s: %s, unlike a missing one: %s", id, r.body, missing.body)
		}
	}
	ind := objID("indicator", 1)
	for _, tc := range []struct {
		form map[string]any
		want string
	}{
		{map[string]any{}, "feedback.kind: missing"},
		{map[string]any{"kind": "praise"}, "feedback.kind: \"praise\""},
		{map[string]any{"kind": "sighting", "count": -1}, "feedback.count: -1 is outside"},
		{map[string]any{"kind": "sighting", "first_seen": "yesterday"}, "feedback.first_seen: \"yesterday\" is not a timestamp"},
		{map[string]any{"kind": "sighting", "where_sighted_refs": []string{"malware--1"}}, "feedback.where_sighted_refs[0]:"},
		{map[string]any{"kind": "sighting", "opinion": "agree"}, "feedback.opinion: does not apply to kind \"sighting\""},
		{map[string]any{"kind": "opinion"}, "feedback.opinion: missing"},
		{map[string]any{"kind": "opinion", "opinion": "meh"}, "feedback.opinion: \"meh\": want one of"},
		{map[string]any{"kind": "question"}, "feedback.content: missing"},
		{map[string]any{"kind": "answer", "content": "x"}, "feedback.in_reply_to: missing"},
		{map[string]any{"kind": "answer", "content": "x", "in_reply_to": objID("note", 404)}, "feedback.in_reply_to: no note"},
		{map[string]any{"kind": "note", "content": "x", "object_marking_refs": []string{"tlp:red"}}, "feedback.object_marking_refs[0]:"},
		{map[string]any{"kind": "sighting", "colour": "red"}, "unknown field \"colour\""},
	} {
		r := e.feedback("partner", ind, tc.form)
		expect(t, r, http.StatusBadRequest)
		var er errorResource
		r.decode(t, &er)
		if !strings.Contains(er.Description, tc.want) {
			t.Errorf("form %v: %q, want it to say %q", tc.form, er.Description, tc.want)
		}
	}
	// A reader may not submit feedback at all.
	expect(t, e.feedback("reader", ind, sighting), http.StatusForbidden)
	// The burst of 16 is used up by now (3 look-ups, 13 forms): a flood is refused.
	r := e.feedback("partner", ind, sighting)
	expect(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Another key is not held back by the flood.
	e.feedbackID("hub", ind, sighting)
}

// sortedCopy returns a sorted copy of s.
func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// TestFeedbackNotifiesSubmitter: feedback on an object without
// created_by_ref reaches the organization that submitted it.
func TestFeedbackNotifiesSubmitter(t *testing.T) {
	t.Parallel()
	e := newExchangeEnv(t, dissemConfig())
	recv := newReceiver(t)
	e.subscribe("CERT-FR", "feedback on ours", `{"feedback": true}`, recv.ts.URL+"/hook")
	r := e.post("partner", colPath(e.intel, "objects/"), envelope(indicator(5, 0)))
	expect(t, r, http.StatusAccepted)
	sighting := e.feedbackID("hub", objID("indicator", 5), map[string]any{"kind": "sighting", "count": 1})
	recv.wait("a sighting of the partner's indicator", hasAll(sighting))
}

// TestTriageBackgroundSubmission: a submission processed in the
// background gets its triage record once complete, with every object it
// stored; the host's own submissions get none.
func TestTriageBackgroundSubmission(t *testing.T) {
	t.Parallel()
	e := newExchangeEnv(t, testConfig())
	ch := e.saves()
	objs := indicators(1, 101, 0) // more than SyncObjects
	r := e.post("partner", colPath(e.intel, "objects/"), envelope(objs...))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.Status != tearline.StatusPending {
		t.Fatalf("a large submission answered %+v", st)
	}
	expect(t, e.admin("partner", http.MethodGet, "/api/v1/submissions/"+st.ID+"/", nil), http.StatusNotFound)
	done := completion(t, ch)
	if len(done.Successes) != 101 {
		t.Fatalf("completed with %d successes", len(done.Successes))
	}
	sub := e.submission("hub", st.ID)
	if len(sub.Objects) != 101 || sub.Objects[0] != objID("indicator", 1) || sub.State != tearline.TriageReceived || sub.ToAvailable <= 0 {
		t.Fatalf("the background submission's record: %d objects, %+v", len(sub.Objects), sub.State)
	}
	// The host's analysts submit too, untriaged.
	r = e.post("hub", colPath(e.intel, "objects/"), envelope(indicator(500, 0)))
	expect(t, r, http.StatusAccepted)
	r.decode(t, &st)
	expect(t, e.admin("hub", http.MethodGet, "/api/v1/submissions/"+st.ID+"/", nil), http.StatusNotFound)
}

// TestApprovedFeedback: a note held by the PII policy counts as feedback
// once an analyst approves it.
func TestApprovedFeedback(t *testing.T) {
	t.Parallel()
	e := newReviewEnv(t, nil)
	e.add(e.intel, indicator(1, 0))
	e.setPII(e.intel, "review", false)
	st := e.submit("contributor", e.intel, piiNote(1, ""))
	if len(st.Pendings) != 1 {
		t.Fatalf("status %+v", st)
	}
	ex := e.db.(tearline.Exchanges)
	refs := func() int {
		fs, err := ex.ListFeedback(context.Background(), []string{objID("indicator", 1)}, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return len(fs)
	}
	if n := refs(); n != 0 {
		t.Fatalf("%d feedback references before the approval", n)
	}
	// Every object held: no triage record until one is approved.
	if _, err := ex.FindSubmission(context.Background(), st.ID); tearline.ErrorCode(err) != tearline.ENOTFOUND {
		t.Fatalf("triage record of a submission held whole: %v", err)
	}
	expect(t, e.admin("reviewer", "POST", "/api/v1/review/"+reviewOfDetail(t, st.Pendings[0])+"/approve/", map[string]any{"action": "redact"}), http.StatusOK)
	if n := refs(); n != 1 {
		t.Fatalf("%d feedback references after the approval, want 1", n)
	}
	sub, err := ex.FindSubmission(context.Background(), st.ID)
	if err != nil || sub.OrgID != e.orgs["Contributor Org"].ID || sub.State != tearline.TriageReceived ||
		!slices.Equal(sub.Objects, []string{st.Pendings[0].ID}) || dateAdded(sub.Received) != st.RequestTimestamp {
		t.Errorf("triage record after the approval: %+v, %v", sub, err)
	}
}

// TestTriageHidesWithheldObjects has a partner submit a TLP:GREEN and a
// TLP:RED indicator: the hosting organization's analysts triage the
// submission but are told only the id of the object they may receive,
// and how many others there are; the partner sees both.
func TestTriageHidesWithheldObjects(t *testing.T) {
	t.Parallel()
	e := newExchangeEnv(t, dissemConfig())
	partner := e.orgs["CERT-FR"]
	extra := func(n int) string {
		return fmt.Sprintf(`"created_by_ref":%q,"name":"c2 %d","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":%q`,
			partner.ID, n, n, baseTime.Format(millisLayout))
	}
	green := sdo("indicator", 1, extra(1))
	red := strings.Replace(sdo("indicator", 2, extra(2)), marking.TLP2Green, marking.TLP2Red, 1)
	r := e.post("partner", colPath(e.intel, "objects/"), envelope(green, red))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.SuccessCount != 2 {
		t.Fatalf("submission: %s", r.body)
	}
	greenID, redID := objID("indicator", 1), objID("indicator", 2)

	if sub := e.submission("partner", st.ID); !slices.Equal(sub.Objects, []string{greenID, redID}) || sub.ObjectsWithheld != 0 {
		t.Errorf("the partner's own submission: %+v", sub)
	}
	for _, path := range []string{"/api/v1/submissions/" + st.ID + "/", "/api/v1/submissions/"} {
		r := e.admin("hub", http.MethodGet, path, nil)
		expect(t, r, http.StatusOK)
		if strings.Contains(string(r.body), redID) {
			t.Errorf("GET %s tells the host the TLP:RED object's id: %s", path, r.body)
		}
		if !strings.Contains(string(r.body), greenID) || !strings.Contains(string(r.body), `"objects_withheld":1`) {
			t.Errorf("GET %s: %s", path, r.body)
		}
	}
}
