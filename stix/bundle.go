package stix

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/tearline/tearline"
)

// BundleReader reads a STIX bundle as a stream: each object of its
// "objects" list is returned as the exact bytes it had in the input, so
// memory use is bounded by the largest object, not the bundle.
type BundleReader struct {
	dec    *jsontext.Decoder
	state  int // 0 before '{', 1 in bundle members, 2 in objects list, 3 done
	index  int
	id     string
	typ    string
	Issues Issues // bundle-level issues found so far (type, id, properties)
}

// NewBundleReader returns a reader of the bundle in r.
func NewBundleReader(r io.Reader) *BundleReader {
	return &BundleReader{dec: jsontext.NewDecoder(r, decoderOptions...)}
}

// ID returns the bundle id once it has been read (it may follow the objects).
func (b *BundleReader) ID() string { return b.id }

// Next returns the next object's bytes (a fresh copy the caller may keep)
// and its index in the objects list. It returns io.EOF after the last object
// and the end of the bundle, and a *SyntaxError for malformed JSON.
func (b *BundleReader) Next() ([]byte, int, error) {
	for {
		switch b.state {
		case 0:
			if b.dec.PeekKind() != '{' {
				if _, err := b.dec.ReadToken(); err != nil {
					return nil, 0, b.fail(err)
				}
				return nil, 0, b.fail(&SyntaxError{Msg: "a bundle must be a JSON object"})
			}
			if _, err := b.dec.ReadToken(); err != nil {
				return nil, 0, b.fail(err)
			}
			b.state = 1
		case 1:
			if b.dec.PeekKind() == '}' {
				if _, err := b.dec.ReadToken(); err != nil {
					return nil, 0, b.fail(err)
				}
				if _, err := b.dec.ReadToken(); err != io.EOF {
					if err == nil {
						err = &SyntaxError{Offset: b.dec.InputOffset(), Msg: "unexpected data after the bundle"}
					}
					return nil, 0, b.fail(err)
				}
				b.finish()
				b.state = 3
				return nil, 0, io.EOF
			}
			tok, err := b.dec.ReadToken()
			if err != nil {
				return nil, 0, b.fail(err)
			}
			name := tok.String()
			if name == "objects" {
				if b.dec.PeekKind() != '[' {
					v, err := b.dec.ReadValue()
					if err != nil {
						return nil, 0, b.fail(err)
					}
					b.Issues = append(b.Issues, Issue{Path: "objects", Rule: "type", Message: fmt.Sprintf(`bundle property "objects" must be a list, not %s`, valueKind(v))})
					continue
				}
				if _, err := b.dec.ReadToken(); err != nil {
					return nil, 0, b.fail(err)
				}
				b.state = 2
				continue
			}
			v, err := b.dec.ReadValue()
			if err != nil {
				return nil, 0, b.fail(err)
			}
			b.member(name, v)
		case 2:
			if b.dec.PeekKind() == ']' {
				if _, err := b.dec.ReadToken(); err != nil {
					return nil, 0, b.fail(err)
				}
				b.state = 1
				continue
			}
			v, err := b.dec.ReadValue()
			if err != nil {
				return nil, 0, b.fail(err)
			}
			i := b.index
			b.index++
			return bytes.Clone(v), i, nil
		default:
			return nil, 0, io.EOF
		}
	}
}

// fail converts err to a *SyntaxError with the decoder's position and stops
// the reader.
func (b *BundleReader) fail(err error) error {
	b.state = 3
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return syntaxError(b.dec, err)
}

// member checks a bundle member other than "objects".
func (b *BundleReader) member(name string, v jsontext.Value) {
	str := func() (string, bool) {
		var s string
		if v.Kind() != '"' {
			return "", false
		}
		s, err := strconv.Unquote(string(v))
		if err != nil {
			pv, perr := ParseValue(v)
			if perr != nil {
				return "", false
			}
			s = pv.Str
		}
		return s, true
	}
	switch name {
	case "type":
		s, ok := str()
		b.typ = s
		if !ok || s != "bundle" {
			b.Issues = append(b.Issues, Issue{Path: "type", Rule: "bundle-type", Message: `a bundle's "type" must be "bundle"`})
		}
	case "id":
		s, ok := str()
		b.id = s
		typ, _, err := ParseID(s)
		if !ok || err != nil || typ != "bundle" {
			msg := `a bundle's "id" must be "bundle--" followed by a UUID`
			if err != nil {
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
	if b.typ == "" {
		b.Issues = append(b.Issues, Issue{Path: "type", Rule: "required", Message: `required bundle property "type" is missing`})
	}
	if b.id == "" {
		b.Issues = append(b.Issues, Issue{Path: "id", Rule: "required", Message: `required bundle property "id" is missing`})
	}
}

func valueKind(v jsontext.Value) string {
	switch v.Kind() {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	}
	return "null"
}

// Result is the outcome of validating one object of a bundle.
type Result struct {
	Index  int
	Path   string           // "objects[12]"
	Raw    []byte           // the object's exact bytes
	Object *tearline.Object // nil when Issues has errors
	Issues Issues
}

// ReadBundle reads the bundle in r, validates its objects on all CPUs and
// calls fn with each result in bundle order. It also reports, as issues on
// the later object, a second version of the same id and version with
// different content. It returns the bundle-level issues, and a *SyntaxError
// when the JSON is malformed (results up to that point have been delivered),
// or the first error fn returns.
func ReadBundle(r io.Reader, fn func(*Result) error) (Issues, error) {
	br := NewBundleReader(r)
	const batchSize = 128
	type batch struct {
		results []*Result
		done    chan struct{}
	}
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch, workers*2)
	ordered := make(chan *batch, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range work {
				for _, res := range b.results {
					res.Object, res.Issues = ValidateObject(res.Raw, res.Path)
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
			b := &batch{done: make(chan struct{})}
			for len(b.results) < batchSize {
				raw, i, err := br.Next()
				if err != nil {
					if err != io.EOF {
						readErr = err
					}
					break
				}
				b.results = append(b.results, &Result{Index: i, Path: indexPath("objects", i), Raw: raw})
			}
			if len(b.results) == 0 {
				return
			}
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
			if len(b.results) < batchSize {
				return
			}
		}
	}()

	seed := maphash.MakeSeed()
	type seenAt struct {
		index int
		sum   uint64
	}
	seen := map[string]seenAt{}
	var fnErr error
	for b := range ordered {
		<-b.done
		if fnErr != nil {
			continue
		}
		for _, res := range b.results {
			if res.Object != nil {
				key := res.Object.ID + "|" + res.Object.VersionKey()
				sum := maphash.Bytes(seed, res.Raw)
				if prev, dup := seen[key]; dup {
					if prev.sum != sum {
						res.Issues = append(res.Issues, Issue{Path: res.Path, Rule: "duplicate-id",
							Message: fmt.Sprintf("object %s version %s appears again with different content (first at objects[%d])", res.Object.ID, res.Object.VersionKey(), prev.index)})
						res.Object = nil
					} else {
						res.Issues = append(res.Issues, Issue{Path: res.Path, Rule: "duplicate-object", Warning: true,
							Message: fmt.Sprintf("object %s is repeated (identical to objects[%d])", res.Object.ID, prev.index)})
					}
				} else {
					seen[key] = seenAt{res.Index, sum}
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
	if readErr != nil {
		return br.Issues, readErr
	}
	return br.Issues, nil
}
