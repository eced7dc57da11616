package match

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/gaissmai/bart"
	"github.com/google/uuid"
	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/stix/pattern"
)

// Indicator is what the matcher needs of a STIX indicator.
type Indicator struct {
	ID      string
	Pattern *pattern.Pattern
	// ValidFrom and ValidUntil bound when the indicator may match: an
	// observation matches only if it ends at or after ValidFrom and starts
	// before ValidUntil. Zero values leave that side open.
	ValidFrom, ValidUntil time.Time
}

// Limits of a compiled pattern.
const (
	// MaxLeaves is the most observation expressions ([...]) one pattern
	// may hold.
	MaxLeaves = 1 << 12
)

// Index is a compiled set of indicators. It is immutable and safe for
// concurrent use; each goroutine matches with a Matcher of its own.
type Index struct {
	fields   []field
	fieldIDs map[string]uint16
	probe    map[string][]uint16 // object type: the fields to look up on its objects
	byType   map[string][]uint32 // object type: the leaves to evaluate on every such object
	eq       map[string]uint32   // field + value key: a leaf, or multiFlag|index into multi
	multi    [][]uint32
	filter   *keyFilter // of eq's keys; nil until Build
	keys     arena
	leaves   []leaf
	inds     []indRec
	oddIDs   map[uint32]string // ids that are not indicator--UUID
	exprs    []cnode           // the comparison expressions of leaves that need evaluating
	trees    []*tree
	opts     Options
}

// multiFlag marks an eq value that indexes Index.multi.
const multiFlag = 1 << 31

// field is one object path that anchors leaves: its type and path (list
// indexes generalized to [*]), and the structures that look its values up.
type field struct {
	typ      string
	path     []pattern.Step
	eq       bool
	sub, sup *bart.Table[[]uint32] // ISSUBSET and ISSUPERSET constants
	like     *likeSet
	scan     []uint32 // leaves to evaluate whenever the path has a value
}

// likeSet finds the LIKE patterns whose literal part a value contains.
type likeSet struct {
	lits   []string
	leaves [][]uint32
	pos    map[string]int
	ac     ahocorasick.AhoCorasick
}

// leaf is one observation expression of an indicator's pattern.
type leaf struct {
	ind  uint32
	expr int32  // index into Index.exprs; -1 when any anchor hit is a match
	pos  uint16 // position among the pattern's leaves
}

// indRec is a compiled indicator.
type indRec struct {
	id          [16]byte // the UUID of indicator--UUID; zero for ids in oddIDs
	from, until int64    // Unix nanoseconds; 0 for an open side
	tree        int32    // index into Index.trees; -1 for a pattern of one observation expression
}

// Options tune a Builder.
type Options struct {
	// History is how many recent matching observations the matcher keeps
	// per observation expression of a pattern with AND, FOLLOWEDBY or
	// REPEATS; 0 means 16 (and at least twice the largest REPEATS count,
	// at most 1024).
	History int
	// MaxBindings caps the partial matches kept per node while a compound
	// pattern is evaluated; 0 means 64.
	MaxBindings int
}

// Builder compiles indicators into an Index.
type Builder struct {
	idx  *Index
	buf  []byte
	name []byte
}

// NewBuilder returns an empty Builder.
func NewBuilder(opts Options) *Builder {
	if opts.History <= 0 {
		opts.History = 16
	}
	if opts.MaxBindings <= 0 {
		opts.MaxBindings = 64
	}
	return &Builder{idx: &Index{
		fieldIDs: map[string]uint16{},
		probe:    map[string][]uint16{},
		byType:   map[string][]uint32{},
		eq:       map[string]uint32{},
		oddIDs:   map[uint32]string{},
		opts:     opts,
	}}
}

// Len returns the number of indicators added.
func (b *Builder) Len() int { return len(b.idx.inds) }

