package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/ui/uitest"
)

// TestSubmitIndicator fills the guided indicator form: the live pattern
// check flags a bad pattern, then accepts a good one; the submission shows
// its receipt, and the indicator opens with its relationship in the graph.
func TestSubmitIndicator(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	b := newTab(t, srv)
	b.signIn("alice")
	if st := b.click("#nav-submit"); st != 200 {
		b.fatalf("submit page: status %d", st)
	}
	if u := eval[[]string](b, unlabelledJS); len(u) > 0 {
		t.Errorf("submit fields without a label: %v", u)
	}
	b.do("fill the indicator form",
		chromedp.SendKeys(chromedp.ID("ind-name"), "Phishing landing page"),
		chromedp.SendKeys(chromedp.ID("ind-description"), "Credential phishing for the Emotet wave"),
		chromedp.SendKeys(chromedp.ID("ind-pattern"), "[domain-name:value = 'login-portal.example'"),
		chromedp.WaitVisible(chromedp.CSS("#pattern-check.error")))
	if msg := b.text("#pattern-check"); msg == "" || strings.Contains(msg, "valid") {
		t.Errorf("the check of a bad pattern says %q", msg)
	}
	b.shot("submit-bad-pattern")
	b.do("correct the pattern",
		chromedp.SendKeys(chromedp.ID("ind-pattern"), "]"),
		chromedp.WaitVisible(chromedp.CSS("#pattern-check.ok")))
	if msg := b.text("#pattern-check"); msg != "The pattern is valid." {
		t.Errorf("the check of a good pattern says %q", msg)
	}
	b.do("fill the context",
		chromedp.SetValue(chromedp.ID("ind-type"), "malicious-activity"),
		chromedp.SendKeys(chromedp.ID("ind-phase"), "initial-access"),
		chromedp.SendKeys(chromedp.ID("ind-related"), d.Malware),
		chromedp.SendKeys(chromedp.ID("ind-confidence"), "80"),
		chromedp.SetValue(chromedp.ID("ind-tlp"), "TLP:GREEN"))
	b.shot("submit")
	b.clean("submit")
	if st := b.click("#indicator-submit"); st != 200 {
		b.fatalf("submit the indicator: status %d", st)
	}
	// The indicator and its "indicates" relationship to Emotet.
	for sel, want := range map[string]string{"#receipt-status": "complete", "#receipt-success": "2", "#receipt-failure": "0", "#receipt-pending": "0"} {
		if got := b.text(sel); got != want {
			t.Errorf("receipt %s = %q, want %q", sel, got, want)
		}
	}
	b.shot("receipt")
	b.clean("receipt")
	// The receipt names the indicator (the relationship has no name).
	if names := b.text("#receipt-successes"); !strings.Contains(names, "Phishing landing page") {
		t.Errorf("the receipt does not name the indicator:\n%s", names)
	}
	if st := b.navigate("open the indicator", chromedp.Click(chromedp.JSPath(
		`[...document.querySelectorAll("#receipt-successes a")].find(a => a.getAttribute("href").startsWith("/ui/objects/indicator--"))`))); st != 200 {
		b.fatalf("the submitted indicator: status %d", st)
	}
	if name := b.text("#object-name"); name != "Phishing landing page" {
		t.Errorf("the submitted indicator is called %q", name)
	}
	props := b.text("#properties")
	for _, want := range []string{"[domain-name:value = 'login-portal.example']", "initial-access", "malicious-activity", "80", marking.TLP2Green} {
		if !strings.Contains(props, want) {
			t.Errorf("the submitted indicator lacks %q:\n%s", want, props)
		}
	}
	if n := b.waitGraph(); n != 2 {
		t.Errorf("the submitted indicator's graph: %d nodes, want 2 (it and Emotet)", n)
	}
	b.clean("the submitted indicator")
}

// The XSS payloads: each sets window.__xss if it ever runs. The portal's
// CSP would stop most of them anyway, so the tests also check that each
// shows as the literal text it is.
const (
	xssName = `<img src=x onerror="window.__xss='name'">`
	xssDesc = `</textarea><script>window.__xss='description'</script><svg onload="window.__xss='svg'">`
)

