package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/dissem"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/taxii"
)

// pageSize is the number of results of a search page.
const pageSize = 25

// searchForm is the search page's filters as the user gave them.
type searchForm struct {
	Q, Type, TLP, MinConfidence string
	// Sector is an industry-sector-ov value: what the objects target or
	// concern, as dissemination's sector filter tells it.
	Sector string
	After  string // browse cursor
	Page   int    // text search page, from 1
}

// searchData is what the search page shows.
type searchData struct {
	Form    searchForm
	Types   []string
	TLPs    []string
	Sectors []string
	Results []*listedScore
	Next    string // URL of the next page; "" when none
	Prev    string
	Error   string
}

// listedScore is a result with its confidence when the filter asks for
// one.
type listedScore struct {
	*listed
	Confidence int
	Scored     bool
}

// searchTypes are the types offered by the type filter.
var searchTypes = []string{"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "indicator",
	"infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note", "observed-data", "opinion",
	"report", "sighting", "threat-actor", "tool", "vulnerability", "relationship"}

var searchTLPs = []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}

// search handles full-text search (names and descriptions) and browsing
// (the latest versions, oldest first from a cursor), with filters by type,
// marking, sector and least confidence. Every result passed the access
// decision; the sector filter is dissemination's (taxii.PortalMatch),
// which counts a sector that a related object contributes only when the
// user may see that object.
func (p *Portal) search(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	f := searchForm{Q: strings.TrimSpace(q.Get("q")), Type: q.Get("type"), TLP: q.Get("tlp"),
		MinConfidence: q.Get("min_confidence"), Sector: q.Get("sector"), After: q.Get("after")}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.Page = max(f.Page, 1)
	d := searchData{Form: f, Types: searchTypes, TLPs: searchTLPs, Sectors: stix.IndustrySectors()}
	minConf := -1
	if f.MinConfidence != "" {
		n, err := strconv.Atoi(f.MinConfidence)
		if err != nil || n < 0 || n > 100 {
			d.Error = "Least confidence must be a number from 0 to 100."
			p.render(w, r, http.StatusBadRequest, "search", s, d)
			return
		}
		minConf = n
	}
	if f.Type != "" && !slices.Contains(searchTypes, f.Type) {
		d.Error = "Unknown type."
		p.render(w, r, http.StatusBadRequest, "search", s, d)
		return
	}
	var sector *dissem.Filter
	if f.Sector != "" {
		if !stix.IsIndustrySector(f.Sector) {
			d.Error = "Unknown sector."
			p.render(w, r, http.StatusBadRequest, "search", s, d)
			return
		}
		spec, _ := json.Marshal(map[string][]string{"sectors": {f.Sector}})
		var err error
		if sector, err = dissem.Parse(spec); err != nil {
			p.errorPage(w, r, s, err)
			return
		}
	}
	// bySector keeps what the sector filter wants.
	bySector := func(objs []*taxii.PortalObject) ([]*taxii.PortalObject, error) {
		if sector == nil {
			return objs, nil
		}
		return p.srv.PortalMatch(r.Context(), s.p, sector, objs)
	}
	var wantTLP marking.TLP
	if f.TLP != "" {
		var ok bool
		if wantTLP, ok = marking.ParseTLP(f.TLP); !ok {
			d.Error = "Unknown marking."
			p.render(w, r, http.StatusBadRequest, "search", s, d)
			return
		}
	}
	keep := func(o *taxii.PortalObject) bool {
		if f.Type != "" && o.Type != f.Type {
			return false
		}
		if f.TLP != "" {
			t, _ := marking.ParseTLP(o.TLP)
			return t == wantTLP
		}
		return true
	}
	var (
		objs []*taxii.PortalObject
		more bool
		next time.Time
	)
	if f.Q != "" {
		all, err := p.srv.PortalSearch(r.Context(), s.p, f.Q, f.Page*pageSize*4)
		if tearline.ErrorCode(err) == tearline.EINVALID {
			d.Error = "Give at least one word to search for."
			p.render(w, r, http.StatusBadRequest, "search", s, d)
			return
		} else if err != nil {
			p.errorPage(w, r, s, err)
			return
		}
		all = slices.DeleteFunc(all, func(o *taxii.PortalObject) bool { return !keep(o) })
		if all, err = bySector(all); err != nil {
			p.errorPage(w, r, s, err)
			return
		}
		all = p.withConfidence(r, all, minConf)
		start := (f.Page - 1) * pageSize
		if start < len(all) {
			objs = all[start:min(len(all), start+pageSize)]
		}
		more = len(all) > start+pageSize
	} else {
		var after time.Time
		if f.After != "" {
			t, err := time.Parse(time.RFC3339Nano, f.After)
			if err != nil {
				d.Error = "Malformed page cursor."
				p.render(w, r, http.StatusBadRequest, "search", s, d)
				return
			}
			after = t
		}
		var types []string
		if f.Type != "" {
			types = []string{f.Type}
		}
		page, err := p.srv.PortalList(r.Context(), s.p, taxii.PortalQuery{AddedAfter: after, Types: types, Limit: pageSize})
		if err != nil {
			p.errorPage(w, r, s, err)
			return
		}
		objs = slices.DeleteFunc(page.Objects, func(o *taxii.PortalObject) bool { return !keep(o) })
		if objs, err = bySector(objs); err != nil {
			p.errorPage(w, r, s, err)
			return
		}
		objs = p.withConfidence(r, objs, minConf)
		next, more = page.Next, !page.Next.IsZero()
	}
	var b banner
	for _, o := range objs {
		b.raise(o)
		ls := &listedScore{listed: &listed{PortalObject: o, Name: propString(o.Raw, "name")}}
		if minConf >= 0 {
			ls.Confidence, ls.Scored = p.confidence(r, o)
		}
		d.Results = append(d.Results, ls)
	}
	if more {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		if f.Q != "" {
			nq.Set("page", strconv.Itoa(f.Page+1))
		} else {
			nq.Set("after", next.Format(time.RFC3339Nano))
		}
		d.Next = "/ui/search?" + nq.Encode()
	}
	if f.Q != "" && f.Page > 1 {
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("page", strconv.Itoa(f.Page-1))
		d.Prev = "/ui/search?" + pq.Encode()
	}
	p.renderMarked(w, r, http.StatusOK, "search", s, b, d)
}

