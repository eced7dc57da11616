package ingest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/sqlite"
)

// Objects with personal data, and their redacted forms.
const (
	piiNote = `{"type":"note","spec_version":"2.1","id":"note--5a0ed4a1-55e3-4c1e-9e0f-2b8f6d8d7a11","created":"2024-03-01T12:00:00.000Z","modified":"2024-03-01T12:00:00.000Z",` +
		`"content":"Victim contact: jane.doe@corp.co.uk,  tel +44 20 7946 0958.","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],"x_acme":{"ticket":"card 4111 1111 1111 1111"}}`
	piiNoteRedacted = `{"type":"note","spec_version":"2.1","id":"note--5a0ed4a1-55e3-4c1e-9e0f-2b8f6d8d7a11","created":"2024-03-01T12:00:00.000Z","modified":"2024-03-01T12:00:00.000Z",` +
		`"content":"Victim contact: [REDACTED:email],  tel [REDACTED:phone].","object_refs":["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"],"x_acme":{"ticket":"card [REDACTED:card]"}}`
	piiWarning = "warnings: pii-redacted content(email,19) content(phone,16) x_acme.ticket(card,19)"
	emailSCO   = `{"type":"email-addr","spec_version":"2.1","id":"email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3","value":"john.smith@corp-mail.net"}`
	emailSCO2  = `{"type":"email-addr","spec_version":"2.1","id":"email-addr--89f52ea8-d6ef-51e9-8fce-6a29236436ed","value":"john.smith@mail.acme.com"}`
)

// outcome is what a test keeps of an ingest.Outcome.
type privOutcome struct {
	ID       string
	Status   tearline.AddStatus
	Held     bool
	Issue    string // first error rule
	Warnings string // FormatWarnings
}

// ingestWith submits objs as an envelope to c with policy p (nil: the
// collection's) and returns the outcomes in input order and the report.
func ingestWith(t *testing.T, db *sqlite.DB, c *tearline.Collection, p *tearline.PIIPolicy, statusID string, objs ...string) ([]privOutcome, *ingest.Report) {
	t.Helper()
	got := make([]privOutcome, len(objs))
	rep, err := ingest.Envelope(context.Background(), db, c.ID, strings.NewReader(`{"objects":[`+strings.Join(objs, ",")+`]}`),
		ingest.Options{PII: p, StatusID: statusID, KeyID: "key-a", Source: "identity--0000000a-0000-4000-8000-000000000000",
			OnObject: func(o *ingest.Outcome) {
				var issue string
				if errs := o.Issues.Errors(); len(errs) > 0 {
					issue = errs[0].Rule
				}
				got[o.Index] = privOutcome{o.ID, o.Status, o.Held != nil, issue, ingest.FormatWarnings(o.Warnings)}
			}})
	if err != nil {
		t.Fatal(err)
	}
	return got, rep
}

