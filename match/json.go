package match

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader for events: it parses values into Value trees, and
// skips the values a log mapping does not need without building them.
// Event decoding is the matcher's hot path; a general decoder would build
// every member of every line.

// maxJSONDepth bounds the nesting of an event.
const maxJSONDepth = 64

// jsonError is a fault in an event's JSON at a byte offset.
type jsonError struct {
	off int
	msg string
}

func (e *jsonError) Error() string { return fmt.Sprintf("invalid JSON at byte %d: %s", e.off, e.msg) }

func jerr(off int, msg string) error { return &jsonError{off: off, msg: msg} }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the offset of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && isSpace(b[i]) {
		i++
	}
	return i
}

// parseValue parses the JSON value at b[i:] (after any space) into a
// Value; strings are copied. It returns the offset after the value.
func parseValue(b []byte, i, depth int) (Value, int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return Value{}, i, jerr(i, "unexpected end")
	}
	switch c := b[i]; {
	case c == '{':
		if depth >= maxJSONDepth {
			return Value{}, i, jerr(i, "nested too deeply")
		}
		var props []Prop
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return Value{Kind: KindDict, Sub: []Prop{}}, i + 1, nil
		}
		for {
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != '"' {
				return Value{}, i, jerr(i, "expected a member name")
			}
			key, j, err := parseString(b, i, nil)
			if err != nil {
				return Value{}, j, err
			}
			i = skipSpace(b, j)
			if i >= len(b) || b[i] != ':' {
				return Value{}, i, jerr(i, `expected ":"`)
			}
			v, j2, err := parseValue(b, i+1, depth+1)
			if err != nil {
				return Value{}, j2, err
			}
			props = append(props, Prop{Key: string(key), Value: v})
			i = skipSpace(b, j2)
			if i < len(b) && b[i] == ',' {
				i++
				continue
			}
			if i < len(b) && b[i] == '}' {
				return Value{Kind: KindDict, Sub: props}, i + 1, nil
			}
			return Value{}, i, jerr(i, `expected "," or "}"`)
		}
	case c == '[':
		if depth >= maxJSONDepth {
			return Value{}, i, jerr(i, "nested too deeply")
		}
		items := []Prop{}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return Value{Kind: KindList, Sub: items}, i + 1, nil
		}
		for {
			v, j, err := parseValue(b, i, depth+1)
			if err != nil {
				return Value{}, j, err
			}
			items = append(items, Prop{Value: v})
			i = skipSpace(b, j)
			if i < len(b) && b[i] == ',' {
				i++
				continue
			}
			if i < len(b) && b[i] == ']' {
				return Value{Kind: KindList, Sub: items}, i + 1, nil
			}
			return Value{}, i, jerr(i, `expected "," or "]"`)
		}
	case c == '"':
		s, j, err := parseString(b, i, nil)
		if err != nil {
			return Value{}, j, err
		}
		return String(string(s)), j, nil
	default:
		return parseScalar(b, i)
	}
}

// parseScalar parses a number, true, false or null at b[i].
func parseScalar(b []byte, i int) (Value, int, error) {
	if i < len(b) {
		switch b[i] {
		case 't':
			if hasWord(b, i, "true") {
				return Bool(true), i + 4, nil
			}
		case 'f':
			if hasWord(b, i, "false") {
				return Bool(false), i + 5, nil
			}
		case 'n':
			if hasWord(b, i, "null") {
				return Value{}, i + 4, nil
			}
		}
	}
	j, isInt, ok := scanNumber(b, i)
	if !ok {
		return Value{}, i, jerr(i, "expected a value")
	}
	if isInt {
		if n, ok := parseInt(b[i:j]); ok {
			return Int(n), j, nil
		}
	} else if f, ok := parseDecimal(b[i:j]); ok {
		return Float(f), j, nil
	}
	f, err := strconv.ParseFloat(string(b[i:j]), 64)
	if err != nil {
		return Value{}, i, jerr(i, "number out of range")
	}
	return Float(f), j, nil
}

// parseInt reads a JSON integer of at most 18 digits (larger ones are
// left to strconv).
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// parseDecimal reads a JSON number with a fraction and no exponent whose
// digits, as an integer, are below 2^52 (Zeek's times: 1709287200.123456),
// as strconv.ParseFloat does for them (its exact path: that integer, which
// a float64 holds exactly, divided by a power of ten), without its cost.
func parseDecimal(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var m uint64
	digits, frac, dot := 0, 0, false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			m = m*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 19 || m >= 1<<52 {
		return 0, false
	}
	f := float64(m) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

func hasWord(b []byte, i int, w string) bool {
	return len(b)-i >= len(w) && string(b[i:i+len(w)]) == w
}

// scanNumber returns the end of the JSON number at b[i] and whether it is
// an integer.
func scanNumber(b []byte, i int) (end int, isInt, ok bool) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return start, false, false
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return start, false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return start, false, false
		}
	}
	return i, isInt, true
}

