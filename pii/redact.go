package pii

import (
	"cmp"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// Redaction records one redacted span: where it was and what kind of data
// it held, never the text itself.
type Redaction struct {
	Path string `json:"path"`
	Kind Kind   `json:"kind"`
	// Length is the length in bytes of the decoded text replaced.
	Length int `json:"length"`
}

// Placeholder returns the text that replaces a span of kind k:
// [REDACTED:kind].
func Placeholder(k Kind) string { return "[REDACTED:" + k.String() + "]" }

// Redact returns a copy of the STIX object raw in which the span of every
// finding is replaced by Placeholder(kind), and a record of each
// replacement in the order of the findings. Only the bytes of the redacted
// spans change: every other byte of raw, escapes and white space included,
// is kept. A finding on the local part of an email-addr object's value
// (Options.FlagIdentifiers) is replaced by the placeholder in quotes
// ("[REDACTED:possible-pii]"@example.com), so that the value stays an
// address.
//
// The findings must come from ScanObject on the same bytes, or at least
// name strings of raw with spans inside them on character boundaries that
// do not overlap. Otherwise Redact returns an error with code
// tearline.EINVALID, as it does when raw is not a well-formed JSON object
// or when the copy would not be valid STIX although raw is (the copy of a
// valid object is checked with stix.ValidateObject). With no findings it
// returns raw itself.
func Redact(raw []byte, findings []Finding) ([]byte, []Redaction, error) {
	if len(findings) == 0 {
		return raw, nil, nil
	}
	byPath := map[string][]int{}
	for i, f := range findings {
		if f.Kind == 0 || int(f.Kind) >= len(kindNames) {
			return nil, nil, tearline.Errorf(tearline.EINVALID, "pii: redact: finding %s has no valid kind", f)
		}
		byPath[f.Path] = append(byPath[f.Path], i)
	}
	type cut struct {
		start, end int // raw bytes replaced
		with       string
	}
	var cuts []cut
	var typ string
	found := 0
	w := walker{d: raw}
	visit := func(start, end int, esc bool, _ mode) error {
		if len(w.path) == 1 && string(raw[w.path[0].start:w.path[0].end]) == "type" {
			typ = string(raw[start+1 : end-1])
		}
		path := w.pathString()
		idx, ok := byPath[path]
		if !ok {
			return nil
		}
		delete(byPath, path)
		found++
		// Decoded offset k of the string starts at raw offset start+offs[k].
		var text []byte
		var offs []int
		if esc {
			var err error
			if text, offs, err = unquote(raw[start:end], nil, true); err != nil {
				return w.fail(start, err.Error())
			}
		} else {
			text = raw[start+1 : end-1]
		}
		rawAt := func(k int) int {
			if offs == nil {
				return start + 1 + k
			}
			return start + offs[k]
		}
		spans := make([]int, len(idx))
		copy(spans, idx)
		slices.SortFunc(spans, func(a, b int) int { return cmp.Compare(findings[a].Start, findings[b].Start) })
		prev := 0
		for _, i := range spans {
			f := findings[i]
			if f.Start < prev || f.End <= f.Start || f.End > len(text) {
				return tearline.Errorf(tearline.EINVALID, "pii: redact: finding %s is outside the string or overlaps another (the string is %d bytes)", f, len(text))
			}
			if !utf8.RuneStart(text[f.Start]) || f.End < len(text) && !utf8.RuneStart(text[f.End]) {
				return tearline.Errorf(tearline.EINVALID, "pii: redact: finding %s does not fall on character boundaries", f)
			}
			prev = f.End
			with := Placeholder(f.Kind)
			if f.Kind == PossiblePII && path == "value" && f.Start == 0 && f.End < len(text) && text[f.End] == '@' {
				with = `\"` + with + `\"` // a quoted local part keeps the address valid
			}
			cuts = append(cuts, cut{rawAt(f.Start), rawAt(f.End), with})
		}
		return nil
	}
	w.h = funcs{func([]byte) mode { return modeAll }, visit}
	if err := w.walkObject(); err != nil {
		if tearline.ErrorCode(err) == tearline.EINVALID {
			return nil, nil, err
		}
		return nil, nil, tearline.Errorf(tearline.EINVALID, "pii: redact: %v", err)
	}
	if len(byPath) > 0 {
		for p := range byPath {
			return nil, nil, tearline.Errorf(tearline.EINVALID, "pii: redact: the object has no string at path %s", strconv.Quote(p))
		}
	}
	if typ != "email-addr" {
		// Only an email-addr value needs its local part quoted.
		for i := range cuts {
			if c := &cuts[i]; len(c.with) > 0 && c.with[0] == '\\' {
				c.with = c.with[2 : len(c.with)-2]
			}
		}
	}
	slices.SortFunc(cuts, func(a, b cut) int { return cmp.Compare(a.start, b.start) })
	out := make([]byte, 0, len(raw)+len(cuts)*24)
	at := 0
	for _, c := range cuts {
		out = append(out, raw[at:c.start]...)
		out = append(out, c.with...)
		at = c.end
	}
	out = append(out, raw[at:]...)
	if _, issues := stix.ValidateObject(out, ""); issues.HasErrors() {
		if _, before := stix.ValidateObject(raw, ""); !before.HasErrors() {
			return nil, nil, tearline.Errorf(tearline.EINVALID, "pii: redact: the redacted copy would not be valid STIX: %s", issues.Errors()[0])
		}
	}
	recs := make([]Redaction, len(findings))
	for i, f := range findings {
		recs[i] = Redaction{Path: f.Path, Kind: f.Kind, Length: f.End - f.Start}
	}
	return out, recs, nil
}
