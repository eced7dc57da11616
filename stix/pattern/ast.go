// Package pattern parses and checks STIX 2.1 patterns (STIX 2.1 section 9),
// the language of an indicator's pattern when its pattern_type is "stix".
//
// Parse turns a pattern into a Pattern, a tree of observation expressions
// (Observation, Compound, Qualified) whose leaves hold comparison
// expressions (Comparison, BoolExpr). The grammar is the OASIS STIX 2.1
// patterning grammar (STIXPattern.g4): keywords are upper case, true and
// false lower case; within an observation AND binds tighter than OR; between
// observations AND binds tighter than OR, and OR tighter than FOLLOWEDBY;
// qualifiers bind tighter than any operator. Chains of one operator are
// flattened into one node, so the tree of a long chain stays shallow.
//
// Besides the grammar, Parse checks what the specification requires of
// constants, operators and qualifiers, and a Parser with a Schema also
// checks object types and property names. Every error is an *Error giving
// the column of the fault.
package pattern

import "time"

// Pattern is a parsed STIX pattern.
type Pattern struct {
	Expr ObsExpr // the pattern expression
}

// ObsExpr is an observation expression: *Observation, *Compound or
// *Qualified.
type ObsExpr interface {
	String() string
	obsExpr()
}

// Observation is a bracketed observation expression, "[ ... ]": comparisons
// that must hold for one observation, starting from one object.
type Observation struct {
	Comp CompExpr
}

// ObsOp is an observation operator.
type ObsOp uint8

// The observation operators, from the highest precedence to the lowest.
const (
	ObsAnd        ObsOp = iota + 1 // both sides match, on different observations
	ObsOr                          // either side matches
	ObsFollowedBy                  // both match, the right side no earlier than the left
)

// Compound joins two or more observation expressions with one observation
// operator. Exprs never holds a *Compound with the same Op: chains and
// parenthesised groups of one operator are merged (all three operators are
// associative).
type Compound struct {
	Op    ObsOp
	Exprs []ObsExpr
}

// Qualified is an observation expression followed by qualifiers, applied in
// order: "[a] REPEATS 2 TIMES WITHIN 60 SECONDS". Expr is never itself a
// *Qualified unless the pattern put it in parentheses.
type Qualified struct {
	Expr       ObsExpr
	Qualifiers []Qualifier
}

// QualKind is the kind of a qualifier.
type QualKind uint8

// The qualifiers.
const (
	QualWithin    QualKind = iota + 1 // WITHIN Seconds SECONDS
	QualRepeats                       // REPEATS Times TIMES
	QualStartStop                     // START Start STOP Stop
)

// Qualifier restricts the observations an expression matches. Only the
// fields of its Kind are set.
type Qualifier struct {
	Kind        QualKind
	Seconds     float64   // QualWithin: the window, positive
	Times       int64     // QualRepeats: how many matches, positive
	Start, Stop time.Time // QualStartStop: observations at or after Start and before Stop (UTC, Start < Stop)
}

// Within returns the window of a WITHIN qualifier as a duration, rounded to
// nanoseconds and capped at the largest duration.
func (q Qualifier) Within() time.Duration {
	const limit = float64(1<<63 - 1)
	ns := q.Seconds * 1e9
	if ns >= limit {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(ns + 0.5)
}

// CompExpr is a comparison expression, the content of an observation:
// *Comparison or *BoolExpr.
type CompExpr interface {
	String() string
	compExpr()
}

// BoolOp is a Boolean operator between comparison expressions.
type BoolOp uint8

// The Boolean operators; AND binds tighter than OR.
const (
	BoolAnd BoolOp = iota + 1
	BoolOr
)

// BoolExpr joins two or more comparison expressions with AND or OR. Comps
// never holds a *BoolExpr with the same Op: chains and parenthesised groups
// of one operator are merged.
type BoolExpr struct {
	Op    BoolOp
	Comps []CompExpr
}

// Op is a comparison operator.
type Op uint8

// The comparison operators.
const (
	OpEqual        Op = iota + 1 // =  (also written ==)
	OpNotEqual                   // != (also written <>)
	OpGreater                    // >
	OpGreaterEqual               // >=
	OpLess                       // <
	OpLessEqual                  // <=
	OpIn                         // IN (list)
	OpLike                       // LIKE 'SQL % and _ wildcards'
	OpMatches                    // MATCHES 'regular expression'
	OpIsSubset                   // ISSUBSET 'CIDR block or address'
	OpIsSuperset                 // ISSUPERSET 'CIDR block or address'
	OpExists                     // EXISTS object-path; Value is unset
)

// Comparison compares one property of an object with a constant:
// "file:hashes.'SHA-256' = '...'", or tests that it exists.
type Comparison struct {
	ObjectType string // the type of the object the path starts from, e.g. "file"
	Path       []Step // the property path after the colon; never empty, and Path[0] is a key
	Op         Op
	Not        bool    // the operator is preceded by NOT; never set with OpExists
	Value      Literal // the constant; a ListLit for OpIn; zero for OpExists
}

// StepKind is the kind of an object path step.
type StepKind uint8

// The kinds of object path steps.
const (
	StepKey      StepKind = iota + 1 // .name or .'quoted-name': a property or dictionary key
	StepIndex                        // [n]: one list item (n may be negative, as the grammar allows)
	StepAnyIndex                     // [*]: any list item
)

// Step is one step of an object path.
type Step struct {
	Kind  StepKind
	Key   string // StepKey: the property name or dictionary key, unquoted
	Index int    // StepIndex: the list index
}

// LitKind is the type of a constant.
type LitKind uint8

// The types of constants.
const (
	StringLit    LitKind = iota + 1 // 'text'
	IntLit                          // 42, -7
	FloatLit                        // 7.0, -.5
	BoolLit                         // true, false
	TimestampLit                    // t'2016-01-20T12:31:12.123Z'
	HexLit                          // h'ffd8'
	BinaryLit                       // b'dGhpcw=='
	ListLit                         // ('a', 'b'): the right side of IN
)

// Literal is a typed constant. Only the field of its Kind is set: Str for
// StringLit, Int, Float, Bool, Time (UTC) for TimestampLit, Bytes for HexLit
// and BinaryLit (decoded), List for ListLit.
type Literal struct {
	Kind  LitKind
	Str   string
	Int   int64
	Float float64
	Bool  bool
	Time  time.Time
	Bytes []byte
	List  []Literal
}

func (*Observation) obsExpr() {}
func (*Compound) obsExpr()    {}
func (*Qualified) obsExpr()   {}
func (*Comparison) compExpr() {}
func (*BoolExpr) compExpr()   {}

// add appends e to c's operands, merging a compound of the same operator.
func (c *Compound) add(e ObsExpr) {
	if d, ok := e.(*Compound); ok && d.Op == c.Op {
		c.Exprs = append(c.Exprs, d.Exprs...)
		return
	}
	c.Exprs = append(c.Exprs, e)
}

// add appends e to b's operands, merging an expression of the same operator.
func (b *BoolExpr) add(e CompExpr) {
	if d, ok := e.(*BoolExpr); ok && d.Op == b.Op {
		b.Comps = append(b.Comps, d.Comps...)
		return
	}
	b.Comps = append(b.Comps, e)
}