// parseString reads the JSON string at b[i] (the opening quote). Without
// escapes it returns a slice of b; otherwise the unescaped text appended to
// buf. It returns the offset after the closing quote.
func parseString(b []byte, i int, buf []byte) ([]byte, int, error) {
	start := i + 1
	j := start
	ascii := true
	for {
		if j = nextSpecial(b, j); j >= len(b) {
			break
		}
		c := b[j]
		if c == '"' {
			if !ascii && !utf8.Valid(b[start:j]) {
				return nil, j, jerr(start, "string is not valid UTF-8")
			}
			return b[start:j], j + 1, nil
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
		if c == '\\' {
			return unescape(b, start, buf[:0])
		}
		if c < 0x20 {
			return nil, j, jerr(j, "control character in string")
		}
		j++
	}
	return nil, j, jerr(i, "unterminated string")
}

// SWAR ("SIMD within a register") tests of eight bytes at once.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// zeroByte has the high bit of each zero byte of x set (and perhaps of
// bytes after one: enough to tell that none is zero).
func zeroByte(x uint64) uint64 { return (x - ones) & ^x & highs }

// plain8 reports whether none of the eight bytes of x is a quote, a
// backslash, a control character or a non-ASCII byte: what parseString
// reads past without looking.
func plain8(x uint64) bool { return special8(x) == 0 }

// special8 has the high bit set of the bytes of x (little-endian) that
// plain8 stops at, and perhaps of some bytes after the first of them: a
// borrow only carries into later bytes, so the lowest set bit marks the
// first one exactly (firstSpecial).
func special8(x uint64) uint64 {
	return (x|(x-0x20*ones))&highs | zeroByte(x^('"'*ones)) | zeroByte(x^('\\'*ones))
}

// firstSpecial returns the position in x of the first byte special8
// marks, from m = special8(x) != 0.
func firstSpecial(m uint64) int { return bits.TrailingZeros64(m) >> 3 }

// nextSpecial returns the offset of the first byte of b from j on that
// strSpecial marks, eight bytes at a time, or len(b) when there is none.
func nextSpecial(b []byte, j int) int {
	for ; j+8 <= len(b); j += 8 {
		if m := special8(binary.LittleEndian.Uint64(b[j:])); m != 0 {
			return j + firstSpecial(m)
		}
	}
	for j < len(b) && !strSpecial[b[j]] {
		j++
	}
	return j
}

// strSpecial marks the bytes parseString looks at: the quote, the
// backslash, control characters and non-ASCII bytes.
var strSpecial = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf
	}
	return t
}()

// unescape reads a string with escapes from b[start:].
func unescape(b []byte, start int, out []byte) ([]byte, int, error) {
	j := start
	for j < len(b) {
		c := b[j]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				return nil, j, jerr(start, "string is not valid UTF-8")
			}
			return out, j + 1, nil
		case c < 0x20:
			return nil, j, jerr(j, "control character in string")
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(b) {
			break
		}
		e := b[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b, j)
			if !ok {
				return nil, j, jerr(j-2, `invalid \u escape`)
			}
			j += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(b, j+2); ok && j+1 < len(b) && b[j] == '\\' && b[j+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						j += 6
						out = utf8.AppendRune(out, d)
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, j, jerr(j-2, "invalid escape")
		}
	}
	return nil, j, jerr(start-1, "unterminated string")
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// skipValue returns the offset after the JSON value at b[i:] without
// building it.
func skipValue(b []byte, i, depth int) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, jerr(i, "unexpected end")
	}
	switch b[i] {
	case '"':
		j := i + 1
		for j < len(b) {
			switch c := b[j]; {
			case c == '"':
				return j + 1, nil
			case c == '\\':
				n, ok := escapeLen(b, j)
				if !ok {
					return j, jerr(j, "invalid escape in string")
				}
				j += n
			case c < 0x20:
				return j, jerr(j, "control character in string")
			default:
				j++
			}
		}
		return j, jerr(i, "unterminated string")
	case '{', '[':
		if depth >= maxJSONDepth {
			return i, jerr(i, "nested too deeply")
		}
		open, end := b[i], byte('}')
		if open == '[' {
			end = ']'
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == end {
			return i + 1, nil
		}
		for {
			if open == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, jerr(i, "expected a member name")
				}
				j, err := skipValue(b, i, depth+1)
				if err != nil {
					return j, err
				}
				i = skipSpace(b, j)
				if i >= len(b) || b[i] != ':' {
					return i, jerr(i, `expected ":"`)
				}
				i++
			}
			j, err := skipValue(b, i, depth+1)
			if err != nil {
				return j, err
			}
			i = skipSpace(b, j)
			if i < len(b) && b[i] == ',' {
				i = skipSpace(b, i+1)
				continue
			}
			if i < len(b) && b[i] == end {
				return i + 1, nil
			}
			return i, jerr(i, "expected \",\" or \""+string(end)+"\"")
		}
	}
	_, j, err := parseScalar(b, i)
	return j, err
}

var errNotObject = errors.New("not a JSON object")

// escapeLen returns the length of the escape sequence at b[j] (a
// backslash) and whether it is one JSON allows: \", \\, \/, \b, \f,
// \n, \r, \t, or \u and four hex digits.
func escapeLen(b []byte, j int) (int, bool) {
	if j+1 >= len(b) {
		return 0, false
	}
	switch b[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, true
	case 'u':
		_, ok := hex4(b, j+2)
		return 6, ok
	}
	return 0, false
}
