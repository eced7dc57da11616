package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/ui/uitest"
)

// unlabelledJS lists the form fields of the page that have no label.
const unlabelledJS = `[...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
  .filter(e => !e.labels || e.labels.length === 0).map(e => e.id || e.name)`

// resultsJS lists the names in the search results, in order.
const resultsJS = `[...document.querySelectorAll("#results tr.result td:first-child")].map(e => e.textContent.trim())`

// The TLP colours of the banners (FIRST TLP 2.0), as the browser computes
// them.
const (
	green = "rgb(51, 255, 0)"
	amber = "rgb(255, 192, 0)"
	red   = "rgb(255, 43, 43)"
)

// TestSignIn signs in with the keyboard only (user name and password),
// with an API token, and with a wrong password, and signs out.
func TestSignIn(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()

	t.Run("keyboard", func(t *testing.T) {
		b := newTab(t, srv)
		b.open("/ui/")
		if path := eval[string](b, `location.pathname`); path != "/ui/signin" {
			b.fatalf("/ui/ without a session went to %s, want /ui/signin", path)
		}
		if lang := eval[string](b, `document.documentElement.lang`); lang != "en" {
			t.Errorf("html lang = %q", lang)
		}
		if u := eval[[]string](b, unlabelledJS); len(u) > 0 {
			t.Errorf("sign-in fields without a label: %v", u)
		}
		b.shot("signin")
		// The skip link comes first, then the form: Tab reaches the user
		// name, the password and the button in that order.
		seen := b.tabTo("username", 5)
		if seen[0] != "a.skip" {
			t.Errorf("the first Tab focused %s, want the skip link", seen[0])
		}
		b.press("alice")
		b.press(kb.Tab)
		if id := eval[string](b, `document.activeElement.id`); id != "password" {
			b.fatalf("Tab from the user name focused %q, want password", id)
		}
		b.press(uitest.Password)
		b.press(kb.Tab)
		if id := eval[string](b, `document.activeElement.id`); id != "signin-submit" {
			b.fatalf("Tab from the password focused %q, want the sign-in button", id)
		}
		if st := b.navigate("press Enter on the sign-in button", chromedp.KeyEvent(kb.Enter)); st != 200 {
			b.fatalf("sign-in: status %d", st)
		}
		if path := eval[string](b, `location.pathname`); path != "/ui/dashboard" {
			b.fatalf("signed in, at %s", path)
		}
		if who := b.text("#whoami"); !strings.Contains(who, "alice") || !strings.Contains(who, "Alpha CERT") {
			t.Errorf("whoami = %q", who)
		}
		// The skip link moves the focus to the content.
		b.press(kb.Tab)
		if cls := eval[string](b, `document.activeElement.className`); cls != "skip" {
			b.fatalf("the first Tab on the dashboard focused %q, want the skip link", cls)
		}
		b.press(kb.Enter)
		b.waitFor("the focus on the content", `document.activeElement && document.activeElement.id === "main"`)
		b.clean("dashboard")

		if st := b.click("#signout"); st != 200 {
			b.fatalf("sign out: status %d", st)
		}
		b.open("/ui/dashboard")
		if path := eval[string](b, `location.pathname`); path != "/ui/signin" {
			b.fatalf("the dashboard after signing out: at %s, want the sign-in page", path)
		}
	})

	t.Run("token", func(t *testing.T) {
		b := newTab(t, srv)
		b.open("/ui/signin")
		b.do("type the token", chromedp.SendKeys(chromedp.ID("token"), d.AlphaReaderToken))
		if st := b.click("#signin-token-submit"); st != 200 {
			b.fatalf("sign in with a token: status %d", st)
		}
		if who := b.text("#whoami"); !strings.Contains(who, "Alpha CERT") || !strings.Contains(who, "reader") {
			t.Errorf("whoami with a reader token = %q", who)
		}
		b.clean("dashboard")
	})

	t.Run("wrong password", func(t *testing.T) {
		b := newTab(t, srv)
		b.open("/ui/signin")
		b.do("fill the form",
			chromedp.SendKeys(chromedp.ID("username"), "alice"),
			chromedp.SendKeys(chromedp.ID("password"), "not the password"))
		if st := b.click("#signin-submit"); st == 200 || st == 303 {
			t.Errorf("a wrong password: status %d", st)
		}
		if msg := b.text("#signin-error"); msg == "" {
			t.Error("no error message for a wrong password")
		}
		if n := eval[int](b, `document.querySelectorAll("#whoami").length`); n != 0 {
			t.Error("a wrong password signed in")
		}
	})
}

