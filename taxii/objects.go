package taxii

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
)

// recipient returns who principal p is to the access decision when it
// reads collection c: its organization's profile, and its relation to the
// collection. Every authenticated organization is a member of this
// server; a read grant on c makes it a reader of what c's producers shared.
// An organization that stands for a federation peer is a peer, never given
// more than the peer's ceiling (an unreadable ceiling gives nothing).
// Read access only as a client of a reader (tearline.Clients) makes it a
// client of the collection's readers.
func (s *Server) recipient(p *tearline.Principal, c *collection) *marking.Recipient {
	if p == nil || p.Org == nil {
		return &marking.Recipient{} // anonymous: every route asks for credentials today
	}
	r := marking.MemberRecipient(p.Org)
	if c != nil && c.canRead {
		r.CollectionReader, r.ClientOf = !c.client, c.client
	}
	switch {
	case c != nil && c.peer != nil:
		// A TAXII route or a push link: refuseOneWay and ReleaseToPeer
		// decided already what the low side of a one-way link gets.
		r.Peer = true
		r.Ceiling, _ = marking.ParseTLP(c.peer.Ceiling)
	case p.Peer != nil:
		// Any other read path: the peer's ceiling, and for the low side
		// of a one-way link no ceiling at all (NoTLP: nothing passes).
		r.Peer = true
		if !p.Peer.OneWay {
			r.Ceiling, _ = marking.ParseTLP(p.Peer.Ceiling)
		}
	}
	return r
}

// disclose records the access decisions recs, taken on path, in the
// disclosure ledger before what they let go is sent. EUNAVAILABLE when the
// ledger cannot record: nothing may be disclosed unrecorded.
func (s *Server) disclose(ctx context.Context, path string, recs []ledger.Disclosure) error {
	if s.cfg.Ledger == nil || len(recs) == 0 {
		return nil
	}
	if err := s.cfg.Ledger.RecordBatch(recs); err != nil {
		s.logger(ctx).Error("disclosure ledger cannot record; refusing to disclose", "err", err, "path", path)
		return tearline.Errorf(tearline.EUNAVAILABLE, "the disclosure ledger cannot record what this answer would disclose; retry later")
	}
	return nil
}

// release decides whether entry e of collection c may go to recipient r:
// the stored bytes, a redacted copy (Result.Raw), or nothing (Withhold).
// It is the one gate every object passes on its way out; handlers never
// write object bytes, nor list ids or versions, any other way. The decision
// is marking.Policy.Decide's; nothing else here reads markings.
func (s *Server) release(r *marking.Recipient, c *collection, e *tearline.Entry) marking.Result {
	switch {
	case r == nil || c == nil || !c.canRead:
		return marking.Result{Decision: marking.Withhold, Reason: "no read grant on the collection"}
	case e.Raw == nil:
		return marking.Result{Decision: marking.Withhold, Reason: "the stored object was not read"}
	}
	return s.policy.Decide(r, e.Raw)
}

// released is a page after release: what may go out, and the cursor
// that continues after the page whether or not its last entries went out.
type released struct {
	entries     []*tearline.Entry
	raws        [][]byte
	more        bool
	next        string // the next token when more
	first, last time.Time
}

// releasePage passes a store page, read with the objects' bytes, through
// release for principal p, and records every decision, withheld ones
// included, in the disclosure ledger under path (a ledger.Path* constant)
// with one RecordBatch call. It returns EUNAVAILABLE when the ledger cannot
// record: nothing of the page may go out unrecorded.
func (s *Server) releasePage(ctx context.Context, path string, p *tearline.Principal, c *collection, page *tearline.ObjectPage) (*released, error) {
	out := &released{more: page.More}
	r := s.recipient(p, c)
	var (
		rec      []ledger.Disclosure
		org, key string
	)
	if s.cfg.Ledger != nil {
		rec = make([]ledger.Disclosure, 0, len(page.Entries))
		if p != nil {
			key = p.KeyID
			if p.Org != nil {
				org = p.Org.ID
			}
		}
	}
	var colID string
	if c != nil {
		colID = c.ID
	}
	reqID := requestInfoOf(ctx).id
	for _, e := range page.Entries {
		res := s.release(r, c, e)
		if rec != nil {
			rec = append(rec, ledger.Disclosure{
				Org: org, Key: key, Collection: colID, Path: path, Request: reqID,
				Object: e.ID, Version: entryVersion(e),
				Decision: res.Decision, TLP: res.TLP,
				Classification: res.Classification, Reason: res.Reason,
			})
		}
		if res.Decision == marking.Withhold {
			continue
		}
		if out.first.IsZero() {
			out.first = e.DateAdded
		}
		out.last = e.DateAdded
		out.entries = append(out.entries, e)
		out.raws = append(out.raws, res.Raw)
	}
	if err := s.disclose(ctx, path, rec); err != nil {
		return nil, err
	}
	if page.More && len(page.Entries) > 0 {
		// The cursor is the last entry the store returned, released or not,
		// so that a page of withheld entries still moves the client on.
		out.next = nextToken(page.Entries[len(page.Entries)-1].DateAdded, c.ID)
	}
	// Every path through here answers p's organization (objects, versions,
	// manifests, exports, pushes to peers): it counts as consuming.
	s.consumed(p, len(out.raws))
	return out, nil
}

