package ui_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/ui/uitest"
)

// TestRedNeverShown checks that a TLP:RED object of another organization
// shows on no page, in no graph and no lookup of a user who may not
// receive it, while its originator sees it (so the test can fail).
func TestRedNeverShown(t *testing.T) {
	t.Parallel()
	bothStores(t, redNeverShown)
}

func redNeverShown(t *testing.T, opts uitest.Options) {
	srv := uitest.Start(t, opts)
	d := srv.Seed()
	alice, bob := newBrowser(t, srv), newBrowser(t, srv)
	alice.mustSignIn("alice")
	bob.mustSignIn("bob")
	pages := []string{
		"/ui/dashboard",
		"/ui/search?q=RedSecret",
		"/ui/search?q=emotet",
		"/ui/search",
		"/ui/search?type=malware",
		"/ui/search?tlp=TLP:RED",
		"/ui/objects/" + d.RedMalware,
		"/ui/objects/" + d.RedMalware + "/graph",
		"/ui/objects/" + d.Malware + "/graph",
		"/ui/objects/" + d.Malware,
	}
	for _, path := range pages {
		a := alice.get(path)
		// The id itself may be echoed (it is in the request); nothing of
		// the object may show.
		if strings.Contains(a.body, "RedSecret Emotet variant") || strings.Contains(a.body, "Only for Bravo") ||
			!strings.Contains(path, d.RedMalware) && strings.Contains(a.body, d.RedMalware) {
			t.Errorf("alice sees the TLP:RED object on %s", path)
		}
		if a.status >= 500 {
			t.Errorf("alice %s: %d", path, a.status)
		}
	}
	if p := alice.get("/ui/objects/" + d.RedMalware); p.status != http.StatusNotFound {
		t.Errorf("alice's object page of the TLP:RED object: %d, want 404", p.status)
	}
	if p := alice.get("/ui/objects/" + d.RedMalware + "/graph"); p.status != http.StatusNotFound {
		t.Errorf("alice's graph of the TLP:RED object: %d, want 404", p.status)
	}
	// The same pages show it to its originator.
	for _, path := range []string{"/ui/dashboard", "/ui/search?q=RedSecret", "/ui/search?tlp=TLP:RED", "/ui/objects/" + d.RedMalware} {
		if p := bob.get(path); p.status != http.StatusOK || !strings.Contains(p.body, "RedSecret Emotet variant") {
			t.Errorf("bob, the originator, does not see the TLP:RED object on %s (%d)", path, p.status)
		}
	}
	// Alice sees what she may.
	for path, want := range map[string]string{
		"/ui/search?q=emotet":       "Spring Emotet wave",
		"/ui/dashboard":             "Emotet C2 address",
		"/ui/objects/" + d.Malware:  "Banking trojan turned loader",
		"/ui/search?tlp=TLP:AMBER":  "Emotet C2 address",
		"/ui/search?type=campaign":  "Spring Emotet wave",
		"/ui/search?q=trojan+loads": "",
	} {
		p := alice.get(path)
		if p.status != http.StatusOK || !strings.Contains(p.body, want) {
			t.Errorf("alice %s: %d, want %q in it", path, p.status, want)
		}
	}
}

// TestGraph checks the graph JSON: the relationship between the
// indicator and the malware, with both ends.
func TestGraph(t *testing.T) {
	t.Parallel()
	bothStores(t, graph)
}

func graph(t *testing.T, opts uitest.Options) {
	srv := uitest.Start(t, opts)
	d := srv.Seed()
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	p := b.get("/ui/objects/" + d.Malware + "/graph")
	var g struct {
		Nodes []struct {
			Data map[string]string `json:"data"`
		} `json:"nodes"`
		Edges []struct {
			Data map[string]string `json:"data"`
		} `json:"edges"`
	}
	if err := json.Unmarshal([]byte(p.body), &g); err != nil {
		t.Fatalf("graph: %v: %s", err, p.body)
	}
	nodes := map[string]bool{}
	for _, n := range g.Nodes {
		nodes[n.Data["id"]] = true
	}
	if !nodes[d.Malware] || !nodes[d.Indicator] || len(g.Edges) != 1 || g.Edges[0].Data["label"] != "indicates" ||
		g.Edges[0].Data["source"] != d.Indicator || g.Edges[0].Data["target"] != d.Malware {
		t.Errorf("graph = %s", p.body)
	}
}

