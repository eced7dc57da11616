package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerify reads arbitrary bytes as a ledger segment, as tearline audit
// does with a file someone may have changed: Verify and Who must not panic,
// a break is a *BrokenError, and Copy of a chain that verifies ends at the
// same head.
func FuzzVerify(f *testing.F) {
	dir := newLedger(f, 6, Options{})
	segs, err := segments(dir)
	if err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(segs[0].path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-7])                           // torn tail
	f.Add(append(good[:len(good)/2:len(good)/2], '\n')) // cut in a record
	f.Add([]byte("{}\n"))
	f.Add([]byte(`{"seq":0,"time":"x","path":"genesis","prev":"00","hash":"00"}` + "\n"))
	// One directory for every input (the fuzz function runs one input at a
	// time in each process): a new one per input would cost more than
	// verifying.
	d := f.TempDir()
	src := filepath.Join(d, "src")
	if err := os.Mkdir(src, 0o700); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(src, segmentName(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := Verify(src, VerifyOptions{})
		var be *BrokenError
		if err != nil && !errors.As(err, &be) {
			t.Fatalf("Verify error %v is a %T, not a *BrokenError", err, err)
		}
		if err == nil && (rep.Records == 0 || rep.Torn < 0 || rep.Torn > int64(len(data))) {
			t.Fatalf("Verify report %+v for %d bytes", rep, len(data))
		}
		Who(src, "indicator--00000000-0000-4000-8000-000000000000")
		if err != nil {
			return // Copy syncs what it writes: only worth its cost on a chain
		}
		defer os.RemoveAll(filepath.Join(d, "copy"))
		crep, _, cerr := Copy(src, filepath.Join(d, "copy"))
		if cerr != nil || crep.Head != rep.Head || crep.Records != rep.Records || crep.Torn != 0 {
			t.Fatalf("Copy %+v, %v; Verify %+v", crep, cerr, rep)
		}
	})
}