// EntryVersion is the version of a stored entry as TAXII shows it and the
// disclosure ledger records it: its modified timestamp, or its date added
// for an object without one.
func EntryVersion(e *tearline.Entry) string { return entryVersion(e) }

// setDateAddedHeaders sets X-TAXII-Date-Added-First and -Last.
func setDateAddedHeaders(w http.ResponseWriter, rel *released) {
	if len(rel.entries) == 0 {
		return
	}
	w.Header().Set("X-TAXII-Date-Added-First", dateAdded(rel.first))
	w.Header().Set("X-TAXII-Date-Added-Last", dateAdded(rel.last))
}

// envelopeWriters holds the 64 KiB buffers that envelopes are written
// through, so that a page goes out in a few large writes and an answer
// (an empty one to an idle poll, above all) needs no buffer of its own.
var envelopeWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}

// writeEnvelope streams a TAXII envelope: the released objects' bytes
// exactly as stored, never re-serialized.
func writeEnvelope(w http.ResponseWriter, rel *released) error {
	head := `{"more":` + strconv.FormatBool(rel.more)
	if rel.next != "" {
		head += `,"next":"` + rel.next + `"`
	}
	size := len(head) + 1
	if len(rel.raws) > 0 {
		head += `,"objects":[`
		size += len(`,"objects":[]`) + len(rel.raws) - 1
		for _, raw := range rel.raws {
			size += len(raw)
		}
	}
	setDateAddedHeaders(w, rel)
	w.Header().Set("Content-Type", mediaTAXII)
	w.Header().Set("Content-Length", strconv.Itoa(size))
	w.WriteHeader(http.StatusOK)
	bw := envelopeWriters.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil) // drops w, and whatever a failed write left unflushed
		envelopeWriters.Put(bw)
	}()
	bw.WriteString(head)
	for i, raw := range rel.raws {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.Write(raw)
	}
	if len(rel.raws) > 0 {
		bw.WriteByte(']')
	}
	bw.WriteByte('}')
	return bw.Flush()
}

func (s *Server) getObjects(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	c, err := s.readable(r, p)
	if err != nil {
		return err
	}
	f, err := s.parseFilter(r, objectsParams, c.ID)
	if err != nil {
		return err
	}
	page, err := s.queryScored(r.Context(), f, f.query(c.ID))
	if err != nil {
		return err
	}
	rel, err := s.releasePage(r.Context(), ledger.PathObjects, p, c, page)
	if err != nil {
		return err
	}
	return writeEnvelope(w, rel)
}

// objectID returns the STIX id in the request path. EINVALID when it is
// not one, so that no store query is made with it.
func objectID(r *http.Request) (string, error) {
	id := r.PathValue("object")
	if _, _, err := stix.ParseID(id); err != nil {
		return "", tearline.Errorf(tearline.EINVALID, "%q is not a STIX identifier (type--UUID): %v", id, err)
	}
	return id, nil
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	rel, err := s.objectPage(r, p, objectParams, ledger.PathObject, nil)
	if err != nil {
		return err
	}
	return writeEnvelope(w, rel)
}

// objectPage reads one page of the versions of the object named in the
// request path, with the endpoint's filters (versions, when set, overrides
// match[version]), passed through the access decision. ENOTFOUND when the
// first page holds nothing the caller may receive, as for an object that
// does not exist.
func (s *Server) objectPage(r *http.Request, p *tearline.Principal, allowed param, path string, versions []string) (*released, error) {
	c, err := s.readable(r, p)
	if err != nil {
		return nil, err
	}
	id, err := objectID(r)
	if err != nil {
		return nil, err
	}
	f, err := s.parseFilter(r, allowed, c.ID)
	if err != nil {
		return nil, err
	}
	q := f.query(c.ID)
	q.IDs = []string{id}
	if versions != nil {
		q.Versions = versions
	}
	// The bytes are read so that the access decision applies to each
	// version: a recipient must not learn that a withheld version exists.
	page, err := s.b.QueryObjects(r.Context(), q)
	if err != nil {
		return nil, err
	}
	rel, err := s.releasePage(r.Context(), path, p, c, page)
	if err != nil {
		return nil, err
	}
	if len(rel.entries) == 0 && !rel.more && !f.positioned() {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "collection %s holds no object %s matching the filters", c.ID, id)
	}
	return rel, nil
}

