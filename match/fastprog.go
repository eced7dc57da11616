package match

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/stix/pattern"
)

// The fast path of log lines (LineMatcher): when an index needs only
// equality look-ups of the values a mapping's fields fill, a line is
// scanned once and its values looked up straight from its bytes, without
// building objects. lineProg is what the scan needs, compiled from a
// Mapping and an Index; the scan itself is in fastline.go.

// lineProg is a mapping compiled against an index for the fast path.
type lineProg struct {
	root    *pnode
	nodes   int // pnodes, numbered 0..nodes-1
	m       *Mapping
	url     *ptarget   // the url object Mapping.URL builds, when set
	targets []*ptarget // all, by ptarget.num
}

// pnode is one field path of a mapping (a key of Mapping.info): the
// member names under it and what its value is used for.
type pnode struct {
	id      int
	byLen   [][]pkid // member names by length (flat paths such as Zeek's "id.orig_h" too)
	list    *pnode   // the items of a list at this path (path + "[]"), nil when unused
	prefix  bool     // objects or lists at this path hold mapped fields
	used    bool     // the value is a target, a time, the selector or a URL part
	time    int      // as fieldInfo.time
	sel     bool
	urlHost bool
	urlPath bool
	targets []ptarget
	// light: the value fills only objects no index field looks at, and
	// is no time, selector or URL part: it is only checked.
	light bool
	// A second value of the path in one line replaces the first in the
	// full decoder (last wins, or first for times): the fast path leaves
	// such lines to it. dupAny: any second value; dupElem: a second value
	// in the same list item.
	dupAny, dupElem bool
}

// pkid is a member name and the node of its path.
type pkid struct {
	name string
	n    *pnode
	w0   uint64 // the first 8 bytes of name (fewer padded with zeros), little-endian
}

// ptarget is a Target with the index look-ups its values need.
type ptarget struct {
	tg          *Target
	lower, hex  bool
	wantString  bool
	wantNumber  bool
	elemSlot    bool      // the slot ends in "[]"
	types       [3]string // the object types a value may make: the static type, or by value (ip, ip-or-domain)
	probes      [3][]fprobe
	ipOrDomain  bool
	ipByAddress bool
	// looked: the value is looked up, or its type depends on it; else it
	// needs no conversion.
	looked bool
	num    int32 // position in lineProg.targets
}

// Type positions in ptarget.types for "ip" and "ip-or-domain" targets.
const (
	tIPv4 = iota
	tIPv6
	tDomain
)

// fprobe is one look-up of a value: the index field, the observable kind
// its key normalizes to, and the field's position among those of its
// object type (the order the full matcher visits them in).
type fprobe struct {
	fid  uint16
	kind observable.Kind
	rank int
}

