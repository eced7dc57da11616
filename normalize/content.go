package normalize

import (
	"crypto/sha256"
	"runtime"
	"sync"

	"github.com/tearline/tearline"
)

// ContentHashes returns the content hash of each object: its Digest,
// computed at validation from the canonical form (so member order,
// whitespace and number spelling do not count), or else the SHA-256 of its
// bytes, spread over the CPUs when there is much to hash.
func ContentHashes(objs []*tearline.Object) [][sha256.Size]byte {
	hashes := make([][sha256.Size]byte, len(objs))
	total, digested := 0, 0
	for i, o := range objs {
		if o.Digest != ([sha256.Size]byte{}) {
			hashes[i] = o.Digest
			digested++
			continue
		}
		total += len(o.Raw)
	}
	if digested == len(objs) {
		return hashes
	}
	workers := min(runtime.GOMAXPROCS(0), len(objs))
	if total < 1<<20 || workers < 2 {
		for i, o := range objs {
			if o.Digest == ([sha256.Size]byte{}) {
				hashes[i] = sha256.Sum256(o.Raw)
			}
		}
		return hashes
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(objs); i += workers {
				if objs[i].Digest == ([sha256.Size]byte{}) {
					hashes[i] = sha256.Sum256(objs[i].Raw)
				}
			}
		})
	}
	wg.Wait()
	return hashes
}

// EqualIgnoringSpace reports whether the JSON texts a and b are equal but
// for insignificant whitespace: spaces, tabs and line breaks outside
// strings. Stores use it when two versions with the same id and version key
// hash differently: the same object pretty-printed by another tool is then
// the same version, kept in the bytes first stored, rather than a conflict.
func EqualIgnoringSpace(a, b []byte) bool {
	inString, escaped := false, false
	i, j := 0, 0
	for {
		if !inString {
			for i < len(a) && isSpace(a[i]) {
				i++
			}
			for j < len(b) && isSpace(b[j]) {
				j++
			}
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		c := a[i]
		if c != b[j] {
			return false
		}
		i++
		j++
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = inString
		case c == '"':
			inString = !inString
		}
	}
}

// isSpace reports whether c is JSON whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
