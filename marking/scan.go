package marking

import (
	"bytes"
	"errors"

	"github.com/go-json-experiment/json/jsontext"
)

// The decision reads stored objects, which were validated when accepted, so
// the scanners here check structure only as far as they must to find the
// right bytes; anything malformed is an error, and an error withholds.

var errSyntax = errors.New("malformed JSON")

// space marks JSON insignificant whitespace.
var space = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func skipSpace(d []byte, i int) int {
	for i < len(d) && space[d[i]] {
		i++
	}
	return i
}

// stringEnd returns the offset just past the string whose opening quote is
// at i, and whether it holds an escape.
func stringEnd(d []byte, i int) (int, bool, error) {
	j := i + 1
	esc := false
	for {
		k := bytes.IndexByte(d[j:], '"')
		if k < 0 {
			return 0, false, errSyntax
		}
		k += j
		// An odd run of backslashes before the quote escapes it.
		n := 0
		for b := k - 1; b > i && d[b] == '\\'; b-- {
			n++
		}
		if n > 0 || !esc && bytes.IndexByte(d[j:k], '\\') >= 0 {
			esc = true
		}
		if n%2 == 0 {
			return k + 1, esc, nil
		}
		j = k + 1
	}
}

// decodeString returns the text of the string d[i:end] (quotes included).
func decodeString(d []byte, i, end int, esc bool) (string, error) {
	if !esc {
		return string(d[i+1 : end-1]), nil
	}
	b, err := jsontext.AppendUnquote(nil, d[i:end])
	if err != nil {
		return "", errSyntax
	}
	return string(b), nil
}

// nameIs reports whether the member name d[i:end] (quotes included, no
// escapes) equals s, without allocating.
func nameIs(d []byte, i, end int, s string) bool {
	return end-i-2 == len(s) && string(d[i+1:end-1]) == s
}

// skipValue returns the offset just past the value starting at i.
func skipValue(d []byte, i int) (int, error) {
	if i >= len(d) {
		return 0, errSyntax
	}
	switch c := d[i]; c {
	case '"':
		end, _, err := stringEnd(d, i)
		return end, err
	case '{', '[':
		depth := 0
		for i < len(d) {
			switch d[i] {
			case '"':
				end, _, err := stringEnd(d, i)
				if err != nil {
					return 0, err
				}
				i = end
				continue
			case '{', '[':
				depth++
				if depth > maxDepth {
					return 0, errSyntax
				}
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errSyntax
	default:
		j := i
		for j < len(d) && !space[d[j]] && d[j] != ',' && d[j] != '}' && d[j] != ']' {
			j++
		}
		if j == i {
			return 0, errSyntax
		}
		return j, nil
	}
}

// maxDepth bounds nesting, as stix.MaxDepth does for accepted objects.
const maxDepth = 64

// span is a value's bytes: d[start:end]; end == 0 means absent.
type span struct{ start, end int }

func (s span) present() bool { return s.end > 0 }

// top holds what the decision needs from an object's top level.
type top struct {
	typ          string
	createdBy    span
	markingRefs  span
	granular     span
	distribution span
}

// Top-level property names the decision reads.
const (
	propMarkingRefs  = "object_marking_refs"
	propGranular     = "granular_markings"
	propDistribution = "x_tearline_distribution"
)

// skim walks the members of the top-level object without building a tree and
// records the spans of the properties the decision reads.
func skim(d []byte) (top, error) {
	var t top
	i := skipSpace(d, 0)
	if i >= len(d) || d[i] != '{' {
		return t, errSyntax
	}
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return t, nil
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return t, errSyntax
		}
		kend, esc, err := stringEnd(d, i)
		if err != nil {
			return t, err
		}
		ks := i
		i = skipSpace(d, kend)
		if i >= len(d) || d[i] != ':' {
			return t, errSyntax
		}
		vs := skipSpace(d, i+1)
		ve, err := skipValue(d, vs)
		if err != nil {
			return t, err
		}
		var name string
		if esc {
			if name, err = decodeString(d, ks, kend, true); err != nil {
				return t, err
			}
		}
		is := func(s string) bool {
			if esc {
				return name == s
			}
			return nameIs(d, ks, kend, s)
		}
		sp := span{vs, ve}
		switch {
		case is("type"):
			if d[vs] != '"' {
				return t, errSyntax
			}
			_, e, _ := stringEnd(d, vs)
			if t.typ, err = decodeString(d, vs, ve, e); err != nil {
				return t, err
			}
		case is("created_by_ref"):
			t.createdBy = sp
		case is(propMarkingRefs):
			t.markingRefs = sp
		case is(propGranular):
			t.granular = sp
		case is(propDistribution):
			t.distribution = sp
		}
		i = skipSpace(d, ve)
		if i >= len(d) {
			return t, errSyntax
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case '}':
			if skipSpace(d, i+1) != len(d) {
				return t, errSyntax
			}
			return t, nil
		default:
			return t, errSyntax
		}
	}
}

// eachString calls f with the bytes of each string element of the array at
// s (quotes stripped; escapes decoded into a fresh slice). It fails on
// anything but an array of strings.
func eachString(d []byte, s span, f func([]byte) bool) error {
	i := s.start
	if i >= len(d) || d[i] != '[' {
		return errSyntax
	}
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		return nil
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return errSyntax
		}
		end, esc, err := stringEnd(d, i)
		if err != nil {
			return err
		}
		b := d[i+1 : end-1]
		if esc {
			if b, err = jsontext.AppendUnquote(nil, d[i:end]); err != nil {
				return errSyntax
			}
		}
		if !f(b) {
			return nil
		}
		i = skipSpace(d, end)
		if i >= len(d) {
			return errSyntax
		}
		switch d[i] {
		case ',':
			i = skipSpace(d, i+1)
		case ']':
			return nil
		default:
			return errSyntax
		}
	}
}