// compileLineProg compiles m for idx's fast path, or returns nil when the
// index needs more than equality look-ups (a pattern that must be
// evaluated on whole objects, CIDR, LIKE, MATCHES, EXISTS, paths through
// references or on the type) or the mapping builds objects whose values
// the fast path cannot follow (two fields filling one property).
func compileLineProg(idx *Index, m *Mapping) *lineProg {
	if !idx.equalityOnly() || !mappingPlain(m) {
		return nil
	}
	p := &lineProg{m: m}
	nodes := map[string]*pnode{}
	node := func(path string) *pnode {
		if n := nodes[path]; n != nil {
			return n
		}
		n := &pnode{id: len(nodes)}
		nodes[path] = n
		return n
	}
	p.root = node("")
	paths := make([]string, 0, len(m.info))
	for path := range m.info {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	for _, path := range paths {
		info := m.info[path]
		n := node(path)
		n.prefix, n.time, n.sel, n.urlHost, n.urlPath = info.prefix, info.time, info.sel, info.urlHost, info.urlPath
		n.used = info.targets != nil || info.time > 0 || info.sel || info.urlHost || info.urlPath
		n.dupAny = info.time > 0 || info.sel || info.urlHost || info.urlPath
		for i := range info.targets {
			tg := &info.targets[i]
			pt, ok := compileTarget(idx, m, tg)
			if !ok {
				return nil
			}
			n.targets = append(n.targets, pt)
			if !tg.list {
				if pt.elemSlot {
					n.dupElem = true
				} else {
					n.dupAny = true
				}
			}
		}
	}
	for _, path := range paths {
		n := nodes[path]
		if l, ok := nodes[path+"[]"]; ok {
			n.list = l
		}
		// The parent of path is every shorter path p with path = p + "." +
		// name (or name alone at the top): a member name may hold dots.
		p.root.add(path, n)
		for i := 0; i < len(path); i++ {
			if path[i] == '.' {
				if parent, ok := nodes[path[:i]]; ok {
					parent.add(path[i+1:], n)
				}
			}
		}
	}
	p.nodes = len(nodes)
	if m.URL != nil {
		pt, ok := compileTarget(idx, m, &m.urlTarget)
		if !ok {
			return nil
		}
		p.url = &pt
		p.number(p.url)
	}
	for _, path := range paths {
		n := nodes[path]
		for i := range n.targets {
			p.number(&n.targets[i])
		}
	}
	looked := map[string]bool{} // slots some value of which is looked up
	for _, pt := range p.targets {
		looked[pt.tg.Slot] = looked[pt.tg.Slot] || pt.looked
	}
	for _, path := range paths {
		n := nodes[path]
		n.light = n.time == 0 && !n.sel && !n.urlHost && !n.urlPath
		for _, pt := range n.targets {
			n.light = n.light && !looked[pt.tg.Slot]
		}
	}
	return p
}

// number gives pt its position in p.targets.
func (p *lineProg) number(pt *ptarget) {
	pt.num = int32(len(p.targets))
	p.targets = append(p.targets, pt)
}

// add makes name a member of n's objects, of path node kid.
func (n *pnode) add(name string, kid *pnode) {
	if name == "" {
		return
	}
	for len(n.byLen) <= len(name) {
		n.byLen = append(n.byLen, nil)
	}
	n.byLen[len(name)] = append(n.byLen[len(name)], pkid{name: name, n: kid, w0: word0(name)})
}

// word0 returns the first 8 bytes of s, fewer padded with zeros, as a
// little-endian number.
func word0[T string | []byte](s T) uint64 {
	var w uint64
	for k := min(len(s), 8) - 1; k >= 0; k-- {
		w = w<<8 | uint64(s[k])
	}
	return w
}

// kid returns the node of the member name b[i:j], or nil.
func (n *pnode) kid(b []byte, i, j int) *pnode {
	l := j - i
	if l >= len(n.byLen) || len(n.byLen[l]) == 0 {
		return nil
	}
	// Compare the first 8 bytes as a number: most names differ there.
	var w uint64
	if i+8 <= len(b) {
		w = binary.LittleEndian.Uint64(b[i:])
		if l < 8 {
			w &= 1<<(8*l) - 1
		}
	} else {
		w = word0(b[i:j])
	}
	for _, k := range n.byLen[l] {
		if k.w0 == w && (l <= 8 || k.name[8:] == string(b[i+8:j])) {
			return k.n
		}
	}
	return nil
}

// compileTarget finds the index fields a target's values are looked up
// in; false when a field of its type reaches the values in a way the fast
// path does not follow.
func compileTarget(idx *Index, m *Mapping, tg *Target) (ptarget, bool) {
	pt := ptarget{
		tg:         tg,
		lower:      strings.Contains(tg.Conv, "lower"),
		hex:        strings.Contains(tg.Conv, "hex"),
		wantString: tg.Want == "string",
		wantNumber: tg.Want == "number",
		elemSlot:   strings.HasSuffix(tg.Slot, "[]"),
	}
	switch tg.Type {
	case "ip":
		pt.ipByAddress = true
		pt.types = [3]string{tIPv4: "ipv4-addr", tIPv6: "ipv6-addr"}
	case "ip-or-domain":
		pt.ipOrDomain = true
		pt.types = [3]string{"ipv4-addr", "ipv6-addr", "domain-name"}
	default:
		pt.types[0] = tg.Type
	}
	for ti, typ := range pt.types {
		if typ == "" {
			continue
		}
		for rank, fid := range idx.probe[typ] {
			f := &idx.fields[fid]
			reach, ok := reaches(f.path, tg.Path, tg.list)
			for _, l := range m.Links {
				// A link's property holds references, which walk follows.
				ok = ok && f.path[0].Key != l.Prop
			}
			if !ok {
				return pt, false
			}
			if reach {
				pt.probes[ti] = append(pt.probes[ti], fprobe{fid: fid, kind: kindOf(typ, f.path), rank: rank})
				pt.looked = true
			}
		}
	}
	pt.looked = pt.looked || pt.ipByAddress || pt.ipOrDomain
	return pt, true
}

// reaches reports whether an index field's path reaches the values of a
// target's property (Path, and its items when the target appends to a
// list) as walk follows it: key by key, hash algorithms by their kind
// under "hashes". ok is false for paths the fast path does not follow:
// on the object's type, or through a reference.
func reaches(path []pattern.Step, prop []string, list bool) (reach, ok bool) {
	if len(path) == 0 || path[0].Kind != pattern.StepKey || path[0].Key == "type" {
		return false, false
	}
	for _, s := range path {
		if s.Kind == pattern.StepIndex || s.Kind == pattern.StepKey && isRefKey(s.Key) {
			return false, false
		}
	}
	n := len(prop)
	if list {
		n++
	}
	if len(path) != n {
		return false, true
	}
	for k, key := range prop {
		s := path[k]
		if s.Kind != pattern.StepKey {
			return false, true
		}
		if s.Key == key {
			continue
		}
		if k == 0 || path[k-1].Kind != pattern.StepKey || path[k-1].Key != "hashes" {
			return false, true
		}
		want, ok1 := observable.HashKind(s.Key)
		got, ok2 := observable.HashKind(key)
		if !ok1 || !ok2 || want != got {
			return false, true
		}
	}
	if list && path[n-1].Kind != pattern.StepAnyIndex {
		return false, true
	}
	return true, true
}

// equalityOnly reports whether every observation expression of idx is
// proven by an equality look-up alone: no expression to evaluate on
// objects, no CIDR, LIKE, MATCHES or EXISTS anchors, no anchors by type.
func (idx *Index) equalityOnly() bool {
	for _, l := range idx.leaves {
		if l.expr >= 0 {
			return false
		}
	}
	for _, ls := range idx.byType {
		if len(ls) > 0 {
			return false
		}
	}
	for i := range idx.fields {
		f := &idx.fields[i]
		if f.sub != nil || f.sup != nil || f.like != nil || len(f.scan) > 0 {
			return false
		}
	}
	return true
}

// mappingPlain reports whether every property of the objects m builds is
// filled by one field at a time, so that the values a line holds are the
// values its objects hold: no property path of a slot is a prefix of
// another or both a list and not, no two fields fill one property of one
// object, and no link's property is also filled by a field.
func mappingPlain(m *Mapping) bool {
	type use struct {
		field string
		tg    *Target
	}
	bySlot := map[string][]use{}
	for field, info := range m.info {
		for i := range info.targets {
			tg := &info.targets[i]
			bySlot[tg.Slot] = append(bySlot[tg.Slot], use{field, tg})
		}
	}
	if m.URL != nil {
		bySlot[m.urlTarget.Slot] = append(bySlot[m.urlTarget.Slot], use{"", &m.urlTarget})
	}
	for _, l := range m.Links {
		for _, u := range bySlot[l.From] {
			if u.tg.Path[0] == l.Prop {
				return false
			}
		}
	}
	for _, uses := range bySlot {
		for i, a := range uses {
			for _, b := range uses[i+1:] {
				pa, pb := a.tg.Path, b.tg.Path
				short := min(len(pa), len(pb))
				if !slices.Equal(pa[:short], pb[:short]) {
					continue
				}
				if len(pa) != len(pb) || a.tg.list != b.tg.list {
					return false // one property nests in the other, or is a list and not
				}
				if a.tg.list {
					continue // both append to one list
				}
				if !distinctItems(a.field, b.field, a.tg.Slot) {
					return false
				}
			}
		}
	}
	return true
}

// distinctItems reports whether two fields filling one property of slot
// always fill it in different objects: the slot makes one object per
// list item, and the fields lie in different lists, neither within the
// other.
func distinctItems(a, b, slot string) bool {
	if !strings.HasSuffix(slot, "[]") || a == "" || b == "" {
		return false
	}
	la, lb := innerList(a), innerList(b)
	if la == "" || lb == "" || la == lb {
		return false
	}
	return !strings.HasPrefix(la, lb) && !strings.HasPrefix(lb, la)
}

// innerList returns the path of the innermost list a field lies in (up to
// its last "[]"), or "".
func innerList(field string) string {
	i := strings.LastIndex(field, "[]")
	if i < 0 {
		return ""
	}
	return field[:i+2]
}
