package stix

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// MaxDepth is the deepest nesting of JSON arrays and objects accepted inside
// one STIX object. Real objects nest a handful of levels; the limit stops
// hostile input from exhausting the stack or memory.
const MaxDepth = 64

// MaxObjectSize is the largest accepted encoding of one STIX object, in bytes.
const MaxObjectSize = 10 << 20

// Kind is the JSON type of a Value.
type Kind uint8

// The JSON kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Object
	Array
)

var kindNames = [...]string{Null: "null", Bool: "boolean", Number: "number", String: "string", Object: "object", Array: "array"}

// String returns the JSON name of the kind.
func (k Kind) String() string { return kindNames[k] }

// Value is a parsed JSON value that keeps member order and the exact text of
// numbers, so that validation can tell 1 from 1.0 without float rounding.
type Value struct {
	Kind    Kind
	Bool    bool
	Str     string   // the string, or the literal text of a number
	Members []Member // Object members in document order
	Elems   []Value  // Array elements
}

// Member is one name/value pair of a JSON object.
type Member struct {
	Name  string
	Value Value
}

// Get returns the member called name of an object value, or nil.
func (v *Value) Get(name string) *Value {
	for i := range v.Members {
		if v.Members[i].Name == name {
			return &v.Members[i].Value
		}
	}
	return nil
}

// GetString returns the string member called name, or "" when it is absent or
// not a string.
func (v *Value) GetString(name string) string {
	if m := v.Get(name); m != nil && m.Kind == String {
		return m.Str
	}
	return ""
}

// SyntaxError reports malformed JSON: where it is (byte offset and, when
// known, the JSON path) and what is wrong.
type SyntaxError struct {
	Offset int64
	Path   string
	Msg    string
}

// Error implements the error interface.
func (e *SyntaxError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("invalid JSON at %s (byte %d): %s", e.Path, e.Offset, e.Msg)
	}
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// decoderOptions are the strict settings used for all STIX input: duplicate
// member names and invalid UTF-8 are errors.
var decoderOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(false),
	jsontext.AllowInvalidUTF8(false),
}

// ParseValue parses one complete JSON value from data. Duplicate member
// names, invalid UTF-8, nesting deeper than MaxDepth and trailing data are
// errors, reported as *SyntaxError.
func ParseValue(data []byte) (Value, error) {
	d := jsontext.NewDecoder(bytes.NewReader(data), decoderOptions...)
	v, err := parseValue(d, 0)
	if err != nil {
		return Value{}, err
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return Value{}, &SyntaxError{Offset: d.InputOffset(), Msg: "unexpected data after the top-level value"}
	}
	return v, nil
}

func parseValue(d *jsontext.Decoder, depth int) (Value, error) {
	tok, err := d.ReadToken()
	if err != nil {
		return Value{}, syntaxError(d, err)
	}
	switch tok.Kind() {
	case 'n':
		return Value{Kind: Null}, nil
	case 't', 'f':
		return Value{Kind: Bool, Bool: tok.Bool()}, nil
	case '"':
		return Value{Kind: String, Str: tok.String()}, nil
	case '0':
		return Value{Kind: Number, Str: tok.String()}, nil
	case '{':
		if depth >= MaxDepth {
			return Value{}, &SyntaxError{Offset: d.InputOffset(), Path: jsonPath(d), Msg: fmt.Sprintf("nesting deeper than %d levels", MaxDepth)}
		}
		v := Value{Kind: Object}
		for d.PeekKind() != '}' {
			tok, err := d.ReadToken()
			if err != nil {
				return Value{}, syntaxError(d, err)
			}
			name := tok.String()
			mv, err := parseValue(d, depth+1)
			if err != nil {
				return Value{}, err
			}
			v.Members = append(v.Members, Member{Name: name, Value: mv})
		}
		if _, err := d.ReadToken(); err != nil {
			return Value{}, syntaxError(d, err)
		}
		return v, nil
	case '[':
		if depth >= MaxDepth {
			return Value{}, &SyntaxError{Offset: d.InputOffset(), Path: jsonPath(d), Msg: fmt.Sprintf("nesting deeper than %d levels", MaxDepth)}
		}
		v := Value{Kind: Array}
		for d.PeekKind() != ']' {
			ev, err := parseValue(d, depth+1)
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, ev)
		}
		if _, err := d.ReadToken(); err != nil {
			return Value{}, syntaxError(d, err)
		}
		return v, nil
	}
	return Value{}, &SyntaxError{Offset: d.InputOffset(), Msg: "unexpected token"}
}

// syntaxError converts a jsontext error into a *SyntaxError with the path
// the decoder was at.
func syntaxError(d *jsontext.Decoder, err error) error {
	var se *SyntaxError
	if errors.As(err, &se) {
		return se
	}
	msg := err.Error()
	var je *jsontext.SyntacticError
	if errors.As(err, &je) {
		msg = je.Err.Error()
		if err == io.ErrUnexpectedEOF || errors.Is(je.Err, io.ErrUnexpectedEOF) {
			msg = "unexpected end of input (truncated JSON)"
		}
		return &SyntaxError{Offset: je.ByteOffset, Path: pointerToPath(string(je.JSONPointer)), Msg: msg}
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		msg = "unexpected end of input (truncated JSON)"
	}
	return &SyntaxError{Offset: d.InputOffset(), Path: jsonPath(d), Msg: msg}
}

// jsonPath renders the decoder's current position as a path like
// objects[3].name.
func jsonPath(d *jsontext.Decoder) string {
	return pointerToPath(string(d.StackPointer()))
}