// TestBrowse signs in, reads the dashboard, searches, opens an object and
// checks its properties, banners and graph, and looks up an observable.
func TestBrowse(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	b := newTab(t, srv)
	b.signIn("alice")

	// Dashboard: Alpha's three objects and Bravo's campaign, not Bravo's
	// TLP:RED malware.
	if n := b.text("#new-total"); n != "4" {
		t.Errorf("dashboard: %s new objects, want 4", n)
	}
	if n := eval[int](b, `document.querySelectorAll("section[aria-labelledby=h-volume] svg").length`); n != 1 {
		t.Errorf("dashboard: %d volume charts, want 1", n)
	}
	if latest := b.text("#latest"); !strings.Contains(latest, "Emotet C2 address") || strings.Contains(latest, "RedSecret") {
		t.Errorf("dashboard latest arrivals:\n%s", latest)
	}
	b.checkBanners("dashboard", "TLP:AMBER", amber)
	b.shot("dashboard")
	b.clean("dashboard")

	// Search from the navigation, with words and then a type.
	if st := b.click("#nav-search"); st != 200 {
		b.fatalf("search page: status %d", st)
	}
	if u := eval[[]string](b, unlabelledJS); len(u) > 0 {
		t.Errorf("search fields without a label: %v", u)
	}
	b.do("type words", chromedp.SendKeys(chromedp.ID("q"), "Emotet"))
	b.click("#search-submit")
	got := eval[[]string](b, resultsJS)
	slices.Sort(got)
	if want := []string{"Emotet", "Emotet C2 address", "Spring Emotet wave"}; !slices.Equal(got, want) {
		t.Errorf("search Emotet: %q, want %q", got, want)
	}
	b.shot("search")
	b.clean("search")
	b.do("choose a type", chromedp.SetValue(chromedp.ID("type"), "malware"))
	b.click("#search-submit")
	if got := eval[[]string](b, resultsJS); !slices.Equal(got, []string{"Emotet"}) {
		t.Fatalf("search Emotet malware: %q", got)
	}

	// The object page.
	if st := b.click("#results tr.result a"); st != 200 {
		b.fatalf("object page: status %d", st)
	}
	if name := b.text("#object-name"); name != "Emotet" {
		t.Errorf("object name %q", name)
	}
	if tlp := b.text("#object-tlp"); tlp != "TLP:GREEN" {
		t.Errorf("object marking %q", tlp)
	}
	props := eval[map[string]string](b, `Object.fromEntries([...document.querySelectorAll("#properties tr")]
		.map(r => [r.querySelector("th").textContent.trim(), r.querySelector("td").textContent.trim()]))`)
	for k, v := range map[string]string{"name": "Emotet", "description": "Banking trojan turned loader", "id": d.Malware, "is_family": "true"} {
		if props[k] != v {
			t.Errorf("property %s = %q, want %q (all: %v)", k, props[k], v, props)
		}
	}
	// The markings section names the marking definitions, beside their id.
	if m := b.text("#markings"); !strings.Contains(m, "TLP:GREEN") || !strings.Contains(m, marking.TLP2Green) {
		t.Errorf("markings section: %q", m)
	}
	// The banners cover the graph: Emotet is TLP:GREEN, the indicator its
	// graph names TLP:AMBER.
	b.checkBanners("object", "TLP:AMBER", amber)
	nodes := b.waitGraph()
	if nodes != 2 { // Emotet and the indicator that indicates it
		t.Errorf("graph of Emotet: %d nodes, want 2", nodes)
	}
	if refs := b.text("#referrers"); !strings.Contains(refs, d.Relationship) {
		t.Errorf("referrers of Emotet:\n%s", refs)
	}
	if n := eval[int](b, `document.querySelectorAll("#versions li").length`); n != 1 {
		t.Errorf("%d versions, want 1", n)
	}
	b.shot("object")
	b.clean("object")
	// A graph of one node is not zoomed in on it.
	b.open("/ui/objects/" + d.Campaign)
	if n := b.waitGraph(); n != 1 {
		t.Errorf("graph of the campaign: %d nodes, want 1", n)
	}
	if z := eval[float64](b, `Number(document.getElementById("graph").dataset.zoom) || -1`); z <= 0 || z > 1.5 {
		t.Errorf("graph of one node: zoom %v, want at most 1.5", z)
	}
	b.shot("object-one-node")
	b.clean("campaign")

	// Observable lookup.
	b.click("#nav-lookup")
	b.do("type a value", chromedp.SendKeys(chromedp.ID("value"), "198.51.100.7"))
	b.click("#lookup-submit")
	if objs := b.text("#lookup-objects"); !strings.Contains(objs, "Emotet C2 address") {
		t.Errorf("lookup 198.51.100.7:\n%s", objs)
	}
	b.clean("lookup")
}

