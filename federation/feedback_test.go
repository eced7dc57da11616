package federation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii/taxiitest"
)

// sighting returns a sighting n of the object ref, marked GREEN.
func sighting(n int, ref string) []byte {
	return fmt.Appendf(nil, `{"type":"sighting","spec_version":"2.1","id":%q,"created":"2025-06-02T00:00:00.000Z",`+
		`"modified":"2025-06-02T00:00:00.000Z","sighting_of_ref":%q,"count":3,%s}`,
		taxiitest.ID("sighting", n), ref, marked(marking.TLP2Green))
}

// opinion returns an opinion n on the object ref, marked GREEN.
func opinion(n int, ref string) []byte {
	return fmt.Appendf(nil, `{"type":"opinion","spec_version":"2.1","id":%q,"created":"2025-06-02T00:00:00.000Z",`+
		`"modified":"2025-06-02T00:00:00.000Z","opinion":"agree","object_refs":[%q],%s}`,
		taxiitest.ID("opinion", n), ref, marked(marking.TLP2Green))
}

// TestFeedbackFromPeers: a foreign CERT's sighting that the hub pulls, and
// its opinion that it pushes to the hub, are feedback on the hub's
// indicator like a sighting posted to the hub: recorded with the CERT's
// organization on the hub, and the first feedback on the submission that
// stored the indicator.
func TestFeedbackFromPeers(t *testing.T) {
	t.Parallel()
	hub, cert := newNode(t, "hub", "US"), newNode(t, "cert", "FR")
	intel, inbox := hub.collection("intel"), hub.collection("inbox")
	hub.submit(intel, taxiitest.Indicator(1, 0, marked(marking.TLP2Green)))
	certIntel, certOut := cert.collection("intel"), cert.collection("out")

	// On the hub, pr.orgA stands for the CERT.
	pr := connect(hub, cert, profile{country: "FR", ceiling: "green"}, profile{country: "US", ceiling: "green"})
	cert.run(pr.reverse().pullAB(certIntel, intel))
	if got := cert.ids(certIntel); !cmp.Equal(got, []string{id(1)}) {
		t.Fatalf("the cert pulled %v", got)
	}
	cert.submit(certIntel, sighting(1, id(1)))
	cert.submit(certOut, opinion(1, id(1)))

	if st := hub.run(pr.pullAB(inbox, certIntel)); st.Objects != 2 || st.Refused != 0 { // the indicator comes back too
		t.Fatalf("hub pull: state %+v", st)
	}
	if st := cert.run(pr.reverse().pushAB(certOut, inbox, false)); st.Objects != 1 || st.Refused != 0 {
		t.Fatalf("cert push: state %+v", st)
	}

	ex, ok := hub.srv.DB.(tearline.Exchanges)
	if !ok {
		t.Fatal("the test store keeps no exchanges")
	}
	ctx := context.Background()
	fs, err := ex.ListFeedback(ctx, []string{id(1)}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	type ref struct{ Object, Type, Ref, Org string }
	got := map[ref]bool{}
	for _, f := range fs {
		got[ref{f.ObjectID, f.Type, f.RefID, f.OrgID}] = true
	}
	want := map[ref]bool{
		{taxiitest.ID("sighting", 1), "sighting", id(1), pr.orgA.ID}: true, // pulled
		{taxiitest.ID("opinion", 1), "opinion", id(1), pr.orgA.ID}:   true, // pushed
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("feedback on the hub's indicator (-want +got):\n%s", diff)
	}
	subs, err := ex.ListSubmissions(ctx, tearline.SubmissionFilter{OrgID: hub.producer.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].FirstFeedback.IsZero() {
		t.Errorf("the submission of the hub's indicator: %+v, want one with a first feedback", subs)
	}
}
