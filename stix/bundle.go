package stix

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/tearline/tearline"
)

// BundleReader reads a STIX bundle as a stream: each object of its
// "objects" list is returned as the exact bytes it had in the input, so
// memory use is bounded by the largest object (at most MaxObjectSize), not
// the bundle.
//
// The reader checks the bundle's own JSON structure; each object's bytes are
// only framed (brackets matched, strings delimited), and their full JSON and
// STIX checks are left to ValidateObject, so that one malformed object is
// reported on its own instead of ending the read.
type BundleReader struct {
	r     io.Reader
	buf   []byte // buf[pos:end] is read but not yet consumed
	pos   int
	end   int
	base  int64 // input offset of buf[0]
	eof   bool  // r has no more data
	rerr  error // read error other than io.EOF
	stack []byte

	state      int // 0 before '{', 1 in bundle members, 2 in objects list, 3 done
	first      bool
	index      int
	id         string
	names      []string // bundle property names seen
	sawType    bool
	sawID      bool
	sawObjects bool
	envelope   bool // a TAXII envelope rather than a bundle (envelope.go)
	// Issues holds the bundle-level findings so far (type, id, properties).
	Issues Issues
}

// TooLargeError is returned by BundleReader.Next for an object larger than
// MaxObjectSize. The object is skipped without being held in memory, and
// reading can continue with the next object.
type TooLargeError struct {
	Index int
	Size  int64 // the object's size in bytes
}

// Error implements the error interface.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("objects[%d] is %d bytes, larger than the %d-byte (10 MiB) limit", e.Index, e.Size, MaxObjectSize)
}

const (
	initialBufSize = 64 << 10
	// maxFramingDepth bounds the nesting the framer tracks; ParseValue
	// rejects objects nested deeper than MaxDepth with a precise path, so
	// this only stops absurd input from growing the stack without bound.
	maxFramingDepth = 1 << 16
)

// NewBundleReader returns a reader of the bundle in r.
func NewBundleReader(r io.Reader) *BundleReader {
	return &BundleReader{r: r}
}

// ID returns the bundle id once it has been read (it may follow the objects).
func (b *BundleReader) ID() string { return b.id }

// Next returns the next object's bytes (a fresh copy the caller may keep)
// and its index in the objects list. It returns io.EOF after the last object
// and the end of the bundle; a *SyntaxError for malformed JSON in the bundle
// structure, or input that ends early, after which the reader stops; a
// *TooLargeError (with the index) for an object larger than MaxObjectSize,
// after which reading may continue; and read errors of the underlying
// reader, wrapped.
func (b *BundleReader) Next() ([]byte, int, error) {
	for {
		switch b.state {
		case 0:
			if !b.skipSpace() {
				if b.rerr != nil {
					return nil, 0, b.fail(b.rerr)
				}
				return nil, 0, b.fail(&SyntaxError{Offset: b.offset(), Msg: "empty input: expected a STIX bundle (a JSON object)"})
			}
			if c := b.buf[b.pos]; c != '{' {
				msg := "a bundle must be a JSON object, not " + kindAt(c)
				if kindAt(c) == "" {
					msg = "expected a STIX bundle (a JSON object), found " + describeByte(c)
				}
				return nil, 0, b.fail(&SyntaxError{Offset: b.offset(), Msg: msg})
			}
			b.pos++
			b.state, b.first = 1, true
		case 1:
			if !b.skipSpace() {
				return nil, 0, b.fail(b.truncated("", "the bundle object is not closed"))
			}
			if b.buf[b.pos] == '}' {
				b.pos++
				if b.skipSpace() {
					return nil, 0, b.fail(&SyntaxError{Offset: b.offset(), Msg: "unexpected data after the bundle: " + describeByte(b.buf[b.pos])})
				}
				if b.rerr != nil {
					return nil, 0, b.fail(b.rerr)
				}
				b.finish()
				b.state = 3
				return nil, 0, io.EOF
			}
			if !b.first {
				if err := b.expect(',', "", "expected ',' or '}' after a bundle property"); err != nil {
					return nil, 0, b.fail(err)
				}
			}
			b.first = false
			name, err := b.memberName()
			if err != nil {
				return nil, 0, b.fail(err)
			}
			if err := b.expect(':', name, "expected ':' after the property name"); err != nil {
				return nil, 0, b.fail(err)
			}
			if !b.skipSpace() {
				return nil, 0, b.fail(b.truncated(name, "the bundle property has no value"))
			}
			if name == "objects" {
				b.sawObjects = true
				if b.buf[b.pos] == '[' {
					b.pos++
					b.state, b.first = 2, true
					continue
				}
				kind := kindAt(b.buf[b.pos])
				if kind == "" {
					kind = "invalid JSON"
				}
				if _, _, err := b.scanValue(name); err != nil {
					return nil, 0, b.fail(err)
				}
				b.Issues = append(b.Issues, Issue{Path: "objects", Rule: "type", Message: `bundle property "objects" must be a list, not ` + kind})
				continue
			}
			raw, size, err := b.scanValue(name)
			if err != nil {
				return nil, 0, b.fail(err)
			}
			b.sawType = b.sawType || name == "type"
			b.sawID = b.sawID || name == "id"
			if raw == nil {
				b.Issues = append(b.Issues, Issue{Path: name, Rule: "size", Message: fmt.Sprintf("bundle property %s is %d bytes, larger than the %d-byte limit", quote(name), size, MaxObjectSize)})
				continue
			}
			b.sawType = b.sawType || name == "type"
			b.sawID = b.sawID || name == "id"
			v, perr := ParseValue(raw)
			if perr != nil {
				se := perr.(*SyntaxError)
				b.Issues = append(b.Issues, Issue{Path: joinPath(name, se.Path), Rule: "json", Message: se.Msg})
				continue
			}
			b.member(name, &v)
		case 2:
			path := indexPath("objects", b.index)
			if !b.skipSpace() {
				return nil, 0, b.fail(b.truncated("objects", `the "objects" list is not closed`))
			}
			if b.buf[b.pos] == ']' {
				b.pos++
				if b.first {
					b.Issues = append(b.Issues, Issue{Path: "objects", Rule: "empty-list", Message: `bundle property "objects" must not be an empty list; omit it instead`})
				}
				b.state, b.first = 1, false
				continue
			}
			if !b.first {
				if err := b.expect(',', path, "expected ',' or ']' after an object in the \"objects\" list"); err != nil {
					return nil, 0, b.fail(err)
				}
			}
			b.first = false
			raw, size, err := b.scanValue(path)
			if err != nil {
				return nil, 0, b.fail(err)
			}
			i := b.index
			b.index++
			if raw == nil {
				return nil, i, &TooLargeError{Index: i, Size: size}
			}
			return append([]byte(nil), raw...), i, nil
		default:
			return nil, 0, io.EOF
		}
	}
}

