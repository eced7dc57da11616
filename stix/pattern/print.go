package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
)

// The canonical form String prints: one space around operators and after
// commas, no space inside brackets and parentheses, parentheses only where
// precedence needs them, = and != for equality, keys quoted only when they
// are not plain identifiers, integers and floats in decimal (floats always
// with a point), timestamps in RFC 3339 with as many fractional digits as
// needed, hex in lower case, binary in padded base64. Parsing the canonical
// form gives back an equal Pattern.

// String returns the pattern in canonical form.
func (p *Pattern) String() string {
	if p == nil || p.Expr == nil {
		return ""
	}
	return string(appendObs(nil, p.Expr))
}

// String returns the observation expression in canonical form.
func (o *Observation) String() string { return string(appendObs(nil, o)) }

// String returns the observation expression in canonical form.
func (c *Compound) String() string { return string(appendObs(nil, c)) }

// String returns the observation expression in canonical form.
func (q *Qualified) String() string { return string(appendObs(nil, q)) }

// String returns the comparison expression in canonical form.
func (c *Comparison) String() string { return string(appendComp(nil, c)) }

// String returns the comparison expression in canonical form.
func (b *BoolExpr) String() string { return string(appendComp(nil, b)) }

// String returns the constant as written in a pattern.
func (l Literal) String() string { return string(appendLiteral(nil, l)) }

// String returns the operator as written in a pattern.
func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// String returns the operator as written in a pattern.
func (o ObsOp) String() string {
	switch o {
	case ObsAnd:
		return "AND"
	case ObsOr:
		return "OR"
	case ObsFollowedBy:
		return "FOLLOWEDBY"
	}
	return "ObsOp(" + strconv.Itoa(int(o)) + ")"
}

// String returns the operator as written in a pattern.
func (o BoolOp) String() string {
	switch o {
	case BoolAnd:
		return "AND"
	case BoolOr:
		return "OR"
	}
	return "BoolOp(" + strconv.Itoa(int(o)) + ")"
}

var opNames = [...]string{
	OpEqual: "=", OpNotEqual: "!=", OpGreater: ">", OpGreaterEqual: ">=", OpLess: "<", OpLessEqual: "<=",
	OpIn: "IN", OpLike: "LIKE", OpMatches: "MATCHES", OpIsSubset: "ISSUBSET", OpIsSuperset: "ISSUPERSET",
	OpExists: "EXISTS",
}

// obsPrec is the binding strength of an observation operator.
func obsPrec(op ObsOp) int { return 4 - int(op) } // AND 3, OR 2, FOLLOWEDBY 1

func appendObs(b []byte, e ObsExpr) []byte {
	switch e := e.(type) {
	case *Observation:
		b = append(b, '[')
		b = appendComp(b, e.Comp)
		return append(b, ']')
	case *Compound:
		for i, sub := range e.Exprs {
			if i > 0 {
				b = append(b, ' ')
				b = append(b, e.Op.String()...)
				b = append(b, ' ')
			}
			if c, ok := sub.(*Compound); ok && obsPrec(c.Op) <= obsPrec(e.Op) {
				b = append(b, '(')
				b = appendObs(b, sub)
				b = append(b, ')')
				continue
			}
			b = appendObs(b, sub)
		}
		return b
	case *Qualified:
		if _, ok := e.Expr.(*Observation); ok {
			b = appendObs(b, e.Expr)
		} else {
			b = append(b, '(')
			b = appendObs(b, e.Expr)
			b = append(b, ')')
		}
		for _, q := range e.Qualifiers {
			b = append(b, ' ')
			b = appendQualifier(b, q)
		}
		return b
	}
	return b
}

