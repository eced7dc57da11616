package match

import (
	"math"
	"slices"
	"time"

	"github.com/tearline/tearline/stix/pattern"
)

// Match is an indicator whose pattern a stream of observations satisfied.
type Match struct {
	Indicator string // the indicator id
	// Time is when the match completed: the first_observed time of the
	// observation that completed it.
	Time time.Time
	// Observations are those that satisfied the pattern, oldest first; the
	// last completed the match. One for a pattern of one observation
	// expression.
	Observations []ObsRef
}

// Matcher matches a stream of observations against an Index. It keeps the
// recent history that patterns with AND, FOLLOWEDBY and REPEATS need, so
// one Matcher follows one stream, in time order. It is not safe for
// concurrent use: give each goroutine its own.
type Matcher struct {
	idx   *Index
	stamp []uint32 // per leaf: the observation number it was last a candidate of
	seq   uint32
	evSeq uint64

	verify []uint32 // candidate leaves to evaluate
	hits   []treeHit
	out    []Match
	states map[int32]*treeState
	buf    []byte

	// The observation and field being looked up.
	obs *Observation
	fid uint16
	f   *field
}

// treeHit is a leaf of a compound pattern that the current observation
// matched.
type treeHit struct {
	ind uint32
	pos uint16
}

// NewMatcher returns a Matcher over idx.
func (idx *Index) NewMatcher() *Matcher {
	return &Matcher{idx: idx, stamp: make([]uint32, len(idx.leaves)), states: map[int32]*treeState{}}
}

// Match matches one observation and returns the indicators it completed,
// each at most once. The slice and the Observations of its matches are
// reused by the next call.
func (m *Matcher) Match(obs *Observation) []Match {
	m.begin(obs)
	idx := m.idx
	for oi := range obs.Objects {
		o := &obs.Objects[oi]
		for _, fid := range idx.probe[o.Type] {
			m.fid, m.f = fid, &idx.fields[fid]
			walk(obs, oi, m.f.path, m)
		}
		for _, l := range idx.byType[o.Type] {
			m.candidate(l)
		}
	}
	for _, l := range m.verify {
		if idx.exprs[idx.leaves[l].expr].evalObs(obs) {
			m.hit(l)
		}
	}
	return m.end()
}

// begin starts matching observation obs.
func (m *Matcher) begin(obs *Observation) {
	m.out = m.out[:0]
	m.verify = m.verify[:0]
	m.hits = m.hits[:0]
	m.seq++
	if m.seq == 0 {
		clear(m.stamp)
		m.seq = 1
	}
	m.obs = obs
}

// end completes the compound patterns of the current observation and
// returns its matches.
func (m *Matcher) end() []Match {
	if len(m.hits) > 0 {
		m.trees()
	}
	m.obs = nil
	return m.out
}

// visit looks one value of the current field up in the field's
// structures.
func (m *Matcher) visit(v Value, owner string, rel []pattern.Step) bool {
	f, idx := m.f, m.idx
	if f.eq {
		var ok bool
		m.buf, ok = appendValueKey(m.buf[:0], m.fid, kindOf(owner, rel), v)
		if ok {
			if l, found := idx.lookupEq(m.buf); found {
				if l&multiFlag == 0 {
					m.candidate(l)
				} else {
					for _, l := range idx.multi[l&^multiFlag] {
						m.candidate(l)
					}
				}
			}
		}
	}
	if v.Kind != KindString {
		for _, l := range f.scan {
			m.candidate(l)
		}
		return false
	}
	if f.sub != nil || f.sup != nil {
		if p, ok := parsePrefix(v.Str); ok {
			if f.sub != nil {
				for _, ls := range f.sub.Supernets(p) {
					for _, l := range ls {
						m.candidate(l)
					}
				}
			}
			if f.sup != nil {
				for _, ls := range f.sup.Subnets(p) {
					for _, l := range ls {
						m.candidate(l)
					}
				}
			}
		}
	}
	if f.like != nil {
		it := f.like.ac.IterOverlapping(v.Str)
		for mt := it.Next(); mt != nil; mt = it.Next() {
			for _, l := range f.like.leaves[mt.Pattern()] {
				m.candidate(l)
			}
		}
	}
	for _, l := range f.scan {
		m.candidate(l)
	}
	return false
}

