package ui_test

import (
	"crypto/sha256"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/tearline/tearline/ui/uitest"
)

// TestCSPAllowsCytoscapeStyle checks that the CSP allows, by its hash, the
// one <style> element the vendored cytoscape.js adds (and no other inline
// style), so that the graph draws without a CSP violation.
func TestCSPAllowsCytoscapeStyle(t *testing.T) {
	t.Parallel()
	js, err := os.ReadFile("static/vendor/cytoscape-3.30.4.min.js")
	if err != nil {
		t.Fatal(err)
	}
	// How cytoscape.js 3.30.4 builds the element's text; an upgrade that
	// changes it fails here.
	for _, s := range []string{`o="__________cytoscape_container"`, `l.textContent="."+o+" { position: relative; }"`} {
		if !strings.Contains(string(js), s) {
			t.Fatalf("the vendored cytoscape.js no longer has %s: compute the hash of its <style> anew", s)
		}
	}
	sum := sha256.Sum256([]byte(".__________cytoscape_container { position: relative; }"))
	want := "style-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
	srv := uitest.Start(t, uitest.Options{})
	srv.Seed()
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	for _, path := range []string{"/ui/signin", "/ui/dashboard", "/ui/objects/bad"} {
		csp := b.get(path).header.Get("Content-Security-Policy")
		if !strings.Contains(csp, want) || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("%s: CSP %q, want %q in it", path, csp, want)
		}
	}
}