// Add compiles one indicator. It fails, adding nothing, when the indicator
// has no id or pattern, its validity is empty, its pattern holds more than
// MaxLeaves observation expressions, or a MATCHES expression does not
// compile in Go's regexp (RE2).
func (b *Builder) Add(ind Indicator) error {
	idx := b.idx
	if ind.ID == "" {
		return errors.New("match: indicator without id")
	}
	if ind.Pattern == nil || ind.Pattern.Expr == nil {
		return fmt.Errorf("match: %s: no pattern", ind.ID)
	}
	if !ind.ValidUntil.IsZero() && !ind.ValidUntil.After(ind.ValidFrom) {
		return fmt.Errorf("match: %s: valid_until is not after valid_from", ind.ID)
	}
	if len(idx.inds) >= multiFlag-1 {
		return fmt.Errorf("match: %s: too many indicators", ind.ID)
	}
	// Compile everything first, so that a failure adds nothing.
	var obs []*cnode
	root, err := b.tree(ind.Pattern.Expr, &obs)
	if err != nil {
		return fmt.Errorf("match: %s: %w", ind.ID, err)
	}
	if len(obs) > MaxLeaves {
		return fmt.Errorf("match: %s: the pattern has %d observation expressions, more than %d", ind.ID, len(obs), MaxLeaves)
	}
	num := uint32(len(idx.inds))
	rec := indRec{tree: -1}
	if u, ok := indicatorUUID(ind.ID); ok {
		rec.id = u
	} else {
		idx.oddIDs[num] = ind.ID
	}
	rec.from, rec.until = unixNano(ind.ValidFrom), unixNano(ind.ValidUntil)
	if root.kind != oLeaf {
		rec.tree = int32(len(idx.trees))
		idx.trees = append(idx.trees, newTree(root, len(obs), idx.opts))
	}
	idx.inds = append(idx.inds, rec)
	for pos, n := range obs {
		as, exact := anchorsOf(n)
		l := leaf{ind: num, pos: uint16(pos), expr: -1}
		if !exact {
			prepareNorm(n)
			l.expr = int32(len(idx.exprs))
			idx.exprs = append(idx.exprs, *n)
		}
		id := uint32(len(idx.leaves))
		idx.leaves = append(idx.leaves, l)
		for _, a := range as {
			b.register(a, id)
		}
	}
	return nil
}

// indicatorUUID returns the UUID of an id "indicator--UUID".
func indicatorUUID(id string) ([16]byte, bool) {
	const prefix = "indicator--"
	if len(id) != len(prefix)+36 || id[:len(prefix)] != prefix {
		return [16]byte{}, false
	}
	// Only the lower-case form prints back as it was given.
	for _, c := range []byte(id[len(prefix):]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == '-') {
			return [16]byte{}, false
		}
	}
	u, err := uuid.Parse(id[len(prefix):])
	if err != nil || u == (uuid.UUID{}) {
		return [16]byte{}, false
	}
	return u, true
}

// ID returns the id of indicator n.
func (idx *Index) ID(n uint32) string {
	r := &idx.inds[n]
	if r.id == ([16]byte{}) {
		return idx.oddIDs[n]
	}
	return "indicator--" + uuid.UUID(r.id).String()
}

// Len returns the number of indicators in the index.
func (idx *Index) Len() int { return len(idx.inds) }

// Build returns the Index. The Builder must not be used afterwards.
func (b *Builder) Build() *Index {
	idx := b.idx
	for i := range idx.fields {
		if ls := idx.fields[i].like; ls != nil {
			bl := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.StandardMatch})
			ls.ac = bl.Build(ls.lits)
			ls.pos = nil
		}
	}
	idx.filter = newKeyFilter(idx.eq)
	b.idx = nil
	return idx
}

