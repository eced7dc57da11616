package pattern

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of a token, after STIXPattern.g4's lexer rules.
type tokKind uint8

const (
	tEOF        tokKind = iota
	tIdent              // IdentifierWithoutHyphen: [a-zA-Z_][a-zA-Z0-9_]*
	tIdentHyph          // IdentifierWithHyphen: as tIdent, with '-' after the first character
	tString             // 'text'; token text is the unescaped value
	tInt                // [+-]?(0|[1-9][0-9]*)
	tFloat              // [+-]?[0-9]*.[0-9]+
	tBool               // true, false
	tTimestamp          // t'...'
	tHex                // h'...'
	tBinary             // b'...'
	tAnd                // keywords, upper case only
	tOr                 //
	tNot                //
	tFollowedBy         //
	tLike               //
	tMatches            //
	tIsSuperset         //
	tIsSubset           //
	tExists             //
	tLast               // reserved by the grammar, used nowhere
	tIn                 //
	tStart              //
	tStop               //
	tSeconds            //
	tWithin             //
	tRepeats            //
	tTimes              //
	tEQ                 // = ==
	tNEQ                // != <>
	tLT                 // <
	tLE                 // <=
	tGT                 // >
	tGE                 // >=
	tColon              // :
	tDot                // .
	tComma              // ,
	tLParen             // (
	tRParen             // )
	tLBrack             // [
	tRBrack             // ]
	tStar               // *
)

// token is one lexical token. pos and end are byte offsets into the
// pattern; text is the source text, except for strings, whose text is the
// unescaped value.
type token struct {
	kind     tokKind
	pos, end int
	text     string
}

// keyword returns the keyword or Boolean token of an identifier, or tIdent.
func keyword(s string) tokKind {
	switch s {
	case "AND":
		return tAnd
	case "OR":
		return tOr
	case "NOT":
		return tNot
	case "FOLLOWEDBY":
		return tFollowedBy
	case "LIKE":
		return tLike
	case "MATCHES":
		return tMatches
	case "ISSUPERSET":
		return tIsSuperset
	case "ISSUBSET":
		return tIsSubset
	case "EXISTS":
		return tExists
	case "LAST":
		return tLast
	case "IN":
		return tIn
	case "START":
		return tStart
	case "STOP":
		return tStop
	case "SECONDS":
		return tSeconds
	case "WITHIN":
		return tWithin
	case "REPEATS":
		return tRepeats
	case "TIMES":
		return tTimes
	case "true", "false":
		return tBool
	}
	return tIdent
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '-'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lexer splits a pattern into tokens on demand. The value of the last
// numeric, timestamp, hex or binary token is left in num, flt, tm or bytes.
type lexer struct {
	src   string
	pos   int
	num   int64
	flt   float64
	tm    time.Time
	bytes []byte
}

// errAt returns an error at byte offset off.
func errAt(off int, msg string) *Error {
	return &Error{Offset: off, Msg: msg}
}

// next returns the next token.
func (l *lexer) next() (token, *Error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start, end: start}, nil
	}
	c := l.src[start]
	tok := func(k tokKind, n int) (token, *Error) {
		l.pos += n
		return token{kind: k, pos: start, end: l.pos, text: l.src[start:l.pos]}, nil
	}
	next := byte(0)
	if start+1 < len(l.src) {
		next = l.src[start+1]
	}
	switch {
	case c == '[':
		return tok(tLBrack, 1)
	case c == ']':
		return tok(tRBrack, 1)
	case c == '(':
		return tok(tLParen, 1)
	case c == ')':
		return tok(tRParen, 1)
	case c == ',':
		return tok(tComma, 1)
	case c == ':':
		return tok(tColon, 1)
	case c == '*':
		return tok(tStar, 1)
	case c == '.' && isDigit(next):
		return l.number()
	case c == '.':
		return tok(tDot, 1)
	case c == '=' && next == '=':
		return tok(tEQ, 2)
	case c == '=':
		return tok(tEQ, 1)
	case c == '!' && next == '=':
		return tok(tNEQ, 2)
	case c == '<' && next == '=':
		return tok(tLE, 2)
	case c == '<' && next == '>':
		return tok(tNEQ, 2)
	case c == '<':
		return tok(tLT, 1)
	case c == '>' && next == '=':
		return tok(tGE, 2)
	case c == '>':
		return tok(tGT, 1)
	case c == '\'':
		return l.str(tString, start, start)
	case isDigit(c), (c == '-' || c == '+') && (isDigit(next) || next == '.'):
		return l.number()
	case isIdentStart(c):
		return l.word()
	case c == '!':
		return token{}, errAt(start, `unexpected "!": the not-equal operator is "!="`)
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	if r == '"' {
		return token{}, errAt(start, `unexpected '"': strings and quoted property names use apostrophes ('...')`)
	}
	return token{}, errAt(start, "unexpected character "+strconv.QuoteRune(r))
}

