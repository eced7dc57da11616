package ledger

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestStats checks that Stats counts what Verify finds, and that Err goes
// from nil to the write error or ErrClosed.
func TestStats(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), DirName)
	l := open(t, dir, Options{})
	if err := l.Err(); err != nil {
		t.Fatalf("Err of an open ledger: %v", err)
	}
	fill(t, l, 0, 40)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, dir, 40)
	st := l.Stats()
	// Verify counts the genesis record, which Stats does not.
	if st.Records != rep.Records-1 || st.Disclosures != 40 || st.Failed {
		t.Errorf("Stats %+v, Verify %d records and 40 disclosures", st, rep.Records)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Err(); !errors.Is(err, ErrClosed) {
		t.Errorf("Err after Close = %v, want ErrClosed", err)
	}
}

func TestStatsAfterWriteFailure(t *testing.T) {
	t.Parallel()
	l := open(t, filepath.Join(t.TempDir(), DirName), Options{})
	fill(t, l, 0, 4)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	before := l.Stats()
	l.f.Close() // the writer's next write fails
	l.Record(disclosure(5))
	l.Flush()
	st := l.Stats()
	if !st.Failed || st.Records != before.Records || st.Disclosures != before.Disclosures {
		t.Errorf("Stats after a failed write %+v, before %+v", st, before)
	}
	if err := l.Err(); err == nil || errors.Is(err, ErrClosed) {
		t.Errorf("Err after a failed write = %v", err)
	}
	l.Close()
}
