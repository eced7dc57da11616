package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Filter selects objects, as the TAXII query parameters of section 3.4.
// Empty fields are not sent.
type Filter struct {
	// AddedAfter is a timestamp as the server writes date_added (sent as
	// given, so a server's own precision survives the round trip).
	AddedAfter string
	// Limit asks for at most this many objects per page; 0 lets the server
	// choose.
	Limit int
	// Next is a token from the previous page.
	Next string
	// IDs, Types, Versions ("first", "last", "all" or timestamps) and
	// SpecVersions are the match[...] filters.
	IDs, Types, Versions, SpecVersions []string
}

// query returns the query string of f, with the brackets of match[...]
// unescaped as TAXII writes them.
func (f *Filter) query() string {
	var parts []string
	add := func(name, value string) { parts = append(parts, name+"="+url.QueryEscape(value)) }
	if f.AddedAfter != "" {
		add("added_after", f.AddedAfter)
	}
	if f.Limit > 0 {
		add("limit", strconv.Itoa(f.Limit))
	}
	if f.Next != "" {
		add("next", f.Next)
	}
	for _, m := range []struct {
		name   string
		values []string
	}{{"match[id]", f.IDs}, {"match[type]", f.Types}, {"match[version]", f.Versions}, {"match[spec_version]", f.SpecVersions}} {
		if len(m.values) > 0 {
			add(m.name, strings.Join(m.values, ","))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "?" + strings.Join(parts, "&")
}

// collectionURL returns the URL of a collection of the API root at root.
func collectionURL(root, collection string) string {
	return dir(root) + "collections/" + url.PathEscape(collection) + "/"
}

// get sends a GET for a TAXII resource and checks that the answer is one.
func (c *Client) get(ctx context.Context, u, accept string, header http.Header, ok ...int) (*response, error) {
	if len(ok) == 0 {
		ok = []int{http.StatusOK}
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, url: u, accept: accept, header: header, ok: ok})
	if err != nil {
		return nil, err
	}
	if err := checkMedia(resp.header); err != nil {
		return nil, &Error{Method: http.MethodGet, URL: u, Status: resp.status, Err: err}
	}
	return resp, nil
}

// decoded returns a function that wraps a decoding failure err of the
// answer to a GET of u with the answer's status.
func decoded[T any](v T, err error) func(u string, status int) (T, error) {
	return func(u string, status int) (T, error) {
		if err != nil {
			return v, &Error{Method: http.MethodGet, URL: u, Status: status, Err: err}
		}
		return v, nil
	}
}

// Discover reads the discovery resource at u (such as
// https://host/taxii2/), resolving its API root URLs against u.
func (c *Client) Discover(ctx context.Context, u string) (*Discovery, error) {
	resp, err := c.get(ctx, u, MediaTAXII, nil)
	if err != nil {
		return nil, err
	}
	d, err := decoded(decodeDiscovery(resp.body))(u, resp.status)
	if err != nil {
		return nil, err
	}
	for i, r := range d.APIRoots {
		if d.APIRoots[i], err = resolve(u, r); err != nil {
			return nil, &Error{Method: http.MethodGet, URL: u, Status: resp.status, Err: fmt.Errorf("api_roots[%d] %q is not a URL", i, clip(r))}
		}
	}
	if d.Default != "" {
		if d.Default, err = resolve(u, d.Default); err != nil {
			return nil, &Error{Method: http.MethodGet, URL: u, Status: resp.status, Err: fmt.Errorf("default %q is not a URL", clip(d.Default))}
		}
	}
	return d, nil
}

// APIRoot reads the API root resource at root.
func (c *Client) APIRoot(ctx context.Context, root string) (*APIRoot, error) {
	u := dir(root)
	resp, err := c.get(ctx, u, MediaTAXII, nil)
	if err != nil {
		return nil, err
	}
	return decoded(decodeAPIRoot(resp.body))(u, resp.status)
}

// Collections lists the collections of the API root at root that the
// server shows this client.
func (c *Client) Collections(ctx context.Context, root string) ([]Collection, error) {
	u := dir(root) + "collections/"
	resp, err := c.get(ctx, u, MediaTAXII, nil)
	if err != nil {
		return nil, err
	}
	return decoded(decodeCollections(resp.body))(u, resp.status)
}

// Collection reads one collection of the API root at root.
func (c *Client) Collection(ctx context.Context, root, collection string) (*Collection, error) {
	u := collectionURL(root, collection)
	resp, err := c.get(ctx, u, MediaTAXII, nil)
	if err != nil {
		return nil, err
	}
	return decoded(decodeCollection(resp.body))(u, resp.status)
}

// Objects reads one page of the objects of a collection matching f.
func (c *Client) Objects(ctx context.Context, root, collection string, f Filter) (*Envelope, error) {
	return c.objects(ctx, collectionURL(root, collection)+"objects/", f, -1)
}

// Object reads one page of the versions of object id that match f (IDs
// and Types are not sent: the path names the object).
func (c *Client) Object(ctx context.Context, root, collection, id string, f Filter) (*Envelope, error) {
	f.IDs, f.Types = nil, nil
	return c.objects(ctx, collectionURL(root, collection)+"objects/"+url.PathEscape(id)+"/", f, -1)
}

// objects reads a page of objects at u; from, when not negative, asks for
// the items from that index on with a Range header (TAXII 2.0 paging).
func (c *Client) objects(ctx context.Context, u string, f Filter, from int) (*Envelope, error) {
	var header http.Header
	if from >= 0 {
		n := f.Limit
		if n <= 0 {
			n = 1000
		}
		header = http.Header{"Range": {fmt.Sprintf("items %d-%d", from, from+n-1)}}
	}
	u += f.query()
	resp, err := c.get(ctx, u, MediaTAXII, header, http.StatusOK, http.StatusPartialContent)
	if err != nil {
		return nil, err
	}
	env, err := decoded(decodeEnvelope(resp.body))(u, resp.status)
	if err != nil {
		return nil, err
	}
	env.DateAddedFirst = resp.header.Get("X-TAXII-Date-Added-First")
	env.DateAddedLast = resp.header.Get("X-TAXII-Date-Added-Last")
	if resp.status == http.StatusPartialContent {
		if env.rangeNext = contentRange(resp.header.Get("Content-Range")); env.rangeNext >= 0 && len(env.Objects) > 0 {
			env.More = true
		}
	}
	return env, nil
}

// Manifest reads one page of the manifest of a collection.
func (c *Client) Manifest(ctx context.Context, root, collection string, f Filter) (*Manifest, error) {
	u := collectionURL(root, collection) + "manifest/" + f.query()
	resp, err := c.get(ctx, u, MediaTAXII, nil)
	if err != nil {
		return nil, err
	}
	m, err := decoded(decodeManifest(resp.body))(u, resp.status)
	if err != nil {
		return nil, err
	}
	m.DateAddedFirst = resp.header.Get("X-TAXII-Date-Added-First")
	m.DateAddedLast = resp.header.Get("X-TAXII-Date-Added-Last")
	return m, nil
}

// Versions reads one page of the versions of object id (only AddedAfter,
// Limit, Next and SpecVersions of f apply).
func (c *Client) Versions(ctx context.Context, root, collection, id string, f Filter) (*Versions, error) {
	f.IDs, f.Types, f.Versions = nil, nil, nil
	u := collectionURL(root, collection) + "objects/" + url.PathEscape(id) + "/versions/" + f.query()
	resp, err := c.get(ctx, u, MediaTAXII, nil)
	if err != nil {
		return nil, err
	}
	return decoded(decodeVersions(resp.body))(u, resp.status)
}

// Pages returns the pages of the objects of a collection that match f, in
// order, following next. A server that says more without a next is
// followed after the page's X-TAXII-Date-Added-Last, or with Range headers
// when it pages as TAXII 2.0 did. A next token the server refuses, repeats
// or answers with a page that goes back is dropped for the rest of the
// paging, which continues after the last X-TAXII-Date-Added-Last instead
// (a page that went back is not yielded). Iteration stops after the last
// page or at the first error, which is yielded with a nil page: an *Error
// saying why paging cannot go on, a request error, or ctx's error.
func (c *Client) Pages(ctx context.Context, root, collection string, f Filter) iter.Seq2[*Envelope, error] {
	u := collectionURL(root, collection) + "objects/"
	return func(yield func(*Envelope, error) bool) {
		p := pager{c: c, u: u, f: f, from: -1, useNext: true}
		for {
			env, err := p.next(ctx)
			if err != nil {
				yield(nil, err)
				return
			}
			if env == nil {
				return
			}
			if !yield(env, nil) {
				return
			}
		}
	}
}

// pager walks the pages of an objects endpoint.
type pager struct {
	c    *Client
	u    string
	f    Filter
	from int // next Range item (TAXII 2.0 paging); -1 when not paging by Range
	// useNext is cleared once the server's next tokens proved broken.
	useNext bool
	// first and last are the X-TAXII-Date-Added headers of the previous
	// page; "" before the first page or when the server sends none.
	first, last string
	done        bool
}

// next returns the next page, nil after the last one.
func (p *pager) next(ctx context.Context) (*Envelope, error) {
	if p.done {
		return nil, nil
	}
	usedNext := p.f.Next != ""
	env, err := p.c.objects(ctx, p.u, p.f, p.from)
	if err == nil && usedNext && p.wentBack(env) {
		err = errors.New("the page went back")
	}
	if err != nil && usedNext && p.last != "" && ctx.Err() == nil {
		if s := StatusOf(err); s == 0 || s >= 400 && s < 500 && s != http.StatusUnauthorized && s != http.StatusForbidden {
			p.c.log.Warn("TAXII server's next token does not work; continuing after the last date_added",
				"url", p.u, "next", p.f.Next, "added_after", p.last, "err", err)
			p.useNext = false
			p.f.Next, p.f.AddedAfter = "", p.last
			env, err = p.c.objects(ctx, p.u, p.f, p.from)
		}
	}
	if err != nil {
		if p.from >= 0 && StatusOf(err) == http.StatusRequestedRangeNotSatisfiable {
			return nil, nil // a Range server past its end
		}
		return nil, err
	}
	if !env.More {
		p.done = true
		return env, nil
	}
	stuck := func(why string) error {
		p.done = true
		return &Error{Method: http.MethodGet, URL: p.u + p.f.query(), Err: errors.New(why)}
	}
	switch {
	case p.useNext && env.Next != "" && env.Next != p.f.Next:
		p.f.Next = env.Next
	case env.rangeNext >= 0:
		if env.rangeNext <= p.from {
			return nil, stuck("the server's Content-Range does not advance; cannot page further")
		}
		p.from = env.rangeNext
	case env.DateAddedLast != "" && env.DateAddedLast != p.f.AddedAfter:
		if env.Next != "" && p.useNext {
			p.c.log.Warn("TAXII server repeated its next token; continuing after the last date_added", "url", p.u, "next", env.Next)
			p.useNext = false
		}
		p.f.Next, p.f.AddedAfter = "", env.DateAddedLast
	case env.Next != "" && p.useNext:
		return nil, stuck("the server gave the same next token twice and no X-TAXII-Date-Added-Last; cannot page further")
	default:
		return nil, stuck("the server says more objects follow but gives neither next nor X-TAXII-Date-Added-Last; cannot page further")
	}
	if env.DateAddedLast != "" {
		p.first, p.last = env.DateAddedFirst, env.DateAddedLast
	}
	return env, nil
}

// wentBack reports whether a page fetched with a next token starts before
// the previous page ended, or repeats it: the token did not move on.
func (p *pager) wentBack(env *Envelope) bool {
	if p.last == "" || env.DateAddedFirst == "" {
		return false
	}
	if env.DateAddedFirst == p.first && env.DateAddedLast == p.last {
		return true
	}
	first, err1 := time.Parse(time.RFC3339Nano, env.DateAddedFirst)
	last, err2 := time.Parse(time.RFC3339Nano, p.last)
	return err1 == nil && err2 == nil && first.Before(last)
}

// Add posts objects (each a STIX object's JSON) to a collection in one
// envelope and returns the status the server answered with, which may
// still be pending (see Wait).
func (c *Client) Add(ctx context.Context, root, collection string, objects [][]byte) (*Status, error) {
	if len(objects) == 0 {
		return nil, errors.New("taxii client: add: no objects")
	}
	u := collectionURL(root, collection) + "objects/"
	resp, err := c.do(ctx, request{method: http.MethodPost, url: u, accept: MediaTAXII, ctype: MediaTAXII,
		body: Envelop(objects), ok: []int{http.StatusAccepted, http.StatusOK, http.StatusCreated}})
	if err != nil {
		return nil, err
	}
	if err := checkMedia(resp.header); err != nil {
		return nil, &Error{Method: http.MethodPost, URL: u, Status: resp.status, Err: err}
	}
	st, err := decodeStatus(resp.body)
	if err != nil {
		return nil, &Error{Method: http.MethodPost, URL: u, Status: resp.status, Err: err}
	}
	return st, nil
}

// Envelop returns the TAXII envelope holding objects.
func Envelop(objects [][]byte) []byte {
	n := len(`{"objects":[]}`) + len(objects)
	for _, o := range objects {
		n += len(o)
	}
	var b bytes.Buffer
	b.Grow(n)
	b.WriteString(`{"objects":[`)
	for i, o := range objects {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// Status reads the status resource id of the API root at root.
func (c *Client) Status(ctx context.Context, root, id string) (*Status, error) {
	u := dir(root) + "status/" + url.PathEscape(id) + "/"
	resp, err := c.get(ctx, u, MediaTAXII, nil)
	if err != nil {
		return nil, err
	}
	return decoded(decodeStatus(resp.body))(u, resp.status)
}

// Wait polls the status st of the API root at root until it is complete,
// backing off from 50 ms to 2 s between polls, and returns it complete.
// It returns ctx's error when ctx ends first.
func (c *Client) Wait(ctx context.Context, root string, st *Status) (*Status, error) {
	wait := 50 * time.Millisecond
	for !st.Complete() {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
		next, err := c.Status(ctx, root, st.ID)
		if err != nil {
			return nil, err
		}
		st = next
	}
	return st, nil
}
