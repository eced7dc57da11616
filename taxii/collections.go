package taxii

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

// discoveryResource is the TAXII discovery resource (section 4.1.1).
type discoveryResource struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots"`
}

// apiRootResource is the TAXII API root resource (section 4.2.1).
type apiRootResource struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// collectionResource is the TAXII collection resource (section 5.2.1).
type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

type collectionsResource struct {
	Collections []collectionResource `json:"collections,omitempty"`
}

// rootURL is the path of an API root, which TAXII allows as a relative URL;
// it stays right behind proxies that change the scheme or host.
func rootURL(r *APIRoot) string { return "/taxii2/" + r.Name + "/" }

func (s *Server) getDiscovery(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	d := discoveryResource{
		Title:       s.cfg.Title,
		Description: s.cfg.Description,
		Contact:     s.cfg.Contact,
		Default:     rootURL(s.def),
		APIRoots:    []string{},
	}
	for _, root := range s.order {
		d.APIRoots = append(d.APIRoots, rootURL(root))
	}
	writeTAXII(w, http.StatusOK, d)
	return nil
}

// apiRoot returns the API root named in the request path. ENOTFOUND when
// there is none.
func (s *Server) apiRoot(r *http.Request) (*APIRoot, error) {
	name := r.PathValue("root")
	root := s.roots[name]
	if root == nil {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no API root %q on this server; GET /taxii2/ lists them", name)
	}
	return root, nil
}

func (s *Server) getAPIRoot(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	root, err := s.apiRoot(r)
	if err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, apiRootResource{
		Title:            root.Title,
		Description:      root.Description,
		Versions:         []string{mediaTAXII},
		MaxContentLength: root.MaxContentLength,
	})
	return nil
}

// collection is a collection as one caller sees it: what its
// organization's grants and its role let it do.
type collection struct {
	*tearline.Collection
	root     *APIRoot
	canRead  bool // the organization may read
	canWrite bool // the organization may write and the role may add
	canWipe  bool // also the role may delete
	// client: the organization reads only as a client of a reader
	// (tearline.Grant.Client), so the access decision treats it as one.
	client bool
	// peer is the federation peer the caller's organization stands for;
	// nil for a member.
	peer *tearline.Peer
}

// visible reports whether the caller may know the collection exists.
func (c *collection) visible() bool { return c.canRead || c.canWrite }

// view returns c as principal p sees it with grant g.
func view(p *tearline.Principal, c *tearline.Collection, root *APIRoot, g tearline.Grant) *collection {
	return &collection{
		Collection: c,
		root:       root,
		canRead:    g.Read,
		canWrite:   g.Write && p.Role.AtLeast(tearline.RoleContributor),
		canWipe:    g.Write && p.Role.AtLeast(tearline.RoleAnalyst),
		client:     g.Client,
	}
}

// inRoot reports whether collection c is served by API root root.
func (s *Server) inRoot(c *tearline.Collection, root *APIRoot) bool {
	return c.APIRoot == root.Name || c.APIRoot == "" && root == s.def
}

// validCollectionKey reports whether key can name a collection: a UUID or
// an alias (lower-case letters, digits, '-' and '_').
func validCollectionKey(key string) bool {
	if _, err := uuid.Parse(key); err == nil {
		return true
	}
	if key == "" || len(key) > 64 {
		return false
	}
	for _, c := range []byte(key) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// collection returns the collection named in the request path as p sees
// it. ENOTFOUND when there is no such collection in the API root, or p may
// neither read nor write it.
func (s *Server) collection(r *http.Request, p *tearline.Principal) (*collection, error) {
	root, err := s.apiRoot(r)
	if err != nil {
		return nil, err
	}
	key := r.PathValue("collection")
	notFound := tearline.Errorf(tearline.ENOTFOUND,
		"no collection %q in API root %q that your organization may access; GET %scollections/ lists yours", key, root.Name, rootURL(root))
	if !validCollectionKey(key) {
		return nil, notFound
	}
	c, err := s.b.FindCollection(r.Context(), key)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	if !s.inRoot(c, root) {
		return nil, notFound
	}
	g, err := s.grant(r.Context(), p, c.ID)
	if err != nil {
		return nil, err
	}
	v := view(p, c, root, g)
	if !v.visible() {
		return nil, notFound
	}
	if v.peer, err = s.peerOf(r.Context(), p); err != nil {
		return nil, err
	}
	return v, nil
}

// grant returns p's organization's grant on a collection.
func (s *Server) grant(ctx context.Context, p *tearline.Principal, collectionID string) (tearline.Grant, error) {
	grants, err := s.grants(ctx, p.Org.ID)
	if err != nil {
		return tearline.Grant{}, err
	}
	return grants[collectionID], nil
}

// readable is collection, and EFORBIDDEN when p may not read it.
func (s *Server) readable(r *http.Request, p *tearline.Principal) (*collection, error) {
	c, err := s.collection(r, p)
	if err != nil {
		return nil, err
	}
	if !c.canRead {
		return nil, tearline.Errorf(tearline.EFORBIDDEN, "your organization may not read collection %s; ask its administrators for a read grant", c.ID)
	}
	if err := refuseOneWay(c.peer); err != nil {
		return nil, err
	}
	return c, nil
}

func resourceOf(c *collection) collectionResource {
	title := c.Title
	if title == "" {
		title = c.Alias
	}
	mt := c.MediaTypes
	if len(mt) == 0 {
		mt = []string{mediaSTIX}
	}
	return collectionResource{
		ID:          c.ID,
		Title:       title,
		Description: c.Description,
		Alias:       c.Alias,
		CanRead:     c.canRead,
		CanWrite:    c.canWrite,
		MediaTypes:  mt,
	}
}

func (s *Server) getCollections(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	root, err := s.apiRoot(r)
	if err != nil {
		return err
	}
	if peer, err := s.peerOf(r.Context(), p); err != nil {
		return err
	} else if err := refuseOneWay(peer); err != nil {
		return err
	}
	all, err := s.b.Collections(r.Context())
	if err != nil {
		return err
	}
	grants, err := s.grants(r.Context(), p.Org.ID)
	if err != nil {
		return err
	}
	var res collectionsResource
	for _, c := range all {
		if !s.inRoot(c, root) {
			continue
		}
		if v := view(p, c, root, grants[c.ID]); v.visible() {
			res.Collections = append(res.Collections, resourceOf(v))
		}
	}
	feeds, err := s.feedResources(r.Context(), p, root)
	if err != nil {
		return err
	}
	res.Collections = append(res.Collections, feeds...)
	writeTAXII(w, http.StatusOK, res)
	return nil
}

func (s *Server) getCollection(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	c, err := s.collection(r, p)
	if err != nil {
		return err
	}
	if err := refuseOneWay(c.peer); err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, resourceOf(c))
	return nil
}