// TestBannerCoversGraph checks that an object page's banners, at the top
// and the bottom, are as high as the highest marking of what its graph
// shows: Emotet is TLP:GREEN, but its graph names the TLP:AMBER indicator
// that indicates it; and that the graph shows nothing above the banner.
func TestBannerCoversGraph(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	for _, tt := range []struct{ id, banner string }{
		{d.Malware, "TLP:AMBER"},      // GREEN itself, AMBER indicator in the graph
		{d.Indicator, "TLP:AMBER"},    // AMBER itself
		{d.Campaign, "TLP:GREEN"},     // nothing around it
		{d.Relationship, "TLP:AMBER"}, // GREEN, refers to the AMBER indicator
	} {
		p := b.get("/ui/objects/" + tt.id)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", tt.id, p.status)
		}
		for _, id := range []string{"banner-top", "banner-bottom"} {
			m := regexp.MustCompile(`id="` + id + `"[^>]*>([^<]*)<`).FindStringSubmatch(p.body)
			if m == nil || m[1] != tt.banner {
				t.Errorf("%s: %s %q, want %q", tt.id, id, m, tt.banner)
			}
		}
		var g struct {
			Nodes []struct {
				Data map[string]string `json:"data"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal([]byte(b.get("/ui/objects/"+tt.id+"/graph").body), &g); err != nil {
			t.Fatal(err)
		}
		for _, n := range g.Nodes {
			if tlpRank(n.Data["tlp"]) > tlpRank(tt.banner) {
				t.Errorf("%s: the graph shows %s (%s) under a %s banner", tt.id, n.Data["label"], n.Data["tlp"], tt.banner)
			}
		}
		if !strings.Contains(strings.ToLower(p.body), strings.ToLower(`/graph?tlp=`+url.QueryEscape(tt.banner)+`&amp;classification="`)) {
			t.Errorf("%s: the graph's URL does not carry the banner", tt.id)
		}
	}
	// The graph leaves out what is marked above the banner the page passes
	// (what arrived after the page was rendered).
	for q, want := range map[string]bool{"": true, "?tlp=TLP:AMBER": true, "?tlp=TLP:GREEN": false} {
		body := b.get("/ui/objects/" + d.Malware + "/graph" + q).body
		if got := strings.Contains(body, d.Indicator); got != want {
			t.Errorf("Emotet's graph%s shows the TLP:AMBER indicator: %v, want %v: %s", q, got, want, body)
		}
	}
}

func tlpRank(s string) int {
	t, _ := marking.ParseTLP(s)
	return int(t)
}

// TestMarkingNames checks that an object page names its marking
// definitions: TLP 2.0 and 1.0 ones by their level, a stored statement by
// its name, each beside its id.
func TestMarkingNames(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	def, obj := "marking-definition--"+uuid.NewString(), "malware--"+uuid.NewString()
	srv.Post(d.AlphaAnalystToken, d.Intel, fmt.Sprintf(`{"type":"marking-definition","spec_version":"2.1","id":%q,"created":%q,"name":"Handle via Alpha only","definition_type":"statement","definition":{"statement":"Copyright Alpha CERT"}}`,
		def, uitest.Stamp))
	srv.Post(d.AlphaAnalystToken, d.Intel, fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Marked","is_family":true,"object_marking_refs":[%q,%q,%q]}`,
		obj, uitest.Stamp, uitest.Stamp, marking.TLP2Green, marking.TLP1Green, def))
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	p := b.get("/ui/objects/" + obj)
	m := regexp.MustCompile(`(?s)<ul id="markings">(.*?)</ul>`).FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("object page: %d %s", p.status, p.body)
	}
	for _, want := range []string{">TLP:GREEN<", marking.TLP2Green, ">TLP:GREEN (TLP 1.0)<", marking.TLP1Green, ">Handle via Alpha only<", def} {
		if !strings.Contains(m[1], want) {
			t.Errorf("markings lack %q: %s", want, m[1])
		}
	}
}