// tree compiles an observation expression, appending the comparison
// expression of each observation expression to obs in order.
func (b *Builder) tree(e pattern.ObsExpr, obs *[]*cnode) (*onode, error) {
	switch e := e.(type) {
	case *pattern.Observation:
		c, err := compileComp(e.Comp)
		if err != nil {
			return nil, err
		}
		*obs = append(*obs, c)
		return &onode{kind: oLeaf, leaf: uint16(len(*obs) - 1)}, nil
	case *pattern.Compound:
		n := &onode{}
		switch e.Op {
		case pattern.ObsAnd:
			n.kind = oAnd
		case pattern.ObsOr:
			n.kind = oOr
		default:
			n.kind = oFollow
		}
		for _, k := range e.Exprs {
			c, err := b.tree(k, obs)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, c)
		}
		return n, nil
	case *pattern.Qualified:
		n, err := b.tree(e.Expr, obs)
		if err != nil {
			return nil, err
		}
		for _, q := range e.Qualifiers {
			switch q.Kind {
			case pattern.QualWithin:
				n = &onode{kind: oWithin, d: int64(q.Within()), kids: []*onode{n}}
			case pattern.QualRepeats:
				if q.Times > MaxLeaves {
					return nil, fmt.Errorf("REPEATS %d TIMES: the matcher follows at most %d repetitions", q.Times, MaxLeaves)
				}
				n = &onode{kind: oRepeats, n: int(q.Times), kids: []*onode{n}}
			case pattern.QualStartStop:
				n = &onode{kind: oStartStop, start: unixNano(q.Start), stop: unixNano(q.Stop), kids: []*onode{n}}
			}
		}
		return n, nil
	}
	return nil, fmt.Errorf("unknown observation expression %T", e)
}

// compileComp compiles a comparison expression.
func compileComp(e pattern.CompExpr) (*cnode, error) {
	switch e := e.(type) {
	case *pattern.BoolExpr:
		n := &cnode{op: e.Op, kids: make([]cnode, 0, len(e.Comps))}
		for _, k := range e.Comps {
			c, err := compileComp(k)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, *c)
		}
		return n, nil
	case *pattern.Comparison:
		c := &comp{Comparison: e}
		switch e.Op {
		case pattern.OpMatches:
			// STIX MATCHES is PCRE in DOTALL mode; RE2 refuses the PCRE
			// constructs that would need backtracking.
			re, err := regexp.Compile("(?s)" + e.Value.Str)
			if err != nil {
				return nil, fmt.Errorf("%s: Go's regexp (RE2) cannot run this regular expression: %w", pattern.FormatPath(e.ObjectType, e.Path), err)
			}
			c.re = re
		case pattern.OpLike:
			c.like = likePattern([]rune(e.Value.Str))
		case pattern.OpIsSubset, pattern.OpIsSuperset:
			p, ok := parsePrefix(e.Value.Str)
			if !ok {
				return nil, fmt.Errorf("%s %s: not an IP address or CIDR block", pattern.FormatPath(e.ObjectType, e.Path), e.Op)
			}
			c.pfx = p
		}
		return &cnode{c: c}, nil
	}
	return nil, fmt.Errorf("unknown comparison expression %T", e)
}

// prepareNorm normalizes the constants of the equalities in n, for an
// expression that is evaluated (exact ones never are).
func prepareNorm(n *cnode) {
	if n.c != nil {
		switch n.c.Op {
		case pattern.OpEqual, pattern.OpNotEqual, pattern.OpIn:
			n.c.norm = normalizeLits(n.c.Comparison)
		}
	}
	for i := range n.kids {
		prepareNorm(&n.kids[i])
	}
}

// normalizeLits normalizes the string constants of an equality or IN as
// each kind the path may hold.
func normalizeLits(e *pattern.Comparison) []normLit {
	owner, rel := staticOwner(e.ObjectType, e.Path)
	var kinds []observable.Kind
	if owner == "" {
		kinds = slices.Concat(refKinds, []observable.Kind{observable.IPv6})
	} else if k := kindOf(owner, rel); k != 0 {
		kinds = []observable.Kind{k}
	}
	if len(kinds) == 0 {
		return nil
	}
	lits := []pattern.Literal{e.Value}
	if e.Op == pattern.OpIn {
		lits = e.Value.List
	}
	var out []normLit
	for i, l := range lits {
		if l.Kind != pattern.StringLit {
			continue
		}
		for _, k := range kinds {
			if o, err := observable.Normalize(k, l.Str); err == nil {
				out = append(out, normLit{kind: k, in: i, val: o.Value})
			}
		}
	}
	return out
}

