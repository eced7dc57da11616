package match_test

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/match"
	"github.com/tearline/tearline/stix/pattern"
)

// TestReadSTIX reads observed-data of STIX 2.1 (object_refs, references
// followed) and 2.0 (embedded objects), in first_observed order, and skips
// what cannot be read with a reason.
func TestReadSTIX(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/observed-data.json")
	if err != nil {
		t.Fatal(err)
	}
	var skips match.Skips
	obs, err := match.ReadSTIX(data, &skips)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range obs {
		got = append(got, o.ID+" "+o.First.Format("15:04")+"-"+o.Last.Format("15:04")+" "+string(o.ObjectsJSON()))
	}
	want := []string{
		`observed-data--0ab0b7a1-5b7c-4a3c-8f09-000000000002 18:00-18:30 {"0":{"type":"domain-name","value":"evil.example.com"}}`,
		`observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf 19:00-19:00 {"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd":{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"},` +
			`"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d":{"type":"network-traffic","spec_version":"2.1","id":"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d","src_ref":"ipv4-addr--68f0e5b8-0ee6-5ab7-9b6b-b1ea49a6b3d4","dst_ref":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","dst_port":4444,"protocols":["tcp"]},` +
			`"ipv4-addr--68f0e5b8-0ee6-5ab7-9b6b-b1ea49a6b3d4":{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--68f0e5b8-0ee6-5ab7-9b6b-b1ea49a6b3d4","value":"10.0.0.5"}}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observations (-want +got):\n%s", diff)
	}
	wantSkips := map[string]int{
		"observed-data object_refs names an object that is not in the input": 1,
		"observed-data without a valid first_observed":                       1,
	}
	if diff := cmp.Diff(wantSkips, skips.Counts()); diff != "" {
		t.Errorf("skips (-want +got):\n%s", diff)
	}
	// The network-traffic's references reach the addresses of the bundle.
	p, err := pattern.Parse("[network-traffic:src_ref.value = '10.0.0.5' AND network-traffic:dst_ref.value = '198.51.100.3']")
	if err != nil {
		t.Fatal(err)
	}
	b := match.NewBuilder(match.Options{})
	if err := b.Add(match.Indicator{ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Pattern: p}); err != nil {
		t.Fatal(err)
	}
	m := b.Build().NewMatcher()
	var matched []string
	for i := range obs {
		for _, x := range m.Match(&obs[i]) {
			matched = append(matched, x.Indicator+" "+x.Observations[0].ID)
		}
	}
	if diff := cmp.Diff([]string{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"}, matched); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
}
