// Package e2e holds the analyst portal's end-to-end tests: a whole
// Tearline server (ui/uitest) driven by headless Chromium through the
// DevTools protocol (github.com/chromedp/chromedp). They sign in, search,
// open objects, submit, review, and check that markings, CSRF defences and
// escaping hold in a real browser, saving screenshots of the main pages.
//
// The tests skip when no Chromium is installed (Debian package chromium;
// TEARLINE_CHROMIUM names another executable). Screenshots go to the
// directory TEARLINE_UI_SCREENSHOTS names, or to a temporary directory.
package e2e