// Anchor kinds, cheapest first.
const (
	aEq = iota + 1
	aSub
	aSup
	aLike
	aScan
	aType
)

// anchor is something a matching object must show: an indexed value of a
// field, an address in a CIDR block, a literal in a value, a field with
// any value, or the object type itself.
type anchor struct {
	kind  int
	typ   string
	path  []pattern.Step
	vals  []Value
	kinds []observable.Kind
	pfx   netip.Prefix
	lit   string
}

// anchorsOf chooses the anchors of a comparison expression: for every
// object that satisfies it, one of them is found. exact reports that
// finding an anchor proves the expression holds.
func anchorsOf(n *cnode) (as []anchor, exact bool) {
	as, exact, _ = anchors(n)
	return as, exact
}

// The cost of an anchor: how many candidates it is likely to let through,
// relatively. AND picks its cheapest operand.
const (
	costObservable = 10 // = on an address, domain, URL, hash: nearly unique
	costRef        = 12 // = through a reference
	costString     = 20 // = on another string
	costCIDR       = 30
	costLike       = 40 // a literal part of LIKE or MATCHES
	costScalar     = 50 // = on a number or Boolean: ports, sizes, flags are common
	costScan       = 60 // every value of a path
	costType       = 70 // every object of a type
)

func anchors(n *cnode) (as []anchor, exact bool, cost int) {
	switch n.op {
	case pattern.BoolAnd:
		// One operand's anchors suffice: all must hold.
		best := -1
		for i := range n.kids {
			a, _, c := anchors(&n.kids[i])
			if best < 0 || c < cost {
				as, cost, best = a, c, i
			}
		}
		return as, false, cost
	case pattern.BoolOr:
		exact = true
		for i := range n.kids {
			a, e, c := anchors(&n.kids[i])
			as = append(as, a...)
			exact = exact && e
			cost = max(cost, c)
		}
		return as, exact, cost
	}
	c := n.c
	path, general := generalize(c.Path)
	a := anchor{typ: c.ObjectType, path: path}
	owner, rel := staticOwner(c.ObjectType, c.Path)
	switch {
	case c.Not || c.Op == pattern.OpNotEqual:
	case c.Op == pattern.OpEqual || c.Op == pattern.OpIn:
		lits := []pattern.Literal{c.Value}
		if c.Op == pattern.OpIn {
			lits = c.Value.List
		}
		for _, l := range lits {
			v, ok := literalValue(l)
			if !ok {
				a.vals = nil
				break
			}
			a.vals = append(a.vals, v)
		}
		if len(a.vals) == 0 {
			break
		}
		a.kind = aEq
		cost := costString
		if a.vals[0].Kind != KindString {
			cost = costScalar
		}
		if owner == "" {
			// Through a reference the kind is the referenced object's:
			// look the constant up as each kind it may be.
			a.kinds = append(append([]observable.Kind{0}, refKinds...), observable.IPv6)
			return []anchor{a}, false, min(cost, costRef)
		}
		k := kindOf(owner, rel)
		if k != 0 {
			cost = costObservable
		}
		a.kinds = []observable.Kind{k}
		return []anchor{a}, !general, cost
	case c.Op == pattern.OpIsSubset || c.Op == pattern.OpIsSuperset:
		a.kind, a.pfx = aSub, c.pfx
		if c.Op == pattern.OpIsSuperset {
			a.kind = aSup
		}
		return []anchor{a}, !general, costCIDR
	case c.Op == pattern.OpLike:
		if lit := likeLiteral(c.Value.Str); lit != "" {
			a.kind, a.lit = aLike, lit
			return []anchor{a}, false, costLike
		}
		a.kind = aScan
		return []anchor{a}, false, costScan
	case c.Op == pattern.OpExists:
		a.kind = aScan
		return []anchor{a}, !general, costScan
	case c.Op == pattern.OpMatches:
		if !isBinaryProp(rel) {
			if lit := requiredLiteral(c.re); len(lit) >= 2 {
				a.kind, a.lit = aLike, lit
				return []anchor{a}, false, costLike
			}
		}
		a.kind = aScan
		return []anchor{a}, false, costScan
	}
	return []anchor{{kind: aType, typ: c.ObjectType}}, false, costType
}

