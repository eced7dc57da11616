package storetest

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// ClientStore is a directory that also keeps client relations.
type ClientStore interface {
	tearline.Directory
	tearline.Clients
}

// RunClients runs the conformance suite of tearline.Clients against the
// store returned by open: setting and removing relations, listing both
// ways, and error codes. open is called once per subtest, possibly from
// parallel subtests, and must return a new, empty store that it closes
// with t.Cleanup.
func RunClients(t *testing.T, open func(t *testing.T) ClientStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ClientStore)
	}{
		{"SetAndList", testClientsSetAndList},
		{"Errors", testClientsErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func testClientsSetAndList(t *testing.T, s ClientStore) {
	ctx := t.Context()
	isac, cert := mustOrg(t, s, "isac"), mustOrg(t, s, "cert")
	a, b := mustOrg(t, s, "member-a"), mustOrg(t, s, "member-b")
	for _, rel := range [][2]string{{isac.ID, a.ID}, {isac.ID, b.ID}, {cert.ID, a.ID}, {isac.ID, a.ID}} {
		if err := s.SetClient(ctx, rel[0], rel[1], true); err != nil {
			t.Fatal(err)
		}
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	check := func(what string, got []string, err error, want []string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}
	got, err := s.ClientsOf(ctx, isac.ID)
	check("ClientsOf isac", got, err, sorted(a.ID, b.ID))
	got, err = s.ClientOf(ctx, a.ID)
	check("ClientOf a", got, err, sorted(isac.ID, cert.ID))
	got, err = s.ClientOf(ctx, isac.ID)
	check("ClientOf isac", got, err, nil)

	if err := s.SetClient(ctx, isac.ID, a.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClient(ctx, isac.ID, a.ID, false); err != nil {
		t.Fatalf("removing a relation twice: %v", err)
	}
	got, err = s.ClientOf(ctx, a.ID)
	check("ClientOf a after removal", got, err, []string{cert.ID})
	got, err = s.ClientsOf(ctx, isac.ID)
	check("ClientsOf isac after removal", got, err, []string{b.ID})
}

func testClientsErrors(t *testing.T, s ClientStore) {
	ctx := t.Context()
	o := mustOrg(t, s, "org")
	unknown := "identity--" + uuid.NewString()
	tests := []struct {
		name        string
		org, client string
		code        string
	}{
		{"self", o.ID, o.ID, tearline.EINVALID},
		{"unknown org", unknown, o.ID, tearline.ENOTFOUND},
		{"unknown client", o.ID, unknown, tearline.ENOTFOUND},
	}
	for _, tt := range tests {
		if err := s.SetClient(ctx, tt.org, tt.client, true); tearline.ErrorCode(err) != tt.code {
			t.Errorf("%s: err = %v, want code %s", tt.name, err, tt.code)
		}
	}
}
