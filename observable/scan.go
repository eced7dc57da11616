package observable

import (
	"encoding/json"
	"errors"
)

// FromObject reads only the few top-level members it needs, with the small
// scanner below rather than a full JSON parse: ingest calls it for every
// object it stores. The scanner finds the extent of values (strings with
// their escapes, nesting) without checking the rest of the grammar; the
// objects it reads were validated when they were stored, and on anything
// else it fails or finds nothing, but never reads out of bounds.

var errJSON = errors.New("observable: malformed JSON")

// members calls fn with the name (between its quotes, escapes kept) and
// the raw value of each member of the JSON object b.
func members(b []byte, fn func(name, value []byte)) error {
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return errors.New("observable: not a JSON object")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return errJSON
		}
		end, ok := skipString(b, i)
		if !ok {
			return errJSON
		}
		name := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i == len(b) || b[i] != ':' {
			return errJSON
		}
		i = skipSpace(b, i+1)
		end, ok = skipValue(b, i)
		if !ok {
			return errJSON
		}
		fn(name, b[i:end])
		i = skipSpace(b, end)
		switch {
		case i == len(b):
			return errJSON
		case b[i] == '}':
			return nil
		case b[i] != ',':
			return errJSON
		}
		i = skipSpace(b, i+1)
	}
	return errJSON
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	}
	start := i
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i, i > start
}

// stringValue returns the text of a raw JSON string value, and false for
// any other value.
func stringValue(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return string(inner), true
}

// nameIs reports whether a raw member name (escapes kept) is name.
func nameIs(raw []byte, name string) bool { return string(raw) == name }