// offset is the input offset of the read position.
func (b *BundleReader) offset() int64 { return b.base + int64(b.pos) }

// fail stops the reader and returns err, wrapping read errors.
func (b *BundleReader) fail(err error) error {
	b.state = 3
	var se *SyntaxError
	if !errors.As(err, &se) {
		err = fmt.Errorf("stix: read bundle: %w", err)
	}
	return err
}

// truncated is the error for input that ends at the read position, or the
// pending read error when there is one.
func (b *BundleReader) truncated(path, what string) error {
	if b.rerr != nil {
		return b.rerr
	}
	return &SyntaxError{Offset: b.base + int64(b.end), Path: path, Msg: "unexpected end of input (truncated JSON): " + what}
}

// expect consumes the delimiter c, after optional whitespace.
func (b *BundleReader) expect(c byte, path, msg string) error {
	if !b.skipSpace() {
		return b.truncated(path, msg)
	}
	if b.buf[b.pos] != c {
		return &SyntaxError{Offset: b.offset(), Path: path, Msg: msg + ", found " + describeByte(b.buf[b.pos])}
	}
	b.pos++
	if !b.skipSpace() {
		return b.truncated(path, "nothing follows "+describeByte(c))
	}
	return nil
}

// memberName reads a bundle property name and rejects duplicates.
func (b *BundleReader) memberName() (string, error) {
	at := b.offset()
	if b.buf[b.pos] != '"' {
		return "", &SyntaxError{Offset: at, Msg: "expected a property name in double quotes, found " + describeByte(b.buf[b.pos])}
	}
	raw, _, err := b.scanValue("")
	if err != nil {
		return "", err
	}
	if raw == nil {
		return "", &SyntaxError{Offset: at, Msg: "a bundle property name is too long"}
	}
	v, err := ParseValue(raw)
	if err != nil {
		se := err.(*SyntaxError)
		return "", &SyntaxError{Offset: at + se.Offset, Msg: se.Msg}
	}
	for _, n := range b.names {
		if n == v.Str {
			return "", &SyntaxError{Offset: at, Path: v.Str, Msg: "duplicate bundle property name " + quote(v.Str)}
		}
	}
	b.names = append(b.names, v.Str)
	return v.Str, nil
}