// skipSpace skips white space (Unicode White_Space) and comments.
func (l *lexer) skipSpace() *Error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c >= '\t' && c <= '\r':
			l.pos++
		case c == '/' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '*':
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return errAt(l.pos, `comment "/*" is not closed with "*/"`)
			}
			l.pos += 2 + end + 2
		case c == '/' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '/':
			end := strings.IndexAny(l.src[l.pos:], "\r\n")
			if end < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += end
			}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(l.src[l.pos:])
			if !unicode.IsSpace(r) {
				return nil
			}
			l.pos += n
		default:
			return nil
		}
	}
	return nil
}

// word reads an identifier, keyword, Boolean, or a t”, h” or b” literal.
func (l *lexer) word() (token, *Error) {
	start := l.pos
	end := start + 1
	hyphen := false
	for end < len(l.src) && isIdentChar(l.src[end]) {
		hyphen = hyphen || l.src[end] == '-'
		end++
	}
	w := l.src[start:end]
	if end-start == 1 && end < len(l.src) && l.src[end] == '\'' {
		switch w {
		case "t":
			return l.str(tTimestamp, start, end)
		case "h":
			return l.str(tHex, start, end)
		case "b":
			return l.str(tBinary, start, end)
		}
	}
	l.pos = end
	k := tIdentHyph
	if !hyphen {
		k = keyword(w)
	}
	return token{kind: k, pos: start, end: end, text: w}, nil
}

// number reads an integer or a float.
func (l *lexer) number() (token, *Error) {
	start := l.pos
	i := start
	if l.src[i] == '-' || l.src[i] == '+' {
		i++
	}
	digits := i
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	if i+1 < len(l.src) && l.src[i] == '.' && isDigit(l.src[i+1]) {
		i++
		for i < len(l.src) && isDigit(l.src[i]) {
			i++
		}
		l.pos = i
		text := l.src[start:i]
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return token{}, errAt(start, "number "+text+" is out of the range of a 64-bit float")
		}
		l.flt = f
		return token{kind: tFloat, pos: start, end: i, text: text}, nil
	}
	if i == digits {
		return token{}, errAt(start, "expected a digit after "+strconv.Quote(l.src[start:i+1]))
	}
	l.pos = i
	text := l.src[start:i]
	if i-digits > 1 && l.src[digits] == '0' {
		return token{}, errAt(start, "integer "+text+" must not have leading zeros")
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return token{}, errAt(start, "integer "+text+" does not fit in 64 bits")
	}
	l.num = n
	return token{kind: tInt, pos: start, end: i, text: text}, nil
}

// str reads a quoted string whose opening apostrophe is at quote; start is
// where the token starts (before a t, h or b prefix). Strings escape only
// the apostrophe and the backslash.
func (l *lexer) str(k tokKind, start, quote int) (token, *Error) {
	i := quote + 1
	var b []byte // the unescaped value, once an escape is seen
	runStart := i
	for {
		if i >= len(l.src) {
			return token{}, errAt(start, "string starting here is not closed with \"'\"")
		}
		c := l.src[i]
		if c == '\'' {
			break
		}
		if c != '\\' {
			i++
			continue
		}
		if i+1 >= len(l.src) || (l.src[i+1] != '\'' && l.src[i+1] != '\\') {
			esc := "\\"
			if i+1 < len(l.src) {
				r, _ := utf8.DecodeRuneInString(l.src[i+1:])
				esc += string(r)
			}
			return token{}, errAt(i, "invalid escape "+strconv.Quote(esc)+` in a string: only \' and \\ are allowed (write \\ for a backslash)`)
		}
		b = append(b, l.src[runStart:i]...)
		b = append(b, l.src[i+1])
		i += 2
		runStart = i
	}
	l.pos = i + 1
	var text string
	if b == nil {
		text = l.src[quote+1 : i]
	} else {
		text = string(append(b, l.src[runStart:i]...))
	}
	tok := token{kind: k, pos: start, end: l.pos, text: text}
	var err *Error
	switch k {
	case tTimestamp:
		err = l.timestamp(tok)
	case tHex:
		err = l.hex(tok)
	case tBinary:
		err = l.binary(tok)
	}
	if err != nil {
		return token{}, err
	}
	return tok, nil
}

