package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/marking"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)

// disclosure returns the i-th disclosure of a test ledger: every decision
// and TLP, optional members present or not.
func disclosure(i int) Disclosure {
	d := Disclosure{
		Time:     t0.Add(time.Duration(i) * time.Second),
		Org:      fmt.Sprintf("identity--%08d-0000-4000-8000-000000000000", i%7),
		Path:     []string{PathObjects, PathObject, PathVersions, PathManifest, PathExport}[i%5],
		Object:   fmt.Sprintf("indicator--%08d-0000-4000-8000-000000000000", i%11),
		Version:  t0.Add(-time.Duration(i%3) * time.Hour).Format("2006-01-02T15:04:05.000Z"),
		Decision: marking.Decision(i % 3),
		TLP:      marking.TLP(i % 6),
	}
	if i%2 == 0 {
		d.Key, d.Collection, d.Request = "key-1", "collection-1", fmt.Sprintf("req-%d", i)
	}
	if d.Decision != marking.Whole {
		d.Reason = "granular marking TLP:RED on description"
	}
	return d
}

func open(t testing.TB, dir string, opts Options) *Ledger {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// fill records disclosures from..to-1, half singly, half in pages.
func fill(t testing.TB, l *Ledger, from, to int) {
	t.Helper()
	var page []Disclosure
	for i := from; i < to; i++ {
		if i%2 == 0 {
			if err := l.Record(disclosure(i)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		page = append(page, disclosure(i))
		if len(page) == 4 {
			if err := l.RecordBatch(page); err != nil {
				t.Fatal(err)
			}
			page = page[:0]
		}
	}
	if err := l.RecordBatch(page); err != nil {
		t.Fatal(err)
	}
}

func mustVerify(t testing.TB, dir string, wantDisclosures uint64) Report {
	t.Helper()
	rep, err := Verify(dir, VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if rep.Disclosures != wantDisclosures {
		t.Fatalf("Verify: %d disclosures, want %d", rep.Disclosures, wantDisclosures)
	}
	return rep
}

// newLedger writes a closed ledger of n disclosures (n+1 records).
func newLedger(t testing.TB, n int, opts Options) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), DirName)
	l := open(t, dir, opts)
	fill(t, l, 0, n)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRecordVerifyWho(t *testing.T) {
	t.Parallel()
	dir := newLedger(t, 100, Options{})
	rep := mustVerify(t, dir, 100)
	if rep.Segments != 1 || rep.HeadSeq != 100 || len(rep.Head) != 64 || rep.Torn != 0 {
		t.Errorf("report %+v", rep)
	}
	obj := disclosure(3).Object
	got, err := Who(dir, obj)
	if err != nil {
		t.Fatal(err)
	}
	var want []Disclosure
	for i := range 100 {
		if d := disclosure(i); d.Object == obj {
			d.Time = d.Time.Truncate(time.Microsecond)
			want = append(want, d)
		}
	}
	// Records are in sequence order, but singles and pages interleave as
	// sent, so compare as sets ordered by time.
	var gotD []Disclosure
	for _, e := range got {
		gotD = append(gotD, e.Disclosure)
	}
	if diff := cmp.Diff(sortByTime(want), sortByTime(gotD)); diff != "" {
		t.Errorf("Who(%s) (-want +got):\n%s", obj, diff)
	}
	if got, err := Who(dir, "indicator--nobody"); err != nil || len(got) != 0 {
		t.Errorf("Who(unknown) = %v, %v", got, err)
	}
}

func sortByTime(ds []Disclosure) []Disclosure {
	out := append([]Disclosure(nil), ds...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Time.Before(out[j-1].Time); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestEscaping(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), DirName)
	l := open(t, dir, Options{})
	d := disclosure(1)
	d.Reason = "quote \" backslash \\ newline \n tab \t nul \x00 ünïcode ✓ bad \xff end"
	d.Org = "org\u2028x"
	if err := l.Record(d); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, dir, 1)
	got, err := Who(dir, d.Object)
	if err != nil || len(got) != 1 {
		t.Fatalf("Who: %v, %v", got, err)
	}
	d.Time = d.Time.Truncate(time.Microsecond)
	d.Reason = strings.Replace(d.Reason, "\xff", "\ufffd", 1)
	if diff := cmp.Diff(d, got[0].Disclosure); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	b, _ := os.ReadFile(filepath.Join(dir, segmentName(1)))
	if bytes.Count(b, []byte("\n")) != 2 {
		t.Errorf("a record spans lines:\n%s", b)
	}
}

// Every kind of tampering is found, at the right place.
func TestTamperDetection(t *testing.T) {
	t.Parallel()
	seg := func(dir string) string { return filepath.Join(dir, segmentName(1)) }
	edit := func(t *testing.T, path string, f func(lines [][]byte) [][]byte) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.SplitAfter(b, []byte("\n"))
		if err := os.WriteFile(path, bytes.Join(f(lines), nil), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		tamper   func(t *testing.T, dir string)
		line     int    // the line reported, 0 for no break
		problem  string // part of the problem reported
		anchored bool   // verify with the head hash as anchor
	}{
		{"untouched", func(*testing.T, string) {}, 0, "", true},
		{"byte changed in the middle", func(t *testing.T, dir string) {
			edit(t, seg(dir), func(l [][]byte) [][]byte {
				i := bytes.Index(l[25], []byte("identity--0")) + len("identity--")
				l[25][i] = '9'
				return l
			})
		}, 26, "hash does not match", false},
		{"decision rewritten", func(t *testing.T, dir string) {
			edit(t, seg(dir), func(l [][]byte) [][]byte {
				l[30] = bytes.Replace(l[30], []byte(`"withhold"`), []byte(`"redacted"`), 1)
				l[30] = bytes.Replace(l[30], []byte(`"whole"`), []byte(`"redacted"`), 1)
				return l
			})
		}, 31, "hash does not match", false},
		{"line deleted", func(t *testing.T, dir string) {
			edit(t, seg(dir), func(l [][]byte) [][]byte { return append(l[:40:40], l[41:]...) })
		}, 41, "sequence number 41 where 40", false},
		{"lines swapped", func(t *testing.T, dir string) {
			edit(t, seg(dir), func(l [][]byte) [][]byte { l[10], l[11] = l[11], l[10]; return l })
		}, 11, "sequence number 11 where 10", false},
		{"line duplicated", func(t *testing.T, dir string) {
			edit(t, seg(dir), func(l [][]byte) [][]byte {
				return append(l[:20:20], append([][]byte{l[19]}, l[20:]...)...)
			})
		}, 21, "sequence number 19 where 20", false},
		{"genesis deleted", func(t *testing.T, dir string) {
			edit(t, seg(dir), func(l [][]byte) [][]byte { return l[1:] })
		}, 1, "sequence number 1 where 0", false},
		{"garbage line", func(t *testing.T, dir string) {
			edit(t, seg(dir), func(l [][]byte) [][]byte { l[5] = []byte("hello\n"); return l })
		}, 6, "hash", false},
		{"tail truncated mid-line: torn, not broken", func(t *testing.T, dir string) {
			st, err := os.Stat(seg(dir))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(seg(dir), st.Size()-20); err != nil {
				t.Fatal(err)
			}
		}, 0, "", false},
		{"tail cut at a line boundary: found with the anchor", func(t *testing.T, dir string) {
			edit(t, seg(dir), func(l [][]byte) [][]byte { return l[:len(l)-3] })
		}, 0, "anchor", true},
		{"segment deleted", func(t *testing.T, dir string) {
			if err := os.Remove(seg(dir)); err != nil {
				t.Fatal(err)
			}
		}, 0, "segment is missing", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := Options{}
			if tc.name == "segment deleted" {
				opts.SegmentSize = 4 << 10
			}
			dir := newLedger(t, 60, opts)
			head := mustVerify(t, dir, 60).Head
			tc.tamper(t, dir)
			vo := VerifyOptions{}
			if tc.anchored {
				vo.Anchor = head
			}
			rep, err := Verify(dir, vo)
			if tc.problem == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if strings.Contains(tc.name, "torn") && (rep.Torn == 0 || rep.Records != 60) {
					t.Errorf("torn tail: report %+v", rep)
				}
				return
			}
			var be *BrokenError
			if !errors.As(err, &be) {
				t.Fatalf("Verify = %+v, %v; want a *BrokenError", rep, err)
			}
			if be.Line != tc.line || !strings.Contains(be.Problem, tc.problem) {
				t.Errorf("Verify: %v; want line %d, problem containing %q", be, tc.line, tc.problem)
			}
		})
	}
}