// fill reads more input. Bytes before keep are no longer needed and may be
// dropped; it returns how far the buffer contents moved down (callers adjust
// their indexes by it) and whether more data was read.
func (b *BundleReader) fill(keep int) (shift int, ok bool) {
	if b.eof {
		return 0, false
	}
	if keep > 0 {
		copy(b.buf, b.buf[keep:b.end])
		b.end -= keep
		b.pos = max(b.pos-keep, 0)
		b.base += int64(keep)
		shift = keep
	}
	if b.end == len(b.buf) {
		nb := make([]byte, max(2*len(b.buf), initialBufSize))
		copy(nb, b.buf[:b.end])
		b.buf = nb
	}
	for range 100 {
		n, err := b.r.Read(b.buf[b.end:])
		b.end += n
		if err != nil {
			b.eof = true
			if err != io.EOF {
				b.rerr = err
			}
			return shift, n > 0
		}
		if n > 0 {
			return shift, true
		}
	}
	b.eof, b.rerr = true, io.ErrNoProgress
	return shift, false
}

// skipSpace consumes whitespace and reports whether a byte follows.
func (b *BundleReader) skipSpace() bool {
	for {
		for b.pos < b.end {
			if !isSpace[b.buf[b.pos]] {
				return true
			}
			b.pos++
		}
		if _, ok := b.fill(b.pos); !ok {
			return false
		}
	}
}

// structural marks the bytes the framer stops at outside strings.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// delimiter marks the bytes that end a scalar (number or literal).
var delimiter = [256]bool{',': true, ']': true, '}': true, ':': true, ' ': true, '\t': true, '\n': true, '\r': true}

// scanValue frames the JSON value at the read position (which holds its
// first byte) and consumes it. It returns the value's bytes, valid until the
// next read, or nil when the value is larger than MaxObjectSize, in which
// case its bytes were skipped as they were read. Its contents are not
// validated except for brackets and string delimiters. path names the value
// in errors.
func (b *BundleReader) scanValue(path string) (raw []byte, size int64, err error) {
	start := b.pos
	i := start
	var skipped int64 // bytes of this value dropped from the buffer
	var ok bool
	done := func() ([]byte, int64, error) {
		b.pos = i
		size := skipped + int64(i-start)
		if skipped > 0 || size > MaxObjectSize {
			return nil, size, nil
		}
		return b.buf[start:i], size, nil
	}

	switch c := b.buf[i]; {
	case c == '{' || c == '[':
	case c == '"':
	default:
		// A number or literal: it ends at a delimiter or the end of input.
		for {
			for i < b.end && !delimiter[b.buf[i]] {
				i++
			}
			if i < b.end {
				break
			}
			if start, i, skipped, ok = b.more(start, i, skipped); !ok {
				break
			}
		}
		if i == start && skipped == 0 {
			if b.rerr != nil {
				return nil, 0, b.rerr
			}
			if i < b.end {
				return nil, 0, &SyntaxError{Offset: b.base + int64(i), Path: path, Msg: "expected a JSON value, found " + describeByte(b.buf[i])}
			}
			return nil, 0, b.truncated(path, "a value is missing")
		}
		return done()
	}

	stack := b.stack[:0]
	inStr, esc := false, false
	for {
		if i >= b.end {
			if start, i, skipped, ok = b.more(start, i, skipped); !ok {
				if b.rerr != nil {
					return nil, 0, b.rerr
				}
				b.stack = stack
				return nil, 0, b.frameError(path, start, b.end, skipped, "unexpected end of input (truncated JSON)")
			}
			continue
		}
		if inStr {
			n, closed, e := scanString(b.buf[i:b.end], esc)
			i += n
			esc = e
			if !closed {
				continue
			}
			inStr = false
			if len(stack) == 0 {
				break
			}
			continue
		}
		for i+8 <= b.end && binary.LittleEndian.Uint64(b.buf[i:]) == spaces8 {
			i += 8
		}
		for i < b.end && !structural[b.buf[i]] {
			i++
		}
		if i >= b.end {
			continue
		}
		switch c := b.buf[i]; c {
		case '"':
			inStr = true
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		default: // '}' or ']'
			if len(stack) == 0 || stack[len(stack)-1] != c {
				i++
				b.stack = stack
				return nil, 0, b.frameError(path, start, i, skipped, "unexpected "+describeByte(c))
			}
			stack = stack[:len(stack)-1]
		}
		i++
		if len(stack) > maxFramingDepth {
			b.stack = stack
			return nil, 0, &SyntaxError{Offset: b.base + int64(i), Path: path, Msg: fmt.Sprintf("nesting deeper than %d levels", maxFramingDepth)}
		}
		if len(stack) == 0 && !inStr {
			break
		}
	}
	b.stack = stack
	return done()
}