// checkBanners checks the marking banners at the top and the bottom of the
// page: their text and their TLP colour.
func (b *tab) checkBanners(page, text, colour string) {
	b.t.Helper()
	for _, id := range []string{"banner-top", "banner-bottom"} {
		if got := b.text("#" + id); got != text {
			b.t.Errorf("%s: %s says %q, want %q", page, id, got, text)
		}
		if got := eval[string](b, fmt.Sprintf(`getComputedStyle(document.getElementById(%q)).color`, id)); got != colour {
			b.t.Errorf("%s: %s in %s, want %s", page, id, got, colour)
		}
	}
	// The top banner is at the top of the page and the bottom one below
	// the content.
	if !eval[bool](b, `document.getElementById("banner-top").getBoundingClientRect().top <= 1 &&
		document.getElementById("banner-bottom").getBoundingClientRect().top >= document.getElementById("main").getBoundingClientRect().bottom`) {
		b.t.Errorf("%s: the banners are not at the top and the bottom", page)
	}
}

// waitGraph waits until cytoscape drew the object's graph on its canvas
// and returns the number of nodes the page says it drew.
func (b *tab) waitGraph() int {
	b.t.Helper()
	b.waitFor("the graph data", `document.getElementById("graph").dataset.loaded`)
	// Drawn: some canvas of the graph has a pixel that is not transparent.
	b.waitFor("the graph drawn", `[...document.querySelectorAll("#graph canvas")].some(c => {
		if (!c.width || !c.height) { return false; }
		const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		for (let i = 3; i < px.length; i += 4) { if (px[i]) { return true; } }
		return false;
	})`)
	return eval[int](b, `Number(document.getElementById("graph").dataset.loaded)`)
}

// graphJSON fetches the graph data of an object as the page does and
// returns the status and the body.
func (b *tab) graphJSON(id string) (int, string) {
	b.t.Helper()
	r := eval[struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}](b, fmt.Sprintf(`fetch("/ui/objects/%s/graph", {credentials: "same-origin", headers: {"Accept": "application/json"}})
		.then(r => r.text().then(body => ({status: r.status, body})))`, id))
	return r.Status, r.Body
}