// requiredLiteral returns the longest text every match of re contains,
// or "".
func requiredLiteral(re *regexp.Regexp) string {
	// The expression compiled, so it parses.
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return ""
	}
	return required(t.Simplify())
}

func required(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return ""
		}
		return string(re.Rune)
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpConcat:
		best, run := "", ""
		for _, s := range re.Sub {
			if s.Op == syntax.OpLiteral && s.Flags&syntax.FoldCase == 0 {
				run += string(s.Rune)
			} else {
				run = ""
				if r := required(s); len(r) > len(best) {
					best = r
				}
			}
			if len(run) > len(best) {
				best = run
			}
		}
		return best
	}
	return ""
}

// generalize replaces list indexes with [*] and reports whether it did.
func generalize(path []pattern.Step) ([]pattern.Step, bool) {
	general := false
	for _, s := range path {
		if s.Kind == pattern.StepIndex {
			general = true
			break
		}
	}
	if !general {
		return path, false
	}
	out := slices.Clone(path)
	for i := range out {
		if out[i].Kind == pattern.StepIndex {
			out[i] = pattern.Step{Kind: pattern.StepAnyIndex}
		}
	}
	return out, true
}

// register adds leaf id under anchor a.
func (b *Builder) register(a anchor, id uint32) {
	idx := b.idx
	if a.kind == aType {
		if !slices.Contains(idx.byType[a.typ], id) {
			idx.byType[a.typ] = append(idx.byType[a.typ], id)
		}
		return
	}
	fid, ok := b.field(a.typ, a.path)
	if !ok {
		b.register(anchor{kind: aType, typ: a.typ}, id)
		return
	}
	f := &idx.fields[fid]
	switch a.kind {
	case aEq:
		f.eq = true
		for _, v := range a.vals {
			for _, k := range a.kinds {
				var ok bool
				b.buf, ok = appendValueKey(b.buf[:0], fid, k, v)
				if ok {
					b.addEq(b.buf, id)
				}
			}
		}
	case aSub, aSup:
		t := &f.sub
		if a.kind == aSup {
			t = &f.sup
		}
		if *t == nil {
			*t = new(bart.Table[[]uint32])
		}
		(*t).Modify(a.pfx, func(old []uint32, _ bool) ([]uint32, bool) {
			if slices.Contains(old, id) {
				return old, false
			}
			return append(old, id), false
		})
	case aLike:
		if f.like == nil {
			f.like = &likeSet{pos: map[string]int{}}
		}
		ls := f.like
		i, ok := ls.pos[a.lit]
		if !ok {
			i = len(ls.lits)
			ls.pos[a.lit] = i
			ls.lits = append(ls.lits, a.lit)
			ls.leaves = append(ls.leaves, nil)
		}
		if !slices.Contains(ls.leaves[i], id) {
			ls.leaves[i] = append(ls.leaves[i], id)
		}
	case aScan:
		if !slices.Contains(f.scan, id) {
			f.scan = append(f.scan, id)
		}
	}
}

