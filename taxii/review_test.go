package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/marking"
)

// Personal data in the test notes and what redaction makes of it.
const (
	piiEmail = "jane.doe@corp.co.uk"
	piiPhone = "+44 20 7946 0958"
	piiCard  = "4111 1111 1111 1111"
	// piiSpans is the receipt's list of the spans of piiNote.
	piiSpans = "content(email,19) content(phone,16) x_acme.ticket(card,19)"
)

// piiNote returns note n holding an email address, a phone number and a
// card number, with extra members (markings) appended when given.
func piiNote(n int, extra string) string {
	ts := baseTime.Format(millisLayout)
	s := fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"content":"Victim contact: %s,  tel %s.","object_refs":[%q],"x_acme":{"ticket":"card %s"}}`,
		objID("note", n), ts, ts, piiEmail, piiPhone, objID("indicator", 1), piiCard)
	if extra != "" {
		s = s[:len(s)-1] + "," + extra + "}"
	}
	return s
}

// redactedNote is piiNote(n, "") as the redact policy stores it.
func redactedNote(n int) string {
	return strings.NewReplacer(piiEmail, "[REDACTED:email]", piiPhone, "[REDACTED:phone]", piiCard, "[REDACTED:card]").Replace(piiNote(n, ""))
}

// reviewEnv is env with a Reviewer Org (analyst key "reviewer", write
// grant on intel), a second analyst key of the Contributor Org
// ("analyst2"), and a Bystander Org analyst ("bystander") with only a read
// grant on intel.
type reviewEnv struct{ *env }

func newReviewEnv(t *testing.T, cfg *Config) *reviewEnv {
	e := &reviewEnv{newEnv(t, cfg, false)}
	for _, name := range []string{"Reviewer Org", "Bystander Org"} {
		o := &tearline.Organization{Name: name, Type: "private", Country: "us"}
		if err := e.db.CreateOrganization(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		e.orgs[name] = o
	}
	e.tokens["reviewer"] = e.newKey(e.orgs["Reviewer Org"], tearline.RoleAnalyst)
	e.tokens["bystander"] = e.newKey(e.orgs["Bystander Org"], tearline.RoleAnalyst)
	e.tokens["analyst2"] = e.newKey(e.orgs["Contributor Org"], tearline.RoleAnalyst)
	e.grant(e.intel, "Reviewer Org", true, true)
	e.grant(e.intel, "Bystander Org", true, false)
	return e
}

// setPII sets the PII policy of c through the admin API.
func (e *reviewEnv) setPII(c *tearline.Collection, action string, identifiers bool) {
	e.t.Helper()
	r := e.admin("admin", "PATCH", "/api/v1/collections/"+c.ID+"/", map[string]any{"pii": action, "pii_identifiers": identifiers})
	expect(e.t, r, http.StatusOK)
	var j adminCollectionJSON
	r.decode(e.t, &j)
	if string(j.PII.Action) != action || j.PII.FlagIdentifiers != identifiers {
		e.t.Fatalf("collection after PATCH: %s", r.body)
	}
}

// submit posts objects to c as who and returns the status answered.
func (e *reviewEnv) submit(who string, c *tearline.Collection, objs ...string) statusResource {
	e.t.Helper()
	r := e.post(who, colPath(c, "objects/"), envelope(objs...))
	expect(e.t, r, http.StatusAccepted)
	var st statusResource
	r.decode(e.t, &st)
	return st
}

// status reads a status back as the contributor.
func (e *reviewEnv) status(id string) statusResource {
	e.t.Helper()
	r := e.get("contributor", "/taxii2/default/status/"+id+"/")
	expect(e.t, r, http.StatusOK)
	var st statusResource
	r.decode(e.t, &st)
	return st
}

// reviews lists the review queue as who.
func (e *reviewEnv) reviews(who, query string) []reviewJSON {
	e.t.Helper()
	r := e.admin(who, "GET", "/api/v1/review/"+query, nil)
	expect(e.t, r, http.StatusOK)
	var list struct{ Reviews []reviewJSON }
	r.decode(e.t, &list)
	return list.Reviews
}

// object returns the bytes of object id that who receives from c, or nil
// for a 404.
func (e *reviewEnv) object(who string, c *tearline.Collection, id string) []byte {
	e.t.Helper()
	r := e.get(who, colPath(c, "objects/"+id+"/"))
	if r.status == http.StatusNotFound {
		return nil
	}
	expect(e.t, r, http.StatusOK)
	var env envelopeResource
	r.decode(e.t, &env)
	if len(env.Objects) != 1 {
		e.t.Fatalf("object %s: %s", id, r.body)
	}
	return env.Objects[0]
}

// detail returns the detail of object id in the given list.
func detail(ds []tearline.StatusDetail, id string) (tearline.StatusDetail, bool) {
	for _, d := range ds {
		if d.ID == id {
			return d, true
		}
	}
	return tearline.StatusDetail{}, false
}

// piiReceipt keeps of a receipt message the warnings this feature writes
// (pii-* and duplicate), leaving out those of others (scores).
func piiReceipt(msg string) string {
	ws, ok := ingest.ParseWarnings(msg)
	if !ok {
		return msg
	}
	var keep []ingest.Warning
	for _, w := range ws {
		if strings.HasPrefix(w.Code, "pii-") || w.Code == ingest.WarnDuplicate {
			keep = append(keep, w)
		}
	}
	return ingest.FormatWarnings(keep)
}

// reviewOfDetail returns the review id named by a pii-held pending detail.
func reviewOfDetail(t *testing.T, d tearline.StatusDetail) string {
	t.Helper()
	ws, ok := ingest.ParseWarnings(d.Message)
	if !ok || len(ws) != 1 || ws[0].Code != ingest.WarnPIIHeld || !strings.HasPrefix(ws[0].Args[0], "review=") {
		t.Fatalf("pending detail %+v is not a pii-held receipt", d)
	}
	if got := strings.Join(ws[0].Args[1:], " "); got != piiSpans {
		t.Errorf("held spans %q, want %q", got, piiSpans)
	}
	return strings.TrimPrefix(ws[0].Args[0], "review=")
}

func TestPIIRedactOverTAXII(t *testing.T) {
	t.Parallel()
	e := newReviewEnv(t, nil)
	e.setPII(e.intel, "redact", false)
	note, clean := objID("note", 1), indicator(7, 0)
	st := e.submit("contributor", e.intel, piiNote(1, ""), clean)
	if st.Status != tearline.StatusComplete || st.SuccessCount != 2 {
		t.Fatalf("status %+v", st)
	}
	d, _ := detail(st.Successes, note)
	if piiReceipt(d.Message) != "warnings: pii-redacted "+piiSpans {
		t.Errorf("receipt of the note %q", d.Message)
	}
	if d, _ := detail(st.Successes, objID("indicator", 7)); piiReceipt(d.Message) != "" {
		t.Errorf("receipt of the clean indicator %q", d.Message)
	}
	// The reader receives the redacted copy, which differs from the
	// submitted bytes only in the spans.
	if got := e.object("reader", e.intel, note); string(got) != redactedNote(1) {
		t.Errorf("reader received %s\nwant %s", got, redactedNote(1))
	}
	for _, secret := range []string{piiEmail, piiPhone, piiCard} {
		if strings.Contains(string(e.object("contributor", e.intel, note)), secret) {
			t.Errorf("the stored copy holds %q", secret)
		}
	}
	// The same submission again: the same redacted version, a duplicate.
	st = e.submit("contributor", e.intel, piiNote(1, ""))
	if d, _ := detail(st.Successes, note); piiReceipt(d.Message) != "warnings: pii-redacted "+piiSpans+"; duplicate" {
		t.Errorf("receipt of the note sent again %q", d.Message)
	}
}

func TestPIIRejectOverTAXII(t *testing.T) {
	t.Parallel()
	e := newReviewEnv(t, nil)
	e.setPII(e.intel, "reject", false)
	st := e.submit("contributor", e.intel, piiNote(1, ""), indicator(7, 0))
	if st.Status != tearline.StatusComplete || st.SuccessCount != 1 || st.FailureCount != 1 {
		t.Fatalf("status %+v", st)
	}
	d, _ := detail(st.Failures, objID("note", 1))
	for _, want := range []string{"objects[0]", "personal data", "content(email,19)", "content(phone,16)", "x_acme.ticket(card,19)", "[pii]"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("failure %q lacks %q", d.Message, want)
		}
	}
	for _, secret := range []string{piiEmail, "7946", "4111"} {
		if strings.Contains(d.Message, secret) {
			t.Errorf("failure %q quotes the personal data", d.Message)
		}
	}
	if e.object("contributor", e.intel, objID("note", 1)) != nil {
		t.Error("a rejected object was stored")
	}
}

// TestPIIReviewOverTAXII holds two objects of one submission, shows them
// to reviewers, approves one as is and rejects the other, checking the
// status at each step and who may do what.
func TestPIIReviewOverTAXII(t *testing.T) {
	t.Parallel()
	e := newReviewEnv(t, nil)
	e.setPII(e.intel, "review", false)
	n1, n2 := objID("note", 1), objID("note", 2)
	st := e.submit("contributor", e.intel, piiNote(1, ""), indicator(7, 0), piiNote(2, ""))
	if st.Status != tearline.StatusPending || st.SuccessCount != 1 || st.PendingCount != 2 || len(st.Pendings) != 2 {
		t.Fatalf("status %+v", st)
	}
	d1, _ := detail(st.Pendings, n1)
	d2, _ := detail(st.Pendings, n2)
	r1, r2 := reviewOfDetail(t, d1), reviewOfDetail(t, d2)
	if d1.Version != "2024-03-01T12:00:00.000Z" {
		t.Errorf("pending detail version %q", d1.Version)
	}
	if e.object("contributor", e.intel, n1) != nil {
		t.Fatal("a held object is in the collection")
	}
	if got := e.status(st.ID); got.Status != tearline.StatusPending || got.PendingCount != 2 {
		t.Fatalf("status read back %+v", got)
	}

	// Who sees the queue.
	expect(t, e.admin("reader", "GET", "/api/v1/review/", nil), http.StatusForbidden)
	expect(t, e.admin("contributor", "GET", "/api/v1/review/", nil), http.StatusForbidden)
	if got := e.reviews("bystander", ""); len(got) != 0 {
		t.Errorf("an organization without write access sees %d reviews", len(got))
	}
	expect(t, e.admin("bystander", "GET", "/api/v1/review/"+r1+"/", nil), http.StatusNotFound)
	list := e.reviews("reviewer", "?status=pending")
	if len(list) != 2 || list[0].ID != r1 || list[1].ID != r2 || list[0].Object != nil {
		t.Fatalf("reviewer's queue %+v", list)
	}
	if l := list[0]; l.StatusID != st.ID || l.SubmitterOrg != e.orgs["Contributor Org"].ID || l.Access != "whole" ||
		len(l.Findings) != 3 || l.Findings[0] != (tearline.PIIFinding{Path: "content", Start: 16, End: 35, Kind: "email"}) {
		t.Errorf("queue entry %+v", l)
	}
	if got := e.reviews("admin", "?collection=intel"); len(got) != 2 {
		t.Errorf("admin sees %d reviews", len(got))
	}
	r := e.admin("reviewer", "GET", "/api/v1/review/"+r1+"/", nil)
	expect(t, r, http.StatusOK)
	var one reviewJSON
	r.decode(t, &one)
	var held struct{ Content string }
	if err := json.Unmarshal(one.Object, &held); err != nil {
		t.Fatal(err)
	}
	// The findings' offsets point into the decoded string.
	if f := one.Findings[0]; held.Content[f.Start:f.End] != piiEmail {
		t.Errorf("finding %+v covers %q", f, held.Content[f.Start:f.End])
	}

	// Who may decide.
	expect(t, e.admin("bystander", "POST", "/api/v1/review/"+r1+"/approve/", nil), http.StatusNotFound)
	expect(t, e.admin("reviewer", "POST", "/api/v1/review/"+r2+"/reject/", map[string]any{}), http.StatusBadRequest) // no reason

	// Approve the first as is: it is stored byte for byte, the status
	// shows it as a success and stays pending for the second.
	r = e.admin("analyst2", "POST", "/api/v1/review/"+r1+"/approve/", nil)
	expect(t, r, http.StatusOK)
	r.decode(t, &one)
	if one.Status != tearline.ReviewApproved || one.Decision != tearline.ApproveAsIs || !one.Stored || piiReceipt(one.Result) != "warnings: pii-approved as-is" {
		t.Errorf("approved review %+v", one)
	}
	if got := e.object("reader", e.intel, n1); string(got) != piiNote(1, "") {
		t.Errorf("approved object stored as %s", got)
	}
	expect(t, e.admin("reviewer", "POST", "/api/v1/review/"+r1+"/approve/", nil), http.StatusConflict)
	expect(t, e.admin("reviewer", "POST", "/api/v1/review/"+r1+"/reject/", map[string]any{"reason": "too late"}), http.StatusConflict)
	got := e.status(st.ID)
	if got.Status != tearline.StatusPending || got.SuccessCount != 2 || got.PendingCount != 1 || len(got.Pendings) != 1 {
		t.Fatalf("status after one approval %+v", got)
	}
	if d, _ := detail(got.Successes, n1); piiReceipt(d.Message) != "warnings: pii-approved as-is" {
		t.Errorf("success detail %+v", d)
	}

	// Reject the second: the status completes with it as a failure.
	r = e.admin("reviewer", "POST", "/api/v1/review/"+r2+"/reject/", map[string]any{"reason": "victim's contact details"})
	expect(t, r, http.StatusOK)
	got = e.status(st.ID)
	if got.Status != tearline.StatusComplete || got.SuccessCount != 2 || got.FailureCount != 1 || got.PendingCount != 0 {
		t.Fatalf("status after both decisions %+v", got)
	}
	if d, _ := detail(got.Failures, n2); d.Message != "rejected in review: victim's contact details" {
		t.Errorf("failure detail %+v", d)
	}
	if e.object("contributor", e.intel, n2) != nil {
		t.Error("a rejected object was stored")
	}
	if got := e.reviews("reviewer", "?status=pending"); len(got) != 0 {
		t.Errorf("%d reviews still pending", len(got))
	}
}

// TestReviewApproveRedactedAndEdited approves held objects redacted and
// edited, and refuses edits that change the id, stay invalid or keep
// personal data, and the submitter's own key.
func TestReviewApproveRedactedAndEdited(t *testing.T) {
	t.Parallel()
	e := newReviewEnv(t, nil)
	e.setPII(e.intel, "review", false)
	st := e.submit("analyst", e.intel, piiNote(1, ""), piiNote(2, ""))
	d1, _ := detail(st.Pendings, objID("note", 1))
	d2, _ := detail(st.Pendings, objID("note", 2))
	r1, r2 := reviewOfDetail(t, d1), reviewOfDetail(t, d2)

	r := e.admin("analyst", "POST", "/api/v1/review/"+r1+"/approve/", nil)
	expect(t, r, http.StatusForbidden)
	if !strings.Contains(string(r.body), "another analyst must decide") {
		t.Errorf("the submitter's own key refused with %s", r.body)
	}

	r = e.admin("reviewer", "POST", "/api/v1/review/"+r1+"/approve/", map[string]any{"action": "redact"})
	expect(t, r, http.StatusOK)
	var one reviewJSON
	r.decode(t, &one)
	if one.Decision != tearline.ApproveRedacted || piiReceipt(one.Result) != "warnings: pii-approved redacted; pii-redacted "+piiSpans {
		t.Errorf("redacted approval %+v", one)
	}
	if got := e.object("reader", e.intel, objID("note", 1)); string(got) != redactedNote(1) {
		t.Errorf("stored %s\nwant %s", got, redactedNote(1))
	}

	edited := strings.NewReplacer(piiEmail, "the victim", piiPhone, "(withheld)", piiCard, "(withheld)").Replace(piiNote(2, ""))
	for _, tt := range []struct {
		name, object, want string
	}{
		{"other id", strings.Replace(edited, objID("note", 2), objID("note", 3), 1), "must keep the held object's id"},
		{"invalid", strings.Replace(edited, `"object_refs":[`, `"object_refs":["nonsense",`, 1), "not valid STIX"},
		{"personal data", strings.Replace(edited, "the victim", "john.smith@corp-mail.net", 1), "content(email,24)"},
	} {
		r := e.admin("reviewer", "POST", "/api/v1/review/"+r2+"/approve/", map[string]any{"object": json.RawMessage(tt.object)})
		expect(t, r, http.StatusBadRequest)
		if !strings.Contains(string(r.body), tt.want) {
			t.Errorf("%s: refused with %s, want %q", tt.name, r.body, tt.want)
		}
	}
	r = e.admin("reviewer", "POST", "/api/v1/review/"+r2+"/approve/", map[string]any{"object": json.RawMessage(edited), "reason": "contact details removed"})
	expect(t, r, http.StatusOK)
	r.decode(t, &one)
	if one.Decision != tearline.ApproveEdited || one.Reason != "contact details removed" || !one.Stored {
		t.Errorf("edited approval %+v", one)
	}
	if got := e.object("reader", e.intel, objID("note", 2)); string(got) != edited {
		t.Errorf("stored %s\nwant %s", got, edited)
	}
	got := e.status(st.ID)
	if got.Status != tearline.StatusComplete || got.SuccessCount != 2 {
		t.Fatalf("status %+v", got)
	}
	if d, _ := detail(got.Successes, objID("note", 2)); piiReceipt(d.Message) != "warnings: pii-approved edited" {
		t.Errorf("edited success %+v", d)
	}
}

// TestReviewRace has analysts of two organizations approve and reject one
// held object at the same time: exactly one decision is taken and what is
// stored agrees with it.
func TestReviewRace(t *testing.T) {
	t.Parallel()
	e := newReviewEnv(t, nil)
	e.setPII(e.intel, "review", false)
	for round := range 3 {
		st := e.submit("contributor", e.intel, piiNote(10+round, ""))
		d, _ := detail(st.Pendings, objID("note", 10+round))
		id := reviewOfDetail(t, d)
		type try struct {
			who, verb string
			body      any
		}
		tries := []try{
			{"reviewer", "approve", map[string]any{"action": "redact"}},
			{"analyst2", "reject", map[string]any{"reason": "no"}},
			{"reviewer", "reject", map[string]any{"reason": "no"}},
			{"analyst2", "approve", nil},
		}
		codes := make([]int, len(tries))
		var wg sync.WaitGroup
		for i, tr := range tries {
			wg.Go(func() {
				codes[i] = e.admin(tr.who, "POST", "/api/v1/review/"+id+"/"+tr.verb+"/", tr.body).status
			})
		}
		wg.Wait()
		won := -1
		for i, c := range codes {
			switch c {
			case http.StatusOK:
				if won >= 0 {
					t.Fatalf("round %d: tries %d and %d both won (%v)", round, won, i, codes)
				}
				won = i
			case http.StatusConflict:
			default:
				t.Fatalf("round %d: try %d answered %d", round, i, c)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: nobody won (%v)", round, codes)
		}
		stored := e.object("contributor", e.intel, objID("note", 10+round))
		got := e.status(st.ID)
		switch tries[won].verb {
		case "approve":
			if stored == nil || got.SuccessCount != 1 {
				t.Errorf("round %d: approval won but stored %q, status %+v", round, stored, got)
			}
		case "reject":
			if stored != nil || got.FailureCount != 1 {
				t.Errorf("round %d: rejection won but stored %q, status %+v", round, stored, got)
			}
		}
		if got.Status != tearline.StatusComplete {
			t.Errorf("round %d: status %+v", round, got)
		}
	}
}

// TestReviewMarkings holds a TLP:RED object of the Contributor Org: the
// Reviewer Org's analyst, whom the access decision withholds it from, sees
// neither the object nor its findings and may not decide; an analyst of
// the originator's organization may.
func TestReviewMarkings(t *testing.T) {
	t.Parallel()
	e := newReviewEnv(t, nil)
	e.setPII(e.intel, "review", false)
	red := piiNote(1, `"created_by_ref":"`+e.orgs["Contributor Org"].ID+`",`+refs(marking.TLP2Red))
	st := e.submit("contributor", e.intel, red)
	d, _ := detail(st.Pendings, objID("note", 1))
	id := reviewOfDetail(t, d)

	r := e.admin("reviewer", "GET", "/api/v1/review/"+id+"/", nil)
	expect(t, r, http.StatusOK)
	var one reviewJSON
	r.decode(t, &one)
	if one.Access != "withhold" || string(one.Object) != "null" || len(one.Findings) != 0 {
		t.Errorf("withheld review shown as %s", r.body)
	}
	if strings.Contains(string(r.body), "REDACTED") || strings.Contains(string(r.body), "Victim") {
		t.Errorf("withheld review leaks content: %s", r.body)
	}
	r = e.admin("reviewer", "POST", "/api/v1/review/"+id+"/approve/", nil)
	expect(t, r, http.StatusForbidden)
	if !strings.Contains(string(r.body), "cleared for it must decide") {
		t.Errorf("refused with %s", r.body)
	}
	r = e.admin("analyst2", "GET", "/api/v1/review/"+id+"/", nil)
	expect(t, r, http.StatusOK)
	r.decode(t, &one)
	if one.Access != "whole" || len(one.Findings) != 3 {
		t.Errorf("originator's view %s", r.body)
	}
	expect(t, e.admin("analyst2", "POST", "/api/v1/review/"+id+"/approve/", map[string]any{"action": "redact"}), http.StatusOK)
	if got := e.status(st.ID); got.Status != tearline.StatusComplete || got.SuccessCount != 1 {
		t.Errorf("status %+v", got)
	}
}

// TestReviewBackground holds an object of a submission processed in the
// background: its status stays pending after processing, the review
// knows the submitting key, and the status completes on the decision.
func TestReviewBackground(t *testing.T) {
	t.Parallel()
	e := newReviewEnv(t, nil)
	e.setPII(e.intel, "review", false)
	saves := e.saves()
	objs := append(indicators(100, 150, 0), piiNote(1, ""))
	r := e.post("contributor", colPath(e.intel, "objects/"), envelope(objs...))
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	for {
		sv := receive(t, saves)
		close(sv.resume)
		if len(sv.Successes)+len(sv.Failures)+len(sv.Pendings) == len(objs) {
			if sv.Status.Status != tearline.StatusPending || len(sv.Pendings) != 1 {
				t.Fatalf("final saved status %+v", sv.Status)
			}
			break
		}
	}
	got := e.status(st.ID)
	if got.Status != tearline.StatusPending || got.SuccessCount != 150 || len(got.Pendings) != 1 {
		t.Fatalf("status %+v", got)
	}
	id := reviewOfDetail(t, got.Pendings[0])
	rv, err := e.db.FindReview(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.ParseToken(e.tokens["contributor"])
	if err != nil {
		t.Fatal(err)
	}
	if rv.SubmitterKey != tok.KeyID {
		t.Errorf("review submitter key %q, want the contributor's %q", rv.SubmitterKey, tok.KeyID)
	}
	expect(t, e.admin("reviewer", "POST", "/api/v1/review/"+id+"/reject/", map[string]any{"reason": "no"}), http.StatusOK)
	if got := e.status(st.ID); got.Status != tearline.StatusComplete || got.FailureCount != 1 {
		t.Errorf("status after the decision %+v", got)
	}
}

// TestPIIBadInput submits invalid UTF-8 and pathological text under the
// redact policy: each object gets a clear outcome, and the valid objects
// of the same envelope are stored.
func TestPIIBadInput(t *testing.T) {
	t.Parallel()
	e := newReviewEnv(t, nil)
	e.setPII(e.intel, "redact", true)
	ts := baseTime.Format(millisLayout)
	note := func(n int, content string) string {
		return fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"content":"%s","object_refs":[%q]}`,
			objID("note", n), ts, ts, content, objID("indicator", 1))
	}
	// Sizes are modest: package pii measures these shapes at 1 MiB; here
	// they go through the whole pipeline, under the race detector too.
	const phoneCount = 1 << 12
	digits := strings.Repeat("7", 1<<20)
	spaced := strings.Repeat("1 ", 1<<16)
	phones := strings.Repeat("+1 202-555-0143 ", phoneCount)
	ats := strings.Repeat("a@", 1<<16)
	objs := []string{
		note(1, "bad \xff\xfe bytes"),
		note(2, digits),
		note(3, spaced),
		note(4, phones),
		note(5, ats),
		indicator(7, 0),
	}
	r := e.do(req{method: http.MethodPost, path: colPath(e.intel, "objects/"), token: e.tokens["contributor"], body: envelope(objs...)})
	expect(t, r, http.StatusAccepted)
	var st statusResource
	r.decode(t, &st)
	if st.Status != tearline.StatusComplete || st.SuccessCount+st.FailureCount != len(objs) {
		t.Fatalf("status %+v", st)
	}
	// The id of an object that is not valid JSON cannot be read; the
	// failure names its place and the fault.
	if len(st.Failures) == 0 || !strings.Contains(st.Failures[0].Message, "objects[0].content") || !strings.Contains(strings.ToLower(st.Failures[0].Message), "utf-8") {
		t.Errorf("invalid UTF-8: failures %+v", st.Failures)
	}
	if _, ok := detail(st.Successes, objID("indicator", 7)); !ok {
		t.Error("the valid indicator of the envelope was not stored")
	}
	// Thousands of phone numbers: redacted, the receipt bounded.
	d, ok := detail(st.Successes, objID("note", 4))
	if !ok {
		t.Fatalf("phone numbers: %+v", st)
	}
	ws, _ := ingest.ParseWarnings(piiReceipt(d.Message))
	if len(ws) != 1 || len(ws[0].Args) != ingest.MaxSpanArgs+1 || ws[0].Args[ingest.MaxSpanArgs] != fmt.Sprintf("+%d", phoneCount-ingest.MaxSpanArgs) {
		t.Errorf("receipt of %d phone numbers: %d bytes, %d args", phoneCount, len(d.Message), len(ws[0].Args))
	}
	if got := e.object("contributor", e.intel, objID("note", 4)); strings.Contains(string(got), "202-555") {
		t.Error("a phone number was stored")
	}
	for _, n := range []int{2, 3, 5} {
		_, okS := detail(st.Successes, objID("note", n))
		f, okF := detail(st.Failures, objID("note", n))
		if !okS && !(okF && f.Message != "") {
			t.Errorf("note %d has no clear outcome", n)
		}
	}
}

