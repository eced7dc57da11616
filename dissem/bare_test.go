package dissem

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/stix"
)

// openGate lets every organization have everything: these tests are about
// the window, not the access decision.
type openGate struct{}

func (openGate) Release(_ context.Context, _ *tearline.Organization, _ Delivery, entries []*tearline.FeedEntry) ([][]byte, error) {
	out := make([][]byte, len(entries))
	for i, e := range entries {
		out[i] = e.Raw
	}
	return out, nil
}

func (openGate) Visible(context.Context, *tearline.Organization, string, []byte) bool { return true }

// TestBareWindow checks that a feed read while nobody reads the window
// still gives its first reader every entry with its bytes, taken from the
// store, and keeps the context graph current; and that Sync brings the
// reader to the store's head.
func TestBareWindow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	org := &tearline.Organization{ID: "identity--0f5cbe4a-0d34-4b3f-9c5f-7f6a3c7d2e11", Name: "Reader", Type: "federal"}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	c := &tearline.Collection{ID: "8f1e7b2a-3c4d-4e5f-9a6b-7c8d9e0f1a2b", Alias: "c", Title: "C", MediaTypes: []string{"application/taxii+json;version=2.1"}}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{Store: db, Gate: openGate{}, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop(context.Background()) })
	if d.watched() {
		t.Fatal("a dispatcher that nobody has read from is watched")
	}

	const malware = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
	raws := [][]byte{
		fmt.Appendf(nil, `{"type":"malware","spec_version":"2.1","id":%q,"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Emotet","is_family":true}`, malware),
	}
	for i := range 5 {
		raws = append(raws, fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--0000000%d-1111-4222-8333-444444444444","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}`, i, i))
	}
	raws = append(raws, fmt.Appendf(nil, `{"type":"relationship","spec_version":"2.1","id":"relationship--9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--00000000-1111-4222-8333-444444444444","target_ref":%q}`, malware))
	var objs []*tearline.Object
	for i, raw := range raws {
		o, issues := stix.ValidateObject(raw, fmt.Sprintf("objects[%d]", i))
		if len(issues) > 0 {
			t.Fatalf("object %d: %v", i, issues)
		}
		objs = append(objs, o)
	}
	if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
		t.Fatal(err)
	}
	head, err := db.FeedHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The reader's poll is an hour, and nothing called Notify: Sync
	// wakes it and waits until it has read the head.
	if err := d.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Head() != head {
		t.Fatalf("after Sync the reader is at %d, want the head %d", d.Head(), head)
	}

	// The indicators are one span, ending at the last of them.
	d.mu.Lock()
	var spans []int64
	for _, it := range d.items {
		if bare(it) {
			if it.ID != "" {
				t.Errorf("%s %s is bare in the window, want a span", it.Type, it.ID)
			}
			spans = append(spans, it.Seq)
		}
	}
	d.mu.Unlock()
	if len(spans) != 1 || spans[0] != head-1 {
		t.Errorf("the window holds spans up to %v, want one up to %d", spans, head-1)
	}
	if cols, _, all, _ := d.Added(0); all || len(cols) != 1 || cols[0] != c.ID {
		t.Errorf("Added(0) = %v (all %v), want the collection", cols, all)
	}
	if d.graph.Size() < 2 {
		t.Errorf("the context graph holds %d objects, want the malware and the relationship", d.graph.Size())
	}

	f, err := Parse([]byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	// A reader taking two entries at a time, from a cursor within the
	// span, gets every entry once, in order.
	var entries []*tearline.FeedEntry
	for cursor := head - int64(len(raws)) + 2; cursor < head; {
		sel, err := d.Select(ctx, org.ID, f, cursor, 2, 2, false)
		if err != nil {
			t.Fatal(err)
		}
		if sel.Cursor <= cursor {
			t.Fatalf("Select from %d moved to %d", cursor, sel.Cursor)
		}
		entries = append(entries, sel.Entries...)
		cursor = sel.Cursor
	}
	if len(entries) != len(raws)-2 {
		t.Fatalf("Select from the second indicator: %d entries, want %d", len(entries), len(raws)-2)
	}
	for i, e := range entries {
		if !bytes.Equal(e.Raw, raws[i+2]) {
			t.Errorf("entry %d (%s): %q, want its bytes", i+2, e.ID, e.Raw)
		}
	}
	sel, err := d.Select(ctx, org.ID, f, 0, 100, 100, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Entries) != len(raws) || sel.Cursor != head {
		t.Fatalf("Select: %d entries up to %d, want %d up to %d", len(sel.Entries), sel.Cursor, len(raws), head)
	}
	for i, e := range sel.Entries {
		if !bytes.Equal(e.Raw, raws[i]) {
			t.Errorf("entry %d (%s): %q, want its bytes", i, e.ID, e.Raw)
		}
	}
	// The entries read from the store took the bare ones' places.
	d.mu.Lock()
	for _, it := range d.items {
		if bare(it) {
			t.Errorf("%s is still bare in the window", it.ID)
		}
	}
	d.mu.Unlock()
	if !d.watched() {
		t.Error("a dispatcher just read from is not watched")
	}
}