// more reads more input for scanValue, which has framed the bytes from
// start to i of a value (skipped bytes before them already dropped). Once
// the value is over the size limit its bytes are dropped as they are read.
// It returns the updated positions and whether more input was read.
func (b *BundleReader) more(start, i int, skipped int64) (int, int, int64, bool) {
	keep := start
	if skipped > 0 || int64(i-start) > MaxObjectSize {
		skipped += int64(i - start)
		start = i
		keep = i
	}
	shift, ok := b.fill(keep)
	return start - shift, i - shift, skipped, ok
}

// frameError reports a framing error in the value that starts at start,
// found at stop: when the value's bytes are still buffered, a full parse of
// them finds the first problem and its path inside the value. Only the bytes
// up to stop are parsed, so the answer does not depend on how much input
// happens to be buffered beyond it.
func (b *BundleReader) frameError(path string, start, stop int, skipped int64, msg string) error {
	off := b.base + int64(stop)
	if skipped == 0 {
		if _, err := ParseValue(b.buf[start:stop]); err != nil {
			se := err.(*SyntaxError)
			return &SyntaxError{Offset: b.base + int64(start) + se.Offset, Path: joinPath(path, se.Path), Msg: se.Msg}
		}
	}
	return &SyntaxError{Offset: off, Path: path, Msg: msg}
}

// scanString consumes string contents from seg, after the opening quote or
// an earlier segment. esc says whether the previous segment ended in a
// backslash. It returns the bytes consumed (including the closing quote if
// found), whether the string closed, and whether seg ends in an escape.
func scanString(seg []byte, esc bool) (n int, closed, escOut bool) {
	i := 0
	if esc {
		if len(seg) == 0 {
			return 0, false, true
		}
		i = 1
	}
	for {
		q := bytes.IndexByte(seg[i:], '"')
		limit := len(seg)
		if q >= 0 {
			limit = i + q
		}
		for {
			bs := bytes.IndexByte(seg[i:limit], '\\')
			if bs < 0 {
				break
			}
			i += bs + 2
			if i > limit {
				break
			}
		}
		switch {
		case i > len(seg):
			return len(seg), false, true
		case i > limit:
			// The quote at limit was escaped; look for the next one.
			continue
		case q < 0:
			return len(seg), false, false
		}
		return limit + 1, true, false
	}
}