// TestXSS submits payloads in names, descriptions, external references
// and a custom property, through the guided form and a pasted bundle, and
// checks in the pages that show them that none ran or became markup.
func TestXSS(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	b := newTab(t, srv)
	b.signIn("alice")

	b.click("#nav-submit")
	b.do("fill the indicator form",
		chromedp.SendKeys(chromedp.ID("ind-name"), xssName),
		chromedp.SetValue(chromedp.ID("ind-description"), xssDesc),
		chromedp.SendKeys(chromedp.ID("ind-pattern"), "[ipv4-addr:value = '203.0.113.9']"),
		chromedp.WaitVisible(chromedp.CSS("#pattern-check.ok")))
	if st := b.click("#indicator-submit"); st != 200 || b.text("#receipt-success") != "1" {
		b.fatalf("submit the indicator: status %d", st)
	}
	indicator := eval[string](b, `document.querySelector("#receipt-successes a").getAttribute("href").replace("/ui/objects/", "")`)

	malware := "malware--" + uuid.NewString()
	bundle := fmt.Sprintf(`{"type":"bundle","id":"bundle--%s","objects":[{"type":"malware","spec_version":"2.1","id":%q,
		"created":%q,"modified":%q,"name":%q,"description":%q,"is_family":true,"created_by_ref":%q,"object_marking_refs":[%q],
		"external_references":[{"source_name":%q,"url":"javascript:window.__xss='url'","description":%q},{"source_name":"x","external_id":%q}],
		"x_tearline_comment":%q}]}`,
		uuid.NewString(), malware, uitest.Stamp, uitest.Stamp, xssName, xssDesc, d.Alpha.ID, marking.TLP2Green,
		xssName, xssDesc, `"><script>window.__xss='external_id'</script>`, xssDesc)
	b.open("/ui/submit")
	b.do("paste the bundle", chromedp.SetValue(chromedp.ID("bundle-text"), bundle))
	if st := b.click("#bundle-submit"); st != 200 || b.text("#receipt-success") != "1" {
		b.fatalf("submit the bundle: status %d", st)
	}

	for _, page := range []string{"/ui/objects/" + indicator, "/ui/objects/" + malware, "/ui/dashboard",
		"/ui/search?q=onerror", "/ui/search?q=svg"} {
		if st := b.open(page); st != 200 {
			b.fatalf("%s: status %d", page, st)
		}
		if strings.HasPrefix(page, "/ui/objects/") {
			if name := eval[string](b, `document.getElementById("object-name").textContent`); name != xssName {
				t.Errorf("%s: the name shows as %q, want the literal payload", page, name)
			}
			if props := b.text("#properties"); !strings.Contains(props, xssDesc) {
				t.Errorf("%s: the description is not shown literally:\n%s", page, props)
			}
			b.waitGraph()
		} else if n := eval[int](b, fmt.Sprintf(`[...document.querySelectorAll("a")].filter(a => a.textContent === %q).length`, xssName)); n == 0 {
			t.Errorf("%s: no link shows the payload name literally", page)
		}
		if ran := eval[string](b, `String(window.__xss)`); ran != "undefined" {
			t.Errorf("%s: the payload in %s ran", page, ran)
		}
		if n := eval[[]string](b, `[...document.querySelectorAll("img, svg[onload], [onerror], [onload], iframe, object, embed, script:not([src])")]
			.filter(e => !e.closest("#graph") && !e.closest("section[aria-labelledby=h-volume]")).map(e => e.outerHTML)`); len(n) > 0 {
			t.Errorf("%s: markup from a payload: %q", page, n)
		}
		if n := eval[[]string](b, `[...document.querySelectorAll("a[href], [src], form[action]")]
			.map(e => e.getAttribute("href") || e.getAttribute("src") || e.getAttribute("action"))
			.filter(u => /^\s*javascript:/i.test(u))`); len(n) > 0 {
			t.Errorf("%s: javascript: URLs: %q", page, n)
		}
		b.clean(page)
	}
	b.open("/ui/objects/" + malware)
	if refs := b.text("#external-references"); !strings.Contains(refs, xssName) || !strings.Contains(refs, "window.__xss='external_id'") {
		t.Errorf("the external references do not show their text literally:\n%s", refs)
	}
	b.shot("object-xss")
}

