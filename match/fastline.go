package match

import (
	"bytes"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// LineMatcher decodes the lines of a JSON-lines log by a Mapping and
// matches each against an Index, as a LineDecoder and a Matcher do
// together, faster when it can: when every pattern of the index is
// proven by equality look-ups alone (= and IN on values an object holds,
// joined by OR, in patterns of any observation operators and
// qualifiers), a line is scanned once and the values of its mapped fields
// are looked up straight from its bytes, normalized as the index's keys,
// without building objects. Lines that scan cannot decide alone — a
// shape the mapping does not expect, invalid JSON, a member name with
// escapes, a field given twice — and every line of an index that needs
// objects are decoded and matched in full, so both ways give the same
// matches in the same order and skip the same lines for the same
// reasons.
//
// Like a Matcher it follows one stream in time order and is not safe for
// concurrent use.
type LineMatcher struct {
	prog *lineProg // nil when the index needs objects
	dec  *LineDecoder
	mt   *Matcher
	s    fastScan
	obs  Observation
	last *Observation

	fast, full int // lines each way, for tests
}

// NewLineMatcher returns a LineMatcher of the lines of r (nil when lines
// are given to Match) by mapping m against idx.
func (idx *Index) NewLineMatcher(r io.Reader, m *Mapping) *LineMatcher {
	lm := &LineMatcher{prog: compileLineProg(idx, m), dec: NewLineDecoder(r, m), mt: idx.NewMatcher()}
	lm.dec.Only(idx)
	if lm.prog != nil {
		lm.s = fastScan{p: lm.prog, idx: idx, seen: make([]nodeSeen, lm.prog.nodes)}
	}
	return lm
}

// Match decodes and matches one line (without its newline). It returns
// the indicators the line completed, as Matcher.Match, or, when the line
// is skipped, why (the reasons of LineDecoder.Decode) and no matches. The
// slice is reused by the next call.
func (lm *LineMatcher) Match(line []byte) ([]Match, string) { return lm.match(line, 0) }

// Next reads the next line of the reader that maps to an observation and
// matches it. It returns the observation, with its line number, as
// Observation does, and the indicators the line completed; io.EOF at the
// end; other errors are the reader's. Skipped lines are counted in Skips.
func (lm *LineMatcher) Next() (*Observation, []Match, error) {
	d := lm.dec
	for {
		line, err := d.readLine()
		if err != nil {
			return nil, nil, err
		}
		d.line++
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		ms, reason := lm.match(line, d.line)
		if reason != "" {
			d.skips.Add(reason)
			continue
		}
		return lm.last, ms, nil
	}
}

// Skips returns the count of lines Next skipped, by reason.
func (lm *LineMatcher) Skips() *Skips { return lm.dec.Skips() }

// match matches line number n (0 when unknown).
func (lm *LineMatcher) match(line []byte, n int) ([]Match, string) {
	if lm.prog != nil && lm.s.run(line) {
		lm.fast++
		lm.obs = Observation{First: lm.s.when, Last: lm.s.when, Line: n, Raw: line}
		lm.last = &lm.obs
		lm.mt.begin(&lm.obs)
		lm.s.order()
		for _, h := range lm.s.hits {
			lm.mt.candidate(h.leaf)
		}
		return lm.mt.end(), ""
	}
	lm.full++
	obs, reason := lm.dec.Decode(line)
	if reason != "" {
		lm.last = nil
		return nil, reason
	}
	obs.Line = n
	lm.last = obs
	return lm.mt.Match(obs), ""
}

// Observation returns the observation of the last line Match matched
// (nil after a skipped line): its time and Raw, and its Objects only when
// the line was decoded in full (nil when the scan matched it). It is
// valid until the next call of Match.
func (lm *LineMatcher) Observation() *Observation { return lm.last }

// fastScan is the state of scanning one line on the fast path.
type fastScan struct {
	p   *lineProg
	idx *Index
	b   []byte

	elem     int    // list items begun, as LineDecoder.elem
	strs     []byte // unescaped and converted strings of the line
	keys     []byte // of the values to look up
	pend     []pending
	when     time.Time
	whenRank int
	minute   minuteCache
	sel      string
	selSeen  bool
	host     string
	uri      string
	mapped   int
	line     uint32
	seen     []nodeSeen // by pnode id: the line and list item of its last value
	assigns  []fassign
	hits     []fhit
}

// fastDepth bounds the nesting the scan follows; deeper lines are decoded
// in full.
const fastDepth = 32

// nodeSeen is when a field path last had a value.
type nodeSeen struct {
	line uint32
	elem int
}

// fassign is an object a value of the line goes to, as LineDecoder's
// slots tell them apart: by slot, list item and type (the target's
// number in lineProg.targets and the position of the type in its types).
type fassign struct {
	target int32
	ti     int32
	elem   int
}

// fhit is a leaf whose key a value of the line holds: the value's
// assignment, the field's rank among its type's fields.
type fhit struct {
	assign int
	rank   int
	leaf   uint32
}

// run scans line and looks its values up. It reports false when the full
// decoder must decide the line.
func (s *fastScan) run(line []byte) bool {
	s.b = line
	s.elem, s.strs, s.when, s.whenRank = 0, s.strs[:0], time.Time{}, 0
	s.sel, s.selSeen, s.host, s.uri, s.mapped = "", false, "", "", 0
	s.assigns, s.hits, s.keys, s.pend = s.assigns[:0], s.hits[:0], s.keys[:0], s.pend[:0]
	s.line++
	if s.line == 0 {
		clear(s.seen)
		s.line = 1
	}
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	end, ok := s.object(i, s.p.root, 0)
	if !ok || skipSpace(line, end) != len(line) {
		return false
	}
	m := s.p.m
	if s.selSeen && m.Select != "" && !slices.Contains(m.Accept, s.sel) {
		return false
	}
	if s.whenRank == 0 || s.when.IsZero() || s.mapped == 0 {
		return false
	}
	if pt := s.p.url; pt != nil && s.uri != "" && (s.host != "" || strings.Contains(s.uri, "://")) {
		u := s.uri
		if !strings.Contains(u, "://") {
			start := len(s.strs)
			s.strs = append(s.strs, "http://"...)
			s.strs = append(s.strs, s.host...)
			if !strings.HasPrefix(u, "/") {
				s.strs = append(s.strs, '/')
			}
			s.strs = append(s.strs, u...)
			u = strAt(s.strs, start)
		}
		a := len(s.assigns)
		s.assigns = append(s.assigns, fassign{target: pt.num})
		for _, pr := range pt.probes[0] {
			s.probe(pr, String(u), a)
		}
	}
	s.lookUp()
	return true
}

// object scans the object at b[i] whose field path is node n.
func (s *fastScan) object(i int, n *pnode, depth int) (int, bool) {
	b := s.b
	if depth >= fastDepth {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		j := nextSpecial(b, i+1)
		if j >= len(b) || b[j] != '"' {
			return j, false // escapes, control characters, non-ASCII: the full decoder
		}
		kid := n.kid(b, i+1, j)
		if i = j + 1; i < len(b) && b[i] == ':' {
			i++
		} else if i = skipSpace(b, i); i < len(b) && b[i] == ':' {
			i++
		} else {
			return i, false
		}
		if i < len(b) && b[i] <= ' ' {
			i = skipSpace(b, i)
		}
		var ok bool
		if i, ok = s.member(i, kid, depth); !ok {
			return i, false
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		return i, false
	}
}

// member scans the value at b[i] of field path n (nil for a path the
// mapping does not use).
func (s *fastScan) member(i int, n *pnode, depth int) (int, bool) {
	b := s.b
	if i >= len(b) {
		return i, false
	}
	if n == nil {
		return s.skip(i, depth)
	}
	switch b[i] {
	case '{':
		if n.prefix {
			return s.object(i, n, depth+1)
		}
	case '[':
		if n.prefix {
			return s.list(i, n.list, depth+1)
		}
	}
	if !n.used {
		return s.skip(i, depth)
	}
	return s.scalar(i, n, depth)
}

// skipSpecial marks the bytes of a string skipValue looks at: the quote,
// the backslash and control characters.
var skipSpecial = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20
	}
	return t
}()

