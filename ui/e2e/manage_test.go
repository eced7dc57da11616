package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/tearline/tearline/ui/uitest"
)

// TestManageKeysAndSubscriptions creates an API key and a subscription
// through the portal's forms, as an admin, in the browser: the key form
// with the keyboard only, the subscription form first with a filter the
// API refuses (its message shows next to the form, the fields keep their
// values) and then with a good one. Each secret is shown once.
func TestManageKeysAndSubscriptions(t *testing.T) {
	t.Parallel()
	needChrome(t)
	srv := uitest.Start(t, uitest.Options{})
	srv.Seed()
	b := newTab(t, srv)
	b.signIn("root")

	if st := b.click("#nav-keys"); st != 200 {
		b.fatalf("keys page: status %d", st)
	}
	if u := eval[[]string](b, unlabelledJS); len(u) > 0 {
		t.Errorf("keys page fields without a label: %v", u)
	}
	b.do("fill the key form",
		chromedp.SetValue(chromedp.ID("key-role"), "reader"),
		chromedp.Focus(chromedp.ID("key-description")),
		chromedp.SendKeys(chromedp.ID("key-description"), "SIEM connector"))
	b.tabTo("key-create-submit", 3)
	if st := b.navigate("submit the key form with Enter", chromedp.KeyEvent(kb.Enter)); st != 200 {
		b.fatalf("create a key: status %d", st)
	}
	token := eval[string](b, `document.getElementById("form-secret").value`)
	if len(token) < 20 || !strings.Contains(b.text("#form-notice"), "not shown again") {
		b.fatalf("no token shown once after creating a key (%q)", token)
	}
	if keys := b.text("#keys"); !strings.Contains(keys, "SIEM connector") || !strings.Contains(keys, "reader") {
		t.Errorf("the new key is not listed: %s", keys)
	}
	b.shot("key-created")
	b.clean("keys")

	if st := b.click("#nav-subscriptions"); st != 200 {
		b.fatalf("subscriptions page: status %d", st)
	}
	if u := eval[[]string](b, unlabelledJS); len(u) > 0 {
		t.Errorf("subscriptions page fields without a label: %v", u)
	}
	b.do("fill the subscription form with a bad filter",
		chromedp.SendKeys(chromedp.ID("sub-name"), "Phishing indicators"),
		chromedp.SetValue(chromedp.ID("sub-filter"), `{"types": "indicator"}`),
		chromedp.SendKeys(chromedp.ID("sub-webhook"), "http://127.0.0.1:1/hook"))
	if st := b.click("#subscription-create-submit"); st != 400 {
		b.fatalf("a bad filter: status %d, want 400", st)
	}
	if msg := b.text("#subscription-create-error"); !strings.HasPrefix(msg, "filter") {
		t.Errorf("the API's message for a bad filter: %q", msg)
	}
	if name := eval[string](b, `document.getElementById("sub-name").value`); name != "Phishing indicators" {
		t.Errorf("after the error the name field holds %q", name)
	}
	b.shot("subscription-error")
	b.do("correct the filter", chromedp.SetValue(chromedp.ID("sub-filter"), `{"types": ["indicator"], "min_confidence": 50}`))
	if st := b.click("#subscription-create-submit"); st != 200 {
		b.fatalf("create a subscription: status %d", st)
	}
	if secret := eval[string](b, `document.getElementById("form-secret").value`); secret == "" {
		t.Error("no webhook secret shown after creating a subscription")
	}
	if subs := b.text("#subscriptions"); !strings.Contains(subs, "Phishing indicators") || !strings.Contains(subs, "127.0.0.1:1/hook") {
		t.Errorf("the new subscription is not listed: %s", subs)
	}
	b.shot("subscription-created")
	b.clean("subscriptions")

	// The secret is shown in the answer to the form only.
	b.open("/ui/keys")
	if strings.Contains(b.html(), token) {
		t.Error("the keys page shows the token again")
	}
}
