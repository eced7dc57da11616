package pattern

import (
	"strconv"
	"unicode/utf8"
)

// Error is a fault in a pattern: where it is and what is wrong or was
// expected.
type Error struct {
	// Column is the 1-based position of the fault in characters (Unicode
	// code points) from the start of the pattern; line breaks count as one
	// character, as patterns are usually one line.
	Column int
	// Offset is the 0-based byte offset of the fault.
	Offset int
	// Msg says what is wrong, e.g. `expected "]", AND or OR, found "FOLLOWEDBY"`.
	Msg string
}

// Error returns "pattern: column N: message".
func (e *Error) Error() string {
	return "pattern: column " + strconv.Itoa(e.Column) + ": " + e.Msg
}

// locate fills in the column of e in the pattern src.
func (e *Error) locate(src string) *Error {
	off := min(max(e.Offset, 0), len(src))
	e.Column = utf8.RuneCountInString(src[:off]) + 1
	return e
}
