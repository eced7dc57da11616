package taxii

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/observable"
)

// releaseJSON is a release request as the API shows it.
type releaseJSON struct {
	ID                 string     `json:"id"`
	ObjectID           string     `json:"object_id"`
	Version            string     `json:"version"`
	SourceCollectionID string     `json:"from"`
	CollectionID       string     `json:"to"`
	RequesterOrg       string     `json:"requester_org"`
	RequesterKey       string     `json:"requester_key"`
	OriginatorOrg      string     `json:"originator_org"`
	Justification      string     `json:"justification"`
	Status             string     `json:"status"`
	DeciderKey         string     `json:"decider_key,omitempty"`
	Reason             string     `json:"reason,omitempty"`
	Created            time.Time  `json:"created"`
	Decided            *time.Time `json:"decided,omitempty"`
}

func releaseOf(rl *tearline.Release) releaseJSON {
	j := releaseJSON{
		ID: rl.ID, ObjectID: rl.ObjectID, Version: rl.Version,
		SourceCollectionID: rl.SourceCollectionID, CollectionID: rl.CollectionID,
		RequesterOrg: rl.RequesterOrg, RequesterKey: rl.RequesterKey, OriginatorOrg: rl.OriginatorOrg,
		Justification: rl.Justification, Status: rl.Status, DeciderKey: rl.DeciderKey, Reason: rl.Reason,
		Created: rl.Created,
	}
	if !rl.Decided.IsZero() {
		j.Decided = &rl.Decided
	}
	return j
}

// withRole wraps an API handler: the caller must authenticate with role min
// or higher to do what.
func (s *Server) withRole(min tearline.Role, what string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, func(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
			if !p.Role.AtLeast(min) {
				return tearline.Errorf(tearline.EFORBIDDEN, "%s needs an API key or certificate with role %q or higher; yours has role %q", what, min, p.Role)
			}
			return h(w, r, p)
		}, false)
	})
}

