package score_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/score"
	"github.com/tearline/tearline/sqlite"
)

// clock is a test clock that only moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is an engine over a real SQLite store, fed through package ingest as
// a TAXII submission is.
type env struct {
	t     *testing.T
	db    *sqlite.DB
	col   *tearline.Collection
	eng   *score.Engine
	clock *clock
	orgs  map[string]string // name -> id
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	col := &tearline.Collection{Alias: "intel", Title: "Intel"}
	if err := db.CreateCollection(context.Background(), col); err != nil {
		t.Fatal(err)
	}
	// The clock starts at the real time: the observable index stamps
	// submissions with it.
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	e := &env{t: t, db: db, col: col, clock: c, orgs: map[string]string{}}
	e.eng = score.New(db, score.Options{Now: c.now})
	for _, name := range []string{"alpha", "bravo", "charlie"} {
		o := &tearline.Organization{Name: name}
		if err := db.CreateOrganization(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		e.orgs[name] = o.ID
	}
	return e
}

// submit ingests objects as org's submission and returns the receipt
// warnings by object id.
func (e *env) submit(org string, objs ...string) map[string][]ingest.Warning {
	e.t.Helper()
	out := map[string][]ingest.Warning{}
	body := `{"objects":[` + strings.Join(objs, ",") + `]}`
	rep, err := ingest.Envelope(context.Background(), e.db, e.col.ID, strings.NewReader(body), ingest.Options{
		Observables: e.db, Source: e.orgs[org], Scorer: e.eng,
		OnObject: func(o *ingest.Outcome) {
			if !o.Stored() {
				e.t.Errorf("object %s not stored: %v", o.ID, o.Issues)
			}
			out[o.ID] = o.Warnings
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if rep.Invalid > 0 {
		e.t.Fatalf("%d invalid objects", rep.Invalid)
	}
	return out
}

// score returns the current score of the latest version of id.
func (e *env) score(id string) *score.Result {
	e.t.Helper()
	page, err := e.db.QueryObjects(context.Background(), tearline.ObjectQuery{CollectionID: e.col.ID, IDs: []string{id}})
	if err != nil || len(page.Entries) != 1 {
		e.t.Fatalf("query %s: %v, %d entries", id, err, len(page.Entries))
	}
	r, err := e.eng.Score(context.Background(), &page.Entries[0].Object)
	if err != nil {
		e.t.Fatal(err)
	}
	if r == nil {
		e.t.Fatalf("no score for %s", id)
	}
	return r
}

var seq int

// uid returns a new UUID-shaped suffix.
func uid() string {
	seq++
	return fmt.Sprintf("%08x-0000-4000-8000-000000000000", seq)
}

const ts = "2026-01-01T00:00:00.000Z"

// indicator returns an indicator on an IPv4 address, created and modified
// at the clock's time, with extra members.
func (e *env) indicator(id, ip, extra string) string {
	now := e.clock.now().Format("2006-01-02T15:04:05.000Z")
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,
		"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":%q%s}`, id, now, now, ip, now, extra)
}

func TestEngineEvidence(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.SetReliability(ctx, &tearline.Reliability{OrgID: e.orgs["alpha"], Grade: "A", Value: 100}); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	ind := "indicator--" + uid()
	e.submit("alpha", e.indicator(ind, "45.33.32.156", `,"confidence":80`))
	steps := []struct {
		name string
		do   func()
		want int
	}{
		{"stated 80 by a grade-A source", func() {}, 80},
		{"a positive sighting", func() {
			e.submit("bravo", fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":"sighting--%s","created":%q,"modified":%q,"sighting_of_ref":%q}`,
				uid(), ts, ts, ind))
		}, 83}, // 80 + 20 × 0.15
		{"the same sighting again", func() {}, 83},
		{"a disagreeing opinion", func() {
			e.submit("charlie", fmt.Sprintf(`{"type":"opinion","spec_version":"2.1","id":"opinion--%s","created":%q,"modified":%q,"opinion":"strongly-disagree","object_refs":[%q]}`,
				uid(), ts, ts, ind))
		}, 42}, // 83 × 0.5 = 41.5
		{"a false-positive sighting", func() {
			e.submit("charlie", fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":"sighting--%s","created":%q,"modified":%q,"sighting_of_ref":%q,"x_tearline_false_positive":true}`,
				uid(), ts, ts, ind))
		}, 21}, // 83 × 0.25
		{"30 days later (IPv4 half-life)", func() { e.clock.advance(30 * score.Day) }, 10},
	}
	for _, s := range steps {
		s.do()
		if got := e.score(ind).Confidence; got != s.want {
			t.Errorf("%s: confidence %d, want %d", s.name, got, s.want)
		}
	}
	r := e.score(ind)
	if r.Evidence.Sightings != 1 || r.Evidence.FalsePositives != 2 || r.Evidence.Reliability != 100 || r.Evidence.Stated != 80 {
		t.Errorf("evidence %+v", r.Evidence)
	}
	if r.Timing.HalfLife != 30*score.Day {
		t.Errorf("half-life %v, want 30 days", r.Timing.HalfLife)
	}
}