// TestPIIProductRelease approves a tear-line product whose derived object
// holds an email address into a collection with the redact policy, and
// the admin API creates a collection with a policy: products go through
// the same pipeline.
func TestPIIProductRelease(t *testing.T) {
	t.Parallel()
	e := newProductEnv(t)
	r := e.admin("admin", "POST", "/api/v1/collections/", map[string]any{"alias": "scrubbed", "pii": "redact", "write": []string{"Contributor Org", "Reviewer Org"}})
	expect(t, r, http.StatusCreated)
	var col adminCollectionJSON
	r.decode(t, &col)
	if col.PII.Action != tearline.PIIRedact {
		t.Fatalf("created collection %s", r.body)
	}
	expect(t, e.admin("admin", "POST", "/api/v1/collections/", map[string]any{"alias": "bad", "pii": "scrub"}), http.StatusBadRequest)
	obj := strings.Replace(derived(2), `"name":"indicator 2"`, `"name":"indicator 2","description":"reported by jane.doe@corp.co.uk"`, 1)
	r = e.draft("analyst", e.sourceID, "scrubbed", obj)
	expect(t, r, http.StatusCreated)
	var p productJSON
	r.decode(t, &p)
	expect(t, e.admin("reviewer", "POST", "/api/v1/products/"+p.ID+"/approve", nil), http.StatusOK)
	c, err := e.db.FindCollection(context.Background(), "scrubbed")
	if err != nil {
		t.Fatal(err)
	}
	page, err := e.db.QueryObjects(context.Background(), tearline.ObjectQuery{CollectionID: c.ID, IDs: []string{objID("indicator", 2)}})
	if err != nil || len(page.Entries) != 1 {
		t.Fatalf("released object: %v, %v", page, err)
	}
	if raw := string(page.Entries[0].Raw); !strings.Contains(raw, `"reported by [REDACTED:email]"`) {
		t.Errorf("released object %s", raw)
	}
}
