package federation

import (
	"github.com/tearline/tearline"
)

// Crosswalk maps the marking-definition ids of one peer to local ones (on
// the way in) and back (on the way out). Only references are rewritten:
// the ids in object_marking_refs and granular_markings[].marking_ref;
// every other byte of the object stays as it was.
type Crosswalk struct {
	in, out map[string]string
}

// NewCrosswalk returns the crosswalk of a peer's table (normalize.Peer has
// made it one to one).
func NewCrosswalk(table []tearline.MarkingMap) *Crosswalk {
	c := &Crosswalk{in: make(map[string]string, len(table)), out: make(map[string]string, len(table))}
	for _, m := range table {
		c.in[m.Remote] = m.Local
		c.out[m.Local] = m.Remote
	}
	return c
}

// Local returns the local id that the peer's marking id maps to.
func (c *Crosswalk) Local(remote string) (string, bool) {
	id, ok := c.in[remote]
	return id, ok
}

// Remote returns the peer's id that a local marking id maps to.
func (c *Crosswalk) Remote(local string) (string, bool) {
	id, ok := c.out[local]
	return id, ok
}

// Empty reports whether the crosswalk maps nothing.
func (c *Crosswalk) Empty() bool { return len(c.in) == 0 }

// inbound returns raw, read into f, with the peer's marking ids replaced
// by local ones, and f's references updated; raw itself when nothing maps.
func (c *Crosswalk) inbound(raw []byte, f *fields) []byte { return rewrite(raw, f, c.in) }

// outbound returns raw, read into f, with local marking ids replaced by
// the peer's; raw itself when nothing maps.
func (c *Crosswalk) outbound(raw []byte, f *fields) []byte { return rewrite(raw, f, c.out) }

// rewrite replaces the references of f found in m. The new ids are written
// as plain JSON strings (marking-definition ids need no escapes), so the
// result is as well-formed as raw; f's spans and ids are updated to the
// new bytes.
func rewrite(raw []byte, f *fields, m map[string]string) []byte {
	if len(m) == 0 {
		return raw
	}
	changed := false
	for _, r := range f.refs {
		if _, ok := m[r.id]; ok {
			changed = true
			break
		}
	}
	if !changed {
		return raw
	}
	out := make([]byte, 0, len(raw)+8)
	prev, shift := 0, 0
	for i, r := range f.refs {
		to, ok := m[r.id]
		if !ok {
			f.refs[i].start += shift
			f.refs[i].end += shift
			continue
		}
		out = append(out, raw[prev:r.start]...)
		start := len(out)
		out = append(out, '"')
		out = append(out, to...)
		out = append(out, '"')
		prev = r.end
		shift += (len(out) - start) - (r.end - r.start)
		f.refs[i] = ref{start: start, end: len(out), id: to}
	}
	return append(out, raw[prev:]...)
}
