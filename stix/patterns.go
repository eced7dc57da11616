package stix

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tearline/tearline/stix/pattern"
)

// PatternSchema resolves the object paths of STIX patterns against the
// cyber-observable definitions of this package: the SCO types, their common
// properties, nested objects, references (followed to the properties of the
// objects they may point to) and predefined extensions. Custom x- types,
// x_ properties, dictionary keys and custom extensions are accepted
// unchecked. Use it as pattern.Parser{Schema: stix.PatternSchema}.
var PatternSchema pattern.Schema = patternSchema{}

// patterns parses indicator patterns with the object definitions.
var patterns = pattern.Parser{Schema: PatternSchema}

// indicatorPattern checks the pattern of an indicator whose pattern_type is
// "stix"; other pattern languages are not checked.
func indicatorPattern(c *checker, o *Value, path string) {
	p := o.Get("pattern")
	if p == nil || p.Kind != String || o.GetString("pattern_type") != "stix" {
		return
	}
	if _, err := patterns.Parse(p.Str); err != nil {
		e := err.(*pattern.Error)
		c.errorf(joinPath(path, "pattern"), "pattern", "invalid STIX pattern at column %d: %s", e.Column, e.Msg)
	}
}

type patternSchema struct{}

// scope is an object a path step may name a member of: an SCO (top) or an
// object nested in one, owned by an SCO type.
type scope struct {
	owner string
	props [][]prop
	exts  map[string][]prop // predefined extensions of a top-level SCO
	top   bool
}

// pathWalk follows one object path.
type pathWalk struct {
	typ  string
	path []pattern.Step
}

// Resolve implements pattern.Schema.
func (patternSchema) Resolve(typ string, path []pattern.Step) pattern.Resolution {
	def := registry[typ]
	switch {
	case def == nil && strings.HasPrefix(typ, "x-"):
		return pattern.Resolution{}
	case def == nil:
		return badStep(-1, "unknown object type %q: object paths start from a cyber-observable type such as file or ipv4-addr, or a custom type starting with \"x-\"", typ)
	case def.class != classSCO:
		return badStep(-1, "%q is not a cyber-observable type: patterns match cyber-observable objects such as file or ipv4-addr", typ)
	}
	w := pathWalk{typ: typ, path: path}
	return w.object([]scope{scoScope(typ, def)}, 0)
}

func scoScope(typ string, def *typeDef) scope {
	return scope{owner: typ, props: [][]prop{scoCommon, def.props}, exts: def.extensions, top: true}
}

func badStep(i int, format string, args ...any) pattern.Resolution {
	return pattern.Resolution{Bad: i, Problem: fmt.Sprintf(format, args...)}
}

// prefix writes the path up to step i, for messages.
func (w *pathWalk) prefix(i int) string {
	if i == 0 {
		return w.typ
	}
	return pattern.FormatPath(w.typ, w.path[:i])
}

// object resolves path[i:] on an object that is one of scopes.
func (w *pathWalk) object(scopes []scope, i int) pattern.Resolution {
	if i == len(w.path) {
		return pattern.Resolution{Kind: pattern.PropObject, Types: owners(scopes)}
	}
	st := w.path[i]
	if st.Kind != pattern.StepKey {
		return badStep(i, "%s is an object, not a list: name one of its properties", w.prefix(i))
	}
	if st.Key == "extensions" && scopes[0].top {
		return w.extensions(scopes, i+1)
	}
	var found []*prop
	var foundIn []string // the owner of each found property
	for _, s := range scopes {
		for _, list := range s.props {
			for j := range list {
				if list[j].name == st.Key {
					found = append(found, &list[j])
					foundIn = append(foundIn, s.owner)
				}
			}
		}
	}
	if len(found) == 0 {
		if strings.HasPrefix(st.Key, "x_") {
			return pattern.Resolution{}
		}
		return badStep(i, "%s has no property %q", w.prefix(i), st.Key)
	}
	return w.value(found, foundIn, i+1)
}

// extensions resolves path[i:] in the extensions of an SCO: a predefined
// extension's properties, anything in a custom one.
func (w *pathWalk) extensions(scopes []scope, i int) pattern.Resolution {
	if i == len(w.path) {
		return pattern.Resolution{Kind: pattern.PropDictionary, Types: owners(scopes)}
	}
	st := w.path[i]
	if st.Kind != pattern.StepKey {
		return badStep(i, "%s is a dictionary of extensions, not a list: name an extension", w.prefix(i))
	}
	name := st.Key
	if strings.HasPrefix(name, "extension-definition--") || strings.HasPrefix(name, "x-") {
		return pattern.Resolution{}
	}
	var ext []scope
	for _, s := range scopes {
		if props, ok := s.exts[name]; ok {
			ext = append(ext, scope{owner: s.owner, props: [][]prop{props}})
		}
	}
	if len(ext) == 0 {
		return badStep(i, "%q is not a predefined extension of %s; custom extensions are named by an extension-definition identifier", name, strings.Join(owners(scopes), " or "))
	}
	return w.object(ext, i+1)
}

