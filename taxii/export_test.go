package taxii

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tearline/tearline/ledger"
)

// TestExport exports the marked indicators as a blocklist for two
// organizations: each gets the addresses of what the access decision
// lets it receive, every decision is in the ledger under path export, and
// the skipped report, the formats and the grants are checked.
func TestExport(t *testing.T) {
	e := newMarkingEnv(t)
	lg, dir := withLedger(t, e, ledger.Options{})
	addrs := func(body string) []string {
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, l)
			}
		}
		slices.Sort(out)
		return out
	}
	path := "/api/v1/collections/" + e.intel.ID + "/export/?format=blocklist-ip"
	for _, tc := range []struct {
		who  string
		want []int // indicator numbers received
	}{
		{"reader", []int{1, 2, 3, 4, 5, 8, 11, 12}},
		{"fvey", []int{1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12}},
	} {
		r := e.do(req{path: path, token: e.tokens[tc.who], header: map[string]string{"X-Request-Id": "export-" + tc.who}})
		expect(t, r, http.StatusOK)
		var want []string
		for _, n := range tc.want {
			want = append(want, fmt.Sprintf("10.0.0.%d", n)) // indicator n looks for 10.0.0.n
		}
		slices.Sort(want)
		if got := addrs(string(r.body)); !slices.Equal(got, want) {
			t.Errorf("%s received %v, want %v", tc.who, got, want)
		}
	}
	if err := lg.Flush(); err != nil {
		t.Fatal(err)
	}
	entries, err := ledger.Who(dir, e.objs["red"])
	if err != nil {
		t.Fatal(err)
	}
	decisions := map[string]string{}
	for _, en := range entries {
		if en.Path != ledger.PathExport {
			t.Errorf("recorded under path %q", en.Path)
		}
		decisions[en.Request] = en.Decision.String()
	}
	if decisions["export-reader"] != "withhold" || decisions["export-fvey"] != "withhold" || len(decisions) != 2 {
		t.Errorf("decisions on the red indicator: %v", decisions)
	}

	// The skipped report names what the format cannot express; STIX is a
	// bundle of everything received; suricata rules hold the addresses.
	r := e.do(req{path: "/api/v1/collections/" + e.intel.ID + "/export/?format=blocklist-domain&report=skipped", token: e.tokens["reader"]})
	expect(t, r, http.StatusOK)
	if n := strings.Count(string(r.body), `does not belong in blocklist-domain`); n != 8 {
		t.Errorf("skipped report (%d lines):\n%s", n, r.body)
	}
	r = e.do(req{path: "/api/v1/collections/intel/export/?format=stix", token: e.tokens["reader"]})
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"type": "bundle"`) || strings.Contains(string(r.body), e.objs["red"]) || !strings.Contains(string(r.body), e.objs["green"]) {
		t.Errorf("stix export:\n%s", r.body)
	}
	r = e.do(req{path: "/api/v1/collections/" + e.intel.ID + "/export/?format=suricata", token: e.tokens["reader"]})
	expect(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), "alert ip any any <> [10.0.0.3] any") || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("suricata export: %s\n%s", r.header, r.body)
	}
	for _, tc := range []struct {
		path   string
		token  string
		status int
	}{
		{"/api/v1/collections/" + e.intel.ID + "/export/?format=yara", e.tokens["reader"], http.StatusBadRequest},
		{"/api/v1/collections/" + e.intel.ID + "/export/?format=csv&report=all", e.tokens["reader"], http.StatusBadRequest},
		{"/api/v1/collections/no-such-collection/export/?format=csv", e.tokens["reader"], http.StatusNotFound},
		{"/api/v1/collections/" + e.intel.ID + "/export/?format=csv", "", http.StatusUnauthorized},
	} {
		r := e.do(req{path: tc.path, token: tc.token})
		expect(t, r, tc.status)
	}
}
