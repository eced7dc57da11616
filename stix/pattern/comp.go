package pattern

import (
	"slices"
	"strconv"
	"strings"
)

// typeSet is the set of object types a comparison expression can hold for:
// the object type of a comparison, the union over OR, the intersection
// over AND. One type, the common case, needs no allocation.
type typeSet struct {
	one  string   // the only type, when more is nil
	more []string // two or more types
}

func (s typeSet) empty() bool { return s.one == "" && s.more == nil }

func (s typeSet) list() []string {
	if s.more != nil {
		return s.more
	}
	return []string{s.one}
}

func (s typeSet) has(t string) bool {
	if s.more != nil {
		return slices.Contains(s.more, t)
	}
	return s.one == t
}

func union(a, b typeSet) typeSet {
	if b.more == nil && a.has(b.one) {
		return a
	}
	out := slices.Clone(a.list())
	for _, t := range b.list() {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return typeSet{more: out}
}

func intersect(a, b typeSet) typeSet {
	if a.more == nil && b.more == nil {
		if a.one == b.one {
			return a
		}
		return typeSet{}
	}
	var out []string
	for _, t := range a.list() {
		if b.has(t) {
			out = append(out, t)
		}
	}
	switch len(out) {
	case 0:
		return typeSet{}
	case 1:
		return typeSet{one: out[0]}
	}
	return typeSet{more: out}
}

// compOr parses comparison expressions joined by OR.
func (p *parser) compOr() (CompExpr, typeSet) {
	first, types := p.compAnd()
	if p.tok.kind != tOr {
		return first, types
	}
	b := &BoolExpr{Op: BoolOr, Comps: make([]CompExpr, 0, 2)}
	b.add(first)
	for p.tok.kind == tOr {
		p.advance()
		c, t := p.compAnd()
		b.add(c)
		types = union(types, t)
	}
	return b, types
}

// compAnd parses comparison expressions joined by AND, which must all be
// able to hold for one object (STIX 2.1 section 9.5).
func (p *parser) compAnd() (CompExpr, typeSet) {
	first, types := p.propTest()
	if p.tok.kind != tAnd {
		return first, types
	}
	b := &BoolExpr{Op: BoolAnd, Comps: make([]CompExpr, 0, 2)}
	b.add(first)
	for p.tok.kind == tAnd {
		p.advance()
		pos := p.tok.pos
		c, t := p.propTest()
		both := intersect(types, t)
		if both.empty() {
			p.fail(pos, "comparisons joined by AND must hold for one object, but this one is about "+
				strings.Join(t.list(), " or ")+" and those before it about "+strings.Join(types.list(), " or ")+
				"; join them with OR, or put them in two observation expressions: [...] AND [...]")
		}
		types = both
		b.add(c)
	}
	return b, types
}

// propTest parses one comparison, EXISTS, or a parenthesised comparison
// expression.
func (p *parser) propTest() (CompExpr, typeSet) {
	switch p.tok.kind {
	case tLParen:
		p.enter(p.tok.pos)
		p.advance()
		c, types := p.compOr()
		if p.tok.kind != tRParen {
			p.expected(`")", AND or OR`)
		}
		p.depth--
		p.advance()
		return c, types
	case tExists:
		p.advance()
		c := &Comparison{Op: OpExists}
		p.objectPath(c)
		p.check(c, p.tok.pos)
		return c, typeSet{one: c.ObjectType}
	}
	c := &Comparison{}
	p.objectPath(c)
	if p.tok.kind == tNot {
		c.Not = true
		p.advance()
	}
	switch p.tok.kind {
	case tEQ:
		c.Op = OpEqual
	case tNEQ:
		c.Op = OpNotEqual
	case tGT:
		c.Op = OpGreater
	case tGE:
		c.Op = OpGreaterEqual
	case tLT:
		c.Op = OpLess
	case tLE:
		c.Op = OpLessEqual
	case tIn:
		c.Op = OpIn
	case tLike:
		c.Op = OpLike
	case tMatches:
		c.Op = OpMatches
	case tIsSubset:
		c.Op = OpIsSubset
	case tIsSuperset:
		c.Op = OpIsSuperset
	default:
		if c.Not {
			p.expected("a comparison operator after NOT")
		}
		p.expected(`".", "[", a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) or NOT`)
	}
	op := c.Op.String()
	p.advance()
	valPos := p.tok.pos
	switch c.Op {
	case OpEqual, OpNotEqual:
		c.Value = p.literal("a constant after " + op)
	case OpGreater, OpGreaterEqual, OpLess, OpLessEqual:
		if p.tok.kind == tBool {
			p.fail(valPos, op+" cannot compare booleans, which have no order; use = or !=")
		}
		c.Value = p.literal("a constant after " + op)
	case OpIn:
		c.Value = p.set()
	default:
		if p.tok.kind != tString {
			p.expected("a string constant after " + op)
		}
		c.Value = Literal{Kind: StringLit, Str: p.tok.text}
		p.advance()
	}
	p.check(c, valPos)
	return c, typeSet{one: c.ObjectType}
}

// objectPath parses type:first.step[0]... into c, and records where the
// type and each step start.
func (p *parser) objectPath(c *Comparison) {
	if p.tok.kind != tIdent && p.tok.kind != tIdentHyph {
		p.expected(`an object path such as file:name, EXISTS or "("`)
	}
	p.typePos = p.tok.pos
	c.ObjectType = p.tok.text
	p.advance()
	if p.tok.kind != tColon {
		p.expected(`":" after the object type ` + strconv.Quote(c.ObjectType))
	}
	p.advance()
	p.steps, p.stepPos = p.steps[:0], p.stepPos[:0]
	p.key()
	for {
		switch p.tok.kind {
		case tDot:
			p.advance()
			p.key()
			continue
		case tLBrack:
			pos := p.tok.pos
			p.advance()
			var s Step
			switch p.tok.kind {
			case tStar:
				s = Step{Kind: StepAnyIndex}
			case tInt:
				if int64(int(p.lex.num)) != p.lex.num {
					p.fail(p.tok.pos, "list index "+p.tok.text+" is out of range")
				}
				s = Step{Kind: StepIndex, Index: int(p.lex.num)}
			default:
				p.expected("a list index: an integer or *")
			}
			p.advance()
			if p.tok.kind != tRBrack {
				p.expected(`"]" after the list index`)
			}
			p.advance()
			p.steps = append(p.steps, s)
			p.stepPos = append(p.stepPos, pos)
			continue
		}
		break
	}
	c.Path = slices.Clone(p.steps)
}

// key parses a property name or dictionary key: an identifier without
// hyphens or a quoted string.
func (p *parser) key() {
	switch p.tok.kind {
	case tIdent, tString:
	case tIdentHyph:
		p.fail(p.tok.pos, "property name "+strconv.Quote(p.tok.text)+` contains "-": quote it, `+string(appendString(nil, p.tok.text)))
	default:
		if p.tok.kind == tBool || p.tok.kind >= tAnd && p.tok.kind <= tTimes {
			p.fail(p.tok.pos, p.tok.text+" is a keyword: quote it to use it as a property name, "+string(appendString(nil, p.tok.text)))
		}
		p.expected("a property name")
	}
	p.steps = append(p.steps, Step{Kind: StepKey, Key: p.tok.text})
	p.stepPos = append(p.stepPos, p.tok.pos)
	p.advance()
}

// literal parses a constant; what describes the constant expected.
func (p *parser) literal(what string) Literal {
	var l Literal
	switch p.tok.kind {
	case tString:
		l = Literal{Kind: StringLit, Str: p.tok.text}
	case tInt:
		l = Literal{Kind: IntLit, Int: p.lex.num}
	case tFloat:
		l = Literal{Kind: FloatLit, Float: p.lex.flt}
	case tBool:
		l = Literal{Kind: BoolLit, Bool: p.tok.text == "true"}
	case tTimestamp:
		l = Literal{Kind: TimestampLit, Time: p.lex.tm}
	case tHex:
		l = Literal{Kind: HexLit, Bytes: p.lex.bytes}
	case tBinary:
		l = Literal{Kind: BinaryLit, Bytes: p.lex.bytes}
	default:
		p.expected(what)
	}
	p.advance()
	return l
}

// set parses the list of constants after IN: "(a, b, ...)" of one type
// (integers and floats count as one), or "()".
func (p *parser) set() Literal {
	if p.tok.kind != tLParen {
		p.expected(`"(" and a list of constants after IN`)
	}
	p.advance()
	if p.tok.kind == tRParen {
		p.advance()
		return Literal{Kind: ListLit, List: []Literal{}}
	}
	// Collect in the reusable buffer (sets do not nest), then copy once.
	p.lits = p.lits[:0]
	what := `a constant or ")"`
	for {
		pos := p.tok.pos
		e := p.literal(what)
		if len(p.lits) > 0 && numeric(e.Kind) != numeric(p.lits[0].Kind) {
			p.fail(pos, "the constants after IN must be of one type, but this one is "+kindName(e.Kind)+
				" and the first is "+kindName(p.lits[0].Kind))
		}
		p.lits = append(p.lits, e)
		switch p.tok.kind {
		case tComma:
			p.advance()
			what = "a constant"
			continue
		case tRParen:
			p.advance()
			return Literal{Kind: ListLit, List: slices.Clone(p.lits)}
		}
		p.expected(`"," or ")"`)
	}
}

// numeric folds integers and floats into one kind: they compare with each
// other.
func numeric(k LitKind) LitKind {
	if k == FloatLit {
		return IntLit
	}
	return k
}

// kindName names the type of a constant for messages.
func kindName(k LitKind) string {
	switch k {
	case StringLit:
		return "a string"
	case IntLit:
		return "an integer"
	case FloatLit:
		return "a float"
	case BoolLit:
		return "a boolean"
	case TimestampLit:
		return "a timestamp"
	case HexLit:
		return "a hex constant"
	case BinaryLit:
		return "a binary constant"
	case ListLit:
		return "a list"
	}
	return "a constant"
}