// TestReview holds a submission with personal data for review; its
// submitter may not approve it, another user of the organization does in
// the review queue, and the approved object opens.
func TestReview(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	// The collection's PII policy is set through the admin API, which the
	// server's cache follows.
	req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/v1/collections/"+d.Intel.ID+"/", strings.NewReader(`{"pii":"review"}`))
	req.Header.Set("Authorization", "Bearer "+srv.Key(d.Alpha, tearline.RoleAdmin))
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH the PII policy: %s", res.Status)
	}

	b := newTab(t, srv)
	b.signIn("alice")
	note := "note--" + uuid.NewString()
	b.click("#nav-submit")
	b.do("paste a note with an e-mail address", chromedp.SetValue(chromedp.ID("bundle-text"), fmt.Sprintf(
		`{"type":"bundle","objects":[{"type":"note","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"content":"Call jane.doe@corp.co.uk about it","object_refs":[%q],"created_by_ref":%q,"object_marking_refs":[%q]}]}`,
		note, uitest.Stamp, uitest.Stamp, d.Malware, d.Alpha.ID, marking.TLP2Green)))
	if st := b.click("#bundle-submit"); st != 200 {
		b.fatalf("submit the note: status %d", st)
	}
	if p := b.text("#receipt-pending"); p != "1" {
		b.fatalf("the note's receipt: %s pending, want 1", p)
	}
	if st := b.open("/ui/objects/" + note); st != 404 {
		t.Errorf("the held note's page: status %d, want 404", st)
	}

	if st := b.click("#nav-review"); st != 200 {
		b.fatalf("review page: status %d", st)
	}
	held := b.text("#pii-holds")
	// The submitter shows as its organization's name.
	if !strings.Contains(held, note) || !strings.Contains(held, "Alpha CERT") || strings.Contains(held, d.Alpha.ID) {
		b.fatalf("the review queue does not list the held note by Alpha CERT:\n%s", held)
	}
	if u := eval[[]string](b, unlabelledJS); len(u) > 0 {
		t.Errorf("review fields without a label: %v", u)
	}
	b.shot("review")
	b.clean("review")
	// Alice submitted it: another analyst must decide, and alice is
	// offered no decision on it. Root decides.
	row := fmt.Sprintf(`[...document.querySelectorAll("#pii-holds tr")].find(r => r.textContent.includes(%q))`, note)
	if n := eval[int](b, row+`.querySelectorAll("button").length`); n != 0 {
		t.Errorf("alice is offered %d decisions on her own submission", n)
	}
	if msg := eval[string](b, row+`.querySelector("[id^=own-]").textContent`); !strings.Contains(msg, "another analyst decides") {
		t.Errorf("alice's own submission says %q", msg)
	}
	approve := chromedp.Click(chromedp.JSPath(row + `.querySelector("button[id^=approve-]")`))
	b = newTab(t, srv)
	b.signIn("root")
	b.click("#nav-review")
	if st := b.navigate("approve", approve); st != 200 {
		b.fatalf("approve: status %d", st)
	}
	if msg := b.text("#review-done"); msg == "" {
		t.Error("no confirmation of the decision")
	}
	if held := b.text("#pii-holds"); strings.Contains(held, note) {
		t.Errorf("the approved note is still held:\n%s", held)
	}
	if st := b.open("/ui/objects/" + note); st != 200 {
		b.fatalf("the approved note's page: status %d", st)
	}
	if props := b.text("#properties"); !strings.Contains(props, "jane.doe@corp.co.uk") {
		t.Errorf("the approved note:\n%s", props)
	}
	b.clean("the approved note")
}
