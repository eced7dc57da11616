package pattern_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/stix/pattern"
)

// Builders for expected trees.

func key(k string) pattern.Step { return pattern.Step{Kind: pattern.StepKey, Key: k} }
func idx(i int) pattern.Step    { return pattern.Step{Kind: pattern.StepIndex, Index: i} }
func anyIdx() pattern.Step      { return pattern.Step{Kind: pattern.StepAnyIndex} }

func str(s string) pattern.Literal   { return pattern.Literal{Kind: pattern.StringLit, Str: s} }
func num(n int64) pattern.Literal    { return pattern.Literal{Kind: pattern.IntLit, Int: n} }
func flt(f float64) pattern.Literal  { return pattern.Literal{Kind: pattern.FloatLit, Float: f} }
func boolean(b bool) pattern.Literal { return pattern.Literal{Kind: pattern.BoolLit, Bool: b} }
func ts(s string) pattern.Literal {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return pattern.Literal{Kind: pattern.TimestampLit, Time: t}
}
func hexLit(b ...byte) pattern.Literal {
	return pattern.Literal{Kind: pattern.HexLit, Bytes: append([]byte{}, b...)}
}
func binLit(b string) pattern.Literal {
	return pattern.Literal{Kind: pattern.BinaryLit, Bytes: []byte(b)}
}
func list(ls ...pattern.Literal) pattern.Literal {
	return pattern.Literal{Kind: pattern.ListLit, List: append([]pattern.Literal{}, ls...)}
}

// cmpr builds typ:path op value, the path given as steps.
func cmpr(typ string, op pattern.Op, v pattern.Literal, path ...pattern.Step) *pattern.Comparison {
	return &pattern.Comparison{ObjectType: typ, Path: path, Op: op, Value: v}
}

// eq builds a:<name> = n, the common shape of precedence tests.
func eq(name string, n int64) *pattern.Comparison {
	return cmpr("a", pattern.OpEqual, num(n), key(name))
}

func and(cs ...pattern.CompExpr) *pattern.BoolExpr {
	return &pattern.BoolExpr{Op: pattern.BoolAnd, Comps: cs}
}
func or(cs ...pattern.CompExpr) *pattern.BoolExpr {
	return &pattern.BoolExpr{Op: pattern.BoolOr, Comps: cs}
}

func obs(c pattern.CompExpr) *pattern.Observation { return &pattern.Observation{Comp: c} }
func oand(es ...pattern.ObsExpr) *pattern.Compound {
	return &pattern.Compound{Op: pattern.ObsAnd, Exprs: es}
}
func oor(es ...pattern.ObsExpr) *pattern.Compound {
	return &pattern.Compound{Op: pattern.ObsOr, Exprs: es}
}
func ofb(es ...pattern.ObsExpr) *pattern.Compound {
	return &pattern.Compound{Op: pattern.ObsFollowedBy, Exprs: es}
}
func qual(e pattern.ObsExpr, qs ...pattern.Qualifier) *pattern.Qualified {
	return &pattern.Qualified{Expr: e, Qualifiers: qs}
}
func within(s float64) pattern.Qualifier {
	return pattern.Qualifier{Kind: pattern.QualWithin, Seconds: s}
}
func repeats(n int64) pattern.Qualifier {
	return pattern.Qualifier{Kind: pattern.QualRepeats, Times: n}
}
func startStop(a, b string) pattern.Qualifier {
	return pattern.Qualifier{Kind: pattern.QualStartStop, Start: ts(a).Time, Stop: ts(b).Time}
}

