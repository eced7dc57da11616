package taxii

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
)

// withLedger restarts e's server with a disclosure ledger in a new
// directory, closed after the server, and returns the ledger and its
// directory.
func withLedger(t *testing.T, e *markingEnv, opts ledger.Options) (*ledger.Ledger, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ledger.DirName)
	lg, err := ledger.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the server stops before the ledger closes.
	t.Cleanup(func() {
		if err := lg.Close(); err != nil && err != ledger.ErrClosed {
			t.Error(err)
		}
	})
	cfg := testConfig()
	cfg.Ledger = lg
	e.restart(cfg, false)
	return lg, dir
}

// recorded is what a test checks of a ledger entry.
type recorded struct {
	Org, Key, Path, Request, Decision string
}

// TestLedgerRecordsEveryDecision reads as two organizations with different
// rights on every read path and checks that the ledger holds exactly the
// decisions made, withheld ones included unless SkipWithheld, and that its
// chain verifies.
func TestLedgerRecordsEveryDecision(t *testing.T) {
	for _, skip := range []bool{false, true} {
		t.Run(map[bool]string{false: "withheld recorded", true: "skip withheld"}[skip], func(t *testing.T) {
			e := newMarkingEnv(t)
			lg, dir := withLedger(t, e, ledger.Options{SkipWithheld: skip})
			keyOf := map[string]string{}
			for _, who := range []string{"reader", "fvey"} {
				tok, err := auth.ParseToken(e.tokens[who])
				if err != nil {
					t.Fatal(err)
				}
				keyOf[who] = tok.KeyID
			}
			// What each organization may receive of the indicators: whole,
			// redacted, or (absent) withheld.
			decisions := map[string]map[string]string{
				"reader": {"amber": "whole", "amber-strict": "whole", "clear": "whole", "green": "whole", "tlp1-white": "whole",
					"unmarked": "whole", "granular": "redacted", "granular-secret": "redacted"},
				"fvey": {"amber": "whole", "amber-strict": "whole", "clear": "whole", "green": "whole", "tlp1-white": "whole",
					"unmarked": "whole", "granular": "redacted", "granular-secret": "whole",
					"confidential": "whole", "red-named": "whole", "secret-rel": "whole"},
			}
			want := map[string][]recorded{} // object name -> entries, oldest first
			expectEntry := func(who, name, path, request string) {
				d, ok := decisions[who][name]
				if !ok {
					if skip {
						return
					}
					d = "withhold"
				}
				want[name] = append(want[name], recorded{Org: e.orgs[orgName(who)].ID, Key: keyOf[who], Path: path, Request: request, Decision: d})
			}
			for _, who := range []string{"reader", "fvey"} {
				r := e.do(req{path: colPath(e.intel, "objects/?match[type]=indicator"), token: e.tokens[who],
					header: map[string]string{"X-Request-Id": "objects-" + who}})
				expect(t, r, http.StatusOK)
				for name := range e.objs {
					expectEntry(who, name, ledger.PathObjects, "objects-"+who)
				}
			}
			// The other paths, as the reader: a withheld object (404), the
			// versions of a whole one, a manifest entry of a redacted one.
			for _, tt := range []struct{ name, path, ledgerPath string }{
				{"red", "objects/" + e.objs["red"] + "/", ledger.PathObject},
				{"green", "objects/" + e.objs["green"] + "/versions/", ledger.PathVersions},
				{"granular", "manifest/?match[id]=" + e.objs["granular"], ledger.PathManifest},
			} {
				r := e.do(req{path: colPath(e.intel, tt.path), token: e.tokens["reader"], header: map[string]string{"X-Request-Id": tt.ledgerPath}})
				if tt.name == "red" {
					expect(t, r, http.StatusNotFound)
				} else {
					expect(t, r, http.StatusOK)
				}
				expectEntry("reader", tt.name, tt.ledgerPath, tt.ledgerPath)
			}
			if err := lg.Flush(); err != nil {
				t.Fatal(err)
			}

			total := 0
			for name, id := range e.objs {
				entries, err := ledger.Who(dir, id)
				if err != nil {
					t.Fatal(err)
				}
				var got []recorded
				for _, en := range entries {
					got = append(got, recorded{Org: en.Org, Key: en.Key, Path: en.Path, Request: en.Request, Decision: en.Decision.String()})
					if en.Collection != e.intel.ID || en.Version == "" || en.Time.IsZero() {
						t.Errorf("%s: collection %q, version %q", name, en.Collection, en.Version)
					}
					switch {
					case name == "red" && en.TLP != marking.Red, name == "green" && en.TLP != marking.Green:
						t.Errorf("%s recorded with TLP %v", name, en.TLP)
					case name == "secret-rel" && en.Classification != "SECRET":
						t.Errorf("%s recorded with classification %q", name, en.Classification)
					case en.Decision != marking.Whole && en.Reason == "":
						t.Errorf("%s: %s recorded without a reason", name, en.Decision)
					}
				}
				total += len(got)
				// Who lists by record: sort within to compare regardless of
				// the order of the two organizations' pages.
				cmpRec := func(a, b recorded) int { return strings.Compare(a.Request+a.Org, b.Request+b.Org) }
				slices.SortFunc(got, cmpRec)
				slices.SortFunc(want[name], cmpRec)
				if d := cmp.Diff(want[name], got); d != "" {
					t.Errorf("who %s (-want +got):\n%s", name, d)
				}
			}
			rep, err := ledger.Verify(dir, ledger.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// The genesis record, then one record per response page, but
			// for the page of the withheld object when withheld ones are
			// skipped.
			records := uint64(1 + 5)
			if skip {
				records--
			}
			if rep.Records != records || rep.Disclosures != uint64(total) {
				t.Errorf("verify: %d records, %d disclosures; want %d and %d", rep.Records, rep.Disclosures, records, total)
			}
		})
	}
}

// orgName is the organization of a test key.
func orgName(who string) string {
	if who == "reader" {
		return "Reader Org"
	}
	return who
}

// TestLedgerUnavailable checks that no object goes out once the ledger
// cannot record: every read path answers 503.
func TestLedgerUnavailable(t *testing.T) {
	e := newMarkingEnv(t)
	lg, _ := withLedger(t, e, ledger.Options{})
	if err := lg.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"objects/",
		"objects/" + e.objs["green"] + "/",
		"objects/" + e.objs["green"] + "/versions/",
		"manifest/",
	} {
		r := e.get("reader", colPath(e.intel, path))
		expect(t, r, http.StatusServiceUnavailable)
		if strings.Contains(string(r.body), "indicator--") {
			t.Errorf("%s: 503 body names an object: %s", path, r.body)
		}
	}
	// A page with nothing in it discloses nothing and needs no record.
	expect(t, e.get("reader", colPath(e.intel, "objects/?match[type]=sighting")), http.StatusOK)
}
