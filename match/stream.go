package match

import (
	"slices"
	"time"
)

// Kinds of observation expression nodes.
const (
	oLeaf      = iota // an observation expression [...]
	oOr               // OR: any operand
	oAnd              // AND: every operand, on different observations
	oFollow           // FOLLOWEDBY: every operand, in time order
	oWithin           // WITHIN d SECONDS
	oRepeats          // REPEATS n TIMES
	oStartStop        // START t STOP t
)

// onode is a compiled observation expression.
type onode struct {
	kind        uint8
	leaf        uint16 // oLeaf: the position of the observation expression
	kids        []*onode
	d           int64 // oWithin: nanoseconds
	n           int   // oRepeats
	start, stop int64 // oStartStop: Unix nanoseconds
}

// tree is the observation expression of a pattern that is more than one
// observation expression.
type tree struct {
	root     *onode
	leaves   int
	stateful bool  // needs several observations: AND, FOLLOWEDBY or REPEATS
	horizon  int64 // when the root is WITHIN d: observations older than d cannot take part
	hist     int   // observations kept per leaf
}

func newTree(root *onode, leaves int, opts Options) *tree {
	t := &tree{root: root, leaves: leaves, hist: opts.History}
	var visit func(n *onode)
	visit = func(n *onode) {
		switch n.kind {
		case oAnd, oFollow:
			t.stateful = true
		case oRepeats:
			t.stateful = true
			t.hist = max(t.hist, 2*n.n)
		}
		for _, k := range n.kids {
			visit(k)
		}
	}
	visit(root)
	t.hist = min(t.hist, 1024)
	n := root
	for n.kind == oStartStop {
		n = n.kids[0]
	}
	if n.kind == oWithin {
		t.horizon = n.d
	}
	return t
}

// ObsRef identifies an observation that took part in a match.
type ObsRef struct {
	ID          string // the observed-data id; empty for a log line
	Line        int    // the line or object number in its source
	First, Last time.Time
}

// event is an observation kept in a pattern's history.
type event struct {
	seq         uint64
	first, last int64
	ref         ObsRef
}

// treeState is what a Matcher remembers of one compound pattern: for each
// of its observation expressions, the latest observations it matched.
type treeState struct {
	hist [][]*event
}

// binding is a set of observations that satisfies a node.
type binding struct {
	evs         []*event // by sequence number
	first, last int64
	fresh       bool // holds the current observation
}

// evaluator evaluates a tree over a state for one new observation.
type evaluator struct {
	st     *treeState
	cur    uint64
	max    int // bindings kept per node
	budget int // combinations left to try
}

// The evaluation of one tree for one observation tries at most this many
// combinations of partial matches.
const combineBudget = 1 << 14

// eval returns the bindings of node n, those holding the current
// observation first, at most e.max.
func (e *evaluator) eval(n *onode) []binding {
	var out []binding
	switch n.kind {
	case oLeaf:
		for _, ev := range e.st.hist[n.leaf] {
			out = append(out, binding{evs: []*event{ev}, first: ev.first, last: ev.last, fresh: ev.seq == e.cur})
		}
	case oOr:
		for _, k := range n.kids {
			out = append(out, e.eval(k)...)
		}
	case oAnd, oFollow:
		out = e.eval(n.kids[0])
		for _, k := range n.kids[1:] {
			if len(out) == 0 {
				return nil
			}
			out = e.combine(out, e.eval(k), n.kind == oFollow)
		}
	case oWithin:
		for _, b := range e.eval(n.kids[0]) {
			if b.last-b.first <= n.d {
				out = append(out, b)
			}
		}
	case oStartStop:
		for _, b := range e.eval(n.kids[0]) {
			if b.first >= n.start && b.last < n.stop {
				out = append(out, b)
			}
		}
	case oRepeats:
		kid := e.eval(n.kids[0])
		var pick func(from int, acc binding, left int)
		pick = func(from int, acc binding, left int) {
			if left == 0 {
				out = append(out, acc)
				return
			}
			for i := from; i < len(kid) && len(out) < e.max && e.budget > 0; i++ {
				e.budget--
				if left < n.n && !disjoint(acc.evs, kid[i].evs) {
					continue
				}
				next := kid[i]
				if left < n.n {
					next = merge(acc, kid[i])
				}
				pick(i+1, next, left-1)
			}
		}
		pick(0, binding{}, n.n)
	}
	return e.keep(out)
}

// combine joins each binding of a with each of b on different
// observations; in order, b's observations must come no earlier than a's.
func (e *evaluator) combine(a, b []binding, ordered bool) []binding {
	var out []binding
	for _, x := range a {
		for _, y := range b {
			if e.budget <= 0 || len(out) >= 4*e.max {
				return out
			}
			e.budget--
			if ordered && y.first < x.last {
				continue
			}
			if !disjoint(x.evs, y.evs) {
				continue
			}
			out = append(out, merge(x, y))
		}
	}
	return out
}

// keep orders bindings with the current observation first, then the most
// recent, and keeps at most e.max.
func (e *evaluator) keep(bs []binding) []binding {
	if len(bs) <= e.max && !slices.ContainsFunc(bs, func(b binding) bool { return !b.fresh }) {
		return bs
	}
	slices.SortStableFunc(bs, func(x, y binding) int {
		switch {
		case x.fresh != y.fresh:
			if x.fresh {
				return -1
			}
			return 1
		case x.last != y.last:
			if x.last > y.last {
				return -1
			}
			return 1
		}
		return 0
	})
	if len(bs) > e.max {
		bs = bs[:e.max]
	}
	return bs
}

// disjoint reports whether two sorted event lists share no observation.
func disjoint(a, b []*event) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].seq == b[j].seq:
			return false
		case a[i].seq < b[j].seq:
			i++
		default:
			j++
		}
	}
	return true
}

// merge joins two disjoint bindings.
func merge(x, y binding) binding {
	evs := make([]*event, 0, len(x.evs)+len(y.evs))
	i, j := 0, 0
	for i < len(x.evs) || j < len(y.evs) {
		if j == len(y.evs) || i < len(x.evs) && x.evs[i].seq < y.evs[j].seq {
			evs = append(evs, x.evs[i])
			i++
		} else {
			evs = append(evs, y.evs[j])
			j++
		}
	}
	b := binding{evs: evs, first: min(x.first, y.first), last: max(x.last, y.last), fresh: x.fresh || y.fresh}
	if len(x.evs) == 0 {
		b.first, b.last = y.first, y.last
	}
	return b
}

// observe records that the current observation ev matched the leaves of
// tree t at positions pos, and returns a binding of the whole pattern that
// holds ev, if there is one.
func (t *tree) observe(st *treeState, ev *event, pos []uint16, maxB int) (binding, bool) {
	for _, p := range pos {
		h := st.hist[p]
		if t.horizon > 0 {
			// Observations that ended more than the root WITHIN before this
			// one starts can take part in no further match.
			cut := 0
			for cut < len(h) && h[cut].last < ev.first-t.horizon {
				cut++
			}
			h = h[cut:]
		}
		if len(h) >= t.hist {
			h = h[len(h)-t.hist+1:]
		}
		if cap(h) == len(h) {
			h = append(make([]*event, 0, min(2*len(h)+1, t.hist)), h...)
		}
		st.hist[p] = append(h, ev)
	}
	e := evaluator{st: st, cur: ev.seq, max: maxB, budget: combineBudget}
	for _, b := range e.eval(t.root) {
		if b.fresh {
			return b, true
		}
	}
	return binding{}, false
}
