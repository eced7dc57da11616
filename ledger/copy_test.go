package ledger

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// TestCopyWhileWriting copies a ledger that is being written and rotated,
// and checks that every copy verifies and is a prefix of the final chain.
func TestCopyWhileWriting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, DirName)
	l := open(t, src, Options{SegmentSize: 64 << 10})
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; !stop.Load() && i < 4000; i++ {
			if err := l.Record(disclosure(i)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var heads []Report
	for i := range 5 {
		rep, files, err := Copy(src, filepath.Join(dir, fmt.Sprint("copy-", i)))
		if err != nil {
			t.Fatalf("copy %d: %v", i, err)
		}
		if rep.Torn != 0 || len(files) != rep.Segments || files[0].Name != segmentName(1) || len(files[0].SHA256) != 64 {
			t.Fatalf("copy %d: %+v %+v", i, rep, files)
		}
		heads = append(heads, rep)
	}
	stop.Store(true)
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	final, err := Verify(src, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if final.Segments < 2 {
		t.Errorf("the test ledger never rotated (%d segments)", final.Segments)
	}
	for i, rep := range heads {
		if rep.HeadSeq > final.HeadSeq || i > 0 && rep.HeadSeq < heads[i-1].HeadSeq {
			t.Errorf("copy %d head %d, final %d", i, rep.HeadSeq, final.HeadSeq)
		}
		// Each copy's head is a record of the final chain.
		if _, err := Verify(src, VerifyOptions{Anchor: rep.Head}); err != nil {
			t.Errorf("copy %d head is not in the final chain: %v", i, err)
		}
	}
}

// TestCopyLeavesTornTail copies a ledger whose last record was cut by a
// crash: the copy ends at the last complete record.
func TestCopyLeavesTornTail(t *testing.T) {
	t.Parallel()
	src := newLedger(t, 30, Options{})
	want, err := Verify(src, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	segs, _ := segments(src)
	f, err := os.OpenFile(segs[len(segs)-1].path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":99,"time":"2025-`)
	f.Close()
	rep, _, err := Copy(src, filepath.Join(t.TempDir(), "copy"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Head != want.Head || rep.Records != want.Records || rep.Torn != 0 {
		t.Errorf("copy %+v, source before the tear %+v", rep, want)
	}
}

func TestCopyErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := Copy(filepath.Join(dir, "none"), filepath.Join(dir, "a")); !errors.Is(err, ErrNoLedger) {
		t.Errorf("missing ledger: %v", err)
	}
	src := newLedger(t, 5, Options{})
	if _, _, err := Copy(src, dir); err == nil {
		t.Error("copy into an existing directory succeeded")
	}
	// A changed record makes the copy fail verification.
	segs, _ := segments(src)
	b, _ := os.ReadFile(segs[0].path)
	b[len(b)/2] ^= 1
	os.WriteFile(segs[0].path, b, 0o600)
	var be *BrokenError
	if _, _, err := Copy(src, filepath.Join(dir, "b")); !errors.As(err, &be) {
		t.Errorf("copy of a broken ledger: %v", err)
	}
}
