package dissem

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
)

// ContextTypes are the object types the context graph keeps: those whose
// properties tell what other objects are about, and relationships.
var ContextTypes = []string{"relationship", "identity", "location", "attack-pattern", "malware", "intrusion-set", "threat-actor"}

// Node is a context object in the graph: its latest version seen, the
// collections it was added to, and its bytes, which the access decision
// reads to tell whether a subscriber may know it. A Node is never changed
// once in the graph (a new version or collection replaces it), so it may
// be read without the graph's lock.
type Node struct {
	ID          string
	Type        string
	Version     time.Time
	Collections []string
	Raw         []byte

	tags    Tags
	revoked bool
}

// edge is a relationship as seen from one of its ends.
type edge struct {
	rel   string // the relationship's id
	typ   string // relationship_type
	other string // the id at the other end
	out   bool   // this end is the source
}

// Graph is the context index: the context objects and relationships the
// feed has carried, from which the tags of objects are derived. It is
// safe for concurrent use. It lives in memory and is rebuilt from the
// feed at start.
type Graph struct {
	mu    sync.RWMutex
	nodes map[string]*Node  // context objects by id
	edges map[string][]edge // relationships by the id of either end
}

// Limits of the derivation, so that one heavily connected object cannot
// make facts expensive.
const (
	maxEdges = 256 // relationships of one object followed
	maxRefs  = 256 // object_refs of one object followed
	maxHops  = 64  // targets relationships followed from one related object
)

// NewGraph returns an empty graph.
func NewGraph() *Graph {
	return &Graph{nodes: map[string]*Node{}, edges: map[string][]edge{}}
}

// isContext reports whether objects of type typ go into the graph.
func isContext(typ string) bool { return slices.Contains(ContextTypes, typ) }

// observe adds a context object version to the graph; other objects are
// ignored. An older version than the one held only adds its collection.
func (g *Graph) observe(e *tearline.FeedEntry, f *fields) {
	if !isContext(e.Type) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.nodes[e.ID]
	n := &Node{ID: e.ID, Type: e.Type}
	if old == nil {
		if e.Type == "relationship" && f.SourceRef != "" && f.TargetRef != "" {
			typ := strings.ToLower(f.Relationship)
			g.edges[f.SourceRef] = append(g.edges[f.SourceRef], edge{rel: e.ID, typ: typ, other: f.TargetRef, out: true})
			g.edges[f.TargetRef] = append(g.edges[f.TargetRef], edge{rel: e.ID, typ: typ, other: f.SourceRef})
		}
	} else {
		*n = *old
	}
	if !slices.Contains(n.Collections, e.CollectionID) {
		n.Collections = append(slices.Clip(n.Collections), e.CollectionID)
	}
	// A new version replaces what the node says (the ends of a
	// relationship do not change between versions); an older one only
	// adds its collection.
	if old == nil || !e.Version.Before(old.Version) {
		n.Version, n.Raw, n.revoked, n.tags = e.Version, e.Raw, e.Revoked, ownTags(f)
	}
	g.nodes[e.ID] = n
}

// Size returns the number of context objects held.
func (g *Graph) Size() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.nodes)
}

// facts returns the facts of an object version: its own, and those its
// relationships, its ends (for a relationship) and its references (for
// reports, groupings, notes, opinions and sightings) contribute.
func (g *Graph) facts(raw []byte, f *fields) *Facts {
	fs := ownFacts(raw, f)
	g.mu.RLock()
	defer g.mu.RUnlock()
	for i, e := range g.edges[f.ID] {
		if i == maxEdges {
			break
		}
		if rel, n := g.nodes[e.rel], g.nodes[e.other]; rel != nil && !rel.revoked && n != nil {
			fs.Related = g.contribute(fs.Related, n, []*Node{rel})
		}
	}
	if f.Type == "relationship" {
		for _, end := range []string{f.SourceRef, f.TargetRef} {
			if n := g.nodes[end]; n != nil {
				fs.Related = g.contribute(fs.Related, n, nil)
			}
		}
	}
	refs := f.ObjectRefs
	if f.SightingOfRef != "" {
		refs = append([]string{f.SightingOfRef}, refs...)
	}
	for i, ref := range refs {
		if i == maxRefs {
			break
		}
		if n := g.nodes[ref]; n != nil {
			fs.Related = g.contribute(fs.Related, n, nil)
		}
	}
	return fs
}

// contribute appends what related node n contributes, reached through
// the context objects via: its own tags, and those of the identities and
// locations it targets.
func (g *Graph) contribute(cs []Contribution, n *Node, via []*Node) []Contribution {
	if n.revoked || n.Raw == nil {
		return cs
	}
	src := append(slices.Clip(via), n)
	if !n.tags.empty() {
		cs = append(cs, Contribution{Tags: n.tags, Sources: src})
	}
	hops := 0
	for _, e := range g.edges[n.ID] {
		if !e.out || e.typ != "targets" {
			continue
		}
		rel, t := g.nodes[e.rel], g.nodes[e.other]
		if rel == nil || rel.revoked || t == nil || t.revoked || t.Raw == nil || t.tags.empty() || (t.Type != "identity" && t.Type != "location") {
			continue
		}
		if hops++; hops > maxHops {
			break
		}
		cs = append(cs, Contribution{Tags: t.tags, Sources: append(slices.Clip(src), rel, t)})
	}
	return cs
}

// canonicalCountry returns the alpha-2 code of a country code.
func canonicalCountry(c string) (string, bool) { return marking.CanonicalCountry(c) }

// observableType reports whether typ is a cyber-observable type.
func observableType(typ string) bool { return stix.IsObservableType(typ) }
