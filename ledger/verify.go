package ledger

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrNoLedger is returned by Verify and Who when dir holds no ledger.
var ErrNoLedger = errors.New("ledger: no ledger")

// BrokenError names the first record where the chain breaks: a record
// changed, removed, inserted or moved, or a segment missing.
type BrokenError struct {
	File    string // the segment file
	Line    int    // 1-based line in File; 0 for a missing file
	Problem string
}

func (e *BrokenError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("ledger broken at %s: %s", e.File, e.Problem)
	}
	return fmt.Sprintf("ledger broken at %s line %d: %s", e.File, e.Line, e.Problem)
}

// Report is the outcome of Verify.
type Report struct {
	Records     uint64 // records (lines) verified, the genesis record included
	Disclosures uint64 // disclosures in those records
	Segments    int
	// Head is the hash of the last record (hex) and HeadSeq its sequence
	// number. Keeping Head elsewhere lets a later Verify with
	// VerifyOptions.Anchor prove the ledger was not cut short.
	Head    string
	HeadSeq uint64
	// Torn is the length of an incomplete last line in the last segment:
	// a write in progress or cut by a crash (Open truncates it). It is not
	// part of the chain and not a break.
	Torn int64
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Anchor, if set, is the hash of a record known to have been in the
	// ledger (a Head noted earlier). Verify fails unless the chain still
	// contains it, which detects a ledger cut short or replaced.
	Anchor string
}

// Verify walks every segment of the ledger in dir and checks that segments
// are numbered without gaps, that the chain starts with a genesis record,
// and that every record has the next sequence number, names the previous
// record's hash and has the hash of its content. It does not need the
// ledger closed: a last line still being written is reported as Torn.
//
// It returns a *BrokenError for the first record that fails, ErrNoLedger
// if dir holds no segment, or the I/O error. The Report covers the records
// verified before the break.
func Verify(dir string, opts VerifyOptions) (rep Report, err error) {
	segs, err := segments(dir)
	if errors.Is(err, os.ErrNotExist) || err == nil && len(segs) == 0 {
		return rep, fmt.Errorf("%w in %s", ErrNoLedger, dir)
	} else if err != nil {
		return rep, fmt.Errorf("ledger: verify %s: %w", dir, err)
	}
	var (
		h      = sha256.New()
		prev   [sha256.Size]byte
		hexBuf []byte
		found  = opts.Anchor == ""
	)
	for i, s := range segs {
		if s.n != i+1 {
			return rep, &BrokenError{File: filepath.Join(dir, segmentName(i+1)), Problem: "the segment is missing"}
		}
		rep.Segments++
		last := i == len(segs)-1
		err := eachLine(s.path, func(n int, line []byte, complete bool) error {
			broken := func(format string, args ...any) error {
				return &BrokenError{File: s.path, Line: n, Problem: fmt.Sprintf(format, args...)}
			}
			if !complete {
				if last {
					rep.Torn = int64(len(line))
					return nil
				}
				return broken("an incomplete record ends a segment that is not the last")
			}
			body, claimed, err := splitHash(line)
			if err != nil {
				return broken("%v", err)
			}
			e, err := parseRecord(line)
			if err != nil {
				return broken("%v", err)
			}
			if e.Seq != rep.Records {
				return broken("sequence number %d where %d was expected (records removed, inserted or moved)", e.Seq, rep.Records)
			}
			if (e.Seq == 0) != (e.Path == pathGenesis) || e.Seq == 0 && e.Format != formatVersion {
				return broken("the genesis record (format %s) must be first, and only first", formatVersion)
			}
			hexBuf = hex.AppendEncode(hexBuf[:0], prev[:])
			if e.Prev != string(hexBuf) {
				return broken("prev does not match the hash of record %d", rep.Records-1)
			}
			sum := hashLine(h, prev[:], body)
			hexBuf = hex.AppendEncode(hexBuf[:0], sum[:])
			if claimed != string(hexBuf) || e.Hash != claimed {
				return broken("the hash does not match the record's content (record %d changed)", e.Seq)
			}
			if !found && claimed == opts.Anchor {
				found = true
			}
			prev = sum
			rep.Head, rep.HeadSeq = claimed, e.Seq
			rep.Records++
			rep.Disclosures += uint64(len(e.Entries))
			return nil
		})
		if err != nil {
			var be *BrokenError
			if !errors.As(err, &be) {
				err = fmt.Errorf("ledger: verify %s: %w", dir, err)
			}
			return rep, err
		}
	}
	if rep.Records == 0 {
		return rep, &BrokenError{File: segs[0].path, Line: 1, Problem: "no genesis record"}
	}
	if !found {
		return rep, &BrokenError{File: segs[len(segs)-1].path, Problem: fmt.Sprintf("anchor %s is not in the chain: the ledger was cut short or replaced", opts.Anchor)}
	}
	return rep, nil
}

// Who lists the recorded disclosures of every version of the object with
// STIX id objectID, oldest first. It reads the ledger in dir without
// verifying the chain (that is Verify's job) and skips a torn last line.
// It returns ErrNoLedger if dir holds no segment, an error naming the line
// if a record of the object cannot be read, or the I/O error.
func Who(dir, objectID string) ([]Entry, error) {
	segs, err := segments(dir)
	if errors.Is(err, os.ErrNotExist) || err == nil && len(segs) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoLedger, dir)
	} else if err != nil {
		return nil, fmt.Errorf("ledger: who %s: %w", dir, err)
	}
	needle := appendString([]byte(`[`), objectID)
	needle = append(needle, ',')
	var out []Entry
	for _, s := range segs {
		err := eachLine(s.path, func(n int, line []byte, complete bool) error {
			if !complete || !bytes.Contains(line, needle) {
				return nil
			}
			r, err := parseRecord(line)
			if err != nil {
				return fmt.Errorf("%s line %d: %w", s.path, n, err)
			}
			for _, e := range r.Entries {
				if e.Object == objectID {
					out = append(out, e)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("ledger: who %s: %w", dir, err)
		}
	}
	return out, nil
}

// eachLine calls fn for every line of the file at path, without its
// newline; complete is false for a last line with no newline. line is only
// valid during the call.
func eachLine(path string, fn func(n int, line []byte, complete bool) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var long []byte
	for n := 1; ; n++ {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = r.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err == io.EOF {
			if len(line) > 0 {
				return fn(n, line, false)
			}
			return nil
		} else if err != nil {
			return err
		}
		if err := fn(n, line[:len(line)-1], true); err != nil {
			return err
		}
	}
}