// TestTrees checks the trees of patterns: precedence, associativity,
// flattening, qualifier binding, paths and every form of constant.
func TestTrees(t *testing.T) {
	b1, b2, b3, b4 := obs(eq("b", 1)), obs(eq("b", 2)), obs(eq("b", 3)), obs(eq("b", 4))
	tests := []struct {
		name, in string
		want     pattern.ObsExpr
	}{
		{"single", "[a:b = 1]", b1},
		{"AND over OR in an observation", "[a:b = 1 OR a:c = 2 AND a:d = 3]", obs(or(eq("b", 1), and(eq("c", 2), eq("d", 3))))},
		{"AND over OR, left", "[a:b = 1 AND a:c = 2 OR a:d = 3]", obs(or(and(eq("b", 1), eq("c", 2)), eq("d", 3)))},
		{"parentheses in an observation", "[(a:b = 1 OR a:c = 2) AND a:d = 3]", obs(and(or(eq("b", 1), eq("c", 2)), eq("d", 3)))},
		{"chains flatten", "[a:b = 1 OR a:b = 2 OR a:b = 3 OR a:b = 4]", obs(or(eq("b", 1), eq("b", 2), eq("b", 3), eq("b", 4)))},
		{"same-operator groups merge", "[a:b = 1 OR (a:b = 2 OR (a:b = 3))]", obs(or(eq("b", 1), eq("b", 2), eq("b", 3)))},
		{"AND over OR over FOLLOWEDBY", "[a:b = 1] AND [a:b = 2] OR [a:b = 3] FOLLOWEDBY [a:b = 4]", ofb(oor(oand(b1, b2), b3), b4)},
		{"FOLLOWEDBY under AND", "[a:b = 1] FOLLOWEDBY [a:b = 2] AND [a:b = 3]", ofb(b1, oand(b2, b3))},
		{"OR under AND", "[a:b = 1] OR [a:b = 2] AND [a:b = 3] OR [a:b = 4]", oor(b1, oand(b2, b3), b4)},
		{"grouping", "([a:b = 1] FOLLOWEDBY [a:b = 2]) AND [a:b = 3]", oand(ofb(b1, b2), b3)},
		{"observation chains flatten", "[a:b = 1] AND ([a:b = 2] AND [a:b = 3]) AND [a:b = 4]", oand(b1, b2, b3, b4)},
		{"redundant parentheses", "(([a:b = 1]))", b1},
		{"qualifier binds to the last observation", "[a:b = 1] FOLLOWEDBY [a:b = 2] REPEATS 5 TIMES", ofb(b1, qual(b2, repeats(5)))},
		{"qualifier on a group", "([a:b = 1] FOLLOWEDBY [a:b = 2]) REPEATS 5 TIMES", qual(ofb(b1, b2), repeats(5))},
		{"qualifiers in order", "[a:b = 1] REPEATS 2 TIMES WITHIN 1.5 SECONDS START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
			qual(b1, repeats(2), within(1.5), startStop("2016-06-01T00:00:00Z", "2016-07-01T00:00:00Z"))},
		{"qualified group qualified again", "([a:b = 1] WITHIN 5 SECONDS) WITHIN 6 SECONDS", qual(qual(b1, within(5)), within(6))},
		{"WITHIN with a plus", "[a:b = 1] WITHIN +5 SECONDS", qual(b1, within(5))},
		{"WITHIN beyond integers", "[a:b = 1] WITHIN 100000000000000000000.0 SECONDS", qual(b1, within(1e20))},
		{"paths", "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
			obs(cmpr("file", pattern.OpGreater, flt(7), key("extensions"), key("windows-pebinary-ext"), key("sections"), anyIdx(), key("entropy")))},
		{"index forms", "[a:'b c'[0].d[-1][+2] = 'x']", obs(cmpr("a", pattern.OpEqual, str("x"), key("b c"), idx(0), key("d"), idx(-1), idx(2)))},
		{"quoted keyword key", "[a:'AND'.'true' = 1]", obs(cmpr("a", pattern.OpEqual, num(1), key("AND"), key("true")))},
		{"NOT", "[a:b NOT = 1 AND a:c NOT IN (1, 2) AND a:d NOT LIKE 'x%' AND a:e NOT MATCHES 'y']", obs(and(
			&pattern.Comparison{ObjectType: "a", Path: []pattern.Step{key("b")}, Op: pattern.OpEqual, Not: true, Value: num(1)},
			&pattern.Comparison{ObjectType: "a", Path: []pattern.Step{key("c")}, Op: pattern.OpIn, Not: true, Value: list(num(1), num(2))},
			&pattern.Comparison{ObjectType: "a", Path: []pattern.Step{key("d")}, Op: pattern.OpLike, Not: true, Value: str("x%")},
			&pattern.Comparison{ObjectType: "a", Path: []pattern.Step{key("e")}, Op: pattern.OpMatches, Not: true, Value: str("y")}))},
		{"EXISTS", "[EXISTS a:b.c]", obs(&pattern.Comparison{ObjectType: "a", Path: []pattern.Step{key("b"), key("c")}, Op: pattern.OpExists})},
		{"== and <>", "[a:b == 1 AND a:c <> 2]", obs(and(eq("b", 1), cmpr("a", pattern.OpNotEqual, num(2), key("c"))))},
		{"operators", "[a:b > 1 AND a:b >= 2 AND a:b < 3 AND a:b <= 4 AND a:b != 5]", obs(and(
			cmpr("a", pattern.OpGreater, num(1), key("b")), cmpr("a", pattern.OpGreaterEqual, num(2), key("b")),
			cmpr("a", pattern.OpLess, num(3), key("b")), cmpr("a", pattern.OpLessEqual, num(4), key("b")),
			cmpr("a", pattern.OpNotEqual, num(5), key("b"))))},
		{"string escapes", `[a:b = 'it\'s a \\ back\\slash']`, obs(cmpr("a", pattern.OpEqual, str(`it's a \ back\slash`), key("b")))},
		{"string with line break and unicode", "[a:b = 'l1\nl2 é ✓']", obs(cmpr("a", pattern.OpEqual, str("l1\nl2 é ✓"), key("b")))},
		{"empty string", "[a:b = '']", obs(cmpr("a", pattern.OpEqual, str(""), key("b")))},
		{"integers", "[a:b IN (0, -0, 7, +7, -9223372036854775808, 9223372036854775807)]", obs(cmpr("a", pattern.OpIn,
			list(num(0), num(0), num(7), num(7), num(-9223372036854775808), num(9223372036854775807)), key("b")))},
		{"floats", "[a:b IN (0.5, .5, -.5, +1.25, 00.10, 1)]", obs(cmpr("a", pattern.OpIn,
			list(flt(0.5), flt(0.5), flt(-0.5), flt(1.25), flt(0.1), num(1)), key("b")))},
		{"booleans", "[a:b = true OR a:b != false]", obs(or(cmpr("a", pattern.OpEqual, boolean(true), key("b")), cmpr("a", pattern.OpNotEqual, boolean(false), key("b"))))},
		{"timestamps", "[a:b IN (t'2016-02-29T23:59:60Z', t'2016-01-01T00:00:00.1234567891Z')]", obs(cmpr("a", pattern.OpIn,
			list(ts("2016-03-01T00:00:00Z"), ts("2016-01-01T00:00:00.123456789Z")), key("b")))},
		{"hex", "[a:b IN (h'', h'00fF', h'DEAD')]", obs(cmpr("a", pattern.OpIn, list(hexLit(), hexLit(0, 255), hexLit(0xde, 0xad)), key("b")))},
		{"binary", "[a:b IN (b'ABI=', b'dGhp\ncw==', b'YWJj')]", obs(cmpr("a", pattern.OpIn, list(binLit("\x00\x12"), binLit("this"), binLit("abc")), key("b")))},
		{"empty set", "[a:b IN ()]", obs(cmpr("a", pattern.OpIn, list(), key("b")))},
		{"hyphenated types", "[x-custom-type:x_prop = 1]", obs(cmpr("x-custom-type", pattern.OpEqual, num(1), key("x_prop")))},
		{"no white space", "[a:b=1]AND[a:b=2]WITHIN 5SECONDS", oand(b1, qual(b2, within(5)))},
		{"white space and comments", "\u00a0[ a:b /* one */ = 1 ]\t\r\n// trailing\n AND\u3000[a:b=2]//end", oand(b1, b2)},
		{"ISSUBSET", "[ipv4-addr:value ISSUBSET '198.51.100.0/24' OR ipv6-addr:value NOT ISSUPERSET '2001:db8::1']", obs(or(
			cmpr("ipv4-addr", pattern.OpIsSubset, str("198.51.100.0/24"), key("value")),
			&pattern.Comparison{ObjectType: "ipv6-addr", Path: []pattern.Step{key("value")}, Op: pattern.OpIsSuperset, Not: true, Value: str("2001:db8::1")}))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := pattern.Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.Expr); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.in, diff)
			}
			roundTrip(t, p)
		})
	}
}
