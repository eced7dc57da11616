package stix

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
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
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

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

// ParseValue parses one complete JSON value (RFC 8259) from data. It is
// strict: duplicate member names, invalid UTF-8 (including unpaired
// surrogate escapes), nesting deeper than MaxDepth, a byte order mark and
// trailing data are errors. Every error is a *SyntaxError whose Offset is
// relative to the start of data and whose Path is the JSON path inside the
// value (e.g. external_references[1].url), empty at the top level.
func ParseValue(data []byte) (Value, error) {
	p := parserPool.Get().(*parser)
	p.data = data
	p.pos = 0
	v, err := p.parse()
	// Drop references into the result before the parser is reused.
	p.data = nil
	clear(p.mstack)
	clear(p.estack)
	p.mstack, p.estack = p.mstack[:0], p.estack[:0]
	parserPool.Put(p)
	if err != nil {
		return Value{}, err
	}
	return v, nil
}

var parserPool = sync.Pool{New: func() any { return &parser{} }}

// parser is a recursive-descent JSON parser over one byte slice. Object
// members and array elements are gathered on scratch stacks reused across
// parses and copied into exactly sized slices, so each object or array costs
// one allocation.
type parser struct {
	data   []byte
	pos    int
	mstack []Member
	estack []Value
	buf    []byte // unescaping scratch
}

// pathError is a syntax error being unwound: segs holds the path segments
// innermost first, each a member name or an array index.
type pathError struct {
	off  int
	msg  string
	segs []pathSeg
}

type pathSeg struct {
	name  string
	index int // -1 for a member name
}

func (e *pathError) Error() string { return e.msg }

func (p *parser) parse() (v Value, err error) {
	p.skipSpace()
	if len(p.data) >= 3 && p.data[0] == 0xEF && p.data[1] == 0xBB && p.data[2] == 0xBF {
		return Value{}, &SyntaxError{Msg: "a byte order mark is not allowed in JSON"}
	}
	if p.pos == len(p.data) {
		return Value{}, &SyntaxError{Offset: int64(p.pos), Msg: "empty input: expected a JSON value"}
	}
	v, perr := p.value(0)
	if perr == nil {
		p.skipSpace()
		if p.pos < len(p.data) {
			perr = p.fail("unexpected data after the top-level value: %s", p.describeByte())
		}
	}
	if perr != nil {
		return Value{}, perr.syntaxError()
	}
	return v, nil
}

func (e *pathError) syntaxError() *SyntaxError {
	var path string
	for i := len(e.segs) - 1; i >= 0; i-- {
		if s := e.segs[i]; s.index >= 0 {
			path = indexPath(path, s.index)
		} else {
			path = joinPath(path, s.name)
		}
	}
	return &SyntaxError{Offset: int64(e.off), Path: path, Msg: e.msg}
}

func (p *parser) fail(format string, args ...any) *pathError {
	return &pathError{off: p.pos, msg: fmt.Sprintf(format, args...)}
}

func (p *parser) failAt(off int, format string, args ...any) *pathError {
	return &pathError{off: off, msg: fmt.Sprintf(format, args...)}
}

// truncated is the error for input that ends inside a value.
func (p *parser) truncated() *pathError {
	return &pathError{off: len(p.data), msg: "unexpected end of input (truncated JSON)"}
}

// describeByte names the byte at the current position for a message.
func (p *parser) describeByte() string {
	if p.pos >= len(p.data) {
		return "end of input"
	}
	return describeByte(p.data[p.pos])
}

// isSpace reports JSON insignificant whitespace.
var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func (p *parser) skipSpace() {
	// Indentation comes in runs of spaces: eight at a time first.
	for p.pos+8 <= len(p.data) && binary.LittleEndian.Uint64(p.data[p.pos:]) == spaces8 {
		p.pos += 8
	}
	for p.pos < len(p.data) && isSpace[p.data[p.pos]] {
		p.pos++
	}
}

// spaces8 is eight spaces read as a little-endian uint64.
const spaces8 = 0x2020202020202020

func (p *parser) value(depth int) (Value, *pathError) {
	if p.pos >= len(p.data) {
		return Value{}, p.truncated()
	}
	switch c := p.data[p.pos]; c {
	case '{':
		return p.object(depth)
	case '[':
		return p.array(depth)
	case '"':
		s, err := p.str(false)
		return Value{Kind: String, Str: s}, err
	case 't':
		return Value{Kind: Bool, Bool: true}, p.literal("true")
	case 'f':
		return Value{Kind: Bool}, p.literal("false")
	case 'n':
		return Value{Kind: Null}, p.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return p.number()
		}
		return Value{}, p.fail("expected a JSON value, found %s", p.describeByte())
	}
}

func (p *parser) literal(lit string) *pathError {
	start := p.pos
	for i := 0; i < len(lit); i++ {
		if p.pos >= len(p.data) {
			return p.truncated()
		}
		if p.data[p.pos] != lit[i] {
			return p.failAt(start, "invalid literal: expected %s", lit)
		}
		p.pos++
	}
	return nil
}

