package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	segPrefix = "disclosures-"
	segSuffix = ".log"
)

// segment is one file of the ledger.
type segment struct {
	n    int
	path string
}

func segmentName(n int) string { return fmt.Sprintf("%s%06d%s", segPrefix, n, segSuffix) }

// segments lists the segment files of dir in order. Other files are
// ignored.
func segments(dir string) ([]segment, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []segment
	for _, de := range des {
		name := de.Name()
		if !de.Type().IsRegular() || !strings.HasPrefix(name, segPrefix) || !strings.HasSuffix(name, segSuffix) {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, segPrefix), segSuffix))
		if err != nil || n <= 0 {
			continue
		}
		segs = append(segs, segment{n: n, path: filepath.Join(dir, name)})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].n < segs[j].n })
	return segs, nil
}

// lastLine returns the last complete line of the first size bytes of f
// (without its newline; nil if there is none) and end, the offset just past
// that line's newline. Bytes past end are a torn write.
func lastLine(f io.ReaderAt, size int64) (line []byte, end int64, err error) {
	for n := int64(64 << 10); ; n *= 2 {
		start := max(0, size-n)
		buf := make([]byte, size-start)
		if _, err := f.ReadAt(buf, start); err != nil && err != io.EOF {
			return nil, 0, err
		}
		i := bytes.LastIndexByte(buf, '\n')
		if i < 0 {
			if start == 0 {
				return nil, 0, nil
			}
			continue
		}
		j := bytes.LastIndexByte(buf[:i], '\n')
		if j < 0 && start > 0 {
			continue
		}
		return buf[j+1 : i], start + int64(i) + 1, nil
	}
}

// syncDir makes the creation of files in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrInvalid) {
		return nil // some systems cannot sync directories
	}
	return err
}
