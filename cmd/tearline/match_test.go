package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// matchIndicators is a bundle of indicators for the match tests: an
// address, a domain (with a validity that has ended), a compound pattern,
// a Snort rule the matcher does not run, and a revoked one.
const matchIndicators = `{"type":"bundle","id":"bundle--6d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--a1a1a1a1-0000-4000-8000-000000000001","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--a1a1a1a1-0000-4000-8000-000000000002","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'evil.example.com']","pattern_type":"stix","valid_from":"2023-01-01T00:00:00Z","valid_until":"2024-02-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--a1a1a1a1-0000-4000-8000-000000000002","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-02T00:00:00.000Z","pattern":"[domain-name:value = 'evil.example.com']","pattern_type":"stix","valid_from":"2023-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--a1a1a1a1-0000-4000-8000-000000000003","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'evil.example.com'] FOLLOWEDBY [file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--a1a1a1a1-0000-4000-8000-000000000004","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"alert ip any any -> any any (sid:1;)","pattern_type":"snort","valid_from":"2024-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--a1a1a1a1-0000-4000-8000-000000000005","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.0.0.5']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","revoked":true}
]}`

// TestMatchCommand matches the test logs of package match and observed
// data with tearline match, and reports sightings to a real server.
func TestMatchCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inds := filepath.Join(dir, "indicators.json")
	writeFile(t, inds, matchIndicators)

	type line struct {
		Indicator    string          `json:"indicator"`
		Time         string          `json:"time"`
		Line         int             `json:"line"`
		ObservedData string          `json:"observed_data"`
		Event        json.RawMessage `json:"event"`
		Observations []struct {
			Line int `json:"line"`
		} `json:"observations"`
	}
	parse := func(out string) []line {
		var ls []line
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var x line
			if err := json.Unmarshal([]byte(l), &x); err != nil {
				t.Fatalf("%v: %s", err, l)
			}
			ls = append(ls, x)
		}
		return ls
	}
	suricata, err := os.ReadFile("../../match/testdata/suricata.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, string(suricata), "match", "--indicators", inds, "--events", "-")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	got := map[string][]int{}
	for _, x := range parse(out) {
		got[x.Indicator[len(x.Indicator)-1:]] = append(got[x.Indicator[len(x.Indicator)-1:]], x.Line)
		if !json.Valid(x.Event) || x.Time == "" {
			t.Errorf("match without its event or time: %+v", x)
		}
		if x.Indicator[len(x.Indicator)-1:] == "3" && (len(x.Observations) != 2 || x.Observations[1].Line != x.Line) {
			t.Errorf("compound match without its observations: %+v", x)
		}
	}
	want := map[string][]int{"1": {2, 3, 5}, "2": {1, 2, 3, 5}, "3": {5}}
	if !equalMatches(got, want) {
		t.Errorf("matches %v, want %v\n%s", got, want, out)
	}
	for _, s := range []string{"compiled 3 indicators", "1 pattern_type is not stix", "1 revoked", "7 events", "skipped 1: event_type stats is not mapped", "skipped 1: src_ip: not a string"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}

	// Observed data, told apart automatically, reported to a server.
	data := t.TempDir()
	orgID := cli(t, "org", "add", "--data", data, "--name", "acme", "--country", "US")
	token := cli(t, "key", "create", "--data", data, "--org", "acme", "--role", "contributor")
	cli(t, "collection", "add", "--data", data, "--title", "Sightings", "--alias", "sightings", "--write", "acme", "--read", "acme")
	cfg := defaultServeConfig()
	cfg.Data, cfg.Listen = data, "127.0.0.1:0"
	srv := boot(t, cfg)
	root := srv.URL() + "/taxii2/default/"
	od := filepath.Join(dir, "od.json")
	writeFile(t, od, `{"type":"bundle","id":"bundle--7d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"observed-data","spec_version":"2.1","id":"observed-data--b1b1b1b1-0000-4000-8000-000000000001","created":"2024-03-01T00:00:00Z","modified":"2024-03-01T00:00:00Z","first_observed":"2024-03-01T10:00:00Z","last_observed":"2024-03-01T10:05:00Z","number_observed":3,"object_refs":["ipv4-addr--c1c1c1c1-0000-5000-8000-000000000001"]},
{"type":"observed-data","spec_version":"2.1","id":"observed-data--b1b1b1b1-0000-4000-8000-000000000002","created":"2024-03-01T00:00:00Z","modified":"2024-03-01T00:00:00Z","first_observed":"2024-03-02T10:00:00Z","last_observed":"2024-03-02T10:00:00Z","number_observed":1,"object_refs":["ipv4-addr--c1c1c1c1-0000-5000-8000-000000000001"]},
{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--c1c1c1c1-0000-5000-8000-000000000001","value":"198.51.100.7"}]}`)
	code, out, errOut = run(t, "", "match", "--indicators", inds, "--events", od, "--report", root+"collections/sightings/", "--identity", orgID, "--token", token)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	ls := parse(out)
	if len(ls) != 2 || ls[0].ObservedData != "observed-data--b1b1b1b1-0000-4000-8000-000000000001" {
		t.Errorf("matches:\n%s", out)
	}
	if !strings.Contains(errOut, "reported 1 sightings: 1 succeeded, 0 failed") {
		t.Errorf("stderr:\n%s", errOut)
	}
	got2 := filepath.Join(dir, "sightings.json")
	cli(t, "taxii", "get", "--token", token, "-o", got2, root, "sightings")
	f, err := os.Open(got2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs := objectsOf(t, f)
	if len(objs) != 1 {
		t.Fatalf("%d objects on the server, want 1 sighting", len(objs))
	}
	for _, raw := range objs {
		var s struct {
			Type             string   `json:"type"`
			SightingOf       string   `json:"sighting_of_ref"`
			Count            int      `json:"count"`
			FirstSeen        string   `json:"first_seen"`
			LastSeen         string   `json:"last_seen"`
			ObservedDataRefs []string `json:"observed_data_refs"`
			WhereSighted     []string `json:"where_sighted_refs"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if s.Type != "sighting" || s.SightingOf != "indicator--a1a1a1a1-0000-4000-8000-000000000001" || s.Count != 2 ||
			s.FirstSeen != "2024-03-01T10:00:00Z" || s.LastSeen != "2024-03-02T10:00:00Z" || len(s.ObservedDataRefs) != 2 ||
			len(s.WhereSighted) != 1 || s.WhereSighted[0] != orgID {
			t.Errorf("sighting: %s", raw)
		}
	}
	// The indicators can come from the server too.
	code, out, errOut = run(t, "", "match", "--indicators", root+"collections/sightings/", "--events", od, "--token", token)
	if code != 0 || out != "" || !strings.Contains(errOut, "compiled 0 indicators") {
		t.Errorf("indicators from a collection without any: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut = run(t, "", "match", "--indicators", inds, "--events", od, "--report", root+"collections/sightings/"); code == 0 || !strings.Contains(errOut, "--identity") {
		t.Errorf("--report without --identity: exit %d\n%s", code, errOut)
	}
	_ = bytes.MinRead
}

func equalMatches(a, b map[string][]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w := b[k]
		if len(v) != len(w) {
			return false
		}
		for i := range v {
			if v[i] != w[i] {
				return false
			}
		}
	}
	return true
}
