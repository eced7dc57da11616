package stix

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// sniffSize is how much of a document ReadDocument looks at to tell a single
// object from a bundle.
const sniffSize = 64 << 10

// ReadDocument reads a STIX document that is either a bundle, streamed as
// ReadBundle does, or a single object (any top-level "type" other than
// "bundle" found in the document's first 64 KiB), delivered as one Result
// with an empty Path. Its errors are those of ReadBundle.
func ReadDocument(r io.Reader, fn func(*Result) error) (Issues, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	prefix, _ := br.Peek(sniffSize)
	typ, ok := topLevelType(prefix)
	if !ok || typ == "bundle" {
		return ReadBundle(br, fn)
	}
	data, err := io.ReadAll(io.LimitReader(br, MaxObjectSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxObjectSize {
		return nil, &SyntaxError{Offset: MaxObjectSize, Msg: fmt.Sprintf("the object is larger than the %d-byte (10 MiB) limit", MaxObjectSize)}
	}
	obj, issues := ValidateObject(bytes.TrimSpace(data), "")
	return nil, fn(&Result{Raw: bytes.TrimSpace(data), Object: obj, Issues: issues})
}

// topLevelType returns the string value of the top-level "type" member of
// the JSON object that prefix starts, when prefix holds it.
func topLevelType(prefix []byte) (string, bool) {
	d := jsontext.NewDecoder(bytes.NewReader(prefix))
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '{' {
		return "", false
	}
	for {
		name, err := d.ReadToken()
		if err != nil || name.Kind() != '"' {
			return "", false
		}
		if name.String() != "type" {
			if err := d.SkipValue(); err != nil {
				return "", false
			}
			continue
		}
		v, err := d.ReadToken()
		if err != nil || v.Kind() != '"' {
			return "", false
		}
		return v.String(), true
	}
}
