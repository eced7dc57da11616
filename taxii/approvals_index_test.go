package taxii

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
)

// TestApprovalsFeedObservableIndex checks that the versions an approval
// stores reach the observable index: a released tear-line product, by its
// author's organization, and a version added to another collection by an
// approved release request, by the originator's organization.
func TestApprovalsFeedObservableIndex(t *testing.T) {
	t.Parallel()
	t.Run("Product", func(t *testing.T) {
		t.Parallel()
		e := newProductEnv(t)
		idx, ok := e.db.(tearline.Observables)
		if !ok {
			t.Skip("the test store keeps no observable index")
		}
		p := e.drafted(2)
		if _, err := idx.LookupObservable(context.Background(), "ipv4", "10.0.0.2", 0); tearline.ErrorCode(err) != tearline.ENOTFOUND {
			t.Fatalf("a draft's value is indexed: %v", err)
		}
		expect(t, e.admin("reviewer", "POST", "/api/v1/products/"+p.ID+"/approve", nil), http.StatusOK)
		got, err := idx.LookupObservable(context.Background(), "ipv4", "10.0.0.2", 0)
		if err != nil {
			t.Fatalf("the released product's value: %v", err)
		}
		author := e.orgs["Contributor Org"].ID
		if len(got.Sources) != 1 || got.Sources[0].Org != author || len(got.Objects) != 1 ||
			got.Objects[0].ID != objID("indicator", 2) || len(got.Objects[0].Sources) != 1 || got.Objects[0].Sources[0] != author {
			t.Errorf("entry %+v, want the derived indicator from the author's organization %s", got, author)
		}
	})
	t.Run("Release", func(t *testing.T) {
		t.Parallel()
		e := newReleaseEnv(t)
		idx, ok := e.db.(tearline.Observables)
		if !ok {
			t.Skip("the test store keeps no observable index")
		}
		ctx := context.Background()
		// A version stored without ingest (as by an older server) is not
		// indexed until an approval stores it again.
		raw := marked(3, 0, `"created_by_ref":"`+e.orgs["Contributor Org"].ID+`",`+refs(mdORCONTest, marking.TLP2Amber))
		v, err := time.Parse(time.RFC3339Nano, "2024-03-01T12:00:00Z")
		if err != nil {
			t.Fatal(err)
		}
		o := &tearline.Object{ID: objID("indicator", 3), Type: "indicator", SpecVersion: "2.1", Version: v, Created: v, Raw: []byte(raw)}
		if _, err := e.db.AddObjects(ctx, e.intel.ID, []*tearline.Object{o}); err != nil {
			t.Fatal(err)
		}
		if _, err := idx.LookupObservable(ctx, "ipv4", "10.0.0.3", 0); tearline.ErrorCode(err) != tearline.ENOTFOUND {
			t.Fatalf("before the release: %v", err)
		}
		r := e.request("reader-contrib", map[string]any{"object_id": o.ID, "from": "intel", "to": "wide", "justification": "needed"})
		expect(t, r, http.StatusCreated)
		var rl releaseJSON
		r.decode(t, &rl)
		expect(t, e.admin("analyst", "POST", "/api/v1/releases/"+rl.ID+"/approve", nil), http.StatusOK)
		got, err := idx.LookupObservable(ctx, "ipv4", "10.0.0.3", 0)
		if err != nil {
			t.Fatalf("the released version's value: %v", err)
		}
		originator := e.orgs["Contributor Org"].ID
		if len(got.Sources) != 1 || got.Sources[0].Org != originator || len(got.Objects) != 1 || got.Objects[0].ID != o.ID {
			t.Errorf("entry %+v, want the released version from the originator %s", got, originator)
		}
	})
}
