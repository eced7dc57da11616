package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/tearline/tearline/ui/uitest"
)

// chrome is the one browser process every test opens tabs in, started by
// the first test that needs it and stopped by TestMain.
var chrome struct {
	once    sync.Once
	ctx     context.Context // the browser's chromedp context
	stop    func()
	skip    string // why the tests skip: no Chromium
	err     error  // Chromium is there but did not start
	profile string
}

// tabTimeout bounds what one test does in the browser. Generous: the
// machine is small and shared.
const tabTimeout = 90 * time.Second

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.stop != nil {
		chrome.stop()
	}
	os.Exit(code)
}

// chromiumPath finds the browser: TEARLINE_CHROMIUM, else Debian's
// chromium, else the usual names on the path.
func chromiumPath() (string, error) {
	if p := os.Getenv("TEARLINE_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium executable")
}

// startChrome starts headless Chromium once. The flags keep it off the
// network (the test machines have none: without them it waits on
// connections to update, sync and QUIC endpoints) and give it a fresh
// profile.
func startChrome() {
	path, err := chromiumPath()
	if err != nil {
		chrome.skip = "headless Chromium is not installed (Debian package chromium, which .ci/run installs as root; or set TEARLINE_CHROMIUM): the browser tests skip"
		return
	}
	if chrome.profile, err = os.MkdirTemp("", "tearline-chromium-"); err != nil {
		chrome.err = err
		return
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(chrome.profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Tabs of parallel tests run at full speed when not in front.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-ipc-flooding-protection", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	chrome.stop = func() {
		cancel()
		cancelAlloc()
		os.RemoveAll(chrome.profile)
	}
	// No timeout here: the context of the first run is the browser's life.
	// A browser that cannot start makes chromedp fail, not hang: it reads
	// the pipe until the process exits.
	if err := chromedp.Do(ctx); err != nil {
		chrome.err = fmt.Errorf("start %s: %w", path, err)
		return
	}
	chrome.ctx = ctx
}

// tab is one browser tab in a browser context of its own (its own
// cookies), on a portal server.
type tab struct {
	t   *testing.T
	ctx context.Context
	srv *uitest.Server
}

// needChrome starts the browser, or skips t when there is none; tests
// call it first, before they start a server for nothing.
func needChrome(t *testing.T) {
	t.Helper()
	chrome.once.Do(startChrome)
	if chrome.skip != "" {
		t.Skip(chrome.skip)
	}
	if chrome.err != nil {
		t.Fatal(chrome.err)
	}
}

// newTab opens a tab for t on srv, or skips t when there is no browser.
// The tab closes when t ends.
func newTab(t *testing.T, srv *uitest.Server) *tab {
	t.Helper()
	needChrome(t)
	tabCtx, cancel := chromedp.NewContext(chrome.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	if _, err := chromedp.Call(tabCtx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: watchJS}); err != nil {
		t.Fatalf("watch the pages: %v", err)
	}
	ctx, cancelDeadline := context.WithTimeout(tabCtx, tabTimeout)
	t.Cleanup(cancelDeadline)
	return &tab{t: t, ctx: ctx, srv: srv}
}

// watchJS runs in every document before its own scripts: it records
// script errors, failed loads and Content-Security-Policy violations,
// which a page of the portal should never have (an injected inline
// handler would show here as a violation).
const watchJS = `window.__problems = [];
addEventListener("error", function (e) {
  var t = e.target;
  __problems.push(t && t !== window ? "failed to load " + t.tagName + " " + (t.src || t.href || "") : "script error: " + e.message);
}, true);
addEventListener("unhandledrejection", function (e) { __problems.push("unhandled rejection: " + e.reason); });
document.addEventListener("securitypolicyviolation", function (e) {
  __problems.push("CSP " + e.violatedDirective + " refused " + e.blockedURI + " at " + e.sourceFile + ":" + e.lineNumber);
});`

// clean fails the test when the page had a script error, a failed load
// or a CSP violation: none is allowed, not even cytoscape.js's own <style>
// element, which the CSP allows by its hash.
func (b *tab) clean(page string) {
	b.t.Helper()
	if bad := eval[[]string](b, `window.__problems || []`); len(bad) > 0 {
		b.t.Errorf("%s: %q", page, bad)
	}
}

// fatalf fails the test with where the tab is and what it shows.
func (b *tab) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len(text) > 2000 {
		text = text[:2000] + "..."
	}
	b.t.Fatalf("%s\nat %s, showing:\n%s", msg, loc, text)
}

// do runs steps and fails the test at the first error.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// open loads a portal path and returns the HTTP status of the document.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.url(path)))
	if err != nil {
		b.fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// url returns the absolute URL of a portal path.
func (b *tab) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.srv.URL + path
}

// navigate runs steps that load a new document (a click on a link or a
// submit button) and returns the document's HTTP status once it loaded.
func (b *tab) navigate(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, steps...)
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	return res.Status
}

// click clicks the element sel selects and waits for the page it loads.
func (b *tab) click(sel string) int64 {
	b.t.Helper()
	return b.navigate("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// text returns the visible text of the first element sel selects,
// waiting for it to be there.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// bodyText returns the text the page shows.
func (b *tab) bodyText() string {
	b.t.Helper()
	return eval[string](b, `document.body.innerText`)
}

// html returns the page's markup as the browser holds it now.
func (b *tab) html() string {
	b.t.Helper()
	return eval[string](b, `document.documentElement.outerHTML`)
}

// eval evaluates a JavaScript expression in the page (awaiting a
// promise) and decodes its value.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until a JavaScript expression is truthy in the page,
// checking every 50 ms until the test's deadline.
func (b *tab) waitFor(what, expr string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0))); err != nil {
		b.fatalf("wait for %s (%s): %v", what, expr, err)
	}
}

// press sends one key to the focused element.
func (b *tab) press(key string) {
	b.t.Helper()
	b.do("press a key", chromedp.KeyEvent(key))
}

// tabTo presses Tab until the element with id has the focus, at most
// max times, and returns the ids focused on the way.
func (b *tab) tabTo(id string, max int) []string {
	b.t.Helper()
	var seen []string
	for range max {
		b.press(kb.Tab)
		got := eval[string](b, `document.activeElement ? (document.activeElement.id || document.activeElement.tagName.toLowerCase() + "." + document.activeElement.className) : ""`)
		seen = append(seen, got)
		if got == id {
			return seen
		}
	}
	b.fatalf("Tab %d times never reached #%s; focus went %v", max, id, seen)
	return nil
}

// shot saves a screenshot of the whole page as name.png.
func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(screenshotDir(b.t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}

// screenshotDir is TEARLINE_UI_SCREENSHOTS (created when missing), or a
// temporary directory of the test.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TEARLINE_UI_SCREENSHOTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// signIn signs in on the sign-in page with a user name and Password and
// waits for the dashboard.
func (b *tab) signIn(user string) {
	b.t.Helper()
	b.open("/ui/signin")
	b.do("fill the sign-in form",
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), uitest.Password))
	if st := b.click("#signin-submit"); st != 200 {
		b.fatalf("sign in as %s: status %d", user, st)
	}
	if who := b.text("#whoami"); !strings.Contains(who, user) {
		b.fatalf("signed in as %s, the page says %q", user, who)
	}
}
