package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CopiedSegment is one segment file written by Copy.
type CopiedSegment struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Copy writes a consistent copy of the ledger in src to the new directory
// dst while a Ledger may be writing src (in this or another process): the
// segments before the last are sealed and copied whole, the last up to its
// last complete record, so the copy is the chain as it stood at some
// moment, without a torn record. The copy is synced, then verified; Copy
// returns its Report (Head names the last record copied) and the files it
// wrote. It returns ErrNoLedger if src holds no segment, a *BrokenError if
// the copy does not verify, or the I/O error. dst must not exist.
func Copy(src, dst string) (rep Report, files []CopiedSegment, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("ledger: copy %s to %s: %w", src, dst, err)
		}
	}()
	segs, err := segments(src)
	if errors.Is(err, os.ErrNotExist) || err == nil && len(segs) == 0 {
		return rep, nil, ErrNoLedger
	} else if err != nil {
		return rep, nil, err
	}
	if err := os.Mkdir(dst, 0o700); err != nil {
		return rep, nil, err
	}
	for i, s := range segs {
		cs, err := copySegment(s.path, filepath.Join(dst, filepath.Base(s.path)), i == len(segs)-1)
		if err != nil {
			return rep, files, err
		}
		files = append(files, cs)
	}
	if err := syncDir(dst); err != nil {
		return rep, files, err
	}
	rep, err = Verify(dst, VerifyOptions{})
	return rep, files, err
}

// copySegment copies the segment at path to the new file dst: all of it, or
// when last only up to its last newline (a writer may be appending).
func copySegment(path, dst string, last bool) (CopiedSegment, error) {
	cs := CopiedSegment{Name: filepath.Base(dst)}
	in, err := os.Open(path)
	if err != nil {
		return cs, err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return cs, err
	}
	size := st.Size()
	if last {
		// Records are appended whole lines at a time; what follows the last
		// newline is a record still being written.
		_, end, err := lastLine(in, size)
		if err != nil {
			return cs, err
		}
		size = end
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return cs, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.NewSectionReader(in, 0, size))
	if err == nil && n != size {
		err = fmt.Errorf("%s: read %d bytes of %d", path, n, size)
	}
	if err == nil && size > 0 && !last {
		// A sealed segment ends with a newline; anything else was cut.
		var b [1]byte
		if _, err = in.ReadAt(b[:], size-1); err == nil && !bytes.Equal(b[:], []byte("\n")) {
			err = fmt.Errorf("%s does not end with a complete record but is not the last segment", path)
		}
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	cs.Size, cs.SHA256 = size, hex.EncodeToString(h.Sum(nil))
	return cs, err
}
