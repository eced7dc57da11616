package taxii

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/observable"
)

// Limits of GET /api/v1/observables.
const (
	// DefaultObservableObjects is how many objects an answer lists by
	// default; the limit parameter takes up to MaxObservableObjects.
	DefaultObservableObjects = 100
	MaxObservableObjects     = 1000
	// observableScan is how many of the most recently stored versions
	// carrying a value are considered for an answer, visible or not.
	observableScan = 2000
)

// observableJSON is the answer of GET /api/v1/observables.
//
// What it discloses, and to whom: the entry is answered only when the
// caller may receive at least one object version carrying the value (by
// the same access decision as TAXII reads), or its own organization
// submitted the value; otherwise the answer is the same 404 as for a value
// never seen, so a caller cannot probe for values only others hold.
// Once answered, "sources" counts every organization that submitted the
// value, and first_seen/last_seen span every submission, including
// submissions in objects the caller may not receive: that is the
// corroboration the index exists for, and it tells the caller how many
// others hold the value and since when, not who or in what. Organization
// ids appear only as submitters of objects the caller may receive (and
// its own organization); object ids only for versions it may receive.
type observableJSON struct {
	Kind      string `json:"kind"`
	Value     string `json:"value"`
	Sources   int    `json:"sources"`
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
	// SourceOrganizations are the submitters the caller may know: those
	// of the objects listed, and its own organization.
	SourceOrganizations []observableSourceJSON `json:"source_organizations"`
	Objects             []observableObjectJSON `json:"objects"`
	// MoreObjects says that the caller may receive more objects than
	// listed.
	MoreObjects bool `json:"more_objects"`
}

type observableSourceJSON struct {
	ID        string `json:"id"`
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
}

type observableObjectJSON struct {
	ID      string   `json:"id"`
	Version string   `json:"version"`
	Sources []string `json:"sources"`
}

