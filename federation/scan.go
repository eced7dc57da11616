package federation

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// fields are what federation reads of a STIX object without parsing it
// whole: its identifying members and where it names marking definitions.
type fields struct {
	typ, id, modified, created string
	// refs are the marking-definition references of object_marking_refs
	// and of granular_markings[].marking_ref, in order.
	refs []ref
}

// ref is one marking-definition reference: the JSON string token at
// raw[start:end] (quotes included) and the id it holds.
type ref struct {
	start, end int
	id         string
}

// errNotObject is returned for input that is not a JSON object.
var errNotObject = errors.New("not a JSON object")

// scan reads the top-level members of the STIX object raw. It does not
// validate the object; it fails only on malformed JSON.
func scan(raw []byte) (f fields, err error) {
	// A bytes.Buffer lets the decoder read raw in place, without a copy.
	dec := jsontext.NewDecoder(bytes.NewBuffer(raw), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	tok, err := dec.ReadToken()
	if err != nil {
		return f, err
	}
	if tok.Kind() != '{' {
		return f, errNotObject
	}
	var buf []byte // of names with escapes
	for dec.PeekKind() != '}' {
		var name []byte
		if name, buf, err = readName(dec, buf); err != nil {
			return f, err
		}
		switch string(name) {
		case "type":
			f.typ, err = readString(dec)
		case "id":
			f.id, err = readString(dec)
		case "modified":
			f.modified, err = readString(dec)
		case "created":
			f.created, err = readString(dec)
		case "object_marking_refs":
			err = eachElement(dec, '"', func() error { return f.readRef(dec) })
		case "granular_markings":
			err = eachElement(dec, '{', func() error {
				if _, err := dec.ReadToken(); err != nil {
					return err
				}
				for dec.PeekKind() != '}' {
					var n []byte
					var err error
					if n, buf, err = readName(dec, buf); err != nil {
						return err
					}
					if string(n) == "marking_ref" && dec.PeekKind() == '"' {
						err = f.readRef(dec)
					} else {
						err = dec.SkipValue()
					}
					if err != nil {
						return err
					}
				}
				_, err := dec.ReadToken()
				return err
			})
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return f, err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return f, err
	}
	if _, err := dec.ReadToken(); err == nil {
		return f, fmt.Errorf("data after the object")
	}
	return f, nil
}

// readName reads an object member's name. The name is returned as it
// stands in the input, and unquoted into buf only when it holds an escape,
// so that no string is made for the names skipped. It is valid until the
// decoder's next read.
func readName(dec *jsontext.Decoder, buf []byte) (name, _ []byte, err error) {
	tok, err := dec.ReadValue()
	if err != nil {
		return nil, buf, err
	}
	name = tok[1 : len(tok)-1]
	if bytes.IndexByte(name, '\\') < 0 {
		return name, buf, nil
	}
	buf, err = jsontext.AppendUnquote(buf[:0], tok)
	return buf, buf, err
}

// readString reads a string value; a value of another kind is skipped and
// reads as "".
func readString(dec *jsontext.Decoder) (string, error) {
	if dec.PeekKind() != '"' {
		return "", dec.SkipValue()
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return "", err
	}
	return tok.String(), nil
}

// eachElement calls fn for each element of kind kind of the array value
// that comes next (skipping elements of other kinds); a value that is not
// an array is skipped.
func eachElement(dec *jsontext.Decoder, kind jsontext.Kind, fn func() error) error {
	if dec.PeekKind() != '[' {
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != ']' {
		var err error
		if dec.PeekKind() == kind {
			err = fn()
		} else {
			err = dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// readRef reads the string value that comes next as a reference.
func (f *fields) readRef(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	end := int(dec.InputOffset())
	var id string
	if bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		id = string(v[1 : len(v)-1]) // nothing to unquote or replace: one copy
	} else {
		b, err := jsontext.AppendUnquote(nil, v)
		if err != nil {
			return err
		}
		id = string(b)
	}
	f.refs = append(f.refs, ref{start: end - len(v), end: end, id: id})
	return nil
}

// markingIDs returns the distinct ids that f references, in order.
func (f *fields) markingIDs() []string {
	var ids []string
	for _, r := range f.refs {
		seen := false
		for _, id := range ids {
			seen = seen || id == r.id
		}
		if !seen {
			ids = append(ids, r.id)
		}
	}
	return ids
}
