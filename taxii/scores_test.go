package taxii

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/score"
)

// testClock is a clock that only moves when told, for score decay.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// scoreEnv is env with the scoring clock under the test's control and a
// second contributing organization, "partner" (key "partner"), that
// writes to intel.
type scoreEnv struct {
	*env
	clock *testClock
}

func newScoreEnv(t *testing.T) *scoreEnv {
	t.Helper()
	// The clock starts at the real time: the observable index stamps
	// submissions with it.
	c := &testClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	cfg := testConfig()
	cfg.Score = score.Options{Now: c.now}
	e := &scoreEnv{env: newEnv(t, &cfg, false), clock: c}
	partner := &tearline.Organization{Name: "Partner Org", Type: "isac"}
	if err := e.db.CreateOrganization(t.Context(), partner); err != nil {
		t.Fatal(err)
	}
	e.orgs["partner"] = partner
	e.tokens["partner"] = e.newKey(partner, tearline.RoleContributor)
	e.grant(e.intel, "partner", true, true)
	return e
}

// scoredIndicator returns an indicator on a value, modified at the
// clock's time, with extra members.
func (e *scoreEnv) scoredIndicator(n int, pattern, extra string) string {
	ts := e.clock.now().Format(millisLayout)
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"pattern":%q,"pattern_type":"stix","valid_from":%q%s}`, objID("indicator", n), ts, ts, pattern, ts, extra)
}

// submitAs posts objects to intel as who and returns the status.
func (e *scoreEnv) submitAs(who string, objs ...string) statusResource {
	e.t.Helper()
	r := e.post(who, colPath(e.intel, "objects/"), envelope(objs...))
	expect(e.t, r, http.StatusAccepted)
	var st statusResource
	r.decode(e.t, &st)
	if st.Status != tearline.StatusComplete || st.SuccessCount != len(objs) {
		e.t.Fatalf("submit: status %+v", st)
	}
	return st
}

// scoreOf reads the score of object id as who.
func (e *scoreEnv) scoreOf(who, id string) scoreJSON {
	e.t.Helper()
	r := e.get(who, "/api/v1/objects/"+id+"/score")
	expect(e.t, r, http.StatusOK)
	var s scoreJSON
	r.decode(e.t, &s)
	return s
}

const richContext = `,"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}],` +
	`"description":"Command and control server of the loader seen against utilities; beacons every sixty seconds over HTTPS.",` +
	`"external_references":[{"source_name":"vendor","url":"https://vendor.example/report"}],"labels":["c2"],"confidence":80`

func TestScoreEvidenceOverTAXII(t *testing.T) {
	t.Parallel()
	e := newScoreEnv(t)
	if _, ok := e.db.(tearline.Observables); !ok {
		t.Skip("the store keeps no observable index to corroborate from")
	}
	ind := objID("indicator", 1)
	e.submitAs("contributor", e.scoredIndicator(1, "[ipv4-addr:value = '45.33.32.156']", richContext))
	alone := e.scoreOf("reader", ind)
	if alone.Confidence != 60 || alone.Context != 45 || alone.HalfLifeDays != 30 { // 80 × 0.75
		t.Fatalf("alone: %+v", alone)
	}
	if alone.Evidence.Stated == nil || *alone.Evidence.Stated != 80 {
		t.Errorf("stated %v, want 80", alone.Evidence.Stated)
	}

	// Another organization submits the same value in its own indicator.
	e.submitAs("partner", e.scoredIndicator(2, "[ipv4-addr:value = '45.33.32.156/32'] OR [domain-name:value = 'x.io']", ""))
	corroborated := e.scoreOf("reader", ind)
	if corroborated.Evidence.Sources != 1 || corroborated.Confidence <= alone.Confidence {
		t.Fatalf("after the partner's submission: %+v (was %d)", corroborated, alone.Confidence)
	}

	// A sighting raises it; a false-positive opinion lowers it.
	ts := e.clock.now().Format(millisLayout)
	e.submitAs("partner", fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"sighting_of_ref":%q,"count":3}`,
		objID("sighting", 1), ts, ts, ind))
	sighted := e.scoreOf("reader", ind)
	if sighted.Evidence.Sightings != 1 || sighted.Confidence <= corroborated.Confidence {
		t.Fatalf("after a sighting: %+v (was %d)", sighted, corroborated.Confidence)
	}
	e.submitAs("partner", fmt.Sprintf(`{"type":"opinion","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"opinion":"disagree","object_refs":[%q]}`,
		objID("opinion", 1), ts, ts, ind))
	disputed := e.scoreOf("reader", ind)
	if disputed.Evidence.FalsePositives != 1 || disputed.Confidence >= sighted.Confidence {
		t.Fatalf("after a false-positive opinion: %+v (was %d)", disputed, sighted.Confidence)
	}

	// Decay: IPv4 values halve in 30 days.
	e.clock.advance(30 * score.Day)
	decayed := e.scoreOf("reader", ind)
	if want := (disputed.Confidence + 1) / 2; decayed.Confidence > want || decayed.Confidence < want-1 {
		t.Errorf("after 30 days: %d, want about half of %d", decayed.Confidence, disputed.Confidence)
	}
	if decayed.ConfidenceBase != disputed.ConfidenceBase {
		t.Errorf("base moved with decay: %d, was %d", decayed.ConfidenceBase, disputed.ConfidenceBase)
	}
	e.clock.advance(30 * score.Day)
	if later := e.scoreOf("reader", ind); later.Confidence >= decayed.Confidence {
		t.Errorf("after 60 days: %d, not below %d", later.Confidence, decayed.Confidence)
	}
}

