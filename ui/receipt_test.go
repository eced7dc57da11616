package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/ui/uitest"
)

// TestReceiptBanner checks that the receipt of a submission carries, top
// and bottom, the banner of the most restrictive marking among the
// objects it shows.
func TestReceiptBanner(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	tok := b.token("/ui/submit")
	tool := func(tlp string) string {
		refs := ""
		if tlp != "" {
			refs = fmt.Sprintf(`,"object_marking_refs":[%q]`, tlp)
		}
		return fmt.Sprintf(`{"type":"tool","spec_version":"2.1","id":"tool--%s","created":%q,"modified":%q,"name":"Receipt tool","created_by_ref":%q%s}`,
			uuid.NewString(), uitest.Stamp, uitest.Stamp, d.Alpha.ID, refs)
	}
	for _, tt := range []struct {
		name, form, banner string
		values             url.Values
	}{
		{"guided amber indicator", "/ui/submit/indicator", "TLP:AMBER", url.Values{"name": {"Banner indicator"},
			"pattern": {"[domain-name:value = 'banner.example']"}, "tlp": {"TLP:AMBER"}, "related": {d.Malware}}},
		{"green and red bundle", "/ui/submit/bundle", "TLP:RED", url.Values{
			"bundle": {`{"type":"bundle","objects":[` + tool(marking.TLP2Green) + `,` + tool(marking.TLP2Red) + `]}`}}},
		{"green bundle", "/ui/submit/bundle", "TLP:GREEN", url.Values{"bundle": {`{"type":"bundle","objects":[` + tool(marking.TLP2Green) + `]}`}}},
		{"clear bundle", "/ui/submit/bundle", "TLP:CLEAR", url.Values{"bundle": {`{"type":"bundle","objects":[` + tool(marking.TLP2Clear) + `]}`}}},
	} {
		tt.values.Set("csrf", tok)
		tt.values.Set("collection", d.Intel.ID)
		p := b.post(tt.form, tt.values)
		if p.status != http.StatusOK || !strings.Contains(p.body, `id="receipt-summary"`) {
			t.Errorf("%s: %d %s", tt.name, p.status, p.body)
			continue
		}
		for _, id := range []string{"banner-top", "banner-bottom"} {
			if !strings.Contains(p.body, `id="`+id+`" role="note" aria-label="Marking of this page">`+tt.banner+`</div>`) {
				t.Errorf("%s: the receipt's %s is not %s", tt.name, id, tt.banner)
			}
		}
	}
}
