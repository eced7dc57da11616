package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/ui/uitest"
)

// TestSectorFilter checks the search's sector filter: an object is listed
// when it targets an identity of the sector (dissemination's sector tags),
// or is such an identity, and only when the user may see what makes it
// so: Bravo's campaign targets a hospital through TLP:RED objects, which
// Alpha must not learn from its results.
func TestSectorFilter(t *testing.T) {
	t.Parallel()
	bothStores(t, sectorFilter)
}

func sectorFilter(t *testing.T, opts uitest.Options) {
	srv := uitest.Start(t, opts)
	d := srv.Seed()
	obj := func(typ, id, org, tlp, props string) string {
		return fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"created":%q,"modified":%q,"created_by_ref":%q,"object_marking_refs":[%q],%s}`,
			typ, id, uitest.Stamp, uitest.Stamp, org, tlp, props)
	}
	hospital, bank, heist := "identity--"+uuid.NewString(), "identity--"+uuid.NewString(), "campaign--"+uuid.NewString()
	// Bravo: its (GREEN) campaign targets a hospital, through a TLP:RED
	// relationship to a TLP:RED identity.
	srv.Post(d.BravoToken, d.Intel,
		obj("identity", hospital, d.Bravo.ID, marking.TLP2Red, `"name":"St Hidden Hospital","identity_class":"organization","sectors":["healthcare"]`),
		obj("relationship", "relationship--"+uuid.NewString(), d.Bravo.ID, marking.TLP2Red,
			fmt.Sprintf(`"relationship_type":"targets","source_ref":%q,"target_ref":%q`, d.Campaign, hospital)))
	// Alpha: a GREEN campaign targets a GREEN bank.
	srv.Post(d.AlphaAnalystToken, d.Intel,
		obj("identity", bank, d.Alpha.ID, marking.TLP2Green, `"name":"Acme Bank","identity_class":"organization","sectors":["financial-services"]`),
		obj("campaign", heist, d.Alpha.ID, marking.TLP2Green, `"name":"Bank heist","description":"Wire fraud wave"`),
		obj("relationship", "relationship--"+uuid.NewString(), d.Alpha.ID, marking.TLP2Green,
			fmt.Sprintf(`"relationship_type":"targets","source_ref":%q,"target_ref":%q`, heist, bank)))
	alice, bob := newBrowser(t, srv), newBrowser(t, srv)
	alice.mustSignIn("alice")
	bob.mustSignIn("bob")
	for _, tt := range []struct {
		name      string
		b         *browser
		path      string
		want, not []string
	}{
		{"browse by sector", alice, "/ui/search?sector=financial-services",
			[]string{"Bank heist", "Acme Bank"}, []string{"Spring Emotet wave", "Emotet C2 address", "St Hidden Hospital"}},
		{"text and sector", alice, "/ui/search?q=heist&sector=financial-services", []string{"Bank heist"}, []string{"Acme Bank"}},
		{"type and sector", alice, "/ui/search?type=campaign&sector=financial-services", []string{"Bank heist"}, []string{"Acme Bank"}},
		{"another sector", alice, "/ui/search?sector=energy", []string{`id="no-results"`}, []string{"Bank heist"}},
		// Nothing of the RED context shows, not even as a result count.
		{"hidden context, browse", alice, "/ui/search?sector=healthcare", []string{`id="no-results"`}, []string{"Spring Emotet wave", "St Hidden Hospital"}},
		{"hidden context, text", alice, "/ui/search?q=emotet&sector=healthcare", []string{`id="no-results"`}, []string{"Spring Emotet wave"}},
		// Bravo may see its RED context: the same filter finds its campaign.
		{"visible context, browse", bob, "/ui/search?sector=healthcare", []string{"Spring Emotet wave", "St Hidden Hospital"}, []string{"Bank heist"}},
		{"visible context, text", bob, "/ui/search?q=emotet&sector=healthcare", []string{"Spring Emotet wave"}, []string{"Bank heist"}},
	} {
		p := tt.b.get(tt.path)
		if p.status != http.StatusOK {
			t.Errorf("%s: %s: %d", tt.name, tt.path, p.status)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s: %s lacks %q", tt.name, tt.path, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(p.body, n) {
				t.Errorf("%s: %s shows %q", tt.name, tt.path, n)
			}
		}
	}
	// The form keeps the sector chosen; an unknown one is refused.
	if p := alice.get("/ui/search?sector=financial-services"); !strings.Contains(p.body, `<option value="financial-services" selected>`) {
		t.Error("the sector chosen is not selected in the form")
	}
	if p := alice.get("/ui/search?sector=banking"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "Unknown sector") {
		t.Errorf("unknown sector: %d", p.status)
	}
}
