package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii"
)

// surroundings is what an object's page and its graph show around the
// object, each read through the access decision: the sightings, opinions
// and relationships referring to it, and the latest version of the
// objects at their other ends and of those the object itself refers to.
// The page's banner and the graph are computed from the same value, so the
// graph never shows a neighbour marked above the banner.
type surroundings struct {
	center *taxii.PortalObject
	refs   []*taxii.PortalObject
	ends   []*taxii.PortalObject
}

// surround reads what surrounds center (the latest version the user may
// see of an object) for the user of s.
func (p *Portal) surround(ctx context.Context, s *session, center *taxii.PortalObject) (*surroundings, error) {
	refs, err := p.srv.PortalReferrers(ctx, s.p, center.ID)
	if err != nil {
		return nil, err
	}
	ends := map[string]bool{}
	for _, o := range append([]*taxii.PortalObject{center}, refs...) {
		for _, ref := range refsOf(o.Raw) {
			if ref != center.ID {
				ends[ref] = true
			}
		}
	}
	var endIDs []string
	for e := range ends {
		endIDs = append(endIDs, e)
	}
	slices.Sort(endIDs)
	var others []*taxii.PortalObject
	if len(endIDs) > 0 {
		if others, err = p.srv.PortalVersions(ctx, s.p, endIDs); err != nil {
			return nil, err
		}
	}
	return &surroundings{center: center, refs: refs, ends: latestOnly(others)}, nil
}

// raise makes b at least as restrictive as everything in su.
func (su *surroundings) raise(b *banner) {
	b.raise(su.center)
	for _, o := range su.refs {
		b.raise(o)
	}
	for _, o := range su.ends {
		b.raise(o)
	}
}

// graphJSON is the relationship graph in cytoscape.js's elements format.
type graphJSON struct {
	Nodes []graphElement `json:"nodes"`
	Edges []graphElement `json:"edges"`
}

type graphElement struct {
	Data map[string]string `json:"data"`
}

// graph answers the object's relationship graph as JSON: the object, the
// relationships, sightings and opinions referring to it, and the objects
// at their other ends, each only when the user may see it (read through
// the access decision like the page itself).
func (p *Portal) graph(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := objectID(r)
	if err != nil {
		writeJSONError(w, err)
		return
	}
	versions, err := p.srv.PortalVersions(r.Context(), s.p, []string{id})
	if err != nil {
		writeJSONError(w, err)
		return
	}
	if len(versions) == 0 {
		writeJSONError(w, tearline.Errorf(tearline.ENOTFOUND, "no object %s that your organization may see", id))
		return
	}
	su, err := p.surround(r.Context(), s, versions[len(versions)-1])
	if err != nil {
		writeJSONError(w, err)
		return
	}
	// The page passes its banner: what arrived since it was rendered, marked
	// above it, stays out of the graph.
	q := r.URL.Query()
	if q.Has("tlp") {
		su.cap(banner{TLP: q.Get("tlp"), Classification: q.Get("classification")})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(su.graph())
}

// cap removes from su's referrers and ends what is marked above b.
func (su *surroundings) cap(b banner) {
	above := func(o *taxii.PortalObject) bool {
		return rank(o.TLP) > rank(b.TLP) ||
			o.Classification != "" && (b.Classification == "" || levelRank(o.Classification) > levelRank(b.Classification))
	}
	su.refs = slices.DeleteFunc(su.refs, above)
	su.ends = slices.DeleteFunc(su.ends, above)
}

// graph returns su as a graph: a node for the object, each end and each
// referrer but relationships, which are edges between visible nodes.
func (su *surroundings) graph() graphJSON {
	id := su.center.ID
	g := graphJSON{Nodes: []graphElement{}, Edges: []graphElement{}}
	visible := map[string]bool{}
	addNode := func(o *taxii.PortalObject) {
		if visible[o.ID] {
			return
		}
		visible[o.ID] = true
		label := propString(o.Raw, "name")
		if label == "" {
			label = o.Type
		}
		g.Nodes = append(g.Nodes, graphElement{Data: map[string]string{"id": o.ID, "label": label, "type": o.Type,
			"tlp": o.TLP, "href": "/ui/objects/" + o.ID}})
	}
	addNode(su.center)
	for _, o := range su.ends {
		addNode(o)
	}
	for _, o := range su.refs {
		if o.Type == "relationship" {
			src, dst := propString(o.Raw, "source_ref"), propString(o.Raw, "target_ref")
			if visible[src] && visible[dst] {
				g.Edges = append(g.Edges, graphElement{Data: map[string]string{"id": o.ID, "source": src, "target": dst,
					"label": propString(o.Raw, "relationship_type")}})
			}
			continue
		}
		addNode(o)
		g.Edges = append(g.Edges, graphElement{Data: map[string]string{"id": o.ID + "/" + id, "source": o.ID, "target": id, "label": o.Type}})
	}
	return g
}

// refsOf returns the ids an object refers to in its *_ref and *_refs
// properties (top level), but not its markings or creator.
func refsOf(raw []byte) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		if k == "object_marking_refs" || k == "created_by_ref" {
			continue
		}
		switch {
		case strings.HasSuffix(k, "_ref"):
			var s string
			if json.Unmarshal(v, &s) == nil {
				out = append(out, s)
			}
		case strings.HasSuffix(k, "_refs"):
			var ss []string
			if json.Unmarshal(v, &ss) == nil {
				out = append(out, ss...)
			}
		}
	}
	if len(out) > 200 {
		out = out[:200]
	}
	return out
}