// getObservables answers GET /api/v1/observables?value=V[&kind=K][&limit=N]
// for any authenticated caller: the index entry of the value, normalized
// as package observable does (its kind detected when not given), with the
// objects carrying it that the caller may receive.
func (s *Server) getObservables(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	idx, ok := s.b.(tearline.Observables)
	if !ok {
		return tearline.Errorf(tearline.EUNAVAILABLE, "this server's store keeps no observable index")
	}
	q := r.URL.Query()
	for name := range q {
		if name != "value" && name != "kind" && name != "limit" {
			return tearline.Errorf(tearline.EINVALID, "unknown parameter %q; use value, kind and limit", name)
		}
	}
	value, kindName := q.Get("value"), q.Get("kind")
	if value == "" {
		return tearline.Errorf(tearline.EINVALID, "give the value to look up: ?value=...")
	}
	limit := DefaultObservableObjects
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return tearline.Errorf(tearline.EINVALID, "limit %q is not a positive integer", l)
		}
		limit = min(n, MaxObservableObjects)
	}
	var k observable.Kind
	if kindName != "" {
		if k, ok = observable.ParseKind(kindName); !ok {
			return tearline.Errorf(tearline.EINVALID, "unknown kind %q; kinds are %s", kindName, kindList())
		}
	} else if k, ok = observable.Detect(value); !ok {
		return tearline.Errorf(tearline.EINVALID, "cannot tell what kind of value %q is; give kind (one of %s)", value, kindList())
	}
	o, err := observable.Normalize(k, value)
	if err != nil {
		return tearline.Errorf(tearline.EINVALID, "%v", err)
	}
	notFound := tearline.Errorf(tearline.ENOTFOUND, "no %s %s in the objects you may read", o.Kind, o.Value)
	e, err := idx.LookupObservable(r.Context(), o.Kind.String(), o.Value, observableScan)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return notFound
	} else if err != nil {
		return err
	}
	visible, err := s.visibleObservableObjects(r.Context(), p, e.Objects)
	if err != nil {
		return err
	}
	own := slices.ContainsFunc(e.Sources, func(src tearline.ObservableSource) bool { return src.Org == p.Org.ID })
	if len(visible) == 0 && !own {
		return notFound
	}
	res := observableJSON{
		Kind: e.Kind, Value: e.Value, FirstSeen: seen(e.First), LastSeen: seen(e.Last),
		SourceOrganizations: []observableSourceJSON{}, Objects: []observableObjectJSON{},
	}
	known := map[string]bool{p.Org.ID: true}
	for _, o := range e.Objects {
		if !visible[objectVersion{o.ID, o.Version}] {
			continue
		}
		if len(res.Objects) == limit {
			res.MoreObjects = true
			break
		}
		j := observableObjectJSON{ID: o.ID, Version: versionString(o.Version), Sources: []string{}}
		for _, src := range o.Sources {
			if src != "" {
				j.Sources = append(j.Sources, src)
				known[src] = true
			}
		}
		res.Objects = append(res.Objects, j)
	}
	for _, src := range e.Sources {
		if src.Org == "" {
			continue
		}
		res.Sources++
		if known[src.Org] {
			res.SourceOrganizations = append(res.SourceOrganizations,
				observableSourceJSON{ID: src.Org, FirstSeen: seen(src.First), LastSeen: seen(src.Last)})
		}
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

// objectVersion names an object version.
type objectVersion struct {
	id      string
	version time.Time
}

// visibleObservableObjects returns which of the object versions p may
// receive: those that a collection its organization may read holds and
// that Server.release does not withhold from it. Every decision is
// recorded in the disclosure ledger (path search), withheld ones
// included; EUNAVAILABLE when the ledger cannot record.
func (s *Server) visibleObservableObjects(ctx context.Context, p *tearline.Principal, objs []tearline.ObservableObject) (map[objectVersion]bool, error) {
	visible := map[objectVersion]bool{}
	if len(objs) == 0 {
		return visible, nil
	}
	wanted := map[objectVersion]bool{}
	var ids []string
	for _, o := range objs {
		wanted[objectVersion{o.ID, o.Version}] = true
		if len(ids) == 0 || ids[len(ids)-1] != o.ID {
			ids = append(ids, o.ID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	var rec []ledger.Disclosure
	reqID := requestInfoOf(ctx).id
	const chunk = 200
	for colID, g := range grants {
		if !g.Read {
			continue
		}
		c := readView(&tearline.Collection{ID: colID}, g)
		r := s.recipient(p, c)
		for start := 0; start < len(ids); start += chunk {
			page, err := s.b.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: colID,
				IDs: ids[start:min(start+chunk, len(ids))], Versions: []string{tearline.VersionAll}})
			if tearline.ErrorCode(err) == tearline.ENOTFOUND {
				break // the collection was deleted meanwhile
			} else if err != nil {
				return nil, err
			}
			for _, e := range page.Entries {
				v := objectVersion{e.ID, e.Version}
				if !wanted[v] {
					continue
				}
				res := s.release(r, c, e)
				if s.cfg.Ledger != nil {
					rec = append(rec, ledger.Disclosure{
						Org: p.Org.ID, Key: p.KeyID, Collection: colID, Path: ledger.PathSearch, Request: reqID,
						Object: e.ID, Version: entryVersion(e), Decision: res.Decision, TLP: res.TLP,
						Classification: res.Classification, Reason: res.Reason,
					})
				}
				if res.Decision != marking.Withhold {
					visible[v] = true
				}
			}
		}
	}
	if err := s.disclose(ctx, ledger.PathSearch, rec); err != nil {
		return nil, err
	}
	return visible, nil
}

// seen formats a first or last seen time.
func seen(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// kindList lists the observable kinds for messages.
func kindList() string {
	names := make([]string, len(observable.Kinds))
	for i, k := range observable.Kinds {
		names[i] = k.String()
	}
	return strings.Join(names, ", ")
}