// skip skips the value at b[i] as skipValue does, strings faster.
func (s *fastScan) skip(i, depth int) (int, bool) {
	b := s.b
	switch c := b[i]; {
	case c == '"':
	case c >= '0' && c <= '9' || c == '-':
		// Integers of up to 18 digits, which parseInt reads: no range to
		// check.
		if j, isInt, ok := scanNumber(b, i); ok && isInt && j-i <= 18 {
			return j, true
		}
		fallthrough
	default:
		j, err := skipValue(b, i, depth)
		return j, err == nil
	}
	for j := i + 1; ; {
		// nextSpecial also stops at non-ASCII bytes, which this skips.
		if j = nextSpecial(b, j); j >= len(b) {
			break
		}
		c := b[j]
		switch {
		case !skipSpecial[c]:
			j++
		case c == '"':
			return j + 1, true
		case c == '\\':
			n, ok := escapeLen(b, j)
			if !ok {
				return j, false
			}
			j += n
		default:
			return j, false
		}
	}
	return len(b), false
}

// list scans the list at b[i] whose items' path is n.
func (s *fastScan) list(i int, n *pnode, depth int) (int, bool) {
	b := s.b
	if depth >= fastDepth {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		s.elem++
		var ok bool
		if i, ok = s.member(i, n, depth); !ok {
			return i, false
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		return i, false
	}
}

// scalar takes in the value at b[i] of the used field path n, as
// LineDecoder.scalar does, and looks it up.
func (s *fastScan) scalar(i int, n *pnode, depth int) (int, bool) {
	b := s.b
	var v Value
	var end int
	switch c := b[i]; {
	case c == '"':
		str, j, err := parseString(b, i, s.strs[len(s.strs):])
		if err != nil {
			return j, false
		}
		if len(str) > 0 && &str[0] != &b[i+1] {
			start := len(s.strs)
			s.strs = append(s.strs, str...)
			v = String(strAt(s.strs, start))
		} else {
			v = String(bytesStr(str))
		}
		end = j
	case c == '{' || c == '[':
		return i, false // the full decoder skips the line: a wrong type
	default:
		var err error
		if v, end, err = parseScalar(b, i); err != nil {
			return end, false
		}
	}
	if v.Kind == KindNull {
		return end, true
	}
	if n.light {
		// Objects no field looks at: their values need only the checks
		// that may skip the line.
		for k := range n.targets {
			pt := &n.targets[k]
			if pt.wantString && v.Kind != KindString || pt.wantNumber && v.Kind != KindInt && v.Kind != KindFloat {
				return end, false
			}
		}
		s.mapped += len(n.targets)
		return end, true
	}
	if n.dupAny || n.dupElem {
		seen := &s.seen[n.id]
		if seen.line == s.line && (n.dupAny || seen.elem == s.elem) {
			return end, false
		}
		seen.line, seen.elem = s.line, s.elem
	}
	if n.time > 0 && (s.whenRank == 0 || n.time < s.whenRank) {
		s.whenRank, s.when = n.time, s.minute.parseTime(v)
	}
	if v.Kind == KindString {
		if n.sel {
			s.sel, s.selSeen = v.Str, true
		}
		if n.urlHost {
			s.host = v.Str
		}
		if n.urlPath {
			s.uri = v.Str
		}
	}
	for k := range n.targets {
		pt := &n.targets[k]
		switch {
		case pt.wantString && v.Kind != KindString, pt.wantNumber && v.Kind != KindInt && v.Kind != KindFloat:
			return end, false // the full decoder skips the line: a wrong type
		}
		w := v
		if w.Kind == KindString && (pt.lower || pt.hex) && pt.looked {
			w.Str = convertTo(&s.strs, pt.lower, pt.hex, w.Str)
		}
		ti := 0
		switch {
		case pt.ipByAddress:
			if strings.IndexByte(w.Str, ':') >= 0 {
				ti = tIPv6
			}
		case pt.ipOrDomain:
			if _, ok := parseIPv4(w.Str); ok {
				break
			}
			if _, err := netip.ParseAddr(w.Str); err != nil {
				ti = tDomain
			} else if strings.IndexByte(w.Str, ':') >= 0 {
				ti = tIPv6
			}
		}
		s.mapped++
		elem := 0
		if pt.elemSlot {
			elem = s.elem
		}
		a := len(s.assigns)
		s.assigns = append(s.assigns, fassign{target: pt.num, ti: int32(ti), elem: elem})
		for _, pr := range pt.probes[ti] {
			s.probe(pr, w, a)
		}
	}
	return end, true
}

// probe computes the key of value v in field pr of the index, to look up
// when the line is read (lookUp).
func (s *fastScan) probe(pr fprobe, v Value, assign int) {
	start := len(s.keys)
	var ok bool
	if s.keys, ok = appendValueKey(s.keys, pr.fid, pr.kind, v); !ok {
		s.keys = s.keys[:start]
		return
	}
	s.pend = append(s.pend, pending{start: start, end: len(s.keys), assign: assign, rank: pr.rank})
}

// pending is a key of the line to look up.
type pending struct {
	start, end   int // in fastScan.keys
	assign, rank int
}

// lookUp looks the line's keys up. The filter's words of all of them are
// read together, so that their cache misses overlap.
func (s *fastScan) lookUp() {
	idx := s.idx
	for _, p := range s.pend {
		key := s.keys[p.start:p.end]
		if idx.filter != nil && !idx.filter.mayHave(key) {
			continue
		}
		l, found := idx.eq[string(key)]
		if !found {
			continue
		}
		if l&multiFlag == 0 {
			s.hits = append(s.hits, fhit{assign: p.assign, rank: p.rank, leaf: l})
			continue
		}
		for _, l := range idx.multi[l&^multiFlag] {
			s.hits = append(s.hits, fhit{assign: p.assign, rank: p.rank, leaf: l})
		}
	}
}

// order puts the hits in the order the full matcher finds them: by
// object (in the order the line's values first make them), by field
// within the object's type, then by value.
func (s *fastScan) order() {
	if len(s.hits) < 2 {
		return
	}
	// An object is known by its first assignment.
	key := func(a fassign) (string, int, string) {
		pt := s.p.targets[a.target]
		return pt.tg.Slot, a.elem, pt.types[a.ti]
	}
	object := func(a int) int {
		slot, elem, typ := key(s.assigns[a])
		for j := range a {
			if s2, e2, t2 := key(s.assigns[j]); s2 == slot && e2 == elem && t2 == typ {
				return j
			}
		}
		return a
	}
	slices.SortStableFunc(s.hits, func(x, y fhit) int {
		if ox, oy := object(x.assign), object(y.assign); ox != oy {
			return ox - oy
		}
		if x.rank != y.rank {
			return x.rank - y.rank
		}
		return x.assign - y.assign
	})
}

// Counts returns how many lines Match took each way: scanned and looked
// up from their bytes, or decoded (and, unless skipped, matched) in full.
func (lm *LineMatcher) Counts() (scanned, decoded int) { return lm.fast, lm.full }