// TestRedNeverVisible checks that Bravo's TLP:RED malware never shows to
// Alpha's analyst: not in the dashboard, search results, object page nor
// graph, even with a GREEN relationship from it to an object Alpha sees;
// Bravo's analyst sees it (so the checks can fail).
func TestRedNeverVisible(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	rel := "relationship--" + uuid.NewString()
	srv.Post(d.BravoToken, d.Intel, fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"relationship_type":"variant-of","source_ref":%q,"target_ref":%q,"created_by_ref":%q,"object_marking_refs":[%q]}`,
		rel, uitest.Stamp, uitest.Stamp, d.RedMalware, d.Malware, d.Bravo.ID, marking.TLP2Green))
	secrets := []string{"RedSecret", "Only for Bravo", d.RedMalware}
	// leaks checks what a page shows (its text and its links), and the
	// graph data, for the TLP:RED malware; a page at a URL that names it
	// may say the id it was asked.
	leaks := func(b *tab, page string) {
		t.Helper()
		shown := eval[string](b, `document.body.innerText + "\n" +
			[...document.querySelectorAll("[href], [src], [data-src]")].map(e => e.getAttribute("href") || e.getAttribute("src") || e.getAttribute("data-src")).join("\n")`)
		asked := eval[string](b, `location.href`)
		for _, s := range secrets {
			if strings.Contains(shown, s) && !strings.Contains(asked, s) {
				t.Errorf("%s shows %q to Alpha", page, s)
			}
		}
	}

	alice := newTab(t, srv)
	alice.signIn("alice")
	leaks(alice, "the dashboard")
	for _, q := range []struct{ words, tlp string }{{"RedSecret", ""}, {"Emotet", ""}, {"", "TLP:RED"}, {"variant", ""}} {
		alice.open("/ui/search")
		alice.do("fill the search form",
			chromedp.SendKeys(chromedp.ID("q"), q.words),
			chromedp.SetValue(chromedp.ID("tlp"), q.tlp))
		alice.click("#search-submit")
		leaks(alice, fmt.Sprintf("search %q %q", q.words, q.tlp))
		if q.tlp != "" {
			if n := eval[int](alice, `document.querySelectorAll("#results tr.result").length`); n != 0 {
				t.Errorf("search TLP:RED: %d results for Alpha", n)
			}
		}
	}
	if st := alice.open("/ui/objects/" + d.RedMalware); st != 404 {
		t.Errorf("the TLP:RED object's page: status %d, want 404", st)
	}
	if msg := alice.text("#error-message"); !strings.Contains(msg, "404") {
		t.Errorf("the TLP:RED object's page says %q", msg)
	}
	leaks(alice, "the TLP:RED object's page")
	alice.shot("not-found")
	if st, body := alice.graphJSON(d.RedMalware); st != 404 || strings.Contains(body, "RedSecret") {
		t.Errorf("the TLP:RED object's graph: %d %s", st, body)
	}
	// Emotet's graph: the GREEN relationship from the TLP:RED malware is
	// there, its source is not.
	alice.open("/ui/objects/" + d.Malware)
	nodes := alice.waitGraph()
	st, body := alice.graphJSON(d.Malware)
	if st != 200 || strings.Contains(body, d.RedMalware) || strings.Contains(body, "RedSecret") {
		t.Errorf("Emotet's graph for Alpha: %d %s", st, body)
	}
	if nodes != 2 {
		t.Errorf("Emotet's graph for Alpha: %d nodes, want 2 (Emotet and its indicator)", nodes)
	}
	leaks(alice, "Emotet's page")
	alice.clean("Emotet's page")

	// Bravo sees its own TLP:RED malware, under a red banner, in its
	// search and in Emotet's graph.
	bob := newTab(t, srv)
	bob.signIn("bob")
	bob.open("/ui/search?q=RedSecret")
	if got := eval[[]string](bob, resultsJS); !slices.Equal(got, []string{"RedSecret Emotet variant"}) {
		t.Errorf("bob's search RedSecret: %q", got)
	}
	if st := bob.click("#results tr.result a"); st != 200 {
		bob.fatalf("bob's TLP:RED object: status %d", st)
	}
	bob.checkBanners("bob's TLP:RED object", "TLP:RED", red)
	bob.shot("object-red")
	bob.open("/ui/objects/" + d.Malware)
	if nodes := bob.waitGraph(); nodes != 3 {
		t.Errorf("Emotet's graph for Bravo: %d nodes, want 3", nodes)
	}
	if _, body := bob.graphJSON(d.Malware); !strings.Contains(body, "RedSecret") {
		t.Errorf("Emotet's graph for Bravo lacks the TLP:RED malware: %s", body)
	}
}
