package ui_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/ui/uitest"
)

// holdNote sets collection intel's PII policy to review and submits, with
// token, a TLP:AMBER note holding an e-mail address, which is held. It
// returns the note's id.
func holdNote(t *testing.T, srv *uitest.Server, d *uitest.Seeded, token string) string {
	t.Helper()
	preq, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/v1/collections/"+d.Intel.ID+"/", strings.NewReader(`{"pii":"review"}`))
	preq.Header.Set("Authorization", "Bearer "+srv.Key(d.Alpha, tearline.RoleAdmin))
	preq.Header.Set("Content-Type", "application/json")
	res, err := srv.HTTP.Client().Do(preq)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH the PII policy: %s", res.Status)
	}
	id := "note--" + uuid.NewString()
	raw := fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"content":"Call jane.doe@corp.co.uk about it","object_refs":[%q],"created_by_ref":%q,"object_marking_refs":[%q]}`,
		id, uitest.Stamp, uitest.Stamp, d.Malware, d.Alpha.ID, marking.TLP2Amber)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/taxii2/default/collections/"+d.Intel.ID+"/objects/", strings.NewReader(`{"objects":[`+raw+`]}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	res, err = srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted || !strings.Contains(string(st), `"pending_count":1`) {
		t.Fatalf("POST of a note with an e-mail address: %s %s", res.Status, st)
	}
	return id
}

// TestEditHeldObject checks the review queue's edit form: an analyst
// edits a held note's JSON and approves the edited version through the
// API; refused edits show the fault (the JSON path, or the line and column
// of malformed JSON) next to the form with the text kept, and the form
// needs the CSRF token.
func TestEditHeldObject(t *testing.T) {
	t.Parallel()
	bothStores(t, editHeldObject)
}

func editHeldObject(t *testing.T, opts uitest.Options) {
	srv := uitest.Start(t, opts)
	d := srv.Seed()
	// Another key of Alpha submits: alice may decide.
	id := holdNote(t, srv, d, srv.Key(d.Alpha, tearline.RoleContributor))
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	p := b.get("/ui/review")
	m := regexp.MustCompile(`href="/ui/review/pii/([^/]+)/edit"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no edit link on the review queue: %s", p.body)
	}
	rv := m[1]
	// The edit page holds the held object, escaped, under a label, the
	// paths of the findings, and the banner of the TLP:AMBER note.
	p = b.get("/ui/review/pii/" + rv + "/edit")
	if p.status != http.StatusOK || !strings.Contains(p.body, `<label for="edit-object">`) ||
		!strings.Contains(p.body, html.EscapeString(`"content": "Call jane.doe@corp.co.uk about it"`)) ||
		!strings.Contains(p.body, "at <code>content</code>") {
		t.Errorf("the edit page does not show the held object and its findings: %d %s", p.status, p.body)
	}
	if n := strings.Count(p.body, `">TLP:AMBER</div>`); n != 2 {
		t.Errorf("the edit page of a TLP:AMBER note has %d TLP:AMBER banners, want 2", n)
	}
	// The edit page of a review outside one's collections is a 404, as in the API.
	if p := b.get("/ui/review/pii/" + uuid.NewString() + "/edit"); p.status != http.StatusNotFound {
		t.Errorf("edit page of an unknown review: %d", p.status)
	}
	tok := b.token("/ui/review/pii/" + rv + "/edit")
	edited := func(content string) string {
		return fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"content":%s,"object_refs":[%q],"created_by_ref":%q,"object_marking_refs":[%q]}`,
			id, uitest.Stamp, uitest.Stamp, content, d.Malware, d.Alpha.ID, marking.TLP2Amber)
	}
	for _, tt := range []struct {
		name, object string
		status       int
		want         string
	}{
		{"malformed", "{\n  \"type\": \"note\",\n  \"content\": oops\n}", http.StatusBadRequest, "line 3, column"},
		{"two values", `{} {}`, http.StatusBadRequest, "more than one value"},
		{"wrong type", edited(`5`), http.StatusBadRequest, "object.content"},
		{"another id", strings.Replace(edited(`"Fine"`), id, "note--"+uuid.NewString(), 1), http.StatusBadRequest, "must keep the held object's id"},
		{"still personal", edited(`"Mail jane.doe@corp.co.uk"`), http.StatusBadRequest, "still holds personal data"},
	} {
		p := b.post("/ui/review/pii/"+rv+"/edit", url.Values{"csrf": {tok}, "object": {tt.object}})
		if p.status != tt.status || !strings.Contains(p.body, `id="edit-error"`) || !strings.Contains(html.UnescapeString(p.body), tt.want) {
			t.Errorf("%s: %d, want %d with %q: %s", tt.name, p.status, tt.status, tt.want, p.body)
		}
		// What was typed is kept in the form.
		if !strings.Contains(p.body, html.EscapeString(tt.object)) {
			t.Errorf("%s: the edited text is not kept", tt.name)
		}
	}
	// No CSRF token, no decision.
	if p := b.post("/ui/review/pii/"+rv+"/edit", url.Values{"object": {edited(`"Call the contact about it"`)}}); p.status != http.StatusForbidden {
		t.Errorf("edit without a CSRF token: %d", p.status)
	}
	// A reader may not decide: the API refuses it.
	r := newBrowser(t, srv)
	r.mustSignIn("reader")
	if p := r.post("/ui/review/pii/"+rv+"/edit", url.Values{"csrf": {r.token("/ui/review")}, "object": {edited(`"Call the contact"`)}}); p.status < 400 {
		t.Errorf("a reader's edit: %d", p.status)
	}
	if p := b.get("/ui/objects/" + id); p.status != http.StatusNotFound {
		t.Fatalf("the held note is visible before approval: %d", p.status)
	}
	p = b.post("/ui/review/pii/"+rv+"/edit", url.Values{"csrf": {tok}, "object": {edited(`"Call the contact about it"`)}, "reason": {"address removed"}})
	if p.status != http.StatusSeeOther || p.loc != "/ui/review?done=pii-edit" {
		t.Fatalf("approve the edited note: %d %s", p.status, p.body)
	}
	p = b.get("/ui/objects/" + id)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Call the contact about it") || strings.Contains(p.body, "jane.doe") {
		t.Errorf("the stored note is not the edited one: %d", p.status)
	}
	if p := b.get("/ui/review"); strings.Contains(p.body, "hold-"+rv) {
		t.Error("the approved note is still in the queue")
	}
}