// requestRelease handles POST /api/v1/releases/ with a JSON body
// {"object_id", "version" (optional: the latest), "from", "to",
// "justification"}: the caller's organization, which receives the
// originator-controlled object version through collection "from", asks its
// originator to release it into collection "to", which it may write. An
// object the caller may not see is answered 404, as if it did not exist.
func (s *Server) requestRelease(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	var req struct {
		ObjectID      string `json:"object_id"`
		Version       string `json:"version"`
		From          string `json:"from"`
		To            string `json:"to"`
		Justification string `json:"justification"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.ObjectID == "":
		return tearline.Errorf(tearline.EINVALID, "object_id is missing: give the id of the originator-controlled object")
	case req.From == "":
		return tearline.Errorf(tearline.EINVALID, "from is missing: give the collection (id or alias) you receive the object from")
	case req.To == "":
		return tearline.Errorf(tearline.EINVALID, "to is missing: give the collection (id or alias) you want the object released into")
	case strings.TrimSpace(req.Justification) == "":
		return tearline.Errorf(tearline.EINVALID, "justification is missing: tell the originator why the object should go further")
	case len(req.Justification) > 4000:
		return tearline.Errorf(tearline.EINVALID, "justification is %d bytes long; at most 4000", len(req.Justification))
	}
	versions := []string{tearline.VersionLast}
	if req.Version != "" {
		v, err := time.Parse(time.RFC3339Nano, req.Version)
		if err != nil {
			return tearline.Errorf(tearline.EINVALID, "version %q is not an RFC 3339 timestamp", req.Version)
		}
		versions = []string{v.UTC().Format(tearline.VersionLayout)}
	}
	ctx := r.Context()
	v, err := s.readableCollection(ctx, p, req.From)
	if err != nil {
		return err
	}
	from := v.Collection
	page, err := s.b.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: from.ID, IDs: []string{req.ObjectID}, Versions: versions})
	if err != nil {
		return err
	}
	var (
		entry *tearline.Entry
		res   marking.Result
	)
	for _, e := range page.Entries {
		if res = s.release(s.recipient(p, v), v, e); res.Decision != marking.Withhold {
			entry = e
			break
		}
	}
	if entry == nil {
		return tearline.Errorf(tearline.ENOTFOUND, "no object %q (version %q) in collection %s that your organization may read", req.ObjectID, req.Version, req.From)
	}
	if !res.ORCON {
		return tearline.Errorf(tearline.EINVALID, "object %s is not originator-controlled: post it to the collection yourself", req.ObjectID)
	}
	var creator struct {
		CreatedByRef string `json:"created_by_ref"`
	}
	if err := json.Unmarshal(entry.Raw, &creator); err != nil || creator.CreatedByRef == "" {
		return tearline.Errorf(tearline.EINVALID, "object %s names no originator (created_by_ref) to ask", req.ObjectID)
	}
	if creator.CreatedByRef == p.Org.ID {
		return tearline.Errorf(tearline.EINVALID, "your organization is the originator of %s: post it to the collection yourself", req.ObjectID)
	}
	to, err := s.b.FindCollection(ctx, req.To)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return tearline.Errorf(tearline.ENOTFOUND, "no collection %q", req.To)
	} else if err != nil {
		return err
	}
	if to.ID == from.ID {
		return tearline.Errorf(tearline.EINVALID, "from and to are the same collection")
	}
	if g, err := s.grant(ctx, p, to.ID); err != nil {
		return err
	} else if !g.Write {
		return tearline.Errorf(tearline.EFORBIDDEN, "your organization may not write collection %s, so it cannot ask for a release into it", req.To)
	}
	rl := &tearline.Release{
		ObjectID: req.ObjectID, Version: entry.VersionKey(), SourceCollectionID: from.ID, CollectionID: to.ID,
		RequesterOrg: p.Org.ID, RequesterKey: p.KeyID, OriginatorOrg: creator.CreatedByRef,
		Justification: req.Justification,
	}
	if err := s.b.CreateRelease(ctx, rl); err != nil {
		return err
	}
	s.logger(ctx).Info("wider release requested", "release", rl.ID, "object", rl.ObjectID, "version", rl.Version,
		"from", from.ID, "to", to.ID, "originator", rl.OriginatorOrg)
	w.Header().Set("Location", "/api/v1/releases/"+rl.ID)
	writeAdmin(w, http.StatusCreated, releaseOf(rl))
	return nil
}

// readableCollection returns the collection key (id or alias) as p reads
// it when p's organization may read it; ENOTFOUND otherwise, whether or not
// it exists.
func (s *Server) readableCollection(ctx context.Context, p *tearline.Principal, key string) (*collection, error) {
	c, err := s.b.FindCollection(ctx, key)
	if err != nil && tearline.ErrorCode(err) != tearline.ENOTFOUND {
		return nil, err
	}
	if err == nil {
		g, err := s.grant(ctx, p, c.ID)
		if err != nil {
			return nil, err
		}
		if g.Read {
			return readView(c, g), nil
		}
	}
	return nil, tearline.Errorf(tearline.ENOTFOUND, "no collection %q that your organization may read", key)
}

// involved reports whether p may see release request rl: its requester's
// and its originator's organizations, and admins.
func involved(p *tearline.Principal, rl *tearline.Release) bool {
	return rl.RequesterOrg == p.Org.ID || rl.OriginatorOrg == p.Org.ID || p.Role.AtLeast(tearline.RoleAdmin)
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	status := r.URL.Query().Get("status")
	switch status {
	case "", tearline.ReleaseRequested, tearline.ReleaseApproved, tearline.ReleaseDenied:
	default:
		return tearline.Errorf(tearline.EINVALID, "status %q is not one of %s, %s, %s", status,
			tearline.ReleaseRequested, tearline.ReleaseApproved, tearline.ReleaseDenied)
	}
	f := tearline.ReleaseFilter{OrgID: p.Org.ID, Status: status}
	if p.Role.AtLeast(tearline.RoleAdmin) {
		f.OrgID = ""
	}
	rls, err := s.b.ListReleases(r.Context(), f)
	if err != nil {
		return err
	}
	res := struct {
		Releases []releaseJSON `json:"releases"`
	}{Releases: []releaseJSON{}}
	for _, rl := range rls {
		res.Releases = append(res.Releases, releaseOf(rl))
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

func (s *Server) getRelease(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	id := r.PathValue("release")
	rl, err := s.b.FindRelease(r.Context(), id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND || (err == nil && !involved(p, rl)) {
		return tearline.Errorf(tearline.ENOTFOUND, "no release request %q", id)
	} else if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, releaseOf(rl))
	return nil
}

func (s *Server) approveRelease(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	return s.decideRelease(w, r, p, true)
}

func (s *Server) denyRelease(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	return s.decideRelease(w, r, p, false)
}

func (s *Server) decideRelease(w http.ResponseWriter, r *http.Request, p *tearline.Principal, approve bool) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	ctx := context.WithoutCancel(r.Context())
	rl, err := DecideRelease(ctx, s.b, r.PathValue("release"), p, approve, req.Reason)
	if err != nil {
		return err
	}
	s.logger(ctx).Info("wider release decided", "release", rl.ID, "status", rl.Status, "object", rl.ObjectID,
		"version", rl.Version, "to", rl.CollectionID, "decider", rl.DeciderKey)
	writeAdmin(w, http.StatusOK, releaseOf(rl))
	return nil
}

// DecideRelease approves (approve) or denies release request id on behalf
// of decider, an analyst (or admin) of the originator's organization, with
// reason as its note. Approval adds the requested object version, exactly
// as stored, to the requested collection.
//
// The decision is taken in the store before the version is added, so of
// two deciders racing exactly one wins and a denied request adds nothing;
// approving an approved request again finishes an interrupted release and
// changes nothing otherwise.
//
// ENOTFOUND for an unknown request, or one decider's organization is not
// party to; EFORBIDDEN when decider is the requester's organization or
// lacks the analyst role; ECONFLICT when the request was decided already
// (denied, or approved when approve is false); ENOTFOUND when the version
// or either collection is gone.
func DecideRelease(ctx context.Context, b Backend, id string, decider *tearline.Principal, approve bool, reason string) (*tearline.Release, error) {
	if decider == nil || decider.Org == nil {
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "a release request is decided by an analyst of the originator's organization")
	}
	rl, err := b.FindRelease(ctx, id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND || (err == nil && rl.RequesterOrg != decider.Org.ID && rl.OriginatorOrg != decider.Org.ID) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no release request %q", id)
	} else if err != nil {
		return nil, err
	}
	if rl.OriginatorOrg != decider.Org.ID {
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "only the originator's organization %s decides release request %s", rl.OriginatorOrg, rl.ID)
	}
	if !decider.Role.AtLeast(tearline.RoleAnalyst) {
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "deciding a release request needs role %q or higher; key %s has role %q", tearline.RoleAnalyst, decider.KeyID, decider.Role)
	}
	if len(reason) > 4000 {
		return nil, tearline.Errorf(tearline.EINVALID, "reason is %d bytes long; at most 4000", len(reason))
	}
	resume := approve && rl.Status == tearline.ReleaseApproved
	if rl.Status != tearline.ReleaseRequested && !resume {
		return nil, tearline.Errorf(tearline.ECONFLICT, "release request %s was %s already", rl.ID, rl.Status)
	}
	if !approve {
		rl.Status, rl.DeciderKey, rl.Reason = tearline.ReleaseDenied, decider.KeyID, reason
		if err := b.DecideRelease(ctx, rl); err != nil {
			return nil, err
		}
		return rl, nil
	}
	obj, err := releasedVersion(ctx, b, rl)
	if err != nil {
		return nil, err
	}
	if !resume {
		rl.Status, rl.DeciderKey, rl.Reason = tearline.ReleaseApproved, decider.KeyID, reason
		if err := b.DecideRelease(ctx, rl); err != nil {
			return nil, err
		}
	}
	res, err := b.AddObjects(ctx, rl.CollectionID, []*tearline.Object{obj})
	if err == nil && res[0].Status == tearline.Conflict {
		err = tearline.Errorf(tearline.ECONFLICT, "collection %s holds a different object with the id and version of %s", rl.CollectionID, rl.ObjectID)
	}
	if err == nil {
		err = indexObservables(ctx, b, rl.OriginatorOrg, obj)
	}
	if err != nil {
		return nil, tearline.Errorf(tearline.ErrorCode(err), "release request %s is approved but the object was not added (approve it again to finish): %s", rl.ID, tearline.ErrorMessage(err))
	}
	return rl, nil
}

// indexObservables adds the observables of stored object versions to the
// store's observable index, attributed to source, as ingest does for what
// it stores: for the paths that store without ingest (a released version
// added to another collection). It does nothing when the store keeps no
// index.
func indexObservables(ctx context.Context, b Backend, source string, objs ...*tearline.Object) error {
	idx, ok := b.(tearline.Observables)
	if !ok {
		return nil
	}
	now := time.Now()
	var refs []tearline.ObservableRef
	for _, o := range objs {
		obs, _ := observable.FromObject(o.Raw)
		for _, v := range obs {
			refs = append(refs, tearline.ObservableRef{Kind: v.Kind.String(), Value: v.Value,
				ObjectID: o.ID, Version: o.Version, Source: source, Time: now})
		}
	}
	if len(refs) == 0 {
		return nil
	}
	return idx.RecordObservables(ctx, refs)
}

// releasedVersion reads the requested version from the collection it was
// requested from, checking that the destination still exists.
func releasedVersion(ctx context.Context, b Backend, rl *tearline.Release) (*tearline.Object, error) {
	if _, err := b.FindCollection(ctx, rl.CollectionID); tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "collection %s of release request %s no longer exists", rl.CollectionID, rl.ID)
	} else if err != nil {
		return nil, err
	}
	page, err := b.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: rl.SourceCollectionID, IDs: []string{rl.ObjectID}, Versions: []string{rl.Version}})
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "collection %s, where release request %s found the object, no longer exists", rl.SourceCollectionID, rl.ID)
	} else if err != nil {
		return nil, err
	}
	if len(page.Entries) == 0 {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "version %s of %s is no longer stored in collection %s", rl.Version, rl.ObjectID, rl.SourceCollectionID)
	}
	return &page.Entries[0].Object, nil
}
