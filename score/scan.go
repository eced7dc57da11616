package score

import (
	"bytes"
	"errors"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Analyze runs for every object a submission stores, so it reads the
// top-level members with the small scanner below instead of a JSON
// decoder: it finds where each value ends (strings with their escapes,
// nested containers) and decodes only the values scoring needs. The
// objects it reads were validated when stored; on anything else it fails
// or finds less, and never reads out of bounds.

var errNotObject = errors.New("not a JSON object")

// eachMember calls fn with the name (as written between its quotes) and
// the raw value of each top-level member of the JSON object b.
func eachMember(b []byte, fn func(name, value []byte)) error {
	i := space(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errNotObject
	}
	i = space(b, i+1)
	if i < len(b) && b[i] == '}' {
		return trailing(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errors.New("malformed JSON: a member name must be a string")
		}
		end := stringEnd(b, i)
		if end < 0 {
			return errors.New("malformed JSON: unterminated string")
		}
		name := b[i+1 : end-1]
		i = space(b, end)
		if i >= len(b) || b[i] != ':' {
			return errors.New("malformed JSON: ':' expected after a member name")
		}
		i = space(b, i+1)
		end = valueEnd(b, i)
		if end < 0 {
			return errors.New("malformed JSON: bad value")
		}
		fn(name, b[i:end])
		i = space(b, end)
		if i >= len(b) {
			return errors.New("malformed JSON: unterminated object")
		}
		switch b[i] {
		case '}':
			return trailing(b, i+1)
		case ',':
			i = space(b, i+1)
		default:
			return errors.New("malformed JSON: ',' or '}' expected")
		}
	}
}

// trailing returns an error unless only white space follows b[i:].
func trailing(b []byte, i int) error {
	if space(b, i) != len(b) {
		return errors.New("malformed JSON: data after the object")
	}
	return nil
}

// space returns the index of the first byte at or after i that is not
// JSON white space.
func space(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index after the string that starts at b[i] (a
// quote), or -1.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// valueEnd returns the index after the value that starts at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end := stringEnd(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if i == start {
				return -1
			}
			return i
		}
		i++
	}
	return -1 // a scalar cannot end the object
}

// text returns the text of a raw JSON string value; ok is false for any
// other value.
func text(v []byte) (s string, ok bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	u, err := jsontext.AppendUnquote(nil, v)
	if err != nil {
		return "", false
	}
	return string(u), true
}

// textLen returns the length in characters of a raw JSON string value
// whose text is not only white space, and 0 otherwise.
func textLen(v []byte) int {
	if len(v) < 2 || v[0] != '"' {
		return 0
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		u, err := jsontext.AppendUnquote(nil, v)
		if err != nil {
			return 0
		}
		inner = u
	}
	if len(bytes.TrimSpace(inner)) == 0 {
		return 0
	}
	return utf8.RuneCount(inner)
}

// nonEmptyList reports whether v is a JSON array with an element.
func nonEmptyList(v []byte) bool {
	if len(v) == 0 || v[0] != '[' {
		return false
	}
	i := space(v, 1)
	return i < len(v) && v[i] != ']'
}
