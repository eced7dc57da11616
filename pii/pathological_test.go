package pii

import (
	"fmt"
	"strings"
	"testing"
)

// pathological are inputs built to make a naive scanner slow: long runs of
// what candidates are made of, with no end or a wrong end. Each must be
// scanned in linear time; count is the number of spans it holds, of kind
// kind.
var pathological = []struct {
	name  string
	text  func(n int) string
	count func(n int) int
	kind  Kind
}{
	{"digits", func(n int) string { return strings.Repeat("7", n) }, zero, 0},
	{"at-signs", func(n int) string { return strings.Repeat("a@", n/2) }, zero, 0},
	{"dashed-ones", func(n int) string { return strings.Repeat("1-", n/2) }, zero, 0},
	{"spaced-ones", func(n int) string { return strings.Repeat("1 ", n/2) }, zero, 0},
	{"dotted-digits", func(n int) string { return strings.Repeat("12.", n/3) }, zero, 0},
	{"separators", func(n int) string { return "4111" + strings.Repeat(" -", n/2) + "1111" }, zero, 0},
	{"plus-digits", func(n int) string { return strings.Repeat("+1", n/2) }, zero, 0},
	{"plus-groups", func(n int) string { return strings.Repeat("+1 23 ", n/6) }, zero, 0},
	{"local-part", func(n int) string { return strings.Repeat("a.", n/2) + "@corp.com" }, zero, 0},
	{"domain", func(n int) string { return "john@" + strings.Repeat("a.", n/2) }, zero, 0},
	{"dots-at", func(n int) string { return strings.Repeat(".@", n/2) }, zero, 0},
	{"upper-digits", func(n int) string { return strings.Repeat("DE89", n/4) }, zero, 0},
	{"passport", func(n int) string { return strings.Repeat("passport no ", n/12) }, zero, 0},
	{"street-words", func(n int) string { return "12 " + strings.Repeat("Main ", n/5) }, zero, 0},
	{"street-numbers", func(n int) string { return strings.Repeat("12 Main ", n/8) }, zero, 0},
	{"strasse", func(n int) string { return strings.Repeat("str", n/3) }, zero, 0},
	{"ssn-keyword", func(n int) string { return strings.Repeat("ssn 12345678 ", n/13) }, zero, 0},
	{"invalid-utf8", func(n int) string { return strings.Repeat("\xff\xc3@\x80+1", n/6) }, zero, 0},
	{"parens", func(n int) string { return strings.Repeat("(", n) }, zero, 0},
	{"phones", func(n int) string { return strings.Repeat("+1 202-555-0143 ", n/16) },
		func(n int) int { return n / 16 }, Phone},
	// Past phoneBudget numbers of possible length are taken without the
	// full check (flagging too much is the safe side).
	{"invalid-phones", func(n int) string { return strings.Repeat("+1 555 123 4567 ", n/16) },
		func(n int) int { return n/16 - phoneBudget }, Phone},
	{"emails", func(n int) string { return strings.Repeat("jo@corp.com ", n/12) },
		func(n int) int { return n / 12 }, Email},
	{"cards", func(n int) string { return strings.Repeat("4111111111111111, ", n/18) },
		func(n int) int { return n / 18 }, Card},
}

func zero(int) int { return 0 }

// TestPathological feeds megabytes of each pathological input: detection
// must finish (the test's own deadline bounds it) and find exactly the
// personal data the input holds.
func TestPathological(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	for _, p := range pathological {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			n := size
			if p.name == "digits" {
				n = 4 << 20
			}
			text := p.text(n)
			spans := ScanText(text)
			checkSpans(t, text, spans)
			if want := p.count(n); len(spans) != want {
				t.Fatalf("%d spans, want %d", len(spans), want)
			}
			for _, sp := range spans {
				if sp.Kind != p.kind {
					t.Fatalf("span %+v (%q), want kind %v", sp, text[sp.Start:sp.End], p.kind)
				}
			}
		})
	}
}

// BenchmarkPathological scans each pathological input at sizes growing by
// four: the ns/op of a workload must grow by about four from one size to
// the next (linear cost), which MB/s shows as a constant.
func BenchmarkPathological(b *testing.B) {
	for _, p := range pathological {
		for _, n := range []int{16 << 10, 64 << 10, 256 << 10, 1 << 20} {
			text := p.text(n)
			b.Run(fmt.Sprintf("%s/%dKiB", p.name, n>>10), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					ScanText(text)
				}
			})
		}
	}
}
