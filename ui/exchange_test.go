package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ui/uitest"
)

// TestExchangePages sends feedback from the object page, triages the
// partner's submission in the inbox, and reads the directory and the
// sharing metrics, each as the API lets the user.
func TestExchangePages(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	if err := srv.DB.UpdateOrganization(t.Context(), &tearline.Organization{ID: d.Bravo.ID, Name: d.Bravo.Name, Type: "isac", Country: "GB",
		Contacts: []tearline.Contact{{Name: "Duty <b>officer</b>", Email: "duty@bravo.example", Phone: "+44 20 7946 0000"}}}); err != nil {
		t.Fatal(err)
	}
	alice, bob, reader := newBrowser(t, srv), newBrowser(t, srv), newBrowser(t, srv)
	alice.mustSignIn("alice")
	bob.mustSignIn("bob")
	reader.mustSignIn("reader")

	// Alice sights Bravo's campaign.
	p := alice.post("/ui/objects/"+d.Campaign+"/feedback", url.Values{"csrf": {alice.token("/ui/objects/" + d.Campaign)},
		"kind": {"sighting"}, "count": {"3"}, "where": {"mail gateway"}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.loc, "feedback=sent") {
		t.Fatalf("feedback: %d %s %s", p.status, p.loc, p.body)
	}
	if p := alice.get(p.loc); !strings.Contains(p.body, `id="feedback-sent"`) || !strings.Contains(p.body, "<td>sighting</td>") {
		t.Errorf("object page after feedback: %d", p.status)
	}
	// Feedback on an object alice may not see is the 404 of a missing one.
	if p := alice.post("/ui/objects/"+d.RedMalware+"/feedback", url.Values{"csrf": {alice.token("/ui/dashboard")}, "kind": {"note"}, "content": {"x"}}); p.status != http.StatusNotFound {
		t.Errorf("feedback on the TLP:RED object: %d, want 404", p.status)
	}

	// Alice's organization hosts the server: its analysts see Bravo's
	// submission in the inbox and triage it.
	p = alice.get("/ui/inbox")
	m := regexp.MustCompile(`action="/ui/inbox/([^/]+)/triage"`).FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || !strings.Contains(p.body, "Bravo ISAC") {
		t.Fatalf("inbox: %d %s", p.status, p.body)
	}
	if p := alice.post("/ui/inbox/"+m[1]+"/triage", url.Values{"csrf": {alice.token("/ui/inbox")}, "state": {"in-analysis"}, "note": {"looking"}}); p.status != http.StatusSeeOther {
		t.Fatalf("triage: %d %s", p.status, p.body)
	}
	if p := alice.get("/ui/inbox"); !strings.Contains(p.body, "in-analysis") || !strings.Contains(p.body, "looking") {
		t.Errorf("inbox after triage lacks the new state")
	}
	if p := reader.get("/ui/inbox"); strings.Contains(p.body, `action="/ui/inbox/`) {
		t.Errorf("a reader gets triage forms")
	}

	// The directory: alice shares "intel" with Bravo; contact text is
	// escaped.
	p = alice.get("/ui/directory")
	if p.status != http.StatusOK || !strings.Contains(p.body, "duty@bravo.example") || !strings.Contains(p.body, "Duty &lt;b&gt;officer&lt;/b&gt;") {
		t.Errorf("directory: %d %s", p.status, p.body)
	}

	// Sharing metrics on the dashboard for the host's analysts only.
	if p := alice.get("/ui/dashboard"); !strings.Contains(p.body, `id="feedback-rate"`) || !strings.Contains(p.body, `id="sharing-chart"`) {
		t.Errorf("alice's dashboard lacks the sharing metrics")
	}
	if p := bob.get("/ui/dashboard"); p.status != http.StatusOK || strings.Contains(p.body, `id="feedback-rate"`) {
		t.Errorf("bob's dashboard shows the host's sharing metrics (%d)", p.status)
	}
}