func (p *parser) number() (Value, *pathError) {
	d := p.data
	start := p.pos
	i := p.pos
	if d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		p.pos = i
		return Value{}, p.truncated()
	case d[i] == '0':
		i++
	case d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return Value{}, p.failAt(i, "invalid number: expected a digit after '-'")
	}
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			if i >= len(d) {
				p.pos = i
				return Value{}, p.truncated()
			}
			return Value{}, p.failAt(i, "invalid number: expected a digit after the decimal point")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			if i >= len(d) {
				p.pos = i
				return Value{}, p.truncated()
			}
			return Value{}, p.failAt(i, "invalid number: expected a digit in the exponent")
		}
	}
	p.pos = i
	return Value{Kind: Number, Str: string(d[start:i])}, nil
}

// plain marks the bytes that a string may hold without further checks:
// printable ASCII other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// special8 reports whether any of the eight bytes in x is a control
// character, '"', '\\' or non-ASCII: the bytes that end the fast path of a
// string. (The classic SWAR tests; each is exact about whether some byte
// matches.)
func special8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return ((x-ones*0x20)&^x|(q-ones)&^q|(bs-ones)&^bs|x)&highs != 0
}

// str parses a string at p.pos (which holds the opening quote). name marks
// member names, which are interned.
func (p *parser) str(name bool) (string, *pathError) {
	d := p.data
	start := p.pos + 1
	i := start
	ascii := true
	for {
		// Eight bytes at a time while none needs a closer look.
		for i+8 <= len(d) && !special8(binary.LittleEndian.Uint64(d[i:])) {
			i += 8
		}
		for i < len(d) && plain[d[i]] {
			i++
		}
		if i >= len(d) || d[i] < 0x80 {
			break
		}
		ascii = false
		i++
	}
	if i >= len(d) {
		p.pos = i
		return "", p.truncated()
	}
	if d[i] == '"' {
		raw := d[start:i]
		if !ascii && !utf8.Valid(raw) {
			return "", p.failAt(start+invalidUTF8At(raw), "invalid UTF-8 in a string")
		}
		p.pos = i + 1
		if name {
			if s, ok := internedNames()[string(raw)]; ok {
				return s, nil
			}
		}
		return string(raw), nil
	}
	if d[i] < 0x20 {
		return "", p.failAt(i, "control character 0x%02x in a string must be escaped", d[i])
	}
	return p.strEscaped(start, i)
}

// strEscaped continues parsing a string that has an escape at esc.
func (p *parser) strEscaped(start, esc int) (string, *pathError) {
	d := p.data
	b := append(p.buf[:0], d[start:esc]...)
	if !utf8.Valid(b) {
		return "", p.failAt(start+invalidUTF8At(b), "invalid UTF-8 in a string")
	}
	i := esc
	for {
		if i >= len(d) {
			p.pos = i
			return "", p.truncated()
		}
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.buf = b
			return string(b), nil
		case c == '\\':
			if i+1 >= len(d) {
				p.pos = i + 1
				return "", p.truncated()
			}
			switch e := d[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, n, err := p.unicodeEscape(i)
				if err != nil {
					return "", err
				}
				b = utf8.AppendRune(b, r)
				i += n
				continue
			default:
				return "", p.failAt(i, "invalid escape sequence \\%s in a string", printable(e))
			}
			i += 2
		case c < 0x20:
			return "", p.failAt(i, "control character 0x%02x in a string must be escaped", c)
		case c < 0x80:
			j := i + 1
			for j < len(d) && plain[d[j]] {
				j++
			}
			b = append(b, d[i:j]...)
			i = j
		default:
			r, n := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && n <= 1 {
				return "", p.failAt(i, "invalid UTF-8 in a string")
			}
			b = append(b, d[i:i+n]...)
			i += n
		}
	}
}

// unicodeEscape decodes \uXXXX at i, and the low surrogate that must follow
// a high one. It returns the rune and the bytes consumed.
func (p *parser) unicodeEscape(i int) (rune, int, *pathError) {
	r, err := p.hex4(i)
	if err != nil {
		return 0, 0, err
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if r >= 0xDC00 {
		return 0, 0, p.failAt(i, "unpaired UTF-16 surrogate escape \\u%04x in a string", r)
	}
	j := i + 6
	if j >= len(p.data) || p.data[j] == '\\' && j+1 >= len(p.data) {
		p.pos = len(p.data)
		return 0, 0, p.truncated()
	}
	if p.data[j] == '\\' && p.data[j+1] == 'u' {
		r2, err := p.hex4(j)
		if err != nil {
			return 0, 0, err
		}
		if r2 >= 0xDC00 && r2 <= 0xDFFF {
			return utf16.DecodeRune(r, r2), 12, nil
		}
	}
	return 0, 0, p.failAt(i, "unpaired UTF-16 surrogate escape \\u%04x in a string", r)
}

func (p *parser) hex4(i int) (rune, *pathError) {
	if i+6 > len(p.data) {
		p.pos = len(p.data)
		return 0, p.truncated()
	}
	var r rune
	for _, c := range p.data[i+2 : i+6] {
		h := hexVal(c)
		if h == 255 {
			return 0, p.failAt(i, "invalid escape sequence: \\u must be followed by 4 hexadecimal digits")
		}
		r = r<<4 | rune(h)
	}
	return r, nil
}

func printable(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return string(rune(c))
	}
	return fmt.Sprintf("(byte 0x%02x)", c)
}