func TestScoreFiltersOverTAXII(t *testing.T) {
	t.Parallel()
	e := newScoreEnv(t)
	var objs []string
	var high []string
	for n := 1; n <= 12; n++ {
		extra := `,"confidence":20`
		if n%3 == 0 {
			extra = richContext // confidence 60, context 45
			high = append(high, objID("indicator", n))
		}
		objs = append(objs, e.scoredIndicator(n, fmt.Sprintf("[ipv4-addr:value = '45.33.%d.1']", n), extra))
	}
	objs = append(objs, malware(1),
		fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":"2024-03-01T12:00:00.000Z","modified":"2024-03-01T12:00:00.000Z","relationship_type":"indicates","source_ref":%q,"target_ref":%q}`,
			objID("relationship", 1), objID("indicator", 1), objID("malware", 1)))
	e.submitAs("contributor", objs...)

	get := func(path string) *envelopeResource {
		t.Helper()
		r := e.get("reader", path)
		expect(t, r, http.StatusOK)
		var env envelopeResource
		r.decode(t, &env)
		return &env
	}
	q := func(params string) string { return colPath(e.intel, "objects/?"+params) }
	if got := get(q("match[confidence_gte]=50")).ids(t); strings.Join(got, " ") != strings.Join(high, " ") {
		t.Errorf("confidence_gte=50: %v, want %v", got, high)
	}
	// context_gte: the rich ones, and indicator 1, which indicates malware (15).
	if got := get(q("match[context_gte]=15")).ids(t); len(got) != 5 || got[0] != objID("indicator", 1) {
		t.Errorf("context_gte=15: %v", got)
	}
	// Paging through a filter with limit and next returns each once.
	var paged []string
	path := q("match[confidence_gte]=50&limit=3")
	for i := 0; ; i++ {
		env := get(path)
		paged = append(paged, env.ids(t)...)
		if !env.More {
			break
		}
		if i > 5 {
			t.Fatal("paging does not end")
		}
		path = q("match[confidence_gte]=50&limit=3&next=" + url.QueryEscape(env.Next))
	}
	if strings.Join(paged, " ") != strings.Join(high, " ") {
		t.Errorf("paged: %v, want %v", paged, high)
	}
	// Combined with match[type], and on the manifest.
	if got := get(q("match[type]=malware&match[confidence_gte]=0")).ids(t); len(got) != 1 {
		t.Errorf("malware with confidence_gte=0: %v", got)
	}
	r := e.get("reader", colPath(e.intel, "manifest/?match[confidence_gte]=50&match[context_gte]=45"))
	expect(t, r, http.StatusOK)
	var m manifestResource
	r.decode(t, &m)
	if len(m.Objects) != len(high) {
		t.Errorf("manifest: %+v", m)
	}
	// Decay moves objects out of the filter.
	e.clock.advance(30 * score.Day)
	if got := get(q("match[confidence_gte]=50")).ids(t); len(got) != 0 {
		t.Errorf("after 30 days, confidence_gte=50: %v", got)
	}
	if got := get(q("match[confidence_gte]=30&match[type]=indicator")).ids(t); len(got) != len(high) {
		t.Errorf("after 30 days, indicators with confidence_gte=30: %v", got)
	}
	if got := get(q("match[confidence_gte]=38&match[type]=malware")).ids(t); len(got) != 1 {
		t.Errorf("malware does not decay: %v", got)
	}
	// Bad values, and filters where they do not apply, are refused;
	// unknown match fields still are.
	for _, p := range []string{
		q("match[confidence_gte]=101"), q("match[confidence_gte]=-1"), q("match[confidence_gte]=high"),
		q("match[confidence_gte]=5&match[confidence_gte]=6"), q("match[context_gte]="),
		q("match[confidence_lte]=50"), q("match[score]=50"),
		colPath(e.intel, "objects/"+objID("indicator", 3)+"/?match[confidence_gte]=5"),
		colPath(e.intel, "objects/"+objID("indicator", 3)+"/versions/?match[context_gte]=5"),
	} {
		expect(t, e.get("reader", p), http.StatusBadRequest)
	}
}

