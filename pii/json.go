package pii

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/tearline/tearline/stix"
)

// The object scanner reads the submitted bytes directly, so that every
// string it scans has a known place in them: findings point into decoded
// strings, and redaction cuts the same bytes.

// mode says what happens to the strings inside a value.
type mode uint8

const (
	modeNone       mode = iota // strings are not scanned; x_ members inside are
	modeText                   // every string inside is scanned as text
	modeExtRefs                // external_references: the description of each entry
	modeExtRef                 // one external reference
	modeMultipart              // email-message body_multipart: the body of each part
	modePart                   // one MIME part
	modeIdent                  // the whole string is an identifier (possible-pii)
	modeEmailValue             // an email-addr value (possible-pii: its local part)
	modePattern                // a STIX pattern: literals compared with identifiers
	modeAll                    // every string value is visited (redaction)
)

// seg is one step of a JSON path: a member name (raw bytes of the name
// without quotes, and whether it holds escapes) or an array index.
type seg struct {
	start, end int
	esc        bool
	index      int // -1 for a member
}

// walker walks one JSON value in d, calling its handler for each string
// value whose mode asks for it.
type walker struct {
	d    []byte
	path []seg
	h    handler
}

// handler is what a walk does.
type handler interface {
	// top chooses the mode of a member of the top-level object.
	top(name []byte) mode
	// visit is called with the string value at d[start:end] (quotes
	// included); esc says whether it holds escapes. An error stops the
	// walk.
	visit(start, end int, esc bool, m mode) error
}

// funcs is a handler made of two functions.
type funcs struct {
	topFunc   func(name []byte) mode
	visitFunc func(start, end int, esc bool, m mode) error
}

func (f funcs) top(name []byte) mode { return f.topFunc(name) }
func (f funcs) visit(start, end int, esc bool, m mode) error {
	return f.visitFunc(start, end, esc, m)
}

// walkObject walks d, which must hold one JSON object.
func (w *walker) walkObject() error {
	i := skipSpace(w.d, 0)
	if i >= len(w.d) || w.d[i] != '{' {
		return w.fail(i, "a STIX object must be a JSON object")
	}
	end, err := w.value(i, 0, modeNone)
	if err != nil {
		return err
	}
	if end = skipSpace(w.d, end); end < len(w.d) {
		return w.fail(end, "unexpected data after the object")
	}
	return nil
}

var space = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func skipSpace(d []byte, i int) int {
	for i < len(d) && space[d[i]] {
		i++
	}
	return i
}

// fail returns a syntax error at offset i with the current path.
func (w *walker) fail(i int, msg string) error {
	return &stix.SyntaxError{Offset: int64(i), Path: w.pathString(), Msg: msg}
}

func (w *walker) value(i, depth int, m mode) (int, error) {
	d := w.d
	if i >= len(d) {
		return 0, w.fail(i, "unexpected end of input")
	}
	switch c := d[i]; {
	case c == '{':
		return w.object(i, depth, m)
	case c == '[':
		return w.array(i, depth, m)
	case c == '"':
		end, esc, err := w.str(i)
		if err != nil {
			return 0, err
		}
		if m != modeNone && m != modeExtRefs && m != modeExtRef && m != modeMultipart && m != modePart {
			if err := w.h.visit(i, end, esc, m); err != nil {
				return 0, err
			}
		}
		return end, nil
	case c == 't':
		return w.literal(i, "true")
	case c == 'f':
		return w.literal(i, "false")
	case c == 'n':
		return w.literal(i, "null")
	case c == '-' || isDigit(c):
		return w.number(i)
	}
	return 0, w.fail(i, "expected a JSON value")
}

func (w *walker) literal(i int, lit string) (int, error) {
	if len(w.d)-i < len(lit) || string(w.d[i:i+len(lit)]) != lit {
		return 0, w.fail(i, "invalid literal, expected "+lit)
	}
	return i + len(lit), nil
}

