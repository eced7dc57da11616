package pattern_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tearline/tearline/stix/pattern"
)

// malformed are patterns the grammar or the specification rejects, each
// with the complete error it must draw: column (in characters) and message.
var malformed = []struct{ in, err string }{
	{"",
		"pattern: column 1: expected \"[\" or \"(\" to start an observation expression, found the end of the pattern"},
	{"file:size = 1280",
		"pattern: column 1: expected \"[\" or \"(\" to start an observation expression, found \"file\""},
	{"[file:size = ]",
		"pattern: column 14: expected a constant after =, found \"]\""},
	{"[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]",
		"pattern: column 20: expected a constant after =, found \"cead3f77f6cda6ec00f57d76c9a687…\""},
	{"[file.size = 1280]",
		"pattern: column 6: expected \":\" after the object type \"file\", found \".\""},
	{"[file:name MATCHES /.*\\.dll/]",
		"pattern: column 20: unexpected character '/'"},
	{"[win-registry-key:key = 'x'] WITHIN ]",
		"pattern: column 37: expected a positive number of seconds after WITHIN, found \"]\""},
	{"[a:b = 1] WITHIN 5 HOURS",
		"pattern: column 20: expected SECONDS (WITHIN counts in seconds), found \"HOURS\""},
	{"[a:b = 1] WITHIN -5 SECONDS",
		"pattern: column 18: expected a positive number of seconds after WITHIN, found \"-5\""},
	{"[a:b = 1] WITHIN 0 SECONDS",
		"pattern: column 18: WITHIN needs a positive number of seconds, not 0"},
	{"[a:b = 1] WITHIN 0.0 SECONDS",
		"pattern: column 18: WITHIN needs a positive number of seconds, not 0.0"},
	{"[network-traffic:dst_ref.value ISSUBSET ]",
		"pattern: column 41: expected a string constant after ISSUBSET, found \"]\""},
	{"[file:hashes.MD5 =? 'x']",
		"pattern: column 19: unexpected character '?'"},
	{"[x_whatever:detected == t'2457-73-22T32:81:84.1Z']",
		"pattern: column 25: invalid timestamp t'2457-73-22T32:81:84.1Z': month out of range"},
	{"[artifact:payload_bin = b'====']",
		"pattern: column 25: invalid binary constant b'====': not valid base64: '=' may only pad the last group of 4"},
	{"[foo:bar=1] within 2 seconds",
		"pattern: column 13: expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern, found \"within\" (keywords are upper case)"},
	{"[a:b = 1] WITHIN 5 SECONDS WITHIN 6 SECONDS",
		"pattern: column 28: an observation expression must not have more than one WITHIN qualifier"},
	{"[a:b = 1] REPEATS 2 TIMES REPEATS 3 TIMES",
		"pattern: column 27: an observation expression must not have more than one REPEATS qualifier"},
	{"[a:b = 1] START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z' START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'",
		"pattern: column 70: an observation expression must not have more than one START qualifier"},
	{"[a:b = 1] REPEATS 0 TIMES",
		"pattern: column 19: REPEATS needs a positive number of times, not 0"},
	{"[a:b = 1] REPEATS 2.5 TIMES",
		"pattern: column 19: expected a positive integer after REPEATS, found \"2.5\""},
	{"[a:b = 1] REPEATS 2 SECONDS",
		"pattern: column 21: expected TIMES after REPEATS 2, found \"SECONDS\""},
	{"[a:b = 1] START t'2016-01-01T00:00:00Z' STOP t'2015-01-01T00:00:00Z'",
		"pattern: column 46: STOP t'2015-01-01T00:00:00Z' must be later than START t'2016-01-01T00:00:00Z'"},
	{"[a:b = 1] START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00.000Z'",
		"pattern: column 46: STOP t'2016-01-01T00:00:00.000Z' must be later than START t'2016-01-01T00:00:00Z'"},
	{"[a:b = 1] START '2016-01-01T00:00:00Z' STOP '2017-01-01T00:00:00Z'",
		"pattern: column 17: expected a timestamp t'...' after START, found the string '2016-01-01T00:00:00Z' (STIX 2.1 writes qualifier times as t'...')"},
	{"[a:b = 1] START t'2016-01-01T00:00:00Z'",
		"pattern: column 40: expected STOP after START t'2016-01-01T00:00:00Z', found the end of the pattern"},
	{"[a:b > true]",
		"pattern: column 8: > cannot compare booleans, which have no order; use = or !="},
	{"[a:b IN (1, 'x')]",
		"pattern: column 13: the constants after IN must be of one type, but this one is a string and the first is an integer"},
	{"[a:b IN (1, 2.5, true)]",
		"pattern: column 18: the constants after IN must be of one type, but this one is a boolean and the first is an integer"},
	{"[a:b IN 1]",
		"pattern: column 9: expected \"(\" and a list of constants after IN, found \"1\""},
	{"[a:b IN (1 2)]",
		"pattern: column 12: expected \",\" or \")\", found \"2\""},
	{"[a:b IN (1,)]",
		"pattern: column 12: expected a constant, found \")\""},
	{"[a:b LIKE 5]",
		"pattern: column 11: expected a string constant after LIKE, found \"5\""},
	{"[a:b MATCHES '(?<=x)y']",
		"pattern: column 14: MATCHES needs a regular expression that Go's RE2 engine accepts (STIX names PCRE, whose backreferences and lookaround RE2 lacks): error parsing regexp: invalid named capture: `(?<=x)y`"},
	{"[a:b MATCHES '(a)\\\\1']",
		"pattern: column 14: MATCHES needs a regular expression that Go's RE2 engine accepts (STIX names PCRE, whose backreferences and lookaround RE2 lacks): error parsing regexp: invalid escape sequence: `\\1`"},
	{"[a:b MATCHES 'a{2000}']",
		"pattern: column 14: MATCHES needs a regular expression that Go's RE2 engine accepts (STIX names PCRE, whose backreferences and lookaround RE2 lacks): error parsing regexp: invalid repeat count: `{2000}`"},
	{"[ipv4-addr:value ISSUBSET '300.1.1.1/8']",
		"pattern: column 27: ISSUBSET needs an IP address or CIDR block such as '198.51.100.0/24', not '300.1.1.1/8'"},
	{"[ipv4-addr:value ISSUBSET 'example.com']",
		"pattern: column 27: ISSUBSET needs an IP address or CIDR block such as '198.51.100.0/24', not 'example.com'"},
	{"[ipv4-addr:value ISSUBSET 'fe80::1%eth0']",
		"pattern: column 27: ISSUBSET needs an IP address or CIDR block such as '198.51.100.0/24', not 'fe80::1%eth0'"},
	{"[ipv6-addr:value ISSUPERSET '10.0.0.0/8']",
		"pattern: column 29: '10.0.0.0/8' is an IPv4 address or block, but ipv6-addr:value holds IPv6 addresses"},
	{"[file:name ISSUBSET '10.0.0.0/8']",
		"pattern: column 2: ISSUBSET compares IP addresses: its left side must be the value of an ipv4-addr or ipv6-addr object, such as ipv4-addr:value or network-traffic:dst_ref.value, not file:name"},
	{"[domain-name:value ISSUBSET '10.0.0.0/8']",
		"pattern: column 2: ISSUBSET compares IP addresses: its left side must be the value of an ipv4-addr or ipv6-addr object, such as ipv4-addr:value or network-traffic:dst_ref.value, not domain-name:value"},
	{"[a:b = 'x' AND c:d = 'y']",
		"pattern: column 16: comparisons joined by AND must hold for one object, but this one is about c and those before it about a; join them with OR, or put them in two observation expressions: [...] AND [...]"},
	{"[(a:b = 1 OR c:d = 2) AND e:f = 3]",
		"pattern: column 27: comparisons joined by AND must hold for one object, but this one is about e and those before it about a or c; join them with OR, or put them in two observation expressions: [...] AND [...]"},
	{"[a:b = 'unterminated]",
		"pattern: column 8: string starting here is not closed with \"'\""},
	{"[a:b = 'bad \\n escape']",
		"pattern: column 13: invalid escape \"\\\\n\" in a string: only \\' and \\\\ are allowed (write \\\\ for a backslash)"},
	{"[a:b = 007]",
		"pattern: column 8: integer 007 must not have leading zeros"},
	{"[a:b = 99999999999999999999]",
		"pattern: column 8: integer 99999999999999999999 does not fit in 64 bits"},
	{"[a:b = 1.]",
		"pattern: column 9: expected \"]\", AND or OR, found \".\""},
	{"[a:b = h'abc']",
		"pattern: column 8: invalid hex constant h'abc': it needs an even number of hexadecimal digits"},
	{"[a:b = h'zz']",
		"pattern: column 8: invalid hex constant h'zz': only the digits 0-9, a-f and A-F are allowed"},
	{"[a:b = b'']",
		"pattern: column 8: invalid binary constant b'': it is empty"},
	{"[a:b = b'abc']",
		"pattern: column 8: invalid binary constant b'abc': base64 needs a multiple of 4 characters, padded with ="},
	{"[a:b = b'ab=c']",
		"pattern: column 8: invalid binary constant b'ab=c': not valid base64: '=' may only pad the last group of 4"},
	{"[a:b = t'2016-02-30T00:00:00Z']",
		"pattern: column 8: invalid timestamp t'2016-02-30T00:00:00Z': day out of range for the month"},
	{"[a:b = t'2016-01-01T00:00:00+01:00']",
		"pattern: column 8: invalid timestamp t'2016-01-01T00:00:00+01:00': must end in \"Z\": timestamps are in UTC, without offsets"},
	{"[a:b = t'2016-01-01 00:00:00Z']",
		"pattern: column 8: invalid timestamp t'2016-01-01 00:00:00Z': expected YYYY-MM-DDTHH:MM:SS[.fraction]Z"},
	{"[a:b = t'2016-01-01T12:00:60Z']",
		"pattern: column 8: invalid timestamp t'2016-01-01T12:00:60Z': second out of range (a leap second is 23:59:60)"},
	{"[a:b = t'2016-01-01T00:00:00.Z']",
		"pattern: column 8: invalid timestamp t'2016-01-01T00:00:00.Z': expected digits after the decimal point"},
	{"[a:b = t'9999-12-31T23:59:60Z']",
		"pattern: column 8: invalid timestamp t'9999-12-31T23:59:60Z': a leap second at the end of 9999 is past the last timestamp"},
	{"[a:b = TRUE]",
		"pattern: column 8: expected a constant after =, found \"TRUE\" (true and false are lower case)"},
	{"[a:b-c = 1]",
		"pattern: column 4: property name \"b-c\" contains \"-\": quote it, 'b-c'"},
	{"[a:b.c-d = 1]",
		"pattern: column 6: property name \"c-d\" contains \"-\": quote it, 'c-d'"},
	{"[a:IN = 1]",
		"pattern: column 4: IN is a keyword: quote it to use it as a property name, 'IN'"},
	{"[a:b.true = 1]",
		"pattern: column 6: true is a keyword: quote it to use it as a property name, 'true'"},
	{"[a:b.5 = 1]",
		"pattern: column 5: expected \".\", \"[\", a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) or NOT, found \".5\""},
	{"[a:b[x] = 1]",
		"pattern: column 6: expected a list index: an integer or *, found \"x\""},
	{"[a:b[0 = 1]",
		"pattern: column 8: expected \"]\" after the list index, found \"=\""},
	{"[a:b[99999999999999999999] = 1]",
		"pattern: column 6: integer 99999999999999999999 does not fit in 64 bits"},
	{"[a:b = 1",
		"pattern: column 9: expected \"]\", AND or OR, found the end of the pattern"},
	{"[a:b = 1]]",
		"pattern: column 10: expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern, found \"]\""},
	{"([a:b = 1]",
		"pattern: column 11: expected \")\", AND, OR, FOLLOWEDBY, WITHIN, REPEATS or START, found the end of the pattern"},
	{"[a:b = 1] AND",
		"pattern: column 14: expected \"[\" or \"(\" to start an observation expression, found the end of the pattern"},
	{"[]",
		"pattern: column 2: expected an object path such as file:name, EXISTS or \"(\", found \"]\""},
	{"[a:b NOT EXISTS]",
		"pattern: column 10: expected a comparison operator after NOT, found \"EXISTS\""},
	{"[NOT a:b = 1]",
		"pattern: column 2: expected an object path such as file:name, EXISTS or \"(\", found \"NOT\""},
	{"[a:b = 1 FOLLOWEDBY a:c = 2]",
		"pattern: column 10: expected \"]\", AND or OR, found \"FOLLOWEDBY\""},
	{"[a:b = \"x\"]",
		"pattern: column 8: unexpected '\"': strings and quoted property names use apostrophes ('...')"},
	{"[a:b = 1] /* open comment",
		"pattern: column 11: comment \"/*\" is not closed with \"*/\""},
	{"[a:b ! 1]",
		"pattern: column 6: unexpected \"!\": the not-equal operator is \"!=\""},
	{"[a:b = 'é'] AND [a:ü = 1]",
		"pattern: column 20: unexpected character 'ü'"},
	{"[a:b = -]",
		"pattern: column 8: unexpected character '-'"},
	{"[a:b LAST 1]",
		"pattern: column 6: expected \".\", \"[\", a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET) or NOT, found \"LAST\""},
	{"[a:b = 1] and [a:b = 2]",
		"pattern: column 11: expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern, found \"and\" (keywords are upper case)"},
	{"[a:b = 1] AND ([a:b = 2]",
		"pattern: column 25: expected \")\", AND, OR, FOLLOWEDBY, WITHIN, REPEATS or START, found the end of the pattern"},
	{"[a:b = (1)]",
		"pattern: column 8: expected a constant after =, found \"(\""},
	{"[:b = 1]",
		"pattern: column 2: expected an object path such as file:name, EXISTS or \"(\", found \":\""},
	{"[a: = 1]",
		"pattern: column 5: expected a property name, found \"=\""},
	{"[a:b = 1]x",
		"pattern: column 10: expected AND, OR, FOLLOWEDBY, WITHIN, REPEATS, START or the end of the pattern, found \"x\""},
	{"[a:b = 1] AND [a:b = 2] OR",
		"pattern: column 27: expected \"[\" or \"(\" to start an observation expression, found the end of the pattern"},
	{"[a:b = '\xff']", "pattern: column 9: the pattern is not valid UTF-8"},
}