func TestEngineCorroboration(t *testing.T) {
	e := newEnv(t)
	a, b := "indicator--"+uid(), "indicator--"+uid()
	e.submit("alpha", e.indicator(a, "45.33.32.156", ""))
	if got := e.score(a).Confidence; got != 38 { // 37.5: defaults
		t.Errorf("alone: %d, want 38", got)
	}
	// Another organization's indicator on the same value corroborates
	// both; the first is rescored without being submitted again.
	e.submit("bravo", e.indicator(b, "45.33.32.156/32", ""))
	for _, id := range []string{a, b} {
		r := e.score(id)
		if r.Evidence.Sources != 1 || r.Confidence != 53 { // 37.5 + 62.5 × 0.25
			t.Errorf("%s after corroboration: sources %d, confidence %d; want 1, 53", id, r.Evidence.Sources, r.Confidence)
		}
	}
	// The same organization again adds nothing.
	e.submit("bravo", e.indicator("indicator--"+uid(), "45.33.32.156", ""))
	if r := e.score(a); r.Evidence.Sources != 1 {
		t.Errorf("bravo twice: sources %d, want 1", r.Evidence.Sources)
	}
	// An unattributed import does not corroborate.
	e.submit("nobody", e.indicator("indicator--"+uid(), "45.33.32.156", ""))
	if r := e.score(a); r.Evidence.Sources != 1 {
		t.Errorf("unattributed: sources %d, want 1", r.Evidence.Sources)
	}
	e.submit("charlie", e.indicator("indicator--"+uid(), "45.33.32.156", ""))
	if r := e.score(a); r.Evidence.Sources != 2 || r.Confidence != 65 {
		t.Errorf("third organization: sources %d, confidence %d; want 2, 65", r.Evidence.Sources, r.Confidence)
	}
}

func TestEngineContext(t *testing.T) {
	e := newEnv(t)
	ind, mal, ap := "indicator--"+uid(), "malware--"+uid(), "attack-pattern--"+uid()
	ws := e.submit("alpha", e.indicator(ind, "45.33.32.156", `,"labels":["c2"]`))
	if got := ingest.FormatWarnings(ws[ind]); got != "warnings: low-context 5 missing=kill-chain-phases,related-attack-pattern,"+
		"related-malware-or-tool,related-actor,description,valid-until,external-references" {
		t.Errorf("receipt %q", got)
	}
	// Relationships in a later submission, and one in the same
	// submission as its target, raise the context score.
	e.submit("alpha",
		fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"x","is_family":true}`, mal, ts, ts),
		fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created":%q,"modified":%q,"relationship_type":"indicates","source_ref":%q,"target_ref":%q}`,
			uid(), ts, ts, ind, mal))
	if got := e.score(ind).Context; got != 20 {
		t.Errorf("after indicates malware: context %d, want 20", got)
	}
	ind2 := "indicator--" + uid()
	ws = e.submit("alpha",
		e.indicator(ind2, "45.33.32.157", `,"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"command-and-control"}],
			"description":"Beacon of the loader seen in the campaign against utilities; it polls every 60 seconds over HTTPS on port 443.",
			"external_references":[{"source_name":"vendor","url":"https://vendor.example/report"}],"labels":["c2"]`),
		fmt.Sprintf(`{"type":"attack-pattern","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"Application Layer Protocol"}`, ap, ts, ts),
		fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created":%q,"modified":%q,"relationship_type":"indicates","source_ref":%q,"target_ref":%q}`,
			uid(), ts, ts, ind2, ap))
	if len(ws[ind2]) != 0 {
		t.Errorf("a rich indicator got warnings %v", ws[ind2])
	}
	r := e.score(ind2)
	if r.Context != 60 || strings.Join(r.Missing, "; ") != "related malware or tool; related threat actor, intrusion set or campaign; validity window (valid_until)" {
		t.Errorf("context %d, missing %q", r.Context, r.Missing)
	}
	if e.score(ap).Context != 0 { // related to an indicator: not a context type
		t.Errorf("attack pattern context %d", e.score(ap).Context)
	}
}