// field returns the number of the field (typ, path), adding it; false
// when 65,535 fields exist already (the caller then anchors by type).
func (b *Builder) field(typ string, path []pattern.Step) (uint16, bool) {
	idx := b.idx
	b.name = appendFieldName(b.name[:0], typ, path)
	if id, ok := idx.fieldIDs[string(b.name)]; ok {
		return id, true
	}
	if len(idx.fields) >= 1<<16-1 {
		return 0, false
	}
	id := uint16(len(idx.fields))
	idx.fields = append(idx.fields, field{typ: typ, path: path})
	idx.fieldIDs[string(b.name)] = id
	idx.probe[typ] = append(idx.probe[typ], id)
	return id, true
}

// appendFieldName appends a name that identifies an object path: the type
// and each step, with hash algorithm keys in one spelling (SHA256 as
// SHA-256), so that both spellings share a field.
func appendFieldName(b []byte, typ string, path []pattern.Step) []byte {
	b = append(b, typ...)
	for i, s := range path {
		switch s.Kind {
		case pattern.StepKey:
			key := s.Key
			if i > 0 && path[i-1].Kind == pattern.StepKey && path[i-1].Key == "hashes" {
				if k, ok := observable.HashKind(key); ok {
					key = hashNames[k]
				}
			}
			b = append(b, 0)
			b = append(b, key...)
		case pattern.StepAnyIndex:
			b = append(b, 0, '*')
		case pattern.StepIndex:
			b = append(b, 0, '#')
			b = strconv.AppendInt(b, int64(s.Index), 10)
		}
	}
	return b
}

// hashNames are the hash-algorithm-ov spellings of the hash kinds.
var hashNames = map[observable.Kind]string{
	observable.MD5: "MD5", observable.SHA1: "SHA-1", observable.SHA256: "SHA-256", observable.SHA512: "SHA-512",
	observable.SHA3_256: "SHA3-256", observable.SHA3_512: "SHA3-512", observable.SSDEEP: "SSDEEP", observable.TLSH: "TLSH",
}

// addEq adds leaf id under key.
func (b *Builder) addEq(key []byte, id uint32) {
	idx := b.idx
	old, ok := idx.eq[string(key)]
	switch {
	case !ok:
		idx.eq[idx.keys.str(key)] = id
	case old&multiFlag != 0:
		m := &idx.multi[old&^multiFlag]
		if !slices.Contains(*m, id) {
			*m = append(*m, id)
		}
	case old != id:
		idx.eq[string(key)] = multiFlag | uint32(len(idx.multi))
		idx.multi = append(idx.multi, []uint32{old, id})
	}
}

// arena holds the bytes of many small strings in large blocks, so that a
// million map keys cost their bytes and not a million allocations.
type arena struct {
	cur []byte
}

// str copies b into the arena and returns it as a string, which stays
// valid (and immutable) as long as the arena's blocks are referenced.
func (a *arena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.cur)-len(a.cur) < len(b) {
		a.cur = make([]byte, 0, max(1<<20, len(b)))
	}
	start := len(a.cur)
	a.cur = append(a.cur, b...)
	return unsafe.String(&a.cur[start], len(b))
}

// Types returns the object types the index's patterns start from, and
// whether some pattern follows a reference (and so may reach objects of
// any type).
func (idx *Index) Types() (types map[string]bool, refs bool) {
	types = map[string]bool{}
	for t := range idx.probe {
		types[t] = true
	}
	for t := range idx.byType {
		types[t] = true
	}
	hasRef := func(path []pattern.Step) bool {
		for _, s := range path {
			if s.Kind == pattern.StepKey && isRefKey(s.Key) {
				return true
			}
		}
		return false
	}
	for _, f := range idx.fields {
		refs = refs || hasRef(f.path)
	}
	var visit func(n *cnode)
	visit = func(n *cnode) {
		if n.c != nil {
			types[n.c.ObjectType] = true
			refs = refs || hasRef(n.c.Path)
		}
		for i := range n.kids {
			visit(&n.kids[i])
		}
	}
	for i := range idx.exprs {
		visit(&idx.exprs[i])
	}
	return types, refs
}