// withConfidence keeps the objects whose confidence now (decay applied)
// is at least least; all of them when least < 0.
func (p *Portal) withConfidence(r *http.Request, objs []*taxii.PortalObject, least int) []*taxii.PortalObject {
	if least < 0 {
		return objs
	}
	return slices.DeleteFunc(objs, func(o *taxii.PortalObject) bool {
		c, ok := p.confidence(r, o)
		return !ok || c < least
	})
}

// confidence returns the server's confidence score of a version the user
// may see (the score API answers it to anyone who may receive the
// object); ok is false when it has none.
func (p *Portal) confidence(r *http.Request, o *taxii.PortalObject) (int, bool) {
	eng := p.srv.Scores()
	if eng == nil {
		return 0, false
	}
	sc, err := eng.Score(r.Context(), &tearline.Object{ID: o.ID, Type: o.Type, Version: o.Version, Raw: o.Raw})
	if err != nil || sc == nil {
		return 0, false
	}
	return sc.Confidence, true
}

// lookupData is what the observable lookup page shows.
type lookupData struct {
	Value, Kind string
	Kinds       []string
	Found       bool
	Error       string
	Entry       observableEntry
	Objects     []*listed
}

// observableEntry is the API's answer to an observable lookup.
type observableEntry struct {
	Kind                string `json:"kind"`
	Value               string `json:"value"`
	Sources             int    `json:"sources"`
	FirstSeen           string `json:"first_seen"`
	LastSeen            string `json:"last_seen"`
	SourceOrganizations []struct {
		ID        string `json:"id"`
		FirstSeen string `json:"first_seen"`
		LastSeen  string `json:"last_seen"`
	} `json:"source_organizations"`
	Objects []struct {
		ID      string `json:"id"`
		Version string `json:"version"`
	} `json:"objects"`
	MoreObjects bool `json:"more_objects"`
}

// lookup answers an observable value lookup with the API's answer
// (GET /api/v1/observables), and the objects carrying the value that the
// user may see.
func (p *Portal) lookup(w http.ResponseWriter, r *http.Request, s *session) {
	d := lookupData{Value: strings.TrimSpace(r.URL.Query().Get("value")), Kind: r.URL.Query().Get("kind")}
	for _, k := range observable.Kinds {
		d.Kinds = append(d.Kinds, k.String())
	}
	if d.Value == "" {
		p.render(w, r, http.StatusOK, "lookup", s, d)
		return
	}
	v := url.Values{"value": {d.Value}}
	if d.Kind != "" {
		v.Set("kind", d.Kind)
	}
	err := p.api(r, s, http.MethodGet, "/api/v1/observables/?"+v.Encode(), "", nil, &d.Entry)
	switch tearline.ErrorCode(err) {
	case "":
		d.Found = true
	case tearline.ENOTFOUND, tearline.EINVALID:
		d.Error = tearline.ErrorMessage(err)
		p.render(w, r, http.StatusOK, "lookup", s, d)
		return
	default:
		p.errorPage(w, r, s, err)
		return
	}
	var ids []string
	for _, o := range d.Entry.Objects {
		ids = append(ids, o.ID)
	}
	var b banner
	if len(ids) > 0 {
		objs, err := p.srv.PortalVersions(r.Context(), s.p, ids)
		if err != nil {
			p.errorPage(w, r, s, err)
			return
		}
		objs = latestOnly(objs)
		for _, o := range objs {
			b.raise(o)
		}
		d.Objects = listedOf(objs)
	}
	p.renderMarked(w, r, http.StatusOK, "lookup", s, b, d)
}

// latestOnly keeps the last version of each id of a list ordered by id
// then version.
func latestOnly(objs []*taxii.PortalObject) []*taxii.PortalObject {
	var out []*taxii.PortalObject
	for i, o := range objs {
		if i+1 < len(objs) && objs[i+1].ID == o.ID {
			continue
		}
		out = append(out, o)
	}
	return out
}