func TestEngineWarningLists(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ind, ind2, url := "indicator--"+uid(), "indicator--"+uid(), "url--"+uid()
	ws := e.submit("alpha", e.indicator(ind, "8.8.8.8", `,"confidence":80,"kill_chain_phases":[{"kill_chain_name":"k","phase_name":"p"}],"labels":["x"],"external_references":[{"source_name":"s","external_id":"S1"}],"description":"`+strings.Repeat("d", 100)+`"`))
	if got := ingest.FormatWarnings(ws[ind]); got != "warnings: warning-list 8.8.8.8(public-dns-resolvers)" {
		t.Errorf("receipt %q", got)
	}
	if r := e.score(ind); r.Confidence != 15 || len(r.Warnings) != 1 { // 80 × 0.75 × 0.25
		t.Errorf("score %d, warnings %v; want 15 and one hit", r.Confidence, r.Warnings)
	}
	// An admin list, read again after it changes.
	if _, err := e.db.AddWarningEntries(ctx, []tearline.WarningEntry{{List: "corp", Value: "45.33.32.0/24"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	ws = e.submit("alpha", e.indicator(ind2, "45.33.32.156", ""),
		fmt.Sprintf(`{"type":"url","spec_version":"2.1","id":%q,"value":"http://10.1.2.3:8080/a;b c"}`, url))
	if got := ingest.FormatWarnings(ws[ind2]); !strings.HasPrefix(got, "warnings: warning-list 45.33.32.156(corp); low-context 0 ") {
		t.Errorf("receipt %q", got)
	}
	if got := ingest.FormatWarnings(ws[url]); got != "warnings: warning-list http://10.1.2.3:8080/a%3Bb%2520c(private-ipv4)" {
		t.Errorf("receipt of the URL %q", got)
	}
	r := e.score(url)
	if r.Timing.HalfLife != 60*score.Day || r.Timing.Reference.IsZero() {
		t.Errorf("URL timing %+v", r.Timing)
	}
}

func TestEngineLinksFirst(t *testing.T) {
	e := newEnv(t)
	ind := "indicator--" + uid()
	// A sighting and a relationship that arrive before their indicator.
	e.submit("bravo",
		fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":"sighting--%s","created":%q,"modified":%q,"sighting_of_ref":%q}`, uid(), ts, ts, ind),
		fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created":%q,"modified":%q,"relationship_type":"indicates","source_ref":%q,"target_ref":"campaign--%s"}`,
			uid(), ts, ts, ind, uid()))
	e.submit("alpha", e.indicator(ind, "45.33.32.156", ""))
	r := e.score(ind)
	if r.Evidence.Sightings != 1 || r.Context != 15 || r.Confidence != 47 { // 37.5 + 62.5 × 0.15 = 46.9
		t.Errorf("evidence %+v, context %d, confidence %d", r.Evidence, r.Context, r.Confidence)
	}
}

func TestEngineUnscored(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ind := "indicator--" + uid()
	// Stored without a scorer (as before scoring existed): scored on
	// demand, not stored.
	body := `{"objects":[` + e.indicator(ind, "45.33.32.156", `,"confidence":60`) + `]}`
	if _, err := ingest.Envelope(ctx, e.db, e.col.ID, strings.NewReader(body), ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	r := e.score(ind)
	if r.Confidence != 45 || !r.Computed.IsZero() { // 60 × 0.75
		t.Errorf("confidence %d computed %v; want 45, computed now", r.Confidence, r.Computed)
	}
	recs, err := e.db.FindScores(ctx, []string{ind})
	if err != nil || len(recs) != 0 {
		t.Errorf("records %v, %v; want none", recs, err)
	}
	// Relationships and sightings are not scored.
	rel := &tearline.Object{ID: "relationship--" + uid(), Type: "relationship", Raw: []byte(`{"type":"relationship"}`)}
	if r, err := e.eng.Score(ctx, rel); r != nil || err != nil {
		t.Errorf("Score(relationship) = %v, %v", r, err)
	}
}

func TestEngineReliabilityOnRead(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ind := "indicator--" + uid()
	e.submit("alpha", e.indicator(ind, "45.33.32.156", `,"confidence":80`))
	if got := e.score(ind).Confidence; got != 60 {
		t.Errorf("default reliability: %d, want 60", got)
	}
	if err := e.db.SetReliability(ctx, &tearline.Reliability{OrgID: e.orgs["alpha"], Grade: "E", Value: 20}); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.score(ind).Confidence; got != 48 {
		t.Errorf("grade E: %d, want 48", got)
	}
}