// candidate takes leaf l as a candidate of the current observation, once.
func (m *Matcher) candidate(l uint32) {
	if m.stamp[l] == m.seq {
		return
	}
	m.stamp[l] = m.seq
	if m.idx.leaves[l].expr < 0 {
		m.hit(l)
		return
	}
	m.verify = append(m.verify, l)
}

// hit records that the current observation matched leaf l.
func (m *Matcher) hit(l uint32) {
	lf := m.idx.leaves[l]
	r := &m.idx.inds[lf.ind]
	first, last := m.obs.First.UnixNano(), m.obs.Last.UnixNano()
	if r.from != 0 && last < r.from || r.until != 0 && first >= r.until {
		return
	}
	if r.tree < 0 {
		m.out = append(m.out, Match{Indicator: m.idx.ID(lf.ind), Time: m.obs.First, Observations: append(m.refBuf(), m.ref())})
		return
	}
	m.hits = append(m.hits, treeHit{ind: lf.ind, pos: lf.pos})
}

// refBuf returns an empty ObsRef slice to fill for the next match.
func (m *Matcher) refBuf() []ObsRef {
	n := len(m.out)
	if n < cap(m.out) {
		return m.out[:n+1][n].Observations[:0]
	}
	return make([]ObsRef, 0, 1)
}

func (m *Matcher) ref() ObsRef {
	return ObsRef{ID: m.obs.ID, Line: m.obs.Line, First: m.obs.First, Last: m.obs.Last}
}

// trees evaluates the compound patterns whose leaves the current
// observation matched.
func (m *Matcher) trees() {
	slices.SortFunc(m.hits, func(a, b treeHit) int {
		if a.ind != b.ind {
			return int(int64(a.ind) - int64(b.ind))
		}
		return int(a.pos) - int(b.pos)
	})
	m.evSeq++
	ev := &event{seq: m.evSeq, first: m.obs.First.UnixNano(), last: m.obs.Last.UnixNano(), ref: m.ref()}
	var pos []uint16
	for i := 0; i < len(m.hits); {
		ind := m.hits[i].ind
		pos = pos[:0]
		for ; i < len(m.hits) && m.hits[i].ind == ind; i++ {
			if n := len(pos); n == 0 || pos[n-1] != m.hits[i].pos {
				pos = append(pos, m.hits[i].pos)
			}
		}
		ti := m.idx.inds[ind].tree
		t := m.idx.trees[ti]
		var st *treeState
		if t.stateful {
			st = m.states[ti]
			if st == nil {
				st = &treeState{hist: make([][]*event, t.leaves)}
				m.states[ti] = st
			}
		} else {
			// Without AND, FOLLOWEDBY or REPEATS a pattern is matched by
			// one observation: nothing to remember.
			st = &treeState{hist: make([][]*event, t.leaves)}
		}
		b, ok := t.observe(st, ev, pos, m.idx.opts.MaxBindings)
		if !ok {
			continue
		}
		refs := m.refBuf()
		for _, e := range b.evs {
			refs = append(refs, e.ref)
		}
		m.out = append(m.out, Match{Indicator: m.idx.ID(ind), Time: m.obs.First, Observations: refs})
	}
}

// Stats describes an Index.
type Stats struct {
	Indicators int // indicators compiled
	Leaves     int // observation expressions
	Exact      int // observation expressions matched by index look-up alone
	Compound   int // patterns of more than one observation expression or with qualifiers
	Keys       int // equality keys
	Fields     int // distinct object paths indexed
}

// Stats returns counts that describe the index.
func (idx *Index) Stats() Stats {
	s := Stats{Indicators: len(idx.inds), Leaves: len(idx.leaves), Compound: len(idx.trees), Keys: len(idx.eq), Fields: len(idx.fields)}
	for _, l := range idx.leaves {
		if l.expr < 0 {
			s.Exact++
		}
	}
	return s
}

// unixNano returns t in Unix nanoseconds, clamped to the int64 range.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	if t.Year() > 2262 {
		return math.MaxInt64
	}
	return t.UnixNano()
}
