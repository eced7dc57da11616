package match

import (
	"slices"
	"strings"
	"time"
)

// Skips counts the events skipped, by reason.
type Skips struct {
	counts map[string]int
	total  int
}

// Add counts one event skipped for reason.
func (s *Skips) Add(reason string) {
	if s.counts == nil {
		s.counts = map[string]int{}
	}
	s.counts[reason]++
	s.total++
}

// Total returns the number of events skipped.
func (s *Skips) Total() int { return s.total }

// Counts returns the number of events skipped for each reason.
func (s *Skips) Counts() map[string]int { return s.counts }

// ReadSTIX reads STIX 2.1 or 2.0 content — a bundle, one object, or JSON
// lines of objects — and returns the observations of its observed-data
// objects in the order of their first_observed time (the order a stream
// is matched in). Observed-data of STIX 2.1 names its objects in
// object_refs, resolved among the other objects of the input (with the
// objects those reference in turn); that of STIX 2.0 embeds them in
// objects, keyed by local ids. An observed-data object that cannot be
// read this way is skipped and counted in skips; input that is not JSON
// is an error.
func ReadSTIX(data []byte, skips *Skips) ([]Observation, error) {
	var objs []Value
	for i := skipSpace(data, 0); i < len(data); i = skipSpace(data, i) {
		v, j, err := parseValue(data, i, 0)
		if err != nil {
			return nil, err
		}
		i = j
		if t, _ := v.Get("type"); t.Str == "bundle" {
			if list, ok := v.Get("objects"); ok && list.Kind == KindList {
				for _, p := range list.Sub {
					objs = append(objs, p.Value)
				}
			}
			continue
		}
		objs = append(objs, v)
	}
	byID := map[string]Value{}
	for _, o := range objs {
		if id, ok := o.Get("id"); ok && id.Kind == KindString {
			byID[id.Str] = o
		}
	}
	var out []Observation
	for n, o := range objs {
		if t, _ := o.Get("type"); t.Str != "observed-data" {
			continue
		}
		obs, reason := observedData(o, byID)
		if reason != "" {
			skips.Add(reason)
			continue
		}
		obs.Line = n + 1
		out = append(out, obs)
	}
	slices.SortStableFunc(out, func(a, b Observation) int { return a.First.Compare(b.First) })
	return out, nil
}

// observedData builds the observation of one observed-data object, or
// says why it cannot.
func observedData(o Value, byID map[string]Value) (Observation, string) {
	var obs Observation
	if id, ok := o.Get("id"); ok && id.Kind == KindString {
		obs.ID = id.Str
	}
	var ok bool
	if obs.First, ok = timeProp(o, "first_observed"); !ok {
		return obs, "observed-data without a valid first_observed"
	}
	if obs.Last, ok = timeProp(o, "last_observed"); !ok {
		obs.Last = obs.First
	}
	if obs.Last.Before(obs.First) {
		return obs, "observed-data whose last_observed is before first_observed"
	}
	local := map[string]int{}
	add := func(id string, v Value) {
		t, _ := v.Get("type")
		if t.Kind != KindString || t.Str == "" {
			return
		}
		local[id] = len(obs.Objects)
		props := make([]Prop, 0, len(v.Sub))
		for _, p := range v.Sub {
			if p.Key != "type" {
				props = append(props, p)
			}
		}
		obs.Objects = append(obs.Objects, Object{Type: t.Str, ID: id, Props: props})
	}
	if emb, found := o.Get("objects"); found {
		if emb.Kind != KindDict {
			return obs, "observed-data objects is not a dictionary"
		}
		for _, p := range emb.Sub {
			if p.Value.Kind != KindDict {
				return obs, "observed-data objects holds a value that is not an object"
			}
			add(p.Key, p.Value)
		}
	} else if refs, found := o.Get("object_refs"); found {
		if refs.Kind != KindList {
			return obs, "observed-data object_refs is not a list"
		}
		queue := []string{}
		for _, p := range refs.Sub {
			if p.Value.Kind != KindString {
				return obs, "observed-data object_refs holds a value that is not an identifier"
			}
			if _, ok := byID[p.Value.Str]; !ok {
				return obs, "observed-data object_refs names an object that is not in the input"
			}
			queue = append(queue, p.Value.Str)
		}
		// Take in the objects listed, then those they reference.
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			if _, done := local[id]; done {
				continue
			}
			v, ok := byID[id]
			if !ok || v.Kind != KindDict {
				continue
			}
			add(id, v)
			eachRef(v.Sub, func(ref string) { queue = append(queue, ref) })
		}
	} else {
		return obs, "observed-data with neither objects nor object_refs"
	}
	if len(obs.Objects) == 0 {
		return obs, "observed-data without objects"
	}
	for i := range obs.Objects {
		resolveRefs(obs.Objects[i].Props, local)
	}
	return obs, ""
}

func timeProp(o Value, name string) (time.Time, bool) {
	v, ok := o.Get(name)
	if !ok || v.Kind != KindString {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v.Str)
	return t, err == nil
}

// isRefKey reports whether a property holds references (_ref, _refs).
func isRefKey(k string) bool { return strings.HasSuffix(k, "_ref") || strings.HasSuffix(k, "_refs") }

// eachRef calls fn with every reference held in props, at any depth.
func eachRef(props []Prop, fn func(string)) {
	for _, p := range props {
		switch {
		case isRefKey(p.Key) && p.Value.Kind == KindString:
			fn(p.Value.Str)
		case isRefKey(p.Key) && p.Value.Kind == KindList:
			for _, it := range p.Value.Sub {
				if it.Value.Kind == KindString {
					fn(it.Value.Str)
				}
			}
		case p.Value.Kind == KindDict || p.Value.Kind == KindList:
			eachRef(p.Value.Sub, fn)
		}
	}
}

// resolveRefs turns references to objects of the observation into
// KindRef values, in place; references to anything else stay strings.
func resolveRefs(props []Prop, local map[string]int) {
	for i := range props {
		p := &props[i]
		switch {
		case isRefKey(p.Key) && p.Value.Kind == KindString:
			if n, ok := local[p.Value.Str]; ok {
				p.Value = Ref(n)
			}
		case isRefKey(p.Key) && p.Value.Kind == KindList:
			items := slices.Clone(p.Value.Sub)
			for j := range items {
				if items[j].Value.Kind == KindString {
					if n, ok := local[items[j].Value.Str]; ok {
						items[j].Value = Ref(n)
					}
				}
			}
			p.Value.Sub = items
		case p.Value.Kind == KindDict || p.Value.Kind == KindList:
			sub := slices.Clone(p.Value.Sub)
			resolveRefs(sub, local)
			p.Value.Sub = sub
		}
	}
}