// value resolves path[i:] in the value of the properties found (of one
// name), foundIn[j] owning found[j].
func (w *pathWalk) value(found []*prop, foundIn []string, i int) pattern.Resolution {
	p := found[0]
	types := typeList(foundIn)
	leaf := func(k pattern.PropKind, i int) pattern.Resolution {
		if i < len(w.path) {
			return badStep(i, "%s is %s: it has no properties or items", w.prefix(i), k)
		}
		return pattern.Resolution{Kind: k, Types: types}
	}
	// list resolves path[i:] in a list whose items item resolves.
	list := func(i int, item func(i int) pattern.Resolution) pattern.Resolution {
		if i == len(w.path) {
			return pattern.Resolution{Kind: pattern.PropList, Types: types}
		}
		if w.path[i].Kind == pattern.StepKey {
			return badStep(i, "%s is a list: reach its items with [*] or an index such as [0]", w.prefix(i))
		}
		return item(i + 1)
	}
	switch p.kind {
	case kString, kVocab, kEnum:
		return leaf(pattern.PropString, i)
	case kInteger:
		return leaf(pattern.PropInteger, i)
	case kFloat:
		return leaf(pattern.PropFloat, i)
	case kBool:
		return leaf(pattern.PropBoolean, i)
	case kTimestamp:
		return leaf(pattern.PropTimestamp, i)
	case kBinary:
		return leaf(pattern.PropBinary, i)
	case kHex:
		return leaf(pattern.PropHex, i)
	case kStringList, kVocabList, kEnumList:
		return list(i, func(i int) pattern.Resolution { return leaf(pattern.PropString, i) })
	case kRef:
		return w.ref(found, types, i)
	case kRefList:
		return list(i, func(i int) pattern.Resolution { return w.ref(found, types, i) })
	case kHashes, kDict:
		if i == len(w.path) {
			return pattern.Resolution{Kind: pattern.PropDictionary, Types: types}
		}
		if w.path[i].Kind != pattern.StepKey {
			return badStep(i, "%s is a dictionary, not a list: name one of its keys", w.prefix(i))
		}
		if p.kind == kHashes {
			return leaf(pattern.PropString, i+1)
		}
		return pattern.Resolution{Types: types} // dictionary values are of any kind
	case kObject, kObjectList, kKillChainPhases:
		var scopes []scope
		for j, f := range found {
			sub := f.sub
			if f.kind == kKillChainPhases {
				sub = killChainPhase
			}
			scopes = append(scopes, scope{owner: foundIn[j], props: [][]prop{sub}})
		}
		if p.kind == kObject {
			return w.object(scopes, i)
		}
		return list(i, func(i int) pattern.Resolution { return w.object(scopes, i) })
	}
	return pattern.Resolution{Types: types}
}

// ref resolves path[i:] after a reference: the properties of the objects
// it may point to.
func (w *pathWalk) ref(found []*prop, types []string, i int) pattern.Resolution {
	if i == len(w.path) {
		return pattern.Resolution{Kind: pattern.PropRef, Types: types}
	}
	if w.path[i].Kind != pattern.StepKey {
		return badStep(i, "%s is a reference, not a list: name a property of the object it refers to", w.prefix(i))
	}
	var scopes []scope
	for _, f := range found {
		if f.refs == nil {
			return pattern.Resolution{}
		}
		for _, t := range f.refs {
			def := registry[t]
			if def == nil || def.class != classSCO {
				return pattern.Resolution{} // any SCO, or a non-SCO object: unchecked
			}
			if !slices.ContainsFunc(scopes, func(s scope) bool { return s.owner == t }) {
				scopes = append(scopes, scoScope(t, def))
			}
		}
	}
	return w.object(scopes, i)
}

// owners lists the object types of scopes.
func owners(scopes []scope) []string {
	if len(scopes) == 1 {
		return typeList([]string{scopes[0].owner})
	}
	var out []string
	for _, s := range scopes {
		if !slices.Contains(out, s.owner) {
			out = append(out, s.owner)
		}
	}
	return out
}

// typeList returns the distinct types of ts; a single type comes from
// singleTypes, without allocating.
func typeList(ts []string) []string {
	if len(ts) == 0 {
		return nil
	}
	if !slices.ContainsFunc(ts[1:], func(t string) bool { return t != ts[0] }) {
		if l, ok := singleTypes()[ts[0]]; ok {
			return l
		}
	}
	var out []string
	for _, t := range ts {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// singleTypes holds a one-element list for each SCO type, shared by the
// Resolutions that name it. It is built on first use, after the init
// functions have registered every type.
var singleTypes = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for name, def := range registry {
		if def.class == classSCO {
			m[name] = []string{name}
		}
	}
	return m
})
