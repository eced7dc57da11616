package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ui/uitest"
)

// TestKeysFormsFollowAPI checks that the keys page offers its forms to
// the users the API lets manage keys (an admin) and not to the others,
// whom it tells why; the API still refuses their posts (TestManageForms).
func TestKeysFormsFollowAPI(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	srv.User("mona", d.Alpha, tearline.RoleManager)
	for _, tt := range []struct {
		user   string
		manage bool
	}{
		{"root", true},
		{"mona", true}, // a manager: its own organization's keys
		{"alice", false},
		{"reader", false},
	} {
		b := newBrowser(t, srv)
		b.mustSignIn(tt.user)
		p := b.get("/ui/keys")
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", tt.user, p.status)
		}
		forms := strings.Contains(p.body, `id="key-create"`) && strings.Contains(p.body, `id="key-revoke"`)
		told := strings.Contains(p.body, `id="keys-no-manage"`)
		if forms != tt.manage || told == tt.manage {
			t.Errorf("%s: forms %v, told why not %v; want forms %v", tt.user, forms, told, tt.manage)
		}
	}
}