// versionsResource is the TAXII versions resource (section 5.8.1), with
// "next" as in envelopes so clients can page with it.
type versionsResource struct {
	More     bool     `json:"more"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

func (s *Server) getVersions(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	rel, err := s.objectPage(r, p, versionsParams, ledger.PathVersions, []string{tearline.VersionAll})
	if err != nil {
		return err
	}
	res := versionsResource{More: rel.more, Next: rel.next}
	for _, e := range rel.entries {
		res.Versions = append(res.Versions, entryVersion(e))
	}
	setDateAddedHeaders(w, rel)
	writeTAXII(w, http.StatusOK, res)
	return nil
}

// manifestRecord is one entry of a manifest (section 5.6.1).
type manifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

// manifestResource is the TAXII manifest resource, with "next" as in
// envelopes so clients can page with it.
type manifestResource struct {
	More    bool             `json:"more"`
	Next    string           `json:"next,omitempty"`
	Objects []manifestRecord `json:"objects,omitempty"`
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	c, err := s.readable(r, p)
	if err != nil {
		return err
	}
	f, err := s.parseFilter(r, manifestParams, c.ID)
	if err != nil {
		return err
	}
	// The bytes are read so that the access decision applies to each entry.
	q := f.query(c.ID)
	page, err := s.queryScored(r.Context(), f, q)
	if err != nil {
		return err
	}
	rel, err := s.releasePage(r.Context(), ledger.PathManifest, p, c, page)
	if err != nil {
		return err
	}
	res := manifestResource{More: rel.more, Next: rel.next}
	for _, e := range rel.entries {
		res.Objects = append(res.Objects, manifestRecord{
			ID:        e.ID,
			DateAdded: dateAdded(e.DateAdded),
			Version:   entryVersion(e),
			MediaType: mediaSTIX,
		})
	}
	setDateAddedHeaders(w, rel)
	writeTAXII(w, http.StatusOK, res)
	return nil
}

func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, p *tearline.Principal) error {
	c, err := s.collection(r, p)
	if err != nil {
		return err
	}
	if !c.canWipe {
		return tearline.Errorf(tearline.EFORBIDDEN,
			"deleting from collection %s needs a write grant for your organization and a key with role %q or higher", c.ID, tearline.RoleAnalyst)
	}
	id, err := objectID(r)
	if err != nil {
		return err
	}
	f, err := s.parseFilter(r, deleteParams, c.ID)
	if err != nil {
		return err
	}
	// Only versions the caller may receive can be deleted: the others are
	// left alone, and when none is visible the answer is the same 404 as for
	// an object that does not exist, so DELETE cannot probe for them.
	versions, err := s.visibleVersions(r.Context(), p, c, id, f)
	if err != nil {
		return err
	}
	notFound := tearline.Errorf(tearline.ENOTFOUND, "collection %s holds no object %s matching the version filters", c.ID, id)
	if len(versions) == 0 {
		return notFound
	}
	n, err := s.b.DeleteObject(r.Context(), c.ID, id, versions, nil)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return notFound
	} else if err != nil {
		return err
	}
	s.logger(r.Context()).Info("deleted object", "collection", c.ID, "object", id, "versions", n)
	w.Header().Set("Content-Type", mediaTAXII)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// visibleVersions returns, as exact timestamps, the versions of object id in
// collection c that match filter f and that p may receive.
func (s *Server) visibleVersions(ctx context.Context, p *tearline.Principal, c *collection, id string, f *filter) ([]string, error) {
	q := tearline.ObjectQuery{CollectionID: c.ID, IDs: []string{id}, Versions: f.versions, SpecVersions: f.specVersions}
	if len(q.Versions) == 0 {
		q.Versions = []string{tearline.VersionAll} // DELETE without a filter removes every version
	}
	page, err := s.b.QueryObjects(ctx, q)
	if err != nil {
		return nil, err
	}
	rec := s.recipient(p, c)
	var versions []string
	for _, e := range page.Entries {
		if s.release(rec, c, e).Decision != marking.Withhold {
			versions = append(versions, e.Version.UTC().Format(time.RFC3339Nano))
		}
	}
	return versions, nil
}