func TestReopenContinues(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), DirName)
	for round := range 3 {
		l := open(t, dir, Options{})
		fill(t, l, round*20, round*20+20)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	rep := mustVerify(t, dir, 60)
	if rep.HeadSeq != 60 {
		t.Errorf("head seq %d", rep.HeadSeq)
	}
	b, _ := os.ReadFile(filepath.Join(dir, segmentName(1)))
	if n := bytes.Count(b, []byte(`"path":"genesis"`)); n != 1 {
		t.Errorf("%d genesis records", n)
	}
}

func TestTornTailRecovery(t *testing.T) {
	t.Parallel()
	dir := newLedger(t, 10, Options{})
	path := filepath.Join(dir, segmentName(1))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":11,"time":"2025-06-01T12:0`)
	f.Close()
	rep := mustVerify(t, dir, 10)
	if rep.Torn != int64(len(`{"seq":11,"time":"2025-06-01T12:0`)) {
		t.Errorf("torn %d", rep.Torn)
	}
	var logs bytes.Buffer
	l := open(t, dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if !strings.Contains(logs.String(), "torn") {
		t.Errorf("the repair was not logged: %q", logs.String())
	}
	fill(t, l, 10, 15)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if rep := mustVerify(t, dir, 15); rep.Torn != 0 {
		t.Errorf("torn %d after repair", rep.Torn)
	}
}

func TestOpenRefusesCorruptLastRecord(t *testing.T) {
	t.Parallel()
	dir := newLedger(t, 10, Options{})
	path := filepath.Join(dir, segmentName(1))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"seq":10,`), []byte(`"seq":99,`), 1)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if l, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "does not verify") {
		if l != nil {
			l.Close()
		}
		t.Fatalf("Open = %v; want an error", err)
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	dir := newLedger(t, 200, Options{SegmentSize: 8 << 10})
	rep := mustVerify(t, dir, 200)
	if rep.Segments < 4 {
		t.Fatalf("%d segments", rep.Segments)
	}
	segs, _ := segments(dir)
	for _, s := range segs[:len(segs)-1] {
		if st, _ := os.Stat(s.path); st.Size() > 8<<10+1024 {
			t.Errorf("%s is %d bytes", s.path, st.Size())
		}
	}
	// A crash right after rotation leaves an empty last segment; the chain
	// goes on from the one before.
	empty := filepath.Join(dir, segmentName(rep.Segments+1))
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	l := open(t, dir, Options{SegmentSize: 8 << 10})
	fill(t, l, 200, 210)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, dir, 210)
	got, err := Who(dir, disclosure(0).Object)
	if err != nil || len(got) != 20 {
		t.Errorf("Who across segments: %d entries, %v", len(got), err)
	}
}

func TestConcurrentRecording(t *testing.T) {
	t.Parallel()
	const workers, each = 16, 300
	dir := filepath.Join(t.TempDir(), DirName)
	l := open(t, dir, Options{SyncInterval: time.Millisecond, SegmentSize: 256 << 10})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; i < each; {
				d := Disclosure{Org: "org", Path: PathObjects, Object: fmt.Sprintf("indicator--w%d", w), Decision: marking.Whole}
				if i%3 == 0 {
					page := make([]Disclosure, 5)
					for j := range page {
						page[j] = d
						page[j].Version = fmt.Sprint(i + j)
					}
					if err := l.RecordBatch(page); err != nil {
						t.Error(err)
					}
					i += len(page)
					continue
				}
				d.Version = fmt.Sprint(i)
				if err := l.Record(d); err != nil {
					t.Error(err)
				}
				if i%50 == 1 {
					if err := l.Flush(); err != nil {
						t.Error(err)
					}
				}
				i++
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, dir, workers*each)
	t.Logf("%d records in %d segments", rep.Records, rep.Segments)
	// Each worker's records keep the order it recorded them in.
	for w := range workers {
		got, err := Who(dir, fmt.Sprintf("indicator--w%d", w))
		if err != nil || len(got) != each {
			t.Fatalf("worker %d: %d records, %v", w, len(got), err)
		}
		for i, e := range got {
			if e.Version != fmt.Sprint(i) {
				t.Fatalf("worker %d: record %d is version %s", w, i, e.Version)
			}
		}
	}
}

// With a buffer of one, recorders wait for the writer; nothing is lost.
func TestBackPressureLosesNothing(t *testing.T) {
	t.Parallel()
	const workers, each = 8, 1000
	dir := filepath.Join(t.TempDir(), DirName)
	l := open(t, dir, Options{Buffer: 1})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := l.Record(disclosure(w*each + i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, dir, workers*each)
}

func TestSkipWithheld(t *testing.T) {
	t.Parallel()
	for _, skip := range []bool{false, true} {
		dir := newLedger(t, 30, Options{SkipWithheld: skip})
		want := uint64(30)
		if skip {
			want -= 10 // disclosure(i) withholds when i%3 == 0
		}
		mustVerify(t, dir, want)
	}
}

func TestFlushMakesRecordsVisible(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), DirName)
	l := open(t, dir, Options{SyncInterval: time.Hour})
	defer l.Close()
	fill(t, l, 0, 7)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, dir, 7)
}

func TestClosed(t *testing.T) {
	t.Parallel()
	l := open(t, filepath.Join(t.TempDir(), DirName), Options{})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Record":      l.Record(disclosure(1)),
		"RecordBatch": l.RecordBatch([]Disclosure{disclosure(1)}),
		"Flush":       l.Flush(),
		"Close":       l.Close(),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

// A failed write is sticky: later calls report it, so the server can stop
// disclosing.
func TestWriteFailureIsReported(t *testing.T) {
	t.Parallel()
	l := open(t, filepath.Join(t.TempDir(), DirName), Options{})
	l.f.Close() // the writer's next write fails
	l.Record(disclosure(1))
	if err := l.Flush(); err == nil {
		t.Fatal("Flush after a failed write = nil")
	}
	if err := l.Record(disclosure(2)); err == nil {
		t.Error("Record after a failed write = nil")
	}
	if err := l.Close(); err == nil {
		t.Error("Close after a failed write = nil")
	}
}

func TestNoLedger(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Verify(filepath.Join(dir, "nope"), VerifyOptions{}); !errors.Is(err, ErrNoLedger) {
		t.Errorf("Verify(missing) = %v", err)
	}
	if _, err := Who(dir, "x"); !errors.Is(err, ErrNoLedger) {
		t.Errorf("Who(empty) = %v", err)
	}
}

// A page for one recipient is one record; Who still lists each object.
func TestPageIsOneRecord(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), DirName)
	l := open(t, dir, Options{})
	page := make([]Disclosure, 50)
	for i := range page {
		page[i] = Disclosure{Org: "identity--b", Path: PathObjects, Object: fmt.Sprintf("indicator--%d", i%10),
			Version: fmt.Sprint(i), Decision: marking.Decision(i % 3), TLP: marking.Green}
	}
	page[7].Org = "identity--c" // another recipient: a record of its own
	if err := l.RecordBatch(page); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if rep := mustVerify(t, dir, 50); rep.Records != 1+3 {
		t.Errorf("%d records, want 4 (genesis, 7 objects, 1, 42)", rep.Records)
	}
	got, err := Who(dir, "indicator--7")
	if err != nil {
		t.Fatal(err)
	}
	var orgs, versions []string
	for _, e := range got {
		orgs, versions = append(orgs, e.Org), append(versions, e.Version)
	}
	if diff := cmp.Diff([]string{"identity--c", "identity--b", "identity--b", "identity--b", "identity--b"}, orgs); diff != "" {
		t.Errorf("orgs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"7", "17", "27", "37", "47"}, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}
