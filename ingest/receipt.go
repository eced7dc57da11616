package ingest

import (
	"strconv"
	"strings"
)

// Warning is one note on the receipt of an object that was stored or held:
// a code saying what happened, and arguments saying where. Warnings appear
// in the message of the object's TAXII status detail (see FormatWarnings),
// so each code and argument is one token without spaces or semicolons.
type Warning struct {
	Code string
	Args []string
}

// Warning codes. More may be added; readers should ignore codes they do
// not know.
const (
	// WarnDuplicate: the collection held the identical version already
	// (tearline.Duplicate); nothing was stored again. No arguments.
	WarnDuplicate = "duplicate"
	// WarnPIIRedacted: personal data was replaced by [REDACTED:kind]
	// before storing; one PIIArg per span (at most MaxSpanArgs, then +N).
	WarnPIIRedacted = "pii-redacted"
	// WarnPIIHeld: the object is held for review and not stored; the
	// first argument is review=ID, then the spans as for WarnPIIRedacted.
	WarnPIIHeld = "pii-held"
	// WarnPIIApproved: an analyst approved the held object; the argument
	// is how it was stored: as-is, redacted or edited.
	WarnPIIApproved = "pii-approved"
	// WarnWarningList: values of the object are on warning lists (package
	// warnlist), which lowers its confidence score; one WarningListArg,
	// VALUE(LIST), per hit.
	WarnWarningList = "warning-list"
	// WarnLowContext: an indicator's context score (package score) is
	// low; the arguments are the score and missing=F1,F2,... naming what
	// it lacks (score.MissingTokens), as in
	// "low-context 15 missing=kill-chain-phases,related-actor".
	WarnLowContext = "low-context"
)

// String returns the warning as it appears in a message: the code, then
// each argument, separated by spaces.
func (w Warning) String() string {
	if len(w.Args) == 0 {
		return w.Code
	}
	return w.Code + " " + strings.Join(w.Args, " ")
}

// warningsPrefix starts a message that lists warnings.
const warningsPrefix = "warnings: "

// FormatWarnings returns the message of a receipt with warnings ws:
// "warnings: " and the warnings separated by "; ", such as
//
//	warnings: pii-redacted description(email,23) labels[1](phone,15); duplicate
//
// It returns "" when there are none.
func FormatWarnings(ws []Warning) string {
	if len(ws) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(warningsPrefix)
	for i, w := range ws {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(w.String())
	}
	return b.String()
}

// ParseWarnings reads the warnings of a message that FormatWarnings wrote,
// and reports whether msg is such a message.
func ParseWarnings(msg string) ([]Warning, bool) {
	rest, ok := strings.CutPrefix(msg, warningsPrefix)
	if !ok {
		return nil, false
	}
	var ws []Warning
	for part := range strings.SplitSeq(rest, "; ") {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			continue
		}
		w := Warning{Code: fields[0]}
		if len(fields) > 1 {
			w.Args = fields[1:]
		}
		ws = append(ws, w)
	}
	return ws, true
}

// EscapeArg returns s fit to be a warning argument: '%', space, ';',
// ',' and control bytes are written as %XX (upper-case hex), as in URLs.
func EscapeArg(s string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || c == ' ' || c == ';' || c == ',' || c < 0x20 || c == 0x7f {
			if b == nil {
				b = append(make([]byte, 0, len(s)+8), s[:i]...)
			}
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else if b != nil {
			b = append(b, c)
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// MaxSpanArgs is the most spans a warning names; a last argument +N
// counts the N more.
const MaxSpanArgs = 20

// PIIArg is the argument naming one span of personal data:
// PATH(KIND,LENGTH), with the JSON path of the string escaped by
// EscapeArg, the kind's name and the length in bytes of the text, never
// the text itself.
func PIIArg(path, kind string, length int) string {
	return EscapeArg(path) + "(" + kind + "," + strconv.Itoa(length) + ")"
}
