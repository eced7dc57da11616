package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
)

// Tear-line products (/api/v1/products): an analyst derives a new object
// from a marked one at a lower marking; it is held as a draft and released
// into its target collection, with a derived-from relationship to its
// source, only when a second analyst approves it.

// productJSON is a product as the API shows it. Object is the derived
// object as the access decision lets the caller see it; null when
// withheld from the caller.
type productJSON struct {
	ID            string          `json:"id"`
	SourceID      string          `json:"source_id"`
	SourceVersion string          `json:"source_version"`
	CollectionID  string          `json:"collection"`
	Object        json.RawMessage `json:"object"`
	// TLP and Classification are the markings the access decision read
	// from the derived object, when the caller may see it (for banners).
	TLP            string     `json:"tlp,omitempty"`
	Classification string     `json:"classification,omitempty"`
	AuthorOrg      string     `json:"author_org"`
	AuthorKey      string     `json:"author_key"`
	Status         string     `json:"status"`
	ApproverKey    string     `json:"approver_key,omitempty"`
	RelationshipID string     `json:"relationship_id,omitempty"`
	Created        time.Time  `json:"created"`
	Decided        *time.Time `json:"decided,omitempty"`
}

// productOf returns pr as recipient r may see it: its object passes the
// access decision like every object that leaves the server.
func (s *Server) productOf(r *marking.Recipient, pr *tearline.Product) productJSON {
	j := productJSON{
		ID: pr.ID, SourceID: pr.SourceID, SourceVersion: pr.SourceVersion, CollectionID: pr.CollectionID,
		AuthorOrg: pr.AuthorOrg, AuthorKey: pr.AuthorKey, Status: pr.Status, ApproverKey: pr.ApproverKey,
		RelationshipID: pr.RelationshipID, Created: pr.Created,
	}
	if !pr.Decided.IsZero() {
		j.Decided = &pr.Decided
	}
	if res := s.policy.Decide(r, pr.Raw); res.Decision != marking.Withhold {
		j.Object = res.Raw
		j.TLP, j.Classification = res.TLP.String(), res.Classification
	} else {
		j.Object = json.RawMessage("null")
	}
	return j
}

// analyst wraps a products handler: the caller must authenticate with the
// analyst role or higher.
func (s *Server) analyst(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, func(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
			if !p.Role.AtLeast(tearline.RoleAnalyst) {
				return tearline.Errorf(tearline.EFORBIDDEN, "tear-line products need an API key or certificate with role %q or higher; yours has role %q", tearline.RoleAnalyst, p.Role)
			}
			return h(w, r, p)
		}, false)
	})
}

// productRecipient is p as the recipient of a product's object: a reader
// of the target collection when its organization may read or write it.
func (s *Server) productRecipient(ctx context.Context, p *tearline.Principal, collectionID string) (*marking.Recipient, error) {
	g, err := s.grant(ctx, p, collectionID)
	if err != nil {
		return nil, err
	}
	return s.recipient(p, readView(nil, g)), nil
}