// timestamp checks and converts a t” literal: RFC 3339 in UTC with a "Z",
// YYYY-MM-DDTHH:MM:SS[.fraction]Z, a real calendar date, a leap second only
// at 23:59:60 (read as the following second), digits past nanoseconds
// ignored.
func (l *lexer) timestamp(tok token) *Error {
	s := tok.text
	bad := func(why string) *Error {
		return errAt(tok.pos, "invalid timestamp t'"+s+"': "+why)
	}
	if len(s) < 20 {
		return bad("expected YYYY-MM-DDTHH:MM:SSZ")
	}
	for i, want := range "0000-00-00T00:00:00" {
		c := s[i]
		if want == '0' && !isDigit(c) || want != '0' && c != byte(want) {
			return bad("expected YYYY-MM-DDTHH:MM:SS[.fraction]Z")
		}
	}
	rest := s[19:]
	nanos := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			if n <= 9 {
				nanos = nanos*10 + int(rest[n]-'0')
			}
			n++
		}
		if n == 1 {
			return bad("expected digits after the decimal point")
		}
		for d := n; d <= 9; d++ {
			nanos *= 10
		}
		rest = rest[n:]
	}
	if rest != "Z" {
		return bad(`must end in "Z": timestamps are in UTC, without offsets`)
	}
	num := func(a, b int) int {
		v := 0
		for _, c := range []byte(s[a:b]) {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	switch {
	case month < 1 || month > 12:
		return bad("month out of range")
	case day < 1 || day > daysIn(year, month):
		return bad("day out of range for the month")
	case hour > 23:
		return bad("hour out of range")
	case minute > 59:
		return bad("minute out of range")
	case sec > 60 || sec == 60 && (hour != 23 || minute != 59):
		return bad("second out of range (a leap second is 23:59:60)")
	}
	l.tm = time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	if l.tm.Year() > 9999 {
		return bad("a leap second at the end of 9999 is past the last timestamp")
	}
	return nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// hex checks and decodes an h” literal: an even number of hex digits.
func (l *lexer) hex(tok token) *Error {
	s := tok.text
	if len(s)%2 != 0 {
		return errAt(tok.pos, "invalid hex constant h'"+s+"': it needs an even number of hexadecimal digits")
	}
	b := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return errAt(tok.pos, "invalid hex constant h'"+s+"': only the digits 0-9, a-f and A-F are allowed")
		}
		b[i/2] = hi<<4 | lo
	}
	l.bytes = b
	return nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// binary checks and decodes a b” literal: padded base64 of at least one
// byte. Line feeds (and carriage returns) are ignored, as the specification
// requires.
func (l *lexer) binary(tok token) *Error {
	s := tok.text
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	}
	bad := func(why string) *Error {
		return errAt(tok.pos, "invalid binary constant b'"+truncate(tok.text, 40)+"': "+why)
	}
	if s == "" {
		return bad("it is empty")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isIdentStart(c) && c != '_' || isDigit(c) || c == '+' || c == '/' || c == '=') {
			return bad("base64 allows only A-Z, a-z, 0-9, +, / and = padding")
		}
	}
	if len(s)%4 != 0 {
		return bad("base64 needs a multiple of 4 characters, padded with =")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return bad("not valid base64: '=' may only pad the last group of 4")
	}
	l.bytes = b
	return nil
}

// truncate shortens s to at most n runes for a message.
func truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
