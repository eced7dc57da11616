package ui_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tearline/tearline/ui"
	"github.com/tearline/tearline/ui/uitest"
)

// TestSignInLimitShared checks that failed sign-ins are counted in the
// store: failures on one portal count on a second portal over the same
// store (another node), whichever of them a sign-in lands on, and a
// portal started afterwards (a restart) still refuses.
func TestSignInLimitShared(t *testing.T) {
	t.Parallel()
	bothStores(t, signInLimitShared)
}

func signInLimitShared(t *testing.T, opts uitest.Options) {
	opts.Portal = ui.Config{SignInFailures: 4}
	srv := uitest.Start(t, opts)
	srv.Seed()
	node := func() *uitest.Server {
		p, err := ui.New(ui.Config{Server: srv.TAXII, Store: srv.DB, SignInFailures: 4})
		if err != nil {
			t.Fatal(err)
		}
		h := httptest.NewServer(ui.Mount(srv.TAXII.Handler(), p))
		t.Cleanup(h.Close)
		other := *srv
		other.URL, other.HTTP, other.Portal = h.URL, h, p
		return &other
	}
	a, b := newBrowser(t, srv), newBrowser(t, node())
	// Two failures on each node, for the same user from the same address.
	for i, br := range []*browser{a, b, a, b} {
		if p := br.signIn("alice", "wrong password"); p.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, p.status)
		}
	}
	for name, br := range map[string]*browser{"first node": a, "second node": b, "a node started since": newBrowser(t, node())} {
		if p := br.signIn("alice", uitest.Password); p.status != http.StatusTooManyRequests {
			t.Errorf("sign-in on the %s after 4 failures across nodes: %d, want 429", name, p.status)
		}
	}
	// Another user from the same address is refused too: the address's
	// count is shared as well.
	if p := b.signIn("bob", uitest.Password); p.status != http.StatusTooManyRequests {
		t.Errorf("another user from the blocked address: %d, want 429", p.status)
	}
}