func TestScoreVisibility(t *testing.T) {
	t.Parallel()
	e := newScoreEnv(t)
	open, red := objID("indicator", 1), objID("indicator", 2)
	contrib := e.orgs["Contributor Org"].ID
	e.submitAs("contributor",
		e.scoredIndicator(1, "[ipv4-addr:value = '45.33.32.156']", `,"created_by_ref":"`+contrib+`"`),
		e.scoredIndicator(2, "[ipv4-addr:value = '45.33.32.157']", `,"created_by_ref":"`+contrib+`",`+refs(marking.TLP2Red)))
	tests := []struct {
		who, id string
		status  int
	}{
		{"reader", open, http.StatusOK},
		{"contributor", open, http.StatusOK},
		{"contributor", red, http.StatusOK}, // the originator
		{"reader", red, http.StatusNotFound},
		{"nogrant", open, http.StatusNotFound},
		{"writeonly", open, http.StatusNotFound},
		{"reader", objID("indicator", 99), http.StatusNotFound},
		{"reader", "not-an-id", http.StatusBadRequest},
		{"", open, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		r := e.get(tt.who, "/api/v1/objects/"+tt.id+"/score")
		if r.status != tt.status {
			t.Errorf("%s reading the score of %s: %d, want %d: %s", tt.who, tt.id, r.status, tt.status, r.body)
		}
	}
	// A withheld object's answer is the one of an object that does not exist.
	var withheld, missing errorResource
	e.get("reader", "/api/v1/objects/"+red+"/score").decode(t, &withheld)
	e.get("reader", "/api/v1/objects/"+objID("indicator", 99)+"/score").decode(t, &missing)
	if strings.ReplaceAll(withheld.Description, red, "X") != strings.ReplaceAll(missing.Description, objID("indicator", 99), "X") {
		t.Errorf("withheld %+v, missing %+v", withheld, missing)
	}
	// Objects that are not scored.
	e.submitAs("contributor", malware(1), fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":"2024-03-01T12:00:00.000Z","modified":"2024-03-01T12:00:00.000Z","relationship_type":"indicates","source_ref":%q,"target_ref":%q}`,
		objID("relationship", 1), open, objID("malware", 1)))
	expect(t, e.get("reader", "/api/v1/objects/"+objID("relationship", 1)+"/score"), http.StatusNotFound)
	if s := e.scoreOf("reader", objID("malware", 1)); s.HalfLifeDays != 0 || s.Confidence != 38 {
		t.Errorf("malware score %+v", s)
	}
	// A version given by its timestamp.
	version := url.QueryEscape(e.clock.now().Format(millisLayout))
	expect(t, e.get("reader", "/api/v1/objects/"+open+"/score?version="+version), http.StatusOK)
	expect(t, e.get("reader", "/api/v1/objects/"+open+"/score?version=2001-01-01T00:00:00.000Z"), http.StatusNotFound)
	expect(t, e.get("reader", "/api/v1/objects/"+open+"/score?version=yesterday"), http.StatusBadRequest)
	expect(t, e.get("reader", "/api/v1/objects/"+open+"/score?limit=1"), http.StatusBadRequest)
}

