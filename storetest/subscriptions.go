package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tearline/tearline"
)

// mustSubscribe creates a subscription of org.
func mustSubscribe(t testing.TB, s FeedStore, org, name string) *tearline.Subscription {
	t.Helper()
	sub := &tearline.Subscription{OrgID: org, Name: name, Filter: []byte(`{"types": ["indicator"]}`),
		WebhookURL: "https://hooks.example.org/" + name, WebhookSecret: "s3cret-" + name}
	if err := s.CreateSubscription(t.Context(), sub); err != nil {
		t.Fatalf("CreateSubscription(%q): %v", name, err)
	}
	return sub
}

func testSubscriptions(t *testing.T, s FeedStore) {
	ctx := t.Context()
	a, b := mustOrg(t, s, "a"), mustOrg(t, s, "b")
	c := mustCreate(t, s, "c")
	mustAdd(t, s, c.ID, newObject(t, "indicator", 1, "2020-01-01T00:00:00Z"))
	head, err := s.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s1 := mustSubscribe(t, s, a.ID, "one")
	if s1.ID == "" || s1.Created.IsZero() || s1.Cursor != head {
		t.Fatalf("CreateSubscription filled id %q, created %v, cursor %d (head %d)", s1.ID, s1.Created, s1.Cursor, head)
	}
	aboutNow(t, "created", s1.Created)
	s2 := mustSubscribe(t, s, b.ID, "two")
	s3 := mustSubscribe(t, s, a.ID, "three")

	got, err := s.FindSubscription(ctx, s1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s1, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("FindSubscription (-created +found):\n%s", diff)
	}
	names := func(subs []*tearline.Subscription) []string {
		var ns []string
		for _, x := range subs {
			ns = append(ns, x.Name)
		}
		return ns
	}
	for _, tc := range []struct {
		org  string
		want []string
	}{{"", []string{"one", "two", "three"}}, {a.ID, []string{"one", "three"}}, {b.ID, []string{"two"}}, {newIdentityID(), nil}} {
		list, err := s.ListSubscriptions(ctx, tc.org)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, names(list)); diff != "" {
			t.Errorf("ListSubscriptions(%q) (-want +got):\n%s", tc.org, diff)
		}
	}

	up := &tearline.Subscription{ID: s2.ID, Name: "renamed", Filter: []byte(`{}`), OrgID: a.ID, Cursor: 999}
	if err := s.UpdateSubscription(ctx, up); err != nil {
		t.Fatal(err)
	}
	if up.OrgID != b.ID || up.Cursor != s2.Cursor || up.Name != "renamed" || up.WebhookURL != "" || string(up.Filter) != `{}` ||
		!up.Created.Equal(s2.Created) {
		t.Errorf("UpdateSubscription left %+v", up)
	}
	if err := s.DeleteSubscription(ctx, s3.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindSubscription(ctx, s3.ID)
	wantCode(t, err, tearline.ENOTFOUND)
	wantCode(t, s.DeleteSubscription(ctx, s3.ID), tearline.ENOTFOUND)
}

func testSubscriptionErrors(t *testing.T, s FeedStore) {
	ctx := t.Context()
	a := mustOrg(t, s, "a")
	for _, tc := range []struct {
		name string
		sub  tearline.Subscription
		code string
	}{
		{"no organization", tearline.Subscription{Filter: []byte(`{}`)}, tearline.EINVALID},
		{"no filter", tearline.Subscription{OrgID: a.ID}, tearline.EINVALID},
		{"unknown organization", tearline.Subscription{OrgID: newIdentityID(), Filter: []byte(`{}`)}, tearline.ENOTFOUND},
	} {
		wantCode(t, s.CreateSubscription(ctx, &tc.sub), tc.code)
	}
	s1 := mustSubscribe(t, s, a.ID, "one")
	wantCode(t, s.CreateSubscription(ctx, &tearline.Subscription{ID: s1.ID, OrgID: a.ID, Filter: []byte(`{}`)}), tearline.ECONFLICT)
	wantCode(t, s.UpdateSubscription(ctx, &tearline.Subscription{ID: "nope", Filter: []byte(`{}`)}), tearline.ENOTFOUND)
	wantCode(t, s.UpdateSubscription(ctx, &tearline.Subscription{ID: s1.ID}), tearline.EINVALID)
	_, err := s.FindSubscription(ctx, "nope")
	wantCode(t, err, tearline.ENOTFOUND)
}

