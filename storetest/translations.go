package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tearline/tearline"
)

// RunTranslations runs the conformance suite of tearline.Translations
// against the store returned by open: requests created, listed with
// filters, answered once (under racing translators too), and error codes.
// open is called once per subtest, possibly from parallel subtests, and
// must return a new, empty store that it closes with t.Cleanup.
func RunTranslations(t *testing.T, open func(t *testing.T) tearline.Translations) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s tearline.Translations)
	}{
		{"Lifecycle", testTranslationLifecycle},
		{"RacingTranslators", testRacingTranslators},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

func testTranslationLifecycle(t *testing.T, s tearline.Translations) {
	ctx := t.Context()
	a := &tearline.TranslationRequest{ObjectID: "indicator--1", Language: "fr", Note: "for the minister", RequesterOrg: "identity--a",
		RequesterKey: "k1", NoteID: "note--1"}
	b := &tearline.TranslationRequest{ID: "5f0e1c2d-0000-4000-8000-0000000000b0", ObjectID: "indicator--2", Language: "de", RequesterOrg: "identity--b"}
	for _, r := range []*tearline.TranslationRequest{a, b} {
		if err := s.CreateTranslationRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if a.ID == "" || a.Created.IsZero() || a.State != tearline.TranslationOpen {
		t.Fatalf("created: %+v", a)
	}
	got, err := s.FindTranslationRequest(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, got); d != "" {
		t.Errorf("FindTranslationRequest (-want +got):\n%s", d)
	}
	at := time.Date(2026, 5, 4, 10, 0, 0, 5000, time.UTC)
	answered, err := s.AnswerTranslationRequest(ctx, a.ID, "language-content--1", "identity--t", at)
	if err != nil {
		t.Fatal(err)
	}
	if answered.State != tearline.TranslationAnswered || answered.AnswerID != "language-content--1" || answered.AnsweredBy != "identity--t" || !answered.Answered.Equal(at) {
		t.Errorf("answered: %+v", answered)
	}
	ids := func(f tearline.TranslationFilter) []string {
		rs, err := s.ListTranslationRequests(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		f    tearline.TranslationFilter
		want []string
	}{
		{tearline.TranslationFilter{}, []string{a.ID, b.ID}},
		{tearline.TranslationFilter{State: tearline.TranslationOpen}, []string{b.ID}},
		{tearline.TranslationFilter{RequesterOrg: "identity--a"}, []string{a.ID}},
		{tearline.TranslationFilter{ObjectID: "indicator--2"}, []string{b.ID}},
	} {
		if d := cmp.Diff(tc.want, ids(tc.f), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("ListTranslationRequests(%+v) (-want +got):\n%s", tc.f, d)
		}
	}
	for _, tc := range []struct {
		name string
		err  error
		code string
	}{
		{"answer twice", second(s.AnswerTranslationRequest(ctx, a.ID, "language-content--2", "identity--t", at)), tearline.ECONFLICT},
		{"answer unknown", second(s.AnswerTranslationRequest(ctx, "nope", "language-content--2", "identity--t", at)), tearline.ENOTFOUND},
		{"find unknown", second(s.FindTranslationRequest(ctx, "nope")), tearline.ENOTFOUND},
		{"taken id", s.CreateTranslationRequest(ctx, &tearline.TranslationRequest{ID: b.ID, ObjectID: "x--1", Language: "fr", RequesterOrg: "o"}), tearline.ECONFLICT},
		{"no language", s.CreateTranslationRequest(ctx, &tearline.TranslationRequest{ObjectID: "x--1", RequesterOrg: "o"}), tearline.EINVALID},
		{"bad state", second(s.ListTranslationRequests(ctx, tearline.TranslationFilter{State: "lost"})), tearline.EINVALID},
	} {
		if tearline.ErrorCode(tc.err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.code)
		}
	}
}

// second returns the error of a two-valued call.
func second[T any](_ T, err error) error { return err }

func testRacingTranslators(t *testing.T, s tearline.Translations) {
	ctx := t.Context()
	r := &tearline.TranslationRequest{ObjectID: "indicator--1", Language: "fr", RequesterOrg: "identity--a"}
	if err := s.CreateTranslationRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		won, lost int
	)
	for i := range 8 {
		wg.Go(func() {
			_, err := s.AnswerTranslationRequest(ctx, r.ID, "language-content--"+string(rune('a'+i)), "identity--t", time.Now())
			mu.Lock()
			defer mu.Unlock()
			switch tearline.ErrorCode(err) {
			case "":
				won++
			case tearline.ECONFLICT:
				lost++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won != 1 || lost != 7 {
		t.Errorf("%d translators won and %d lost; want 1 and 7", won, lost)
	}
}