// invalidUTF8At returns the offset of the first invalid UTF-8 sequence in b.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func (p *parser) tooDeep() *pathError {
	return p.fail("nesting deeper than %d levels of objects and arrays", MaxDepth)
}

// smallObject is the member count up to which duplicate names are found by
// a linear scan; larger objects use a map.
const smallObject = 32

func (p *parser) object(depth int) (Value, *pathError) {
	if depth >= MaxDepth {
		return Value{}, p.tooDeep()
	}
	p.pos++ // '{'
	base := len(p.mstack)
	var names map[string]struct{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return Value{Kind: Object}, nil
	}
	for {
		if p.pos >= len(p.data) {
			return Value{}, p.truncated()
		}
		if p.data[p.pos] != '"' {
			return Value{}, p.fail("expected a member name in double quotes, found %s", p.describeByte())
		}
		nameAt := p.pos
		name, err := p.str(true)
		if err != nil {
			return Value{}, err
		}
		members := p.mstack[base:]
		dup := false
		if names != nil {
			_, dup = names[name]
			names[name] = struct{}{}
		} else {
			for i := range members {
				if members[i].Name == name {
					dup = true
					break
				}
			}
			if len(members) == smallObject {
				names = make(map[string]struct{}, 2*smallObject)
				for i := range members {
					names[members[i].Name] = struct{}{}
				}
				names[name] = struct{}{}
			}
		}
		if dup {
			p.pos = nameAt
			return Value{}, p.withSeg(p.fail("duplicate member name %s", strconv.Quote(name)), name, -1)
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return Value{}, p.withSeg(p.truncated(), name, -1)
		}
		if p.data[p.pos] != ':' {
			return Value{}, p.withSeg(p.fail("expected ':' after the member name, found %s", p.describeByte()), name, -1)
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return Value{}, p.withSeg(err, name, -1)
		}
		p.mstack = append(p.mstack, Member{Name: name, Value: v})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return Value{}, p.truncated()
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
			continue
		case '}':
			p.pos++
		default:
			return Value{}, p.fail("expected ',' or '}' after an object member, found %s", p.describeByte())
		}
		break
	}
	n := len(p.mstack) - base
	out := make([]Member, n)
	copy(out, p.mstack[base:])
	clear(p.mstack[base:])
	p.mstack = p.mstack[:base]
	return Value{Kind: Object, Members: out}, nil
}

func (p *parser) array(depth int) (Value, *pathError) {
	if depth >= MaxDepth {
		return Value{}, p.tooDeep()
	}
	p.pos++ // '['
	base := len(p.estack)
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return Value{Kind: Array}, nil
	}
	for {
		v, err := p.value(depth + 1)
		if err != nil {
			return Value{}, p.withSeg(err, "", len(p.estack)-base)
		}
		p.estack = append(p.estack, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return Value{}, p.truncated()
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
			p.skipSpace()
			continue
		case ']':
			p.pos++
		default:
			return Value{}, p.fail("expected ',' or ']' after an array element, found %s", p.describeByte())
		}
		break
	}
	n := len(p.estack) - base
	out := make([]Value, n)
	copy(out, p.estack[base:])
	clear(p.estack[base:])
	p.estack = p.estack[:base]
	return Value{Kind: Array, Elems: out}, nil
}

// withSeg adds an enclosing path segment to an error being unwound.
func (p *parser) withSeg(err *pathError, name string, index int) *pathError {
	err.segs = append(err.segs, pathSeg{name: name, index: index})
	return err
}

// internedNames maps common property names to one shared string, so that
// parsing a member name the type registry knows allocates nothing.
var internedNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	add := func(s string) { m[s] = s }
	var addProps func([]prop)
	addProps = func(ps []prop) {
		for i := range ps {
			add(ps[i].name)
			addProps(ps[i].sub)
		}
	}
	for _, list := range [][]prop{sdoCommon, scoCommon, customCommon, externalReference, granularMarking, killChainPhase} {
		addProps(list)
	}
	for _, d := range registry {
		addProps(d.props)
		for name, ext := range d.extensions {
			add(name)
			addProps(ext)
		}
	}
	for _, s := range []string{"objects", "source_name", "external_id", "url", "description", "name",
		"relationship_type", "source_ref", "target_ref", "x_mitre_version", "x_mitre_domains",
		"x_mitre_modified_by_ref", "x_mitre_deprecated", "x_mitre_attack_spec_version",
		"x_mitre_platforms", "x_mitre_contributors", "x_mitre_is_subtechnique", "MD5", "SHA-1", "SHA-256"} {
		add(s)
	}
	return m
})