// number checks the JSON number grammar.
func (w *walker) number(i int) (int, error) {
	d := w.d
	j := i
	if d[j] == '-' {
		j++
	}
	switch {
	case j < len(d) && d[j] == '0':
		j++
	case j < len(d) && isDigit(d[j]):
		for j < len(d) && isDigit(d[j]) {
			j++
		}
	default:
		return 0, w.fail(j, "invalid number")
	}
	if j < len(d) && d[j] == '.' {
		j++
		k := j
		for j < len(d) && isDigit(d[j]) {
			j++
		}
		if j == k {
			return 0, w.fail(j, "invalid number: no digit after the decimal point")
		}
	}
	if j < len(d) && (d[j] == 'e' || d[j] == 'E') {
		j++
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		k := j
		for j < len(d) && isDigit(d[j]) {
			j++
		}
		if j == k {
			return 0, w.fail(j, "invalid number: no digit in the exponent")
		}
	}
	return j, nil
}

// strStop marks the bytes that end the plain run of a string.
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// str returns the end (past the closing quote) of the string whose opening
// quote is at i, and whether it holds escapes. Escapes are checked when the
// string is decoded.
func (w *walker) str(i int) (int, bool, error) {
	d := w.d
	esc := false
	j := i + 1
	for {
		for j < len(d) && !strStop[d[j]] {
			j++
		}
		if j >= len(d) {
			return 0, false, w.fail(j, "unterminated string")
		}
		switch c := d[j]; {
		case c == '"':
			return j + 1, esc, nil
		case c == '\\':
			esc = true
			j += 2
		default:
			return 0, false, w.fail(j, "control character in a string must be escaped")
		}
	}
}

func (w *walker) object(i, depth int, m mode) (int, error) {
	if depth >= stix.MaxDepth {
		return 0, w.fail(i, "nesting too deep")
	}
	d := w.d
	j := skipSpace(d, i+1)
	if j < len(d) && d[j] == '}' {
		return j + 1, nil
	}
	for {
		if j >= len(d) || d[j] != '"' {
			return 0, w.fail(j, "expected a member name")
		}
		nend, nesc, err := w.str(j)
		if err != nil {
			return 0, err
		}
		name := d[j+1 : nend-1]
		if nesc {
			b, _, err := unquote(d[j:nend], nil, false)
			if err != nil {
				return 0, w.fail(j, err.Error())
			}
			name = b
		}
		w.path = append(w.path, seg{start: j + 1, end: nend - 1, esc: nesc, index: -1})
		j = skipSpace(d, nend)
		if j >= len(d) || d[j] != ':' {
			return 0, w.fail(j, "expected ':' after a member name")
		}
		j = skipSpace(d, j+1)
		cm := w.childMode(m, depth, name)
		if j, err = w.value(j, depth+1, cm); err != nil {
			return 0, err
		}
		w.path = w.path[:len(w.path)-1]
		j = skipSpace(d, j)
		if j >= len(d) {
			return 0, w.fail(j, "unexpected end of input in an object")
		}
		switch d[j] {
		case ',':
			j = skipSpace(d, j+1)
		case '}':
			return j + 1, nil
		default:
			return 0, w.fail(j, "expected ',' or '}' after an object member")
		}
	}
}

// childMode is the mode of member name of an object walked in mode m.
func (w *walker) childMode(m mode, depth int, name []byte) mode {
	switch {
	case m == modeAll || m == modeText:
		return m
	case depth == 0:
		return w.h.top(name)
	case len(name) > 2 && name[0] == 'x' && name[1] == '_':
		return modeText
	case m == modeExtRef && string(name) == "description", m == modePart && string(name) == "body":
		return modeText
	}
	return modeNone
}

