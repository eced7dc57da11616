package taxii

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tearline/tearline/ingest"
)

// receipt returns the message of the success detail of object id.
func receipt(t *testing.T, st statusResource, id string) string {
	t.Helper()
	for _, d := range st.Successes {
		if d.ID == id {
			return d.Message
		}
	}
	t.Fatalf("no success detail for %s in %+v", id, st)
	return ""
}

func TestScoreReceiptsOverTAXII(t *testing.T) {
	t.Parallel()
	e := newScoreEnv(t)
	listed, clean, bare := objID("indicator", 1), objID("indicator", 2), objID("indicator", 3)
	st := e.submitAs("contributor",
		e.scoredIndicator(1, "[ipv4-addr:value = '8.8.8.8'] OR [ipv4-addr:value = '10.1.2.3']", richContext),
		e.scoredIndicator(2, "[ipv4-addr:value = '45.33.32.156']", richContext),
		e.scoredIndicator(3, "[domain-name:value = 'login.example.com']", `,"labels":["phishing"]`))
	if got := receipt(t, st, listed); got != "warnings: warning-list 8.8.8.8(public-dns-resolvers) 10.1.2.3(private-ipv4)" {
		t.Errorf("receipt of the listed indicator %q", got)
	}
	if got := receipt(t, st, clean); got != "" {
		t.Errorf("receipt of the clean indicator %q", got)
	}
	ws, ok := ingest.ParseWarnings(receipt(t, st, bare))
	if !ok || len(ws) != 2 || ws[0].Code != ingest.WarnWarningList || ws[1].Code != ingest.WarnLowContext ||
		strings.Join(ws[1].Args, " ") != "5 missing=kill-chain-phases,related-attack-pattern,related-malware-or-tool,related-actor,description,valid-until,external-references" {
		t.Errorf("receipt of the bare indicator: %+v", ws)
	}
	l, c := e.scoreOf("reader", listed), e.scoreOf("reader", clean)
	if l.Confidence >= c.Confidence || len(l.WarningLists) != 2 || len(c.WarningLists) != 0 {
		t.Errorf("listed %+v, clean %+v: the hit must lower the score", l, c)
	}
	if c.Confidence != 60 || l.Confidence != 15 { // 60 × 0.25
		t.Errorf("confidence listed %d, clean %d; want 15, 60", l.Confidence, c.Confidence)
	}

	// A list the administrators add applies to later submissions.
	r := e.do(req{method: http.MethodPost, path: "/api/v1/warninglists/corp-ranges", token: e.tokens["admin"],
		body: []byte(`{"values":["45.33.32.0/24"],"comment":"our scanners"}`), header: map[string]string{"Content-Type": "application/json"}})
	expect(t, r, http.StatusOK)
	st = e.submitAs("partner", e.scoredIndicator(4, "[ipv4-addr:value = '45.33.32.7']", richContext))
	if got := receipt(t, st, objID("indicator", 4)); got != "warnings: warning-list 45.33.32.7(corp-ranges)" {
		t.Errorf("receipt after the admin list %q", got)
	}
	// The same version again is a duplicate, and still listed.
	st = e.submitAs("partner", e.scoredIndicator(4, "[ipv4-addr:value = '45.33.32.7']", richContext))
	if got := receipt(t, st, objID("indicator", 4)); got != "warnings: warning-list 45.33.32.7(corp-ranges); duplicate" &&
		got != "warnings: duplicate; warning-list 45.33.32.7(corp-ranges)" {
		t.Errorf("receipt of the duplicate %q", got)
	}
}