// createProduct stores a draft product: {"source_id", "collection",
// "object"}. The caller's organization must be able to read the source
// (the access decision must let it see it) and write the target
// collection; the object must be valid STIX, not the source itself, and
// its markings must pass the ingest check for the caller's organization.
func (s *Server) createProduct(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	var req struct {
		SourceID   string          `json:"source_id"`
		Collection string          `json:"collection"`
		Object     json.RawMessage `json:"object"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.SourceID == "":
		return tearline.Errorf(tearline.EINVALID, "source_id is missing: give the id of the object the product derives from")
	case req.Collection == "":
		return tearline.Errorf(tearline.EINVALID, "collection is missing: give the id or alias of the collection to release the product into")
	case len(req.Object) == 0 || string(req.Object) == "null":
		return tearline.Errorf(tearline.EINVALID, "object is missing: give the derived STIX object")
	}
	ctx := r.Context()
	c, err := s.b.FindCollection(ctx, req.Collection)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return tearline.Errorf(tearline.ENOTFOUND, "no collection %q", req.Collection)
	} else if err != nil {
		return err
	}
	g, err := s.grant(ctx, p, c.ID)
	if err != nil {
		return err
	}
	if !g.Write {
		return tearline.Errorf(tearline.EFORBIDDEN, "your organization may not write collection %s, so it cannot release a product into it", c.ID)
	}
	raw := bytes.Clone(req.Object)
	obj, issues := stix.ValidateObject(raw, "object")
	if obj == nil {
		return tearline.Errorf(tearline.EINVALID, "the derived object is not valid STIX 2.1: %s", issuesText(issues.Errors(), 2000))
	}
	if obj.ID == req.SourceID {
		return tearline.Errorf(tearline.EINVALID, "the derived object has the source's id %s: a tear-line product is a new object with its own id", obj.ID)
	}
	version, source, err := s.readableSource(ctx, p, req.SourceID)
	if err != nil {
		return err
	}
	author, err := s.submitter(ctx, p.Org.ID)
	if err != nil {
		return err
	}
	if err := s.policy.Check(author, raw); err != nil {
		return tearline.Errorf(tearline.ErrorCode(err), "the derived object's markings are refused: %s", tearline.ErrorMessage(err))
	}
	if err := s.policy.CheckDerived(raw, source); err != nil {
		return err
	}
	pr := &tearline.Product{
		SourceID: req.SourceID, SourceVersion: version, CollectionID: c.ID, Raw: raw,
		AuthorOrg: p.Org.ID, AuthorKey: p.KeyID,
	}
	if err := s.b.CreateProduct(ctx, pr); err != nil {
		return err
	}
	s.logger(ctx).Info("tear-line product drafted", "product", pr.ID, "source", pr.SourceID, "collection", c.ID)
	rcpt, err := s.productRecipient(ctx, p, c.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/products/"+pr.ID)
	writeAdmin(w, http.StatusCreated, s.productOf(rcpt, pr))
	return nil
}

// readableSource returns the version key and the stored bytes of the
// latest version of object id that p's organization may read in some
// collection, as the access decision allows it. ENOTFOUND when there is
// none.
func (s *Server) readableSource(ctx context.Context, p *tearline.Principal, id string) (string, []byte, error) {
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return "", nil, err
	}
	for colID, g := range grants {
		if !g.Read {
			continue
		}
		page, err := s.b.QueryObjects(ctx, tearline.ObjectQuery{CollectionID: colID, IDs: []string{id}, Versions: []string{tearline.VersionLast}})
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			continue // collection deleted meanwhile
		} else if err != nil {
			return "", nil, err
		}
		v := readView(nil, g)
		for _, e := range page.Entries {
			if s.release(s.recipient(p, v), v, e).Decision != marking.Withhold {
				return e.VersionKey(), e.Raw, nil
			}
		}
	}
	return "", nil, tearline.Errorf(tearline.ENOTFOUND, "no object %q in a collection your organization may read", id)
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	q := r.URL.Query()
	status := q.Get("status")
	switch status {
	case "", tearline.ProductDraft, tearline.ProductApproved, tearline.ProductRejected:
	default:
		return tearline.Errorf(tearline.EINVALID, "status %q is not one of %s, %s, %s", status,
			tearline.ProductDraft, tearline.ProductApproved, tearline.ProductRejected)
	}
	colID := q.Get("collection")
	if colID != "" {
		c, err := s.b.FindCollection(r.Context(), colID)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			return tearline.Errorf(tearline.ENOTFOUND, "no collection %q", colID)
		} else if err != nil {
			return err
		}
		colID = c.ID
	}
	ps, err := s.b.Products(r.Context(), colID, status)
	if err != nil {
		return err
	}
	grants, err := s.grants(r.Context(), p.Org.ID)
	if err != nil {
		return err
	}
	res := struct {
		Products []productJSON `json:"products"`
	}{Products: []productJSON{}}
	for _, pr := range ps {
		// An analyst sees the products of its organization and those it
		// may review; an admin sees all.
		g := grants[pr.CollectionID]
		if pr.AuthorOrg != p.Org.ID && !g.Write && !p.Role.AtLeast(tearline.RoleAdmin) {
			continue
		}
		rcpt := s.recipient(p, readView(nil, g))
		res.Products = append(res.Products, s.productOf(rcpt, pr))
	}
	writeAdmin(w, http.StatusOK, res)
	return nil
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	id := r.PathValue("product")
	pr, err := s.b.FindProduct(r.Context(), id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return tearline.Errorf(tearline.ENOTFOUND, "no product %q", id)
	} else if err != nil {
		return err
	}
	g, err := s.grant(r.Context(), p, pr.CollectionID)
	if err != nil {
		return err
	}
	// As in listProducts: the author's organization, reviewers and admins.
	if pr.AuthorOrg != p.Org.ID && !g.Write && !p.Role.AtLeast(tearline.RoleAdmin) {
		return tearline.Errorf(tearline.ENOTFOUND, "no product %q", id)
	}
	writeAdmin(w, http.StatusOK, s.productOf(s.recipient(p, readView(nil, g)), pr))
	return nil
}

func (s *Server) approveProduct(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	return s.decideProduct(w, r, p, true)
}

func (s *Server) rejectProduct(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	return s.decideProduct(w, r, p, false)
}

func (s *Server) decideProduct(w http.ResponseWriter, r *http.Request, p *tearline.Principal, approve bool) error {
	if err := checkParams(r); err != nil {
		return err
	}
	ctx := context.WithoutCancel(r.Context())
	pr, err := DecideProduct(ctx, s.b, s.policy, r.PathValue("product"), p, approve)
	if err != nil {
		return err
	}
	s.logger(ctx).Info("tear-line product decided", "product", pr.ID, "status", pr.Status,
		"collection", pr.CollectionID, "relationship", pr.RelationshipID)
	rcpt, err := s.productRecipient(ctx, p, pr.CollectionID)
	if err != nil {
		return err
	}
	writeAdmin(w, http.StatusOK, s.productOf(rcpt, pr))
	return nil
}

// DecideProduct approves (approve) or rejects the draft product id on
// behalf of approver, who must be a second analyst: another key than the
// author's, with role analyst or higher, of an organization that may write
// the product's collection. Approval releases, in one ingest into that
// collection, the derived object and a relationship "derived-from" from it
// to its source (created by the author's organization, with the derived
// object's object markings), both checked by policy for the author's
// organization as any submission is. It returns the decided product.
//
// The decision is taken in the store before anything is released, so that
// of two deciders racing (two server nodes, or the server and the CLI)
// exactly one wins and a rejected product is never released. The released
// objects are the same whoever releases them (the relationship's id comes
// from the product's, its timestamps from the decision), so approving an
// approved product again finishes a release that was interrupted, and
// changes nothing otherwise.
//
// ENOTFOUND for an unknown product or collection; ECONFLICT when the product
// was decided already (rejected, or approved when approve is false) or the
// collection holds a different object with the derived object's id and
// version; EFORBIDDEN when the approver may not decide; EINVALID or
// EFORBIDDEN when the objects no longer pass the ingest check.
func DecideProduct(ctx context.Context, b Backend, policy *marking.Policy, id string, approver *tearline.Principal, approve bool) (*tearline.Product, error) {
	pr, err := b.FindProduct(ctx, id)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no product %q", id)
	} else if err != nil {
		return nil, err
	}
	resume := approve && pr.Status == tearline.ProductApproved
	if pr.Status != tearline.ProductDraft && !resume {
		return nil, tearline.Errorf(tearline.ECONFLICT, "product %s was %s already", pr.ID, pr.Status)
	}
	if approver == nil || approver.Org == nil {
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "a product is decided by an analyst's API key")
	}
	if !approver.Role.AtLeast(tearline.RoleAnalyst) {
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "deciding a product needs role %q or higher; key %s has role %q", tearline.RoleAnalyst, approver.KeyID, approver.Role)
	}
	if approver.KeyID == pr.AuthorKey {
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "a second analyst must approve: key %s drafted product %s", approver.KeyID, pr.ID)
	}
	grants, err := b.OrgGrants(ctx, approver.Org.ID)
	if err != nil {
		return nil, err
	}
	if !grants[pr.CollectionID].Write {
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "organization %s may not write collection %s, where product %s would be released", approver.Org.ID, pr.CollectionID, pr.ID)
	}
	if !approve {
		pr.ApproverKey, pr.Status = approver.KeyID, tearline.ProductRejected
		if err := b.DecideProduct(ctx, pr); err != nil {
			return nil, err
		}
		return pr, nil
	}
	if !resume {
		// Check what would be released before deciding, with the
		// decision's time, so that a product that cannot be released stays
		// a draft.
		pr.ApproverKey, pr.Status = approver.KeyID, tearline.ProductApproved
		pr.RelationshipID = derivedRelationshipID(pr.ID)
		pr.Decided = time.Now().UTC().Truncate(time.Millisecond)
		if _, err := productRelease(ctx, b, policy, pr); err != nil {
			return nil, err
		}
		if err := b.DecideProduct(ctx, pr); err != nil {
			return nil, err
		}
	}
	rel, err := productRelease(ctx, b, policy, pr)
	if err == nil {
		err = rel.store(ctx, b, policy)
	}
	if err != nil {
		return nil, fmt.Errorf("product %s is approved but was not released (approve it again to finish): %w", pr.ID, err)
	}
	return pr, nil
}

// derivedRelationshipID is the id of the derived-from relationship
// released with the product whose id is productID: the same on every node.
func derivedRelationshipID(productID string) string {
	return "relationship--" + uuid.NewSHA1(productNamespace, []byte(productID)).String()
}

// productNamespace is the UUIDv5 namespace of derived-from relationship ids.
var productNamespace = uuid.MustParse("6f1e2c3a-8d0b-5e8f-9a41-3c2b7d5e9f10")

// releaseSet is what approving a product ingests: the derived object and
// its derived-from relationship, by the author's organization.
type releaseSet struct {
	pr     *tearline.Product
	rel    []byte
	author *marking.Recipient
}

// productRelease builds and checks the release of approved product pr:
// the relationship has its id and takes its timestamps from pr.Decided.
func productRelease(ctx context.Context, b Backend, policy *marking.Policy, pr *tearline.Product) (*releaseSet, error) {
	if _, err := b.FindCollection(ctx, pr.CollectionID); tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "collection %s of product %s no longer exists", pr.CollectionID, pr.ID)
	} else if err != nil {
		return nil, err
	}
	var derived struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(pr.Raw, &derived); err != nil {
		return nil, fmt.Errorf("product %s: read derived object: %w", pr.ID, err)
	}
	markings, err := marking.ObjectMarkings(pr.Raw)
	if err != nil {
		return nil, fmt.Errorf("product %s: read derived object: %w", pr.ID, err)
	}
	at := pr.Decided.UTC().Format("2006-01-02T15:04:05.000Z")
	rel, err := json.Marshal(struct {
		Type              string   `json:"type"`
		SpecVersion       string   `json:"spec_version"`
		ID                string   `json:"id"`
		Created           string   `json:"created"`
		Modified          string   `json:"modified"`
		CreatedByRef      string   `json:"created_by_ref"`
		RelationshipType  string   `json:"relationship_type"`
		SourceRef         string   `json:"source_ref"`
		TargetRef         string   `json:"target_ref"`
		ObjectMarkingRefs []string `json:"object_marking_refs,omitempty"`
	}{"relationship", "2.1", pr.RelationshipID, at, at, pr.AuthorOrg, "derived-from", derived.ID, pr.SourceID, markings})
	if err != nil {
		return nil, err
	}
	author, err := recipientOf(ctx, b, pr.AuthorOrg)
	if err != nil {
		return nil, err
	}
	// Check both before storing either, so that a release is whole or
	// nothing.
	for _, raw := range [][]byte{pr.Raw, rel} {
		if obj, issues := stix.ValidateObject(raw, ""); obj == nil {
			return nil, tearline.Errorf(tearline.EINVALID, "product %s cannot be released: %s", pr.ID, issuesText(issues.Errors(), 2000))
		}
		if err := policy.Check(author, raw); err != nil {
			return nil, tearline.Errorf(tearline.ErrorCode(err), "product %s cannot be released: %s", pr.ID, tearline.ErrorMessage(err))
		}
	}
	return &releaseSet{pr: pr, rel: rel, author: author}, nil
}

// store ingests the release into the product's collection; storing it again
// changes nothing.
func (rs *releaseSet) store(ctx context.Context, b Backend, policy *marking.Policy) error {
	pr, rel, author := rs.pr, rs.rel, rs.author
	env, err := json.Marshal(map[string][]json.RawMessage{"objects": {pr.Raw, rel}})
	if err != nil {
		return err
	}
	var failed error
	// The released objects feed the observable index, as a submission of
	// the author's organization does.
	idx, _ := b.(tearline.Observables)
	_, err = ingest.Envelope(ctx, b, pr.CollectionID, bytes.NewReader(env), ingest.Options{
		Policy:      policy,
		Submitter:   author,
		Observables: idx,
		Source:      pr.AuthorOrg,
		OnObject: func(o *ingest.Outcome) {
			if o.Stored() || failed != nil {
				return
			}
			code := tearline.EINVALID
			if o.Status == tearline.Conflict {
				code = tearline.ECONFLICT
			}
			failed = tearline.Errorf(code, "product %s: object %s was not released: %s", pr.ID, o.ID, issuesText(o.Issues.Errors(), 1000))
		},
	})
	if err != nil {
		return err
	}
	return failed
}
