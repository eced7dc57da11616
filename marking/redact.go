package marking

import (
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// step is one resolved step of a selector: the container, and the member
// index or element index taken in it.
type step struct {
	in    *node
	index int // element index for arrays, member index for objects
}

// resolve follows a granular-marking selector through the tree. It returns
// the steps taken (the target is the last step's child) or why it failed.
func resolve(root *node, sel string) ([]step, string) {
	if sel == "" {
		return nil, "is empty"
	}
	cur := root
	var steps []step
	for part := range strings.SplitSeq(sel, ".") {
		if len(part) > 2 && part[0] == '[' && part[len(part)-1] == ']' {
			n, err := strconv.Atoi(part[1 : len(part)-1])
			if err != nil || n < 0 || part[1] == '+' {
				return nil, "has a malformed list index " + strconv.Quote(part)
			}
			if cur.kind != '[' || n >= len(cur.elems) {
				return nil, "does not resolve at " + strconv.Quote(part)
			}
			steps = append(steps, step{cur, n})
			cur = cur.elems[n]
			continue
		}
		if cur.kind != '{' {
			return nil, "does not resolve at " + strconv.Quote(part)
		}
		k := -1
		for i := range cur.members {
			if cur.members[i].name == part {
				k = i
				break
			}
		}
		if k < 0 {
			return nil, "does not resolve: no property " + strconv.Quote(part)
		}
		steps = append(steps, step{cur, k})
		cur = cur.members[k].val
	}
	return steps, ""
}

func (s step) child() *node {
	if s.in.kind == '[' {
		return s.in.elems[s.index]
	}
	return s.in.members[s.index].val
}

// gmEntry is one parsed granular_markings entry.
type gmEntry struct {
	n         *node
	def       *Definition // nil for a lang marking
	selectors *node
}

// parseGranular reads the granular_markings entries of the tree.
func parseGranular(root *node) ([]gmEntry, *node, string) {
	gm := root.get(propGranular)
	if gm == nil || gm.kind != '[' {
		return nil, nil, "granular_markings is not a list"
	}
	out := make([]gmEntry, 0, len(gm.elems))
	for i, e := range gm.elems {
		if e.kind != '{' {
			return nil, nil, "granular_markings[" + strconv.Itoa(i) + "] is not an object"
		}
		sel := e.get("selectors")
		if sel == nil || sel.kind != '[' || len(sel.elems) == 0 {
			return nil, nil, "granular_markings[" + strconv.Itoa(i) + "] has no selectors"
		}
		for _, s := range sel.elems {
			if s.kind != '"' {
				return nil, nil, "granular_markings[" + strconv.Itoa(i) + "].selectors holds a non-string"
			}
		}
		out = append(out, gmEntry{n: e, selectors: sel})
	}
	return out, gm, ""
}

// redact builds the copy of raw that the subject may see, given that the
// object markings passed.
func (p *Policy) redact(s *subject, raw []byte, t *top, res Result) Result {
	root, err := parseTree(raw)
	if err != nil || root.kind != '{' {
		return withhold("the stored object is not a well-formed JSON object")
	}
	entries, gm, why := parseGranular(root)
	if why != "" {
		return withhold(why)
	}
	failed := make([]bool, len(entries))
	anyFailed := false
	for i := range entries {
		e := &entries[i]
		ref := e.n.get("marking_ref")
		if ref == nil {
			continue // a lang marking never restricts
		}
		if ref.kind != '"' {
			return withhold("granular_markings[" + strconv.Itoa(i) + "].marking_ref is not a string")
		}
		if e.def = p.defs.Lookup(ref.str); e.def == nil {
			return withhold("granular_markings[" + strconv.Itoa(i) + "] references unknown marking definition " + ref.str)
		}
		if p.pass(s, e.def) != "" {
			failed[i], anyFailed = true, true
		}
	}
	// Every selector must resolve, whether or not it restricts.
	paths := make([][][]step, len(entries))
	for i := range entries {
		for _, sel := range entries[i].selectors.elems {
			st, why := resolve(root, sel.str)
			if why != "" {
				return withhold("granular_markings[" + strconv.Itoa(i) + "]: selector " + strconv.Quote(sel.str) + " " + why)
			}
			paths[i] = append(paths[i], st)
		}
	}
	if !anyFailed {
		res.Decision, res.Raw = Whole, raw
		return res
	}
	for i := range entries {
		if !failed[i] {
			continue
		}
		for _, st := range paths[i] {
			top := root.members[st[0].index].name
			if top == propGranular || top == propMarkingRefs {
				return withhold("a granular marking selects the markings themselves, which cannot be redacted")
			}
			target := st[len(st)-1].child()
			if !target.removed {
				target.removed = true
				res.Removed++
			}
		}
	}
	prune(root)
	for _, name := range stix.RequiredProperties(t.typ) {
		if v := root.get(name); v != nil && v.removed {
			return withhold("redaction would remove required property " + name)
		}
	}
	// Rewrite the granular markings that stay: drop selectors of removed
	// parts, renumber list indexes after removed items, drop entries left
	// without selectors.
	kept := 0
	for i := range entries {
		e := &entries[i]
		if failed[i] {
			e.n.removed = true
			continue
		}
		left := 0
		for j, st := range paths[i] {
			sel := e.selectors.elems[j]
			if cutOnPath(st) {
				sel.removed = true
				continue
			}
			left++
			if ns := renumber(sel.str, st); ns != sel.str {
				sel.repl, _ = jsontext.AppendQuote(nil, ns)
			}
		}
		if left == 0 {
			e.n.removed = true
			continue
		}
		kept++
	}
	if kept == 0 {
		gm.removed = true
	}
	settle(root)
	out := root.write(make([]byte, 0, len(raw)), raw)
	if obj, issues := stix.ValidateObject(out, ""); obj == nil {
		msg := "invalid"
		if errs := issues.Errors(); len(errs) > 0 {
			msg = errs[0].String()
		}
		return withhold("the redacted copy would not be valid STIX: " + msg)
	}
	res.Decision = Redacted
	res.Raw = out
	res.Reason = "redacted " + strconv.Itoa(res.Removed) + " marked part(s)"
	return res
}

// prune removes containers whose every member or element was removed:
// STIX forbids empty lists, and an empty object says no more than nothing.
func prune(n *node) {
	var kids int
	removed := 0
	switch n.kind {
	case '{':
		kids = len(n.members)
		for i := range n.members {
			v := n.members[i].val
			if !v.removed {
				prune(v)
			}
			if v.removed {
				removed++
			}
		}
	case '[':
		kids = len(n.elems)
		for _, v := range n.elems {
			if !v.removed {
				prune(v)
			}
			if v.removed {
				removed++
			}
		}
	}
	if kids > 0 && removed == kids {
		n.removed = true
	}
}

// settle marks dirty every node with a change inside and reports whether n
// changed or was removed.
func settle(n *node) bool {
	if n.removed {
		return true
	}
	ch := n.repl != nil
	for i := range n.members {
		if settle(n.members[i].val) {
			ch = true
		}
	}
	for _, e := range n.elems {
		if settle(e) {
			ch = true
		}
	}
	n.dirty = ch
	return ch
}

// cutOnPath reports whether the target of a selector, or anything it lies
// in, was removed.
func cutOnPath(st []step) bool {
	for _, s := range st {
		if s.child().removed {
			return true
		}
	}
	return false
}

// renumber rewrites the list indexes of a selector to count only the items
// kept before each.
func renumber(sel string, st []step) string {
	changed := false
	parts := strings.Split(sel, ".")
	for k, s := range st {
		if s.in.kind != '[' {
			continue
		}
		n := 0
		for _, e := range s.in.elems[:s.index] {
			if !e.removed {
				n++
			}
		}
		if n != s.index {
			parts[k] = "[" + strconv.Itoa(n) + "]"
			changed = true
		}
	}
	if !changed {
		return sel
	}
	return strings.Join(parts, ".")
}

// checkGranular is Check for the granular markings.
func (p *Policy) checkGranular(submitter *Recipient, raw []byte, t *top, clearance int) error {
	root, err := parseTree(raw)
	if err != nil || root.kind != '{' {
		return tearline.Errorf(tearline.EINVALID, "the object is not a well-formed JSON object")
	}
	entries, _, why := parseGranular(root)
	if why != "" {
		return tearline.Errorf(tearline.EINVALID, "%s", why)
	}
	for i := range entries {
		path := "granular_markings[" + strconv.Itoa(i) + "]"
		e := &entries[i]
		ref := e.n.get("marking_ref")
		if ref != nil {
			if ref.kind != '"' {
				return tearline.Errorf(tearline.EINVALID, "%s.marking_ref must be a marking-definition identifier", path)
			}
			d := p.defs.Lookup(ref.str)
			if d == nil {
				return tearline.Errorf(tearline.EINVALID, "%s references marking definition %s, which this server does not know; submit the marking-definition first", path, ref.str)
			}
			if err := p.usable(d, path); err != nil {
				return err
			}
			if d.Classification != "" && p.level(d.Classification) > clearance {
				return tearline.Errorf(tearline.EFORBIDDEN, "%s classifies part of the object %s, above the submitter's clearance", path, d.Classification)
			}
			if d.ORCON {
				if err := checkOriginator(submitter, raw, t, path+".marking_ref"); err != nil {
					return err
				}
			}
		}
		for j, sel := range e.selectors.elems {
			st, why := resolve(root, sel.str)
			if why != "" {
				return tearline.Errorf(tearline.EINVALID, "%s.selectors[%d]: selector %s %s", path, j, strconv.Quote(sel.str), why)
			}
			if ref != nil {
				if top := root.members[st[0].index].name; top == propGranular || top == propMarkingRefs {
					return tearline.Errorf(tearline.EINVALID, "%s.selectors[%d]: a granular marking may not select the markings themselves", path, j)
				}
			}
		}
	}
	return nil
}
