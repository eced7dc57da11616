package pattern

import (
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Default limits of a Parser.
const (
	// MaxLength is the longest pattern accepted, in bytes.
	MaxLength = 1 << 20
	// MaxDepth is how deeply brackets and parentheses may nest.
	MaxDepth = 100
)

// Parser parses patterns. The zero value parses with the default limits and
// without a Schema; a Parser is safe for concurrent use.
type Parser struct {
	// Schema, when set, checks object types and property names.
	Schema Schema
	// MaxLength is the longest pattern accepted in bytes; 0 means
	// MaxLength.
	MaxLength int
	// MaxDepth is how deeply brackets and parentheses may nest; 0 means
	// MaxDepth.
	MaxDepth int
}

// Parse parses a pattern with the default Parser: the grammar, the forms of
// constants, the fit of constants to operators, and the qualifiers are
// checked; object types and property names are not (see Parser.Schema).
// The error is an *Error.
func Parse(s string) (*Pattern, error) {
	return Parser{}.Parse(s)
}

// Parse parses and checks a pattern. The error is an *Error.
func (cfg Parser) Parse(s string) (pat *Pattern, err error) {
	maxLen := cfg.MaxLength
	if maxLen <= 0 {
		maxLen = MaxLength
	}
	if len(s) > maxLen {
		return nil, &Error{Column: 1, Msg: "the pattern is " + strconv.Itoa(len(s)) + " bytes long, longer than the limit of " + strconv.Itoa(maxLen)}
	}
	if !utf8.ValidString(s) {
		off := 0
		for off < len(s) {
			r, n := utf8.DecodeRuneInString(s[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return nil, errAt(off, "the pattern is not valid UTF-8").locate(s)
	}
	p := parsers.Get().(*parser)
	*p = parser{lex: lexer{src: s}, schema: cfg.Schema, maxDepth: cfg.MaxDepth,
		steps: p.steps[:0], stepPos: p.stepPos[:0], lits: p.lits[:0]}
	if p.maxDepth <= 0 {
		p.maxDepth = MaxDepth
	}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*Error)
			if !ok {
				panic(r)
			}
			pat, err = nil, e.locate(s)
		}
		if cap(p.lits) > 1024 {
			p.lits = nil // do not keep a huge buffer alive
		}
		// Drop references to the pattern and its strings.
		clear(p.lits[:cap(p.lits)])
		clear(p.steps[:cap(p.steps)])
		*p = parser{steps: p.steps[:0], stepPos: p.stepPos[:0], lits: p.lits[:0]}
		parsers.Put(p)
	}()
	p.advance()
	e := p.obs(ObsFollowedBy)
	if p.tok.kind != tEOF {
		p.expected("AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern")
	}
	return &Pattern{Expr: e}, nil
}

// parsers keeps parsers, with their buffers, for reuse.
var parsers = sync.Pool{New: func() any { return new(parser) }}

// parser is a recursive-descent parser, one function per precedence level.
// Errors are raised by panicking with an *Error, recovered in Parse.
type parser struct {
	lex      lexer
	tok      token // the current token
	schema   Schema
	depth    int
	maxDepth int
	// The object path being parsed: its steps and the offsets where they
	// and the object type start, reused from one path to the next.
	steps   []Step
	stepPos []int
	typePos int
	lits    []Literal // the constants of the IN set being parsed
}

// fail raises an error at byte offset off.
func (p *parser) fail(off int, msg string) {
	panic(errAt(off, msg))
}

// expected raises an error at the current token: what was expected and
// what was found.
func (p *parser) expected(what string) {
	p.fail(p.tok.pos, "expected "+what+", found "+p.describe(p.tok)+p.hint(p.tok))
}

// describe names a token for a message.
func (p *parser) describe(t token) string {
	src := p.lex.src[t.pos:t.end]
	switch t.kind {
	case tEOF:
		return "the end of the pattern"
	case tString:
		return "the string " + truncate(src, 30)
	}
	return strconv.Quote(truncate(src, 30))
}

// hint adds advice for common slips: lower-case keywords.
func (p *parser) hint(t token) string {
	if t.kind != tIdent {
		return ""
	}
	switch k := keyword(strings.ToUpper(t.text)); {
	case k != tIdent && k != tBool:
		return " (keywords are upper case)"
	case keyword(strings.ToLower(t.text)) == tBool:
		return " (true and false are lower case)"
	}
	return ""
}

// advance moves to the next token.
func (p *parser) advance() {
	t, err := p.lex.next()
	if err != nil {
		panic(err)
	}
	p.tok = t
}

// enter counts one more level of nesting at offset off.
func (p *parser) enter(off int) {
	p.depth++
	if p.depth > p.maxDepth {
		p.fail(off, "brackets and parentheses are nested more than "+strconv.Itoa(p.maxDepth)+" deep")
	}
}

var obsTok = [...]tokKind{ObsAnd: tAnd, ObsOr: tOr, ObsFollowedBy: tFollowedBy}

// obs parses observation expressions joined by op or operators binding
// tighter: ObsFollowedBy is a whole pattern expression.
func (p *parser) obs(op ObsOp) ObsExpr {
	operand := func() ObsExpr {
		if op == ObsAnd {
			return p.qualified()
		}
		return p.obs(op - 1)
	}
	first := operand()
	if p.tok.kind != obsTok[op] {
		return first
	}
	c := &Compound{Op: op, Exprs: make([]ObsExpr, 0, 2)}
	c.add(first)
	for p.tok.kind == obsTok[op] {
		p.advance()
		c.add(operand())
	}
	return c
}

// qualified parses an observation expression and its qualifiers.
func (p *parser) qualified() ObsExpr {
	e := p.primary()
	if !isQualifier(p.tok.kind) {
		return e
	}
	q := &Qualified{Expr: e}
	var seen [QualStartStop + 1]bool
	for isQualifier(p.tok.kind) {
		pos, word := p.tok.pos, p.tok.text
		ql := p.qualifier()
		if seen[ql.Kind] {
			p.fail(pos, "an observation expression must not have more than one "+word+" qualifier")
		}
		seen[ql.Kind] = true
		q.Qualifiers = append(q.Qualifiers, ql)
	}
	return q
}

func isQualifier(k tokKind) bool {
	return k == tWithin || k == tRepeats || k == tStart
}

// qualifier parses WITHIN n SECONDS, REPEATS n TIMES or START t STOP t.
func (p *parser) qualifier() Qualifier {
	switch p.tok.kind {
	case tWithin:
		p.advance()
		if p.tok.kind != tInt && p.tok.kind != tFloat || p.tok.text[0] == '-' {
			p.expected("a positive number of seconds after WITHIN")
		}
		secs, _ := strconv.ParseFloat(p.tok.text, 64) // the lexer checked the form
		if secs <= 0 {
			p.fail(p.tok.pos, "WITHIN needs a positive number of seconds, not "+p.tok.text)
		}
		p.advance()
		if p.tok.kind != tSeconds {
			p.expected("SECONDS (WITHIN counts in seconds)")
		}
		p.advance()
		return Qualifier{Kind: QualWithin, Seconds: secs}
	case tRepeats:
		p.advance()
		if p.tok.kind != tInt || p.tok.text[0] == '-' {
			p.expected("a positive integer after REPEATS")
		}
		n := p.lex.num
		if n <= 0 {
			p.fail(p.tok.pos, "REPEATS needs a positive number of times, not "+p.tok.text)
		}
		p.advance()
		if p.tok.kind != tTimes {
			p.expected("TIMES after REPEATS " + strconv.FormatInt(n, 10))
		}
		p.advance()
		return Qualifier{Kind: QualRepeats, Times: n}
	}
	// START
	p.advance()
	start, startText := p.timestamp("START")
	if p.tok.kind != tStop {
		p.expected("STOP after START " + startText)
	}
	p.advance()
	stopPos := p.tok.pos
	stop, stopText := p.timestamp("STOP")
	if !start.Before(stop) {
		p.fail(stopPos, "STOP "+stopText+" must be later than START "+startText)
	}
	return Qualifier{Kind: QualStartStop, Start: start, Stop: stop}
}

// timestamp parses the timestamp constant after START or STOP and returns
// it with its text.
func (p *parser) timestamp(after string) (time.Time, string) {
	if p.tok.kind != tTimestamp {
		hint := ""
		if p.tok.kind == tString {
			hint = " (STIX 2.1 writes qualifier times as t'...')"
		}
		p.fail(p.tok.pos, "expected a timestamp t'...' after "+after+", found "+p.describe(p.tok)+hint)
	}
	t, text := p.lex.tm, p.lex.src[p.tok.pos:p.tok.end]
	p.advance()
	return t, text
}

// primary parses "[ comparisons ]" or "( pattern expression )".
func (p *parser) primary() ObsExpr {
	switch p.tok.kind {
	case tLBrack:
		p.enter(p.tok.pos)
		p.advance()
		c, _ := p.compOr()
		if p.tok.kind != tRBrack {
			p.expected(`"]", AND or OR`)
		}
		p.depth--
		p.advance()
		return &Observation{Comp: c}
	case tLParen:
		p.enter(p.tok.pos)
		p.advance()
		e := p.obs(ObsFollowedBy)
		if p.tok.kind != tRParen {
			p.expected(`")", AND, OR, FOLLOWEDBY, WITHIN, REPEATS or START`)
		}
		p.depth--
		p.advance()
		return e
	}
	p.expected(`"[" or "(" to start an observation expression`)
	return nil
}