// stringAt decodes the string value at s.
func stringAt(d []byte, s span) (string, error) {
	if !s.present() || d[s.start] != '"' {
		return "", errSyntax
	}
	_, esc, err := stringEnd(d, s.start)
	if err != nil {
		return "", err
	}
	return decodeString(d, s.start, s.end, esc)
}

// node is one value of a fully parsed object, with its place in the bytes
// and the redaction's marks.
type node struct {
	kind    byte // '{', '[', '"' or 0 for other scalars
	start   int  // first byte of the value
	end     int  // just past the value
	members []member
	elems   []*node
	str     string // decoded text of a string

	removed bool   // the value (and its member name) is cut
	dirty   bool   // something inside changed
	repl    []byte // replacement bytes for a changed scalar
}

// member is an object member: the name starts at keyStart.
type member struct {
	name     string
	keyStart int
	val      *node
}

func (n *node) get(name string) *node {
	for i := range n.members {
		if n.members[i].name == name {
			return n.members[i].val
		}
	}
	return nil
}

// parseTree parses one JSON value at d[i:] into a tree of nodes.
func parseTree(d []byte) (*node, error) {
	p := treeParser{d: d}
	i := skipSpace(d, 0)
	n, end, err := p.value(i, 0)
	if err != nil {
		return nil, err
	}
	if skipSpace(d, end) != len(d) {
		return nil, errSyntax
	}
	return n, nil
}

type treeParser struct{ d []byte }

func (p *treeParser) value(i, depth int) (*node, int, error) {
	d := p.d
	if i >= len(d) || depth > maxDepth {
		return nil, 0, errSyntax
	}
	switch d[i] {
	case '{':
		n := &node{kind: '{', start: i}
		i = skipSpace(d, i+1)
		if i < len(d) && d[i] == '}' {
			n.end = i + 1
			return n, n.end, nil
		}
		for {
			if i >= len(d) || d[i] != '"' {
				return nil, 0, errSyntax
			}
			kend, esc, err := stringEnd(d, i)
			if err != nil {
				return nil, 0, err
			}
			name, err := decodeString(d, i, kend, esc)
			if err != nil {
				return nil, 0, err
			}
			ks := i
			i = skipSpace(d, kend)
			if i >= len(d) || d[i] != ':' {
				return nil, 0, errSyntax
			}
			v, vend, err := p.value(skipSpace(d, i+1), depth+1)
			if err != nil {
				return nil, 0, err
			}
			n.members = append(n.members, member{name: name, keyStart: ks, val: v})
			i = skipSpace(d, vend)
			if i >= len(d) {
				return nil, 0, errSyntax
			}
			if d[i] == ',' {
				i = skipSpace(d, i+1)
				continue
			}
			if d[i] != '}' {
				return nil, 0, errSyntax
			}
			n.end = i + 1
			return n, n.end, nil
		}
	case '[':
		n := &node{kind: '[', start: i}
		i = skipSpace(d, i+1)
		if i < len(d) && d[i] == ']' {
			n.end = i + 1
			return n, n.end, nil
		}
		for {
			v, vend, err := p.value(i, depth+1)
			if err != nil {
				return nil, 0, err
			}
			n.elems = append(n.elems, v)
			i = skipSpace(d, vend)
			if i >= len(d) {
				return nil, 0, errSyntax
			}
			if d[i] == ',' {
				i = skipSpace(d, i+1)
				continue
			}
			if d[i] != ']' {
				return nil, 0, errSyntax
			}
			n.end = i + 1
			return n, n.end, nil
		}
	case '"':
		end, esc, err := stringEnd(d, i)
		if err != nil {
			return nil, 0, err
		}
		s, err := decodeString(d, i, end, esc)
		if err != nil {
			return nil, 0, err
		}
		return &node{kind: '"', start: i, end: end, str: s}, end, nil
	default:
		end, err := skipValue(d, i)
		if err != nil {
			return nil, 0, err
		}
		return &node{start: i, end: end}, end, nil
	}
}

// write appends the value n to dst: its original bytes when nothing inside
// changed, else the kept members and elements with the original separators
// and whitespace around them.
func (n *node) write(dst, d []byte) []byte {
	if !n.dirty {
		return append(dst, d[n.start:n.end]...)
	}
	if n.repl != nil {
		return append(dst, n.repl...)
	}
	switch n.kind {
	case '{':
		dst = append(dst, '{')
		first := true
		for i := range n.members {
			m := &n.members[i]
			if m.val.removed {
				continue
			}
			if first {
				dst = append(dst, d[n.start+1:n.members[0].keyStart]...)
				first = false
			} else {
				dst = append(dst, d[n.members[i-1].val.end:m.keyStart]...)
			}
			dst = append(dst, d[m.keyStart:m.val.start]...)
			dst = m.val.write(dst, d)
		}
		if !first {
			dst = append(dst, d[n.members[len(n.members)-1].val.end:n.end-1]...)
		}
		return append(dst, '}')
	case '[':
		dst = append(dst, '[')
		first := true
		for i, e := range n.elems {
			if e.removed {
				continue
			}
			if first {
				dst = append(dst, d[n.start+1:n.elems[0].start]...)
				first = false
			} else {
				dst = append(dst, d[n.elems[i-1].end:e.start]...)
			}
			dst = e.write(dst, d)
		}
		if !first {
			dst = append(dst, d[n.elems[len(n.elems)-1].end:n.end-1]...)
		}
		return append(dst, ']')
	}
	return append(dst, d[n.start:n.end]...)
}