// stored returns the stored bytes of object id in c, nil when absent.
func stored(t *testing.T, db *sqlite.DB, c *tearline.Collection, id string) []byte {
	t.Helper()
	page, err := db.QueryObjects(context.Background(), tearline.ObjectQuery{CollectionID: c.ID, IDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) == 0 {
		return nil
	}
	return page.Entries[0].Raw
}

func TestPIIPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		policy  tearline.PIIPolicy
		want    privOutcome
		stored  string // "" when nothing is stored
		warning string
	}{
		{"none", tearline.PIIPolicy{Action: tearline.PIINone},
			privOutcome{Status: tearline.Added}, piiNote, ""},
		{"redact", tearline.PIIPolicy{Action: tearline.PIIRedact},
			privOutcome{Status: tearline.Added, Warnings: piiWarning}, piiNoteRedacted, ""},
		{"reject", tearline.PIIPolicy{Action: tearline.PIIReject},
			privOutcome{Issue: "pii"}, "", ""},
		{"review", tearline.PIIPolicy{Action: tearline.PIIReview},
			privOutcome{Held: true, Issue: "pii-review"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, c := open(t)
			// The collection's policy applies when Options.PII is nil.
			if err := db.SetPIIPolicy(context.Background(), c.ID, tt.policy); err != nil {
				t.Fatal(err)
			}
			got, rep := ingestWith(t, db, c, nil, "", piiNote, ind1)
			want := tt.want
			want.ID = "note--5a0ed4a1-55e3-4c1e-9e0f-2b8f6d8d7a11"
			if got[0].Held {
				got[0].Warnings = "" // holds the review id; checked below
			}
			if diff := cmp.Diff(want, got[0]); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if got[1].Status != tearline.Added || got[1].Warnings != "" {
				t.Errorf("the object without personal data: %+v", got[1])
			}
			raw := stored(t, db, c, want.ID)
			if string(raw) != tt.stored {
				t.Errorf("stored %s\nwant %s", raw, tt.stored)
			}
			reviews, err := db.ListReviews(context.Background(), tearline.ReviewFilter{CollectionID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			if want.Held != (len(reviews) == 1) {
				t.Fatalf("%d reviews held", len(reviews))
			}
			if want.Held {
				r := reviews[0]
				if string(r.Raw) != piiNote || r.SubmitterKey != "key-a" || r.ObjectID != want.ID || len(r.Findings) != 3 || r.Status != tearline.ReviewPending {
					t.Errorf("held review %+v", r)
				}
				if rep.Held != 1 || rep.Invalid != 0 {
					t.Errorf("report %+v", rep)
				}
			}
			if tt.policy.Action == tearline.PIIRedact && rep.Redacted != 1 {
				t.Errorf("report %+v", rep)
			}
			if tt.policy.Action == tearline.PIIReject && rep.Invalid != 1 {
				t.Errorf("report %+v", rep)
			}
		})
	}
}

// TestRedactOnlySpans checks that a redacted object differs from the
// submitted one only in the spans, which keep no byte of the data.
func TestRedactOnlySpans(t *testing.T) {
	t.Parallel()
	db, c := open(t)
	ingestWith(t, db, c, &tearline.PIIPolicy{Action: tearline.PIIRedact}, "", piiNote)
	raw := stored(t, db, c, "note--5a0ed4a1-55e3-4c1e-9e0f-2b8f6d8d7a11")
	for _, secret := range []string{"jane.doe", "7946", "4111"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("stored copy still holds %q", secret)
		}
	}
	// Removing the placeholders and the data leaves the same bytes.
	strip := func(s string, cut ...string) string {
		for _, c := range cut {
			s = strings.ReplaceAll(s, c, "")
		}
		return s
	}
	if strip(string(raw), "[REDACTED:email]", "[REDACTED:phone]", "[REDACTED:card]") !=
		strip(piiNote, "jane.doe@corp.co.uk", "+44 20 7946 0958", "4111 1111 1111 1111") {
		t.Errorf("the stored copy differs outside the spans:\n%s", raw)
	}
}

// TestPIIOverride checks that Options.PII replaces the collection's policy
// (import --no-pii, approvals) and that FlagIdentifiers flags email-addr
// values.
func TestPIIOverride(t *testing.T) {
	t.Parallel()
	db, c := open(t)
	if err := db.SetPIIPolicy(context.Background(), c.ID, tearline.PIIPolicy{Action: tearline.PIIReject, FlagIdentifiers: true}); err != nil {
		t.Fatal(err)
	}
	got, _ := ingestWith(t, db, c, nil, "", emailSCO)
	if got[0].Issue != "pii" {
		t.Errorf("email-addr with identifiers flagged: %+v", got[0])
	}
	got, _ = ingestWith(t, db, c, &tearline.PIIPolicy{Action: tearline.PIINone}, "", piiNote, emailSCO)
	if got[0].Status != tearline.Added || got[1].Status != tearline.Added {
		t.Errorf("with the policy overridden: %+v", got)
	}
	// Without FlagIdentifiers an account identifier passes.
	got, _ = ingestWith(t, db, c, &tearline.PIIPolicy{Action: tearline.PIIReject}, "", emailSCO2)
	if got[0].Status != tearline.Added {
		t.Errorf("email-addr without identifiers flagged: %+v", got[0])
	}
	// Redacted identifiers keep the value an address.
	got, _ = ingestWith(t, db, c, &tearline.PIIPolicy{Action: tearline.PIIRedact, FlagIdentifiers: true}, "",
		strings.NewReplacer("john.smith", "mary.jones", "89f52ea8", "99f52ea8").Replace(emailSCO2))
	if got[0].Status != tearline.Added || !strings.Contains(got[0].Warnings, "pii-redacted value(possible-pii,10)") {
		t.Errorf("redacted email-addr: %+v", got[0])
	}
}