func TestMalformed(t *testing.T) {
	for _, tc := range malformed {
		_, err := pattern.Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %s", tc.in, tc.err)
			continue
		}
		var pe *pattern.Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): error %v is a %T, not a *pattern.Error", tc.in, err, err)
			continue
		}
		if err.Error() != tc.err {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tc.in, err, tc.err)
		}
		if pe.Offset < 0 || pe.Offset > len(tc.in) || utf8.RuneCountInString(tc.in[:pe.Offset])+1 != pe.Column {
			t.Errorf("Parse(%q): column %d and offset %d disagree", tc.in, pe.Column, pe.Offset)
		}
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	ok := func(p pattern.Parser, s string) *pattern.Pattern {
		t.Helper()
		pat, err := p.Parse(s)
		if err != nil {
			t.Fatalf("%.60s...: %v", s, err)
		}
		return pat
	}
	fails := func(p pattern.Parser, s, want string) {
		t.Helper()
		if _, err := p.Parse(s); err == nil || err.Error() != want {
			t.Errorf("%.60s...:\n got %v\nwant %s", s, err, want)
		}
	}
	var def pattern.Parser
	nest := func(n int) string {
		return strings.Repeat("(", n) + "[a:b = 1]" + strings.Repeat(")", n)
	}
	// MaxDepth counts the brackets of the observation too.
	ok(def, nest(pattern.MaxDepth-1))
	fails(def, nest(pattern.MaxDepth), "pattern: column 101: brackets and parentheses are nested more than 100 deep")
	fails(def, strings.Repeat("(", 100000), "pattern: column 101: brackets and parentheses are nested more than 100 deep")
	fails(def, "["+strings.Repeat("(", 100000), "pattern: column 101: brackets and parentheses are nested more than 100 deep")
	fails(pattern.Parser{MaxDepth: 2}, "[(a:b = 1 OR (a:c = 2))]", "pattern: column 14: brackets and parentheses are nested more than 2 deep")

	// Long chains are flat, not deep.
	const n = 2000
	chain := "[" + strings.Repeat("a:b = 1 OR ", n-1) + "a:b = 1]" + strings.Repeat(" FOLLOWEDBY [a:c = 'x']", n)
	pat := ok(def, chain)
	fb := pat.Expr.(*pattern.Compound)
	if len(fb.Exprs) != n+1 || len(fb.Exprs[0].(*pattern.Observation).Comp.(*pattern.BoolExpr).Comps) != n {
		t.Errorf("chains of %d were not flattened", n)
	}
	if s := ok(def, pat.String()).String(); s != pat.String() {
		t.Errorf("the canonical form of a long chain changes when parsed again")
	}

	long := "[a:b = '" + strings.Repeat("x", pattern.MaxLength) + "']"
	fails(def, long, "pattern: column 1: the pattern is 1048586 bytes long, longer than the limit of 1048576")
	fails(pattern.Parser{MaxLength: 8}, "[a:b = 1]", "pattern: column 1: the pattern is 9 bytes long, longer than the limit of 8")
	ok(pattern.Parser{MaxLength: 9}, "[a:b = 1]")
}