func testSubscriptionCursors(t *testing.T, s FeedStore) {
	ctx := t.Context()
	a := mustOrg(t, s, "a")
	s1, s2 := mustSubscribe(t, s, a.ID, "one"), mustSubscribe(t, s, a.ID, "two")
	base := s1.Cursor
	if err := s.SaveCursors(ctx, map[string]int64{s1.ID: base + 10, s2.ID: base + 5, "unknown": 7}); err != nil {
		t.Fatal(err)
	}
	// Cursors never move back.
	if err := s.SaveCursors(ctx, map[string]int64{s1.ID: base + 3, s2.ID: base + 6}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int64{s1.ID: base + 10, s2.ID: base + 6} {
		got, err := s.FindSubscription(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cursor != want {
			t.Errorf("cursor of %s = %d, want %d", got.Name, got.Cursor, want)
		}
	}
	if err := s.SaveCursors(ctx, nil); err != nil {
		t.Errorf("SaveCursors(nil): %v", err)
	}
}

func testDeadLetters(t *testing.T, s FeedStore) {
	ctx := t.Context()
	a := mustOrg(t, s, "a")
	s1, s2 := mustSubscribe(t, s, a.ID, "one"), mustSubscribe(t, s, a.ID, "two")
	d1 := &tearline.DeadLetter{SubscriptionID: s1.ID, FirstSeq: 3, LastSeq: 9, Objects: 4, Attempts: 5, LastError: "HTTP 500"}
	if err := s.SaveDeadLetter(ctx, d1); err != nil {
		t.Fatal(err)
	}
	if d1.ID == "" || d1.Created.IsZero() || !d1.Updated.Equal(d1.Created) {
		t.Fatalf("SaveDeadLetter filled id %q, created %v, updated %v", d1.ID, d1.Created, d1.Updated)
	}
	aboutNow(t, "created", d1.Created)
	d2 := &tearline.DeadLetter{SubscriptionID: s1.ID, FirstSeq: 10, LastSeq: 10, Objects: 1, Attempts: 5, LastError: "timeout"}
	if err := s.SaveDeadLetter(ctx, d2); err != nil {
		t.Fatal(err)
	}
	d3 := &tearline.DeadLetter{SubscriptionID: s2.ID, FirstSeq: 1, LastSeq: 2, Objects: 2, Attempts: 1, LastError: "redirect"}
	if err := s.SaveDeadLetter(ctx, d3); err != nil {
		t.Fatal(err)
	}
	// Saving again replaces the attempts and error but keeps the creation.
	again := *d1
	again.Attempts, again.LastError = 6, "HTTP 503"
	if err := s.SaveDeadLetter(ctx, &again); err != nil {
		t.Fatal(err)
	}
	if !again.Created.Equal(d1.Created) || again.Updated.Before(d1.Updated) {
		t.Errorf("replacing kept created %v (was %v), updated %v", again.Created, d1.Created, again.Updated)
	}
	got, err := s.DeadLetters(ctx, s1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*tearline.DeadLetter{&again, d2}, got); diff != "" {
		t.Errorf("DeadLetters (-want +got):\n%s", diff)
	}
	wantCode(t, s.DeleteDeadLetter(ctx, s2.ID, d1.ID), tearline.ENOTFOUND)
	if err := s.DeleteDeadLetter(ctx, s1.ID, d1.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteDeadLetter(ctx, s1.ID, d1.ID), tearline.ENOTFOUND)
	wantCode(t, s.SaveDeadLetter(ctx, &tearline.DeadLetter{SubscriptionID: "nope"}), tearline.ENOTFOUND)
	// Deleting a subscription deletes its dead letters.
	if err := s.DeleteSubscription(ctx, s2.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.DeadLetters(ctx, s2.ID); err != nil || len(got) != 0 {
		t.Errorf("dead letters of a deleted subscription: %v, %v", got, err)
	}
}