func appendQualifier(b []byte, q Qualifier) []byte {
	switch q.Kind {
	case QualWithin:
		b = append(b, "WITHIN "...)
		if q.Seconds >= 1e18 {
			// Too large for an integer constant: write it as a float.
			b = appendLiteral(b, Literal{Kind: FloatLit, Float: q.Seconds})
		} else {
			b = strconv.AppendFloat(b, q.Seconds, 'f', -1, 64)
		}
		return append(b, " SECONDS"...)
	case QualRepeats:
		b = append(b, "REPEATS "...)
		b = strconv.AppendInt(b, q.Times, 10)
		return append(b, " TIMES"...)
	case QualStartStop:
		b = append(b, "START "...)
		b = appendTime(b, q.Start)
		b = append(b, " STOP "...)
		return appendTime(b, q.Stop)
	}
	return b
}

func appendComp(b []byte, e CompExpr) []byte {
	switch e := e.(type) {
	case *Comparison:
		return appendComparison(b, e)
	case *BoolExpr:
		for i, sub := range e.Comps {
			if i > 0 {
				b = append(b, ' ')
				b = append(b, e.Op.String()...)
				b = append(b, ' ')
			}
			// Operands of the same operator are merged, so only OR
			// inside AND needs parentheses.
			if s, ok := sub.(*BoolExpr); ok && s.Op == BoolOr && e.Op == BoolAnd {
				b = append(b, '(')
				b = appendComp(b, sub)
				b = append(b, ')')
				continue
			}
			b = appendComp(b, sub)
		}
	}
	return b
}

func appendComparison(b []byte, c *Comparison) []byte {
	if c.Op == OpExists {
		b = append(b, "EXISTS "...)
		return appendPath(b, c.ObjectType, c.Path)
	}
	b = appendPath(b, c.ObjectType, c.Path)
	if c.Not {
		b = append(b, " NOT"...)
	}
	b = append(b, ' ')
	b = append(b, c.Op.String()...)
	b = append(b, ' ')
	return appendLiteral(b, c.Value)
}

// appendPath writes an object path; keys that are not plain identifiers
// (or are keywords) are quoted.
func appendPath(b []byte, typ string, path []Step) []byte {
	b = append(b, typ...)
	b = append(b, ':')
	for i, s := range path {
		switch s.Kind {
		case StepKey:
			if i > 0 {
				b = append(b, '.')
			}
			if isPlainKey(s.Key) {
				b = append(b, s.Key...)
			} else {
				b = appendString(b, s.Key)
			}
		case StepIndex:
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(s.Index), 10)
			b = append(b, ']')
		case StepAnyIndex:
			b = append(b, "[*]"...)
		}
	}
	return b
}

// isPlainKey reports whether a key can be written unquoted: an identifier
// without hyphens that the lexer does not read as a keyword or literal.
func isPlainKey(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) || s[i] == '-' {
			return false
		}
	}
	return keyword(s) == tIdent
}

func appendLiteral(b []byte, l Literal) []byte {
	switch l.Kind {
	case StringLit:
		return appendString(b, l.Str)
	case IntLit:
		return strconv.AppendInt(b, l.Int, 10)
	case FloatLit:
		n := len(b)
		b = strconv.AppendFloat(b, l.Float, 'f', -1, 64)
		for _, c := range b[n:] {
			if c == '.' {
				return b
			}
		}
		return append(b, ".0"...)
	case BoolLit:
		return strconv.AppendBool(b, l.Bool)
	case TimestampLit:
		return appendTime(b, l.Time)
	case HexLit:
		b = append(b, "h'"...)
		b = hex.AppendEncode(b, l.Bytes)
		return append(b, '\'')
	case BinaryLit:
		b = append(b, "b'"...)
		b = base64.StdEncoding.AppendEncode(b, l.Bytes)
		return append(b, '\'')
	case ListLit:
		b = append(b, '(')
		for i, e := range l.List {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendLiteral(b, e)
		}
		return append(b, ')')
	}
	return b
}

// appendString writes s as a string constant, escaping ' and \.
func appendString(b []byte, s string) []byte {
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\'' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '\'')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, "t'"...)
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '\'')
}

// FormatPath writes an object path as a pattern does, e.g.
// file:extensions.'windows-pebinary-ext'.sections[*].entropy.
func FormatPath(objectType string, path []Step) string {
	return string(appendPath(nil, objectType, path))
}
