package stix_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tearline/tearline/stix"
)

func str(s string) stix.Value { return stix.Value{Kind: stix.String, Str: s} }
func num(s string) stix.Value { return stix.Value{Kind: stix.Number, Str: s} }

func TestParseValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want stix.Value
	}{
		{`null`, stix.Value{Kind: stix.Null}},
		{` true `, stix.Value{Kind: stix.Bool, Bool: true}},
		{"\t\r\nfalse", stix.Value{Kind: stix.Bool}},
		{`0`, num("0")},
		{`-0`, num("-0")},
		{`1.0`, num("1.0")},
		{`-12.5e+10`, num("-12.5e+10")},
		{`1E-2`, num("1E-2")},
		{`""`, str("")},
		{`"plain"`, str("plain")},
		{`"caf\u00e9 \"q\" \\ \/ \b\f\n\r\t"`, str("café \"q\" \\ / \b\f\n\r\t")},
		{`"\ud83d\ude00 and é"`, str("😀 and é")},
		{`"\u0000"`, str("\x00")},
		{`"日本語"`, str("日本語")},
		{`[]`, stix.Value{Kind: stix.Array}},
		{`{}`, stix.Value{Kind: stix.Object}},
		{`[1, "a", [true], {"k": null}]`, stix.Value{Kind: stix.Array, Elems: []stix.Value{
			num("1"), str("a"),
			{Kind: stix.Array, Elems: []stix.Value{{Kind: stix.Bool, Bool: true}}},
			{Kind: stix.Object, Members: []stix.Member{{Name: "k", Value: stix.Value{Kind: stix.Null}}}},
		}}},
		{`{"b": 1, "a": 2, "type": "x"}`, stix.Value{Kind: stix.Object, Members: []stix.Member{
			{Name: "b", Value: num("1")}, {Name: "a", Value: num("2")}, {Name: "type", Value: str("x")},
		}}},
		{`{"\u0074ype": "escaped name"}`, stix.Value{Kind: stix.Object, Members: []stix.Member{
			{Name: "type", Value: str("escaped name")},
		}}},
		{`{"": ""}`, stix.Value{Kind: stix.Object, Members: []stix.Member{{Name: "", Value: str("")}}}},
	}
	for _, tt := range tests {
		got, err := stix.ParseValue([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseValue(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseValue(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestParseValueMaxDepth parses arrays nested exactly MaxDepth deep.
func TestParseValueMaxDepth(t *testing.T) {
	t.Parallel()
	v, err := stix.ParseValue([]byte(strings.Repeat("[", stix.MaxDepth) + strings.Repeat("]", stix.MaxDepth)))
	if err != nil {
		t.Fatal(err)
	}
	depth := 1
	for ; len(v.Elems) == 1; depth++ {
		v = v.Elems[0]
	}
	if depth != stix.MaxDepth || v.Kind != stix.Array || v.Elems != nil {
		t.Errorf("got %d nested arrays ending in %+v, want %d", depth, v, stix.MaxDepth)
	}
}

func TestParseValueErrors(t *testing.T) {
	t.Parallel()
	deep := `{"a": ` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`
	manyMembers := func(dupAt int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range 100 {
			if i > 0 {
				b.WriteString(",")
			}
			name := i
			if i == dupAt {
				name = 7
			}
			b.WriteString(`"m` + strings.Repeat("x", name%5) + string(rune('a'+name%26)) + string(rune('a'+name/26)) + `": 1`)
		}
		b.WriteString("}")
		return b.String()
	}
	tests := []struct {
		in     string
		offset int64
		path   string
		msg    string
	}{
		{``, 0, "", "empty input"},
		{`   `, 3, "", "empty input"},
		{"\xef\xbb\xbf{}", 0, "", "byte order mark"},
		{`{`, 1, "", "truncated"},
		{`{"a"`, 4, "a", "truncated"},
		{`{"a":`, 5, "a", "truncated"},
		{`{"a":1`, 6, "", "truncated"},
		{`{"a":1,`, 7, "", "truncated"},
		{`[1,2`, 4, "", "truncated"},
		{`"abc`, 4, "", "truncated"},
		{`"abc\`, 5, "", "truncated"},
		{`"\u12`, 5, "", "truncated"},
		{`tru`, 3, "", "truncated"},
		{`-`, 1, "", "truncated"},
		{`1.`, 2, "", "truncated"},
		{`1e`, 2, "", "truncated"},
		{`{"a":1} x`, 8, "", "unexpected data after the top-level value"},
		{`{"a":1}{}`, 7, "", "unexpected data after the top-level value"},
		{`{"a" 1}`, 5, "a", "expected ':'"},
		{`{"a":1 "b":2}`, 7, "", "expected ',' or '}'"},
		{`{"a":1,}`, 7, "", "expected a member name"},
		{`{a:1}`, 1, "", "expected a member name"},
		{`[1,]`, 3, "[1]", "expected a JSON value"},
		{`[1 2]`, 3, "", "expected ',' or ']'"},
		{`{"a":[1,{"b":tru}]}`, 13, "a[1].b", "invalid literal"},
		{`{"a":[1,{"b":nul}]}`, 13, "a[1].b", "invalid literal"},
		{`{"a": 01}`, 7, "", "expected ',' or '}'"},
		{`{"a": -x}`, 7, "a", "expected a digit after '-'"},
		{`{"a": 1.e5}`, 8, "a", "after the decimal point"},
		{`{"a": 1e+}`, 9, "a", "in the exponent"},
		{`{"a": +1}`, 6, "a", "expected a JSON value"},
		{`{"a": .5}`, 6, "a", "expected a JSON value"},
		{`{"a": NaN}`, 6, "a", "expected a JSON value"},
		{`{"a": 'x'}`, 6, "a", "expected a JSON value"},
		{`{"name": "a", "name": "b"}`, 14, "name", `duplicate member name "name"`},
		{`{"name": "a", "n\u0061me": "b"}`, 14, "name", `duplicate member name "name"`},
		{manyMembers(60), 0, "mxxha", `duplicate member name "mxxha"`},
		{"{\"x\": {\"name\": \"\xff\"}}", 16, "x.name", "invalid UTF-8"},
		{"{\"x\": \"ok\\n\xc3\x28\"}", 11, "x", "invalid UTF-8"},
		{"[\"\xed\xa0\x80\"]", 2, "[0]", "invalid UTF-8"},
		{`["\ud800"]`, 2, "[0]", "unpaired UTF-16 surrogate"},
		{`["\ud800\u0041"]`, 2, "[0]", "unpaired UTF-16 surrogate"},
		{`["\udc00"]`, 2, "[0]", "unpaired UTF-16 surrogate"},
		{`["\x"]`, 2, "[0]", `invalid escape sequence \x`},
		{`["\u12g4"]`, 2, "[0]", `4 hexadecimal digits`},
		{"[\"a\tb\"]", 3, "[0]", "control character 0x09"},
		{"[\"a\\n\x01\"]", 5, "[0]", "control character 0x01"},
		{deep, 6 + stix.MaxDepth - 1, "a" + strings.Repeat("[0]", stix.MaxDepth-1), "nesting deeper than 64"},
	}
	for _, tt := range tests {
		_, err := stix.ParseValue([]byte(tt.in))
		var se *stix.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseValue(%q) = %v, want a *SyntaxError", tt.in, err)
			continue
		}
		if tt.offset != 0 && se.Offset != tt.offset || se.Path != tt.path || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("ParseValue(%q) = %v (offset %d, path %q), want offset %d, path %q, message containing %q",
				tt.in, err, se.Offset, se.Path, tt.offset, tt.path, tt.msg)
		}
		if json.Valid([]byte(tt.in)) && !strings.Contains(tt.msg, "duplicate") && !strings.Contains(tt.msg, "UTF") && !strings.Contains(tt.msg, "nesting") {
			t.Errorf("ParseValue(%q) failed on input encoding/json accepts: %v", tt.in, err)
		}
	}
}

// TestParseValueLarge checks that objects past the linear duplicate scan
// keep every member and still find duplicates.
func TestParseValueLarge(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("{")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k`)
		b.WriteString(strings.Repeat("z", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(string(rune('a' + i/26%26)))
		b.WriteString(`":"v"`)
	}
	v, err := stix.ParseValue([]byte(b.String() + "}"))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Members) != 1000 {
		t.Errorf("got %d members, want 1000", len(v.Members))
	}
	if _, err := stix.ParseValue([]byte(b.String() + `,"kzzzzzzjm": 1}`)); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate among 1000 members: got %v", err)
	}
}

func TestSyntaxErrorString(t *testing.T) {
	t.Parallel()
	_, err := stix.ParseValue([]byte(`{"a": [1, x]}`))
	if got, want := err.Error(), "invalid JSON at a[1] (byte 10): expected a JSON value, found 'x'"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	_, err = stix.ParseValue([]byte(`[1] 2`))
	if got, want := err.Error(), "invalid JSON at byte 4: unexpected data after the top-level value: '2'"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestValueGet(t *testing.T) {
	t.Parallel()
	v, err := stix.ParseValue([]byte(`{"type": "indicator", "n": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.GetString("type"); got != "indicator" {
		t.Errorf("GetString(type) = %q", got)
	}
	if got := v.GetString("n"); got != "" {
		t.Errorf("GetString(n) = %q, want empty for a number", got)
	}
	if v.Get("missing") != nil {
		t.Error("Get(missing) != nil")
	}
	for k, want := range map[stix.Kind]string{stix.Null: "null", stix.Bool: "boolean", stix.Number: "number",
		stix.String: "string", stix.Object: "object", stix.Array: "array", stix.Kind(42): "kind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

// TestParseValueStringBlocks moves each kind of special byte through every
// position of an eight-byte block, for the fast path of string scanning.
func TestParseValueStringBlocks(t *testing.T) {
	t.Parallel()
	for _, special := range []string{`\"`, `\\`, `\n`, "é", "\x00", "\x1f", "\x7f", "\xff", `"`} {
		for pos := range 17 {
			s := strings.Repeat("a", pos) + special + strings.Repeat("b", 16-pos)
			in := `"` + s + `"`
			v, err := stix.ParseValue([]byte(in))
			var want any
			jerr := json.Unmarshal([]byte(in), &want)
			valid := jerr == nil && utf8.ValidString(s)
			if valid != (err == nil) {
				t.Errorf("ParseValue(%q): %v; encoding/json: %v", in, err, jerr)
				continue
			}
			if err == nil && v.Str != want {
				t.Errorf("ParseValue(%q) = %q, want %q", in, v.Str, want)
			}
		}
	}
}