func (w *walker) array(i, depth int, m mode) (int, error) {
	if depth >= stix.MaxDepth {
		return 0, w.fail(i, "nesting too deep")
	}
	d := w.d
	j := skipSpace(d, i+1)
	if j < len(d) && d[j] == ']' {
		return j + 1, nil
	}
	em := m
	switch m {
	case modeExtRefs:
		em = modeExtRef
	case modeMultipart:
		em = modePart
	case modeExtRef, modePart:
		em = modeNone
	}
	for n := 0; ; n++ {
		w.path = append(w.path, seg{index: n})
		var err error
		if j, err = w.value(j, depth+1, em); err != nil {
			return 0, err
		}
		w.path = w.path[:len(w.path)-1]
		j = skipSpace(d, j)
		if j >= len(d) {
			return 0, w.fail(j, "unexpected end of input in an array")
		}
		switch d[j] {
		case ',':
			j = skipSpace(d, j+1)
		case ']':
			return j + 1, nil
		default:
			return 0, w.fail(j, "expected ',' or ']' after an array element")
		}
	}
}

// pathString formats the current path: member names joined by dots, array
// indexes in brackets (external_references[2].description). A name that is
// not made of letters, digits, '_' and '-' is written as a quoted index
// (x_acme["odd name"]), so that every path reads back unambiguously.
func (w *walker) pathString() string {
	var b []byte
	for _, s := range w.path {
		if s.index >= 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(s.index), 10)
			b = append(b, ']')
			continue
		}
		name := w.d[s.start:s.end]
		if s.esc {
			name, _, _ = unquote(w.d[s.start-1:s.end+1], nil, false)
		}
		b = appendName(b, string(name))
	}
	return string(b)
}

// appendName appends one member name to a path.
func appendName(b []byte, name string) []byte {
	if plainName(name) {
		if len(b) > 0 {
			b = append(b, '.')
		}
		return append(b, name...)
	}
	b = append(b, '[')
	b = strconv.AppendQuote(b, name)
	return append(b, ']')
}

func plainName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isWord(c) && c != '-' {
			return false
		}
	}
	return true
}

// unquote decodes the JSON string q (quotes included) and appends it to
// buf. With offsets, it also returns, for each decoded byte, the offset in
// q of the character or escape it came from, plus a final entry for the
// closing quote.
func unquote(q, buf []byte, offsets bool) ([]byte, []int, error) {
	var offs []int
	body := q[1 : len(q)-1]
	for i := 0; i < len(body); {
		c := body[i]
		if c != '\\' {
			buf = append(buf, c)
			if offsets {
				offs = append(offs, i+1)
			}
			i++
			continue
		}
		if i+1 >= len(body) {
			return nil, nil, errBadEscape
		}
		var r rune
		n := 2
		switch e := body[i+1]; e {
		case '"', '\\', '/':
			r = rune(e)
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			var ok bool
			if r, ok = hex4(body, i+2); !ok {
				return nil, nil, errBadEscape
			}
			n = 6
			if utf16.IsSurrogate(r) {
				r2, ok := hex4(body, i+8)
				if !ok || r >= 0xDC00 || body[i+6] != '\\' || body[i+7] != 'u' {
					return nil, nil, errBadSurrogate
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return nil, nil, errBadSurrogate
				}
				n = 12
			}
		default:
			return nil, nil, errBadEscape
		}
		before := len(buf)
		buf = utf8.AppendRune(buf, r)
		if offsets {
			for range len(buf) - before {
				offs = append(offs, i+1)
			}
		}
		i += n
	}
	if offsets {
		offs = append(offs, len(q)-1)
	}
	return buf, offs, nil
}

// hex4 reads four hexadecimal digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		var v byte
		switch {
		case isDigit(c):
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

type syntaxMsg string

func (e syntaxMsg) Error() string { return string(e) }

const (
	errBadEscape    = syntaxMsg("invalid escape sequence in a string")
	errBadSurrogate = syntaxMsg("unpaired UTF-16 surrogate escape in a string")
)

// view returns the bytes b as a string without copying them. The scanners
// only read the string while b is unchanged and keep offsets, never parts
// of it, so the copy a conversion would make is pure cost: on the ATT&CK
// bundle it was a fifth of the scan time.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
