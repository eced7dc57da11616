package e2e

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/ui/uitest"
)

// TestEditHeld holds a note with personal data for review; an analyst
// opens it from the review queue, edits its JSON (first into malformed
// JSON, whose fault the page shows next to the form), and approves the
// edited version, which is the one stored.
func TestEditHeld(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	api := func(method, path, token, ctype, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ctype)
		if strings.HasPrefix(ctype, "application/taxii") {
			req.Header.Set("Accept", ctype)
		}
		res, err := srv.HTTP.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, body := api(http.MethodPatch, "/api/v1/collections/"+d.Intel.ID+"/", srv.Key(d.Alpha, tearline.RoleAdmin), "application/json", `{"pii":"review"}`); st != http.StatusOK {
		t.Fatalf("PATCH the PII policy: %d %s", st, body)
	}
	note := "note--" + uuid.NewString()
	obj := func(content string) string {
		return fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"content":%q,"object_refs":[%q],"created_by_ref":%q,"object_marking_refs":[%q]}`,
			note, uitest.Stamp, uitest.Stamp, content, d.Malware, d.Alpha.ID, marking.TLP2Green)
	}
	const taxiiType = "application/taxii+json;version=2.1"
	if st, body := api(http.MethodPost, "/taxii2/default/collections/"+d.Intel.ID+"/objects/", srv.Key(d.Alpha, tearline.RoleContributor), taxiiType,
		`{"objects":[`+obj("Call jane.doe@corp.co.uk about it")+`]}`); st != http.StatusAccepted || !strings.Contains(body, `"pending_count":1`) {
		t.Fatalf("POST the note: %d %s", st, body)
	}

	b := newTab(t, srv)
	b.signIn("alice")
	b.click("#nav-review")
	link := fmt.Sprintf(`[...document.querySelectorAll("#pii-holds tr")].find(r => r.textContent.includes(%q)).querySelector("a[id^=edit-]")`, note)
	if st := b.navigate("open the edit page", chromedp.Click(chromedp.JSPath(link))); st != 200 {
		b.fatalf("edit page: status %d", st)
	}
	if u := eval[[]string](b, unlabelledJS); len(u) > 0 {
		t.Errorf("edit page fields without a label: %v", u)
	}
	if f := b.text("#edit-findings"); !strings.Contains(f, "content") {
		t.Errorf("the findings do not name the path content: %q", f)
	}
	if text := eval[string](b, `document.getElementById("edit-object").value`); !strings.Contains(text, "jane.doe@corp.co.uk") {
		t.Errorf("the form does not hold the held note: %q", text)
	}
	b.checkBanners("edit page", "TLP:GREEN", green)
	b.clean("edit page")

	// Malformed JSON: the fault's line and column, the text kept.
	b.do("break the JSON", chromedp.SetValue(chromedp.ID("edit-object"), "{\n  \"type\": \"note\",\n  oops\n}"))
	if st := b.click("#edit-approve"); st != 400 {
		t.Errorf("malformed JSON: status %d, want 400", st)
	}
	if msg := b.text("#edit-error"); !strings.Contains(msg, "line 3, column") {
		t.Errorf("malformed JSON: %q", msg)
	}
	if inv := eval[string](b, `document.getElementById("edit-object").getAttribute("aria-invalid")`); inv != "true" {
		t.Errorf("the refused field is not marked invalid: %q", inv)
	}
	// The address left in: the API names the path.
	b.do("edit the text", chromedp.SetValue(chromedp.ID("edit-object"), obj("Mail jane.doe@corp.co.uk")))
	if st := b.click("#edit-approve"); st != 400 {
		t.Errorf("personal data left: status %d, want 400", st)
	}
	if msg := b.text("#edit-error"); !strings.Contains(msg, "content") || !strings.Contains(msg, "personal data") {
		t.Errorf("personal data left: %q", msg)
	}
	b.shot("review-edit")
	// Fixed, and sent from the keyboard: the reason, then Enter.
	b.do("fix the text", chromedp.SetValue(chromedp.ID("edit-object"), obj("Call the contact about it")))
	b.do("focus the reason", chromedp.Focus(chromedp.ID("edit-reason")))
	b.press("address removed")
	if st := b.navigate("press Enter in the reason", chromedp.KeyEvent(kb.Enter)); st != 200 {
		b.fatalf("approve the edited note: status %d", st)
	}
	if msg := b.text("#review-done"); msg == "" {
		t.Error("no confirmation of the decision")
	}
	if st := b.open("/ui/objects/" + note); st != 200 {
		b.fatalf("the approved note's page: status %d", st)
	}
	if props := b.text("#properties"); !strings.Contains(props, "Call the contact about it") || strings.Contains(props, "jane.doe") {
		t.Errorf("the stored note is not the edited one:\n%s", props)
	}
	b.clean("the approved note")
}

// TestSectorSearch searches by sector in the browser: a campaign that
// targets a bank is found under financial services, and not a campaign
// whose target only its originator may see.
func TestSectorSearch(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	obj := func(typ, id, org, tlp, props string) string {
		return fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"created":%q,"modified":%q,"created_by_ref":%q,"object_marking_refs":[%q],%s}`,
			typ, id, uitest.Stamp, uitest.Stamp, org, tlp, props)
	}
	bank, heist, secret := "identity--"+uuid.NewString(), "campaign--"+uuid.NewString(), "identity--"+uuid.NewString()
	// Bravo's campaign targets a bank only Bravo may see.
	srv.Post(d.BravoToken, d.Intel,
		obj("identity", secret, d.Bravo.ID, marking.TLP2Red, `"name":"Secret Bank","identity_class":"organization","sectors":["financial-services"]`),
		obj("relationship", "relationship--"+uuid.NewString(), d.Bravo.ID, marking.TLP2Red,
			fmt.Sprintf(`"relationship_type":"targets","source_ref":%q,"target_ref":%q`, d.Campaign, secret)))
	srv.Post(d.AlphaAnalystToken, d.Intel,
		obj("identity", bank, d.Alpha.ID, marking.TLP2Green, `"name":"Acme Bank","identity_class":"organization","sectors":["financial-services"]`),
		obj("campaign", heist, d.Alpha.ID, marking.TLP2Green, `"name":"Bank heist"`),
		obj("relationship", "relationship--"+uuid.NewString(), d.Alpha.ID, marking.TLP2Green,
			fmt.Sprintf(`"relationship_type":"targets","source_ref":%q,"target_ref":%q`, heist, bank)))

	b := newTab(t, srv)
	b.signIn("alice")
	b.click("#nav-search")
	b.do("choose a type and a sector",
		chromedp.SetValue(chromedp.ID("type"), "campaign"),
		chromedp.SetValue(chromedp.ID("sector"), "financial-services"))
	if st := b.click("#search-submit"); st != 200 {
		b.fatalf("sector search: status %d", st)
	}
	if got := eval[[]string](b, resultsJS); !slices.Equal(got, []string{"Bank heist"}) {
		t.Errorf("campaigns targeting financial services: %q, want only Bank heist", got)
	}
	if v := eval[string](b, `document.getElementById("sector").value`); v != "financial-services" {
		t.Errorf("the sector chosen is not kept: %q", v)
	}
	b.shot("search-sector")
	b.clean("sector search")
	// Bravo sees its own campaign there too.
	bb := newTab(t, srv)
	bb.signIn("bob")
	bb.open("/ui/search?type=campaign&sector=financial-services")
	got := eval[[]string](bb, resultsJS)
	slices.Sort(got)
	if want := []string{"Bank heist", "Spring Emotet wave"}; !slices.Equal(got, want) {
		t.Errorf("bob's campaigns targeting financial services: %q, want %q", got, want)
	}
}