// TestReadsRecorded checks that what the portal shows is recorded in the
// disclosure ledger, under path ui, for the user's organization.
func TestReadsRecorded(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	if p := b.get("/ui/objects/" + d.Malware); p.status != http.StatusOK {
		t.Fatalf("object page: %d", p.status)
	}
	b.get("/ui/objects/" + d.RedMalware)
	if err := srv.Ledger.Flush(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(srv.Dir, ledger.DirName)
	for _, tt := range []struct {
		id       string
		decision marking.Decision
	}{{d.Malware, marking.Whole}, {d.RedMalware, marking.Withhold}} {
		es, err := ledger.Who(dir, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range es {
			if e.Path == ledger.PathUI && e.Org == d.Alpha.ID && e.Key == "user:alice" && e.Decision == tt.decision {
				found = true
			}
		}
		if !found {
			t.Errorf("no ledger entry for alice's portal read of %s with decision %v in %+v", tt.id, tt.decision, es)
		}
	}
}

// payloads are strings that would run script if a page wrote them
// unescaped.
var payloads = []string{
	`<script>alert("x1")</script>`,
	`"><img src=x onerror=alert("x2")>`,
	`</textarea><svg onload=alert("x3")>`,
	`javascript:alert("x4")`,
	`{{.}}<!--`,
}

// TestXSSEscaped stores an object with script payloads in every string
// property, its external references and a custom property, and checks
// that no page writes them unescaped.
func TestXSSEscaped(t *testing.T) {
	t.Parallel()
	bothStores(t, xSSEscaped)
}

func xSSEscaped(t *testing.T, opts uitest.Options) {
	srv := uitest.Start(t, opts)
	d := srv.Seed()
	id := "malware--" + uuid.NewString()
	obj := map[string]any{
		"type": "malware", "spec_version": "2.1", "id": id, "created": uitest.Stamp, "modified": uitest.Stamp,
		"name": "xsswidget " + payloads[0], "description": strings.Join(payloads, " "), "is_family": true,
		"aliases":        payloads,
		"created_by_ref": d.Alpha.ID, "object_marking_refs": []string{marking.TLP2Green},
		"external_references": []map[string]string{
			{"source_name": payloads[1], "url": `javascript:alert("x4")`, "description": payloads[2], "external_id": payloads[0]},
			{"source_name": "ok", "url": `https://example.org/"><script>alert("x5")</script>`},
		},
		"x_evil": map[string]any{"html": payloads[1], "list": payloads},
		"x_text": payloads[2],
	}
	raw, _ := json.Marshal(obj)
	srv.Post(d.AlphaAnalystToken, d.Intel, string(raw))
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	for _, path := range []string{"/ui/objects/" + id, "/ui/search?q=xsswidget", "/ui/dashboard", "/ui/search?type=malware"} {
		p := b.get(path)
		if p.status != http.StatusOK || !strings.Contains(p.body, "xsswidget") {
			t.Errorf("%s: %d, want the object listed", path, p.status)
			continue
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "<svg onload", `href="javascript:`, "onerror=alert(\"x2\")>"} {
			if strings.Contains(p.body, bad) {
				t.Errorf("%s writes %q unescaped", path, bad)
			}
		}
	}
	p := b.get("/ui/objects/" + id)
	for _, want := range []string{"&lt;script&gt;alert(&#34;x1&#34;)&lt;/script&gt;", "x_evil", "x_text"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("object page lacks %q", want)
		}
	}
}

func TestSubmit(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	tok := b.token("/ui/submit")
	// Live pattern validation (htmx).
	for pat, want := range map[string]string{
		"[ipv4-addr:value = '203.0.113.5']": "The pattern is valid.",
		"[ipv4-addr:value = ":               "Column",
		"[ipv4-addr:nonsense = 'x']":        "nonsense",
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/ui/submit/pattern", strings.NewReader(url.Values{"pattern": {pat}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", tok)
		req.Header.Set("HX-Request", "true")
		if p := b.do(req); p.status != http.StatusOK || !strings.Contains(p.body, want) || strings.Contains(p.body, "<html") {
			t.Errorf("pattern %q: %d %s, want %q", pat, p.status, p.body, want)
		}
	}
	// The guided form: an indicator related to a malware.
	p := b.post("/ui/submit/indicator", url.Values{"csrf": {tok}, "collection": {d.Intel.ID}, "name": {"Guided indicator"},
		"description": {"from the form"}, "pattern": {"[domain-name:value = 'evil.example']"}, "indicator_type": {"malicious-activity"},
		"kill_chain": {"mitre-attack"}, "phase": {"command-and-control"}, "related": {d.Malware}, "confidence": {"70"}, "tlp": {"TLP:AMBER"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="receipt-success">2<`) {
		t.Fatalf("indicator form: %d %s", p.status, p.body)
	}
	// The receipt names the submitted objects that have a name.
	if !regexp.MustCompile(`<li><a href="/ui/objects/indicator--[^"]+">Guided indicator</a> <span class="muted">indicator--`).MatchString(p.body) {
		t.Errorf("the receipt does not name the indicator: %s", p.body)
	}
	if p := b.get("/ui/search?q=guided"); !strings.Contains(p.body, "Guided indicator") {
		t.Error("the submitted indicator is not found")
	}
	// Refused forms keep what was typed.
	p = b.post("/ui/submit/indicator", url.Values{"csrf": {tok}, "collection": {d.Intel.ID}, "name": {"Bad one"}, "pattern": {"[nope"}, "tlp": {"TLP:GREEN"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "The pattern is not valid") || !strings.Contains(p.body, `value="Bad one"`) {
		t.Errorf("invalid pattern: %d", p.status)
	}
	// A bundle, pasted; an invalid object in it is refused on the receipt.
	good := fmt.Sprintf(`{"type":"tool","spec_version":"2.1","id":"tool--%s","created":%q,"modified":%q,"name":"Pasted tool","created_by_ref":%q}`,
		uuid.NewString(), uitest.Stamp, uitest.Stamp, d.Alpha.ID)
	bad := `{"type":"tool","spec_version":"2.1","id":"tool--nope"}`
	p = b.post("/ui/submit/bundle", url.Values{"csrf": {tok}, "collection": {d.Intel.ID},
		"bundle": {`{"type":"bundle","id":"bundle--` + uuid.NewString() + `","objects":[` + good + `,` + bad + `]}`}})
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="receipt-success">1<`) || !strings.Contains(p.body, `id="receipt-failure">1<`) {
		t.Errorf("bundle: %d %s", p.status, p.body)
	}
	// Oversized bundles are refused.
	big := strings.Repeat(" ", 11<<20)
	p = b.post("/ui/submit/bundle", url.Values{"csrf": {tok}, "collection": {d.Intel.ID}, "bundle": {`{"type":"bundle","objects":[` + good + `]}` + big}})
	if p.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: %d", p.status)
	}
	// A bundle over the limit in a form under it.
	big = strings.Repeat(" ", 10<<20)
	p = b.post("/ui/submit/bundle", url.Values{"csrf": {tok}, "collection": {d.Intel.ID}, "bundle": {`{"type":"bundle","objects":[` + good + `]}` + big}})
	if p.status != http.StatusRequestEntityTooLarge || !strings.Contains(p.body, "larger than the limit") {
		t.Errorf("oversized bundle: %d", p.status)
	}
	// A reader may not submit: the API refuses it.
	r := newBrowser(t, srv)
	r.mustSignIn("reader")
	p = r.post("/ui/submit/bundle", url.Values{"csrf": {r.token("/ui/submit")}, "collection": {d.Intel.ID},
		"bundle": {`{"type":"bundle","objects":[` + good + `]}`}})
	if p.status == http.StatusOK {
		t.Errorf("a reader's submission: %d", p.status)
	}
}

func TestReviewQueue(t *testing.T) {
	t.Parallel()
	bothStores(t, reviewQueue)
}

func reviewQueue(t *testing.T, opts uitest.Options) {
	srv := uitest.Start(t, opts)
	d := srv.Seed()
	// The policy goes through the admin API, which the server's cache follows.
	preq, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/v1/collections/"+d.Intel.ID+"/", strings.NewReader(`{"pii":"review"}`))
	preq.Header.Set("Authorization", "Bearer "+srv.Key(d.Alpha, tearline.RoleAdmin))
	preq.Header.Set("Content-Type", "application/json")
	if res, err := srv.HTTP.Client().Do(preq); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH the PII policy: %v %v", res, err)
	}
	id := "note--" + uuid.NewString()
	raw := fmt.Sprintf(`{"type":"note","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"content":"Call jane.doe@corp.co.uk about it","object_refs":[%q],"created_by_ref":%q,"object_marking_refs":[%q]}`,
		id, uitest.Stamp, uitest.Stamp, d.Malware, d.Alpha.ID, marking.TLP2Amber)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/taxii2/default/collections/"+d.Intel.ID+"/objects/",
		strings.NewReader(`{"objects":[`+raw+`]}`))
	req.Header.Set("Authorization", "Bearer "+d.AlphaAnalystToken)
	req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	res, err := srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted || !strings.Contains(string(st), `"pending_count":1`) {
		t.Fatalf("POST of a note with an e-mail address: %s %s", res.Status, st)
	}
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	p := b.get("/ui/review")
	if !strings.Contains(p.body, id) {
		t.Fatalf("the held note is not in the queue: %s", p.body)
	}
	// The page shows the held TLP:AMBER note: its banners say so.
	if n := strings.Count(p.body, `">TLP:AMBER</div>`); n != 2 {
		t.Errorf("the review queue showing a TLP:AMBER note has %d TLP:AMBER banners, want 2 (top and bottom)", n)
	}
	r := newBrowser(t, srv)
	r.mustSignIn("reader")
	if p := r.get("/ui/review"); strings.Contains(p.body, id) || !strings.Contains(p.body, `id="reviews-error"`) {
		t.Errorf("a reader sees the review queue")
	}
	m := regexp.MustCompile(`action="/ui/review/pii/([^/]+)/approve"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no approve form")
	}
	// The submitter is named by its organization's name.
	if !strings.Contains(p.body, `<td class="submitter">Alpha CERT</td>`) || strings.Contains(p.body, d.Alpha.ID) {
		t.Errorf("the queue does not name the submitter Alpha CERT: %s", p.body)
	}
	// The key that submitted the note is offered no decision on it, and
	// the API still refuses one.
	sub := newBrowser(t, srv)
	if p := sub.post("/ui/signin", url.Values{"csrf": {sub.token("/ui/signin")}, "method": {"token"}, "token": {d.AlphaAnalystToken}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign in with the submitter's token: %d", p.status)
	}
	sp := sub.get("/ui/review")
	if !strings.Contains(sp.body, id) || strings.Contains(sp.body, "/ui/review/pii/"+m[1]+"/") || !strings.Contains(sp.body, `id="own-`+m[1]+`"`) {
		t.Errorf("the submitter's queue offers a decision on its own note: %s", sp.body)
	}
	if p := sub.post("/ui/review/pii/"+m[1]+"/approve", url.Values{"csrf": {sub.token("/ui/review")}}); p.status != http.StatusForbidden {
		t.Errorf("the submitter approves its own note: %d", p.status)
	}
	if p := b.post("/ui/review/pii/"+m[1]+"/approve", url.Values{"csrf": {b.token("/ui/review")}}); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", p.status, p.body)
	}
	if p := b.get("/ui/objects/" + id); p.status != http.StatusOK {
		t.Errorf("approved note: %d", p.status)
	}
	if p := b.get("/ui/review"); strings.Contains(p.body, id) {
		t.Error("the approved note is still in the queue")
	}
}

func TestListPages(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	srv.Seed()
	root, alice := newBrowser(t, srv), newBrowser(t, srv)
	root.mustSignIn("root")
	alice.mustSignIn("alice")
	for _, tt := range []struct {
		b      *browser
		path   string
		status int
		want   string
	}{
		{root, "/ui/admin/organizations", http.StatusOK, "Bravo ISAC"},
		{root, "/ui/admin/collections", http.StatusOK, "intel"},
		{root, "/ui/admin/peers", http.StatusOK, "admin-peers"},
		{root, "/ui/admin/keys", http.StatusOK, "API keys of Bravo ISAC"},
		{root, "/ui/keys", http.StatusOK, "analyst"},
		{root, "/ui/subscriptions", http.StatusOK, "subscriptions"},
		{alice, "/ui/admin/organizations", http.StatusForbidden, "admin"},
		{alice, "/ui/keys", http.StatusOK, `id="keys-error"`},
		{alice, "/ui/lookup?value=198.51.100.7", http.StatusOK, "Emotet C2 address"},
		{alice, "/ui/lookup?value=203.0.113.250", http.StatusOK, `id="lookup-error"`},
		{alice, "/ui/objects/not-an-id", http.StatusBadRequest, "not a STIX identifier"},
		{alice, "/ui/search?min_confidence=500", http.StatusBadRequest, "0 to 100"},
		{alice, "/ui/nothing", http.StatusNotFound, "no page"},
	} {
		p := tt.b.get(tt.path)
		if p.status != tt.status || !strings.Contains(p.body, tt.want) {
			t.Errorf("%s: %d, want %d with %q", tt.path, p.status, tt.status, tt.want)
		}
		if !strings.Contains(p.body, `id="banner-top"`) || !strings.Contains(p.body, `id="banner-bottom"`) {
			t.Errorf("%s: no marking banners", tt.path)
		}
	}
}

// bothStores runs a test on SQLite and on PostgreSQL (skipped without
// pgtest.EnvURL).
func bothStores(t *testing.T, test func(t *testing.T, opts uitest.Options)) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, uitest.Options{Postgres: pg})
		})
	}
}

// TestProductApproval approves from the review page a tear-line product
// that another key of the organization drafted through the API.
func TestProductApproval(t *testing.T) {
	t.Parallel()
	srv := uitest.Start(t, uitest.Options{})
	d := srv.Seed()
	derived := "indicator--" + uuid.NewString()
	obj := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Tear line of the C2 address","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":%q,"created_by_ref":%q,"object_marking_refs":[%q]}`,
		derived, uitest.Stamp, uitest.Stamp, uitest.Stamp, d.Alpha.ID, marking.TLP2Green)
	body, _ := json.Marshal(map[string]any{"source_id": d.Indicator, "collection": d.Intel.ID, "object": json.RawMessage(obj)})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/products/", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+d.AlphaAnalystToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("draft a product: %s %s", res.Status, out)
	}
	b := newBrowser(t, srv)
	b.mustSignIn("alice")
	p := b.get("/ui/review")
	m := regexp.MustCompile(`action="/ui/review/product/([^/]+)/approve"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no product to approve: %s", p.body)
	}
	if p := b.post("/ui/review/product/"+m[1]+"/approve", url.Values{"csrf": {b.token("/ui/review")}}); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", p.status, p.body)
	}
	if p := b.get("/ui/objects/" + derived); p.status != http.StatusOK || !strings.Contains(p.body, "Tear line of the C2 address") {
		t.Errorf("the approved product: %d", p.status)
	}
	// Bob's organization receives the tear line, and still not the source's
	// bytes beyond what its markings allow.
	bob := newBrowser(t, srv)
	bob.mustSignIn("bob")
	if p := bob.get("/ui/objects/" + derived); p.status != http.StatusOK {
		t.Errorf("bob and the GREEN product: %d", p.status)
	}
}