func TestReliabilityAdmin(t *testing.T) {
	t.Parallel()
	e := newScoreEnv(t)
	ind := objID("indicator", 1)
	e.submitAs("contributor", e.scoredIndicator(1, "[ipv4-addr:value = '45.33.32.156']", richContext))
	if got := e.scoreOf("reader", ind).Confidence; got != 60 {
		t.Fatalf("default reliability: %d, want 60", got)
	}
	path := "/api/v1/organizations/Contributor%20Org/reliability"
	put := func(who, body string) *response {
		return e.do(req{method: http.MethodPut, path: path, token: e.tokens[who], body: []byte(body),
			header: map[string]string{"Content-Type": "application/json"}})
	}
	expect(t, e.get("admin", path), http.StatusNotFound)
	expect(t, put("reader", `{"reliability":"A"}`), http.StatusForbidden)
	for _, bad := range []string{`{"reliability":"G"}`, `{"reliability":101}`, `{"reliability":true}`, `{"grade":"A"}`} {
		expect(t, put("admin", bad), http.StatusBadRequest)
	}
	expect(t, put("admin", `{"reliability":"a"}`), http.StatusOK)
	if got := e.scoreOf("reader", ind).Confidence; got != 80 {
		t.Errorf("grade A: %d, want 80", got)
	}
	expect(t, put("admin", `{"reliability":20}`), http.StatusOK)
	r := e.get("admin", path)
	expect(t, r, http.StatusOK)
	var rel reliabilityJSON
	r.decode(t, &rel)
	if rel.Value != 20 || rel.Grade != "" || rel.OrgID != e.orgs["Contributor Org"].ID {
		t.Errorf("reliability %+v", rel)
	}
	if got := e.scoreOf("reader", ind).Confidence; got != 48 {
		t.Errorf("reliability 20: %d, want 48", got)
	}
	expect(t, e.do(req{method: http.MethodDelete, path: path, token: e.tokens["admin"]}), http.StatusNoContent)
	expect(t, e.do(req{method: http.MethodDelete, path: path, token: e.tokens["admin"]}), http.StatusNotFound)
	if got := e.scoreOf("reader", ind).Confidence; got != 60 {
		t.Errorf("cleared: %d, want 60", got)
	}
}

func TestWarningListAdmin(t *testing.T) {
	t.Parallel()
	e := newScoreEnv(t)
	admin := func(method, path, body string) *response {
		r := req{method: method, path: path, token: e.tokens["admin"]}
		if body != "" {
			r.body, r.header = []byte(body), map[string]string{"Content-Type": "application/json"}
		}
		return e.do(r)
	}
	r := admin(http.MethodPost, "/api/v1/warninglists/sinkholes", `{"values":["192.0.2.53","*.Sinkhole.Example.NET","HTTP://a.example.org:80/x"]}`)
	expect(t, r, http.StatusOK)
	var added struct {
		Values []string `json:"values"`
		Added  int      `json:"added"`
	}
	r.decode(t, &added)
	if added.Added != 3 || strings.Join(added.Values, " ") != "192.0.2.53 *.sinkhole.example.net http://a.example.org/x" {
		t.Errorf("added %+v", added)
	}
	for _, bad := range []struct{ path, body string }{
		{"/api/v1/warninglists/Bad%20Name", `{"values":["1.2.3.4"]}`},
		{"/api/v1/warninglists/ok", `{"values":["not a value"]}`},
		{"/api/v1/warninglists/ok", `{"values":[]}`},
	} {
		expect(t, admin(http.MethodPost, bad.path, bad.body), http.StatusBadRequest)
	}
	expect(t, e.do(req{method: http.MethodPost, path: "/api/v1/warninglists/x", token: e.tokens["contributor"],
		body: []byte(`{"values":["1.2.3.4"]}`), header: map[string]string{"Content-Type": "application/json"}}), http.StatusForbidden)

	r = admin(http.MethodGet, "/api/v1/warninglists/sinkholes", "")
	expect(t, r, http.StatusOK)
	var l warningListJSON
	r.decode(t, &l)
	if l.Builtin || len(l.Entries) != 3 {
		t.Errorf("list %+v", l)
	}
	r = admin(http.MethodGet, "/api/v1/warninglists?names_only=true", "")
	expect(t, r, http.StatusOK)
	var all struct {
		Lists []warningListJSON `json:"lists"`
	}
	r.decode(t, &all)
	names := map[string]bool{}
	for _, l := range all.Lists {
		names[l.Name] = l.Builtin
	}
	if !names["public-dns-resolvers"] || !names["private-ipv4"] || names["sinkholes"] || len(names) < 10 {
		t.Errorf("lists %v", names)
	}
	expect(t, admin(http.MethodGet, "/api/v1/warninglists/nothing", ""), http.StatusNotFound)

	expect(t, admin(http.MethodDelete, "/api/v1/warninglists/sinkholes?value=192.0.2.53/32", ""), http.StatusOK)
	expect(t, admin(http.MethodDelete, "/api/v1/warninglists/sinkholes?value=192.0.2.53", ""), http.StatusNotFound)
	expect(t, admin(http.MethodDelete, "/api/v1/warninglists/public-dns-resolvers?value=8.8.8.8", ""), http.StatusNotFound)
	expect(t, admin(http.MethodDelete, "/api/v1/warninglists/sinkholes", ""), http.StatusBadRequest)
	e.submitAs("contributor", e.scoredIndicator(1, "[domain-name:value = 'ns1.sinkhole.example.net']", richContext))
	got := e.scoreOf("reader", objID("indicator", 1)).WarningLists
	if len(got) != 2 || got[0].List != "sinkholes" || got[1].List != "reserved-domains" {
		t.Errorf("warning lists of the score %+v", got)
	}
}