// TestHoldOnce checks that a submission processed again (a resumed
// background submission) finds its held objects held already, and that
// every held object gets a pii-held warning naming its review.
func TestHoldOnce(t *testing.T) {
	t.Parallel()
	db, c := open(t)
	policy := &tearline.PIIPolicy{Action: tearline.PIIReview}
	first, rep := ingestWith(t, db, c, policy, "status-1", ind1, piiNote, ind2)
	again, _ := ingestWith(t, db, c, policy, "status-1", ind1, piiNote, ind2)
	if !first[1].Held || first[1].Warnings != again[1].Warnings {
		t.Errorf("held twice: %+v then %+v", first[1], again[1])
	}
	ws, ok := ingest.ParseWarnings(first[1].Warnings)
	if !ok || len(ws) != 1 || ws[0].Code != ingest.WarnPIIHeld || !strings.HasPrefix(ws[0].Args[0], "review=") || len(ws[0].Args) != 4 {
		t.Errorf("held warning %q", first[1].Warnings)
	}
	if again[0].Warnings != "warnings: duplicate" || again[2].Status != tearline.Duplicate {
		t.Errorf("second run: %+v", again)
	}
	reviews, err := db.ListReviews(context.Background(), tearline.ReviewFilter{StatusID: "status-1"})
	if err != nil || len(reviews) != 1 || reviews[0].Index != 1 {
		t.Fatalf("reviews %v, %v", reviews, err)
	}
	if rep.Held != 1 || rep.Added != 2 {
		t.Errorf("report %+v", rep)
	}
	// In batches of one, held objects are flushed in their turn too.
	got := make(map[int]bool)
	if _, err := ingest.Envelope(context.Background(), db, c.ID, strings.NewReader(`{"objects":[`+piiNote+`,`+emailSCO2+`]}`),
		ingest.Options{PII: policy, BatchSize: 1, StatusID: "status-2", OnObject: func(o *ingest.Outcome) { got[o.Index] = o.Held != nil }}); err != nil {
		t.Fatal(err)
	}
	if !got[0] || got[1] {
		t.Errorf("held by index: %v", got)
	}
}

func TestWarnings(t *testing.T) {
	t.Parallel()
	ws := []ingest.Warning{
		{Code: ingest.WarnPIIRedacted, Args: []string{
			ingest.PIIArg("description", "email", 20),
			ingest.PIIArg(`x_acme["odd; name, 100%"]`, "phone", 15),
		}},
		{Code: ingest.WarnDuplicate},
	}
	msg := ingest.FormatWarnings(ws)
	want := `warnings: pii-redacted description(email,20) x_acme["odd%3B%20name%2C%20100%25"](phone,15); duplicate`
	if msg != want {
		t.Errorf("FormatWarnings = %q\nwant %q", msg, want)
	}
	got, ok := ingest.ParseWarnings(msg)
	if !ok {
		t.Fatal("ParseWarnings refused its own message")
	}
	if diff := cmp.Diff(ws, got); diff != "" {
		t.Errorf("ParseWarnings (-want +got):\n%s", diff)
	}
	if ingest.FormatWarnings(nil) != "" {
		t.Error("no warnings must give an empty message")
	}
	if _, ok := ingest.ParseWarnings("object is invalid"); ok {
		t.Error("a failure reason parsed as warnings")
	}
}