// kindAt names the JSON kind of a value starting with c, for messages.
func kindAt(c byte) string {
	switch {
	case c == '{':
		return "an object"
	case c == '[':
		return "a list"
	case c == '"':
		return "a string"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	}
	return ""
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// member checks a bundle member other than "objects".
func (b *BundleReader) member(name string, v *Value) {
	if b.envelope {
		b.envelopeMember(name, v)
		return
	}
	switch name {
	case "type":
		if v.Kind != String || v.Str != "bundle" {
			b.Issues = append(b.Issues, Issue{Path: "type", Rule: "bundle-type", Message: `a bundle's "type" must be "bundle", not ` + describe(v)})
		}
	case "id":
		b.id = v.Str
		typ, _, err := ParseID(v.Str)
		if v.Kind != String || err != nil || typ != "bundle" {
			msg := `a bundle's "id" must be "bundle--" followed by a UUID, not ` + describe(v)
			if v.Kind == String && err != nil {
				msg += ": " + err.Error()
			}
			b.Issues = append(b.Issues, Issue{Path: "id", Rule: "bundle-id", Message: msg})
		}
	case "spec_version":
		b.Issues = append(b.Issues, Issue{Path: "spec_version", Rule: "bundle-spec-version", Warning: true,
			Message: `bundles have no "spec_version" in STIX 2.1 (it is a STIX 2.0 property); each object carries its own`})
	default:
		b.Issues = append(b.Issues, Issue{Path: name, Rule: "bundle-property", Warning: true,
			Message: fmt.Sprintf("bundle property %s is not defined by STIX 2.1 and is ignored", quote(name))})
	}
}

// finish records missing required bundle properties.
func (b *BundleReader) finish() {
	if b.envelope {
		b.envelopeFinish()
		return
	}
	if !b.sawType {
		b.Issues = append(b.Issues, Issue{Path: "type", Rule: "required", Message: `required bundle property "type" is missing`})
	}
	if !b.sawID {
		b.Issues = append(b.Issues, Issue{Path: "id", Rule: "required", Message: `required bundle property "id" is missing`})
	}
	if !b.sawObjects {
		b.Issues = append(b.Issues, Issue{Path: "objects", Rule: "bundle-empty", Warning: true, Message: `the bundle has no "objects"`})
	}
}

// Result is the outcome of validating one object of a bundle.
type Result struct {
	Index  int
	Path   string           // "objects[12]"
	Raw    []byte           // the object's exact bytes; nil for an object over MaxObjectSize
	Object *tearline.Object // nil when Issues has errors
	Issues Issues
}

const (
	// batchObjects and batchBytes bound a batch of objects handed to one
	// validation worker: large enough to amortize the hand-off, small enough
	// to keep memory in flight bounded.
	batchObjects = 256
	batchBytes   = 1 << 20
)

// ReadBundle reads the bundle in r, validates its objects on all CPUs and
// calls fn with each result in bundle order. It also reports, as issues on
// the later object, a second version of the same id and version: an error
// (naming the first index) when the content differs, a warning when it is
// the same (the same Digest: formatting aside). It returns the bundle-level issues, and a
// *SyntaxError when the JSON is malformed (results up to that point have
// been delivered), a wrapped read error of r, or the first error fn returns.
// In every case all goroutines it started have ended when it returns.
func ReadBundle(r io.Reader, fn func(*Result) error) (Issues, error) {
	return readObjects(NewBundleReader(r), fn)
}

// readObjects is ReadBundle on the objects of br, a bundle or an envelope.
func readObjects(br *BundleReader, fn func(*Result) error) (Issues, error) {
	type batch struct {
		results []*Result
		done    chan struct{}
	}
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch, workers)
	ordered := make(chan *batch, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range work {
				for _, res := range b.results {
					if res.Raw != nil {
						res.Object, res.Issues = ValidateObject(res.Raw, res.Path)
					}
				}
				close(b.done)
			}
		})
	}
	var readErr error
	stop := make(chan struct{})
	go func() {
		defer close(ordered)
		defer close(work)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b := &batch{done: make(chan struct{})}
			size := 0
			var err error
			for len(b.results) < batchObjects && size < batchBytes {
				var raw []byte
				var i int
				raw, i, err = br.Next()
				var tooLarge *TooLargeError
				if errors.As(err, &tooLarge) {
					res := &Result{Index: i, Path: indexPath("objects", i)}
					res.Issues = Issues{{Path: res.Path, Rule: "size", Message: fmt.Sprintf("object is %d bytes, larger than the %d-byte (10 MiB) limit", tooLarge.Size, MaxObjectSize)}}
					b.results = append(b.results, res)
					err = nil
					continue
				}
				if err != nil {
					if err != io.EOF {
						readErr = err
					}
					break
				}
				size += len(raw)
				b.results = append(b.results, &Result{Index: i, Path: indexPath("objects", i), Raw: raw})
			}
			if len(b.results) > 0 {
				select {
				case work <- b:
				case <-stop:
					return
				}
				select {
				case ordered <- b:
				case <-stop:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()

	type versionKey struct {
		id   string
		sec  int64
		nsec int
	}
	type seenAt struct {
		index  int
		digest [32]byte
	}
	seen := map[versionKey]seenAt{}
	var fnErr error
	for b := range ordered {
		<-b.done
		if fnErr != nil {
			continue
		}
		for _, res := range b.results {
			if res.Object != nil {
				key := versionKey{res.Object.ID, res.Object.Version.Unix(), res.Object.Version.Nanosecond()}
				if prev, dup := seen[key]; dup {
					if prev.digest != res.Object.Digest {
						res.Issues = append(res.Issues, Issue{Path: res.Path, Rule: "duplicate-id",
							Message: fmt.Sprintf("object %s version %s appears again with different content (first at objects[%d])", res.Object.ID, res.Object.VersionKey(), prev.index)})
						res.Object = nil
					} else {
						res.Issues = append(res.Issues, Issue{Path: res.Path, Rule: "duplicate-object", Warning: true,
							Message: fmt.Sprintf("object %s is repeated (the same content as objects[%d])", res.Object.ID, prev.index)})
					}
				} else {
					seen[key] = seenAt{res.Index, res.Object.Digest}
				}
			}
			if err := fn(res); err != nil {
				fnErr = err
				close(stop)
				break
			}
		}
	}
	wg.Wait()
	if fnErr != nil {
		return br.Issues, fnErr
	}
	return br.Issues, readErr
}
