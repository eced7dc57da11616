package normalize

import (
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/stix"
)

// DefaultCeiling is the ceiling of a peer created without one.
const DefaultCeiling = "TLP:GREEN"

// MinLinkInterval is the shortest interval between two runs of a link.
const MinLinkInterval = time.Second

// Peer returns a copy of p in canonical form: the URL with one trailing
// slash, the ceiling as TLP 2.0 names it (DefaultCeiling when empty), the
// crosswalk ids lower case. EINVALID for a name that is not 1 to 64
// lower-case letters, digits, '-' and '_' (or is a UUID), a URL that is not
// absolute http or https, an unknown ceiling, both a token and a user, a
// certificate without its key, or a crosswalk entry that is not a pair of
// marking-definition ids or repeats a remote or local id.
func Peer(p *tearline.Peer) (*tearline.Peer, error) {
	c := *p
	if err := peerName(p.Name); err != nil {
		return nil, err
	}
	u, err := url.Parse(strings.TrimSpace(p.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, tearline.Errorf(tearline.EINVALID, "peer URL %q is not an http or https URL of a TAXII API root (such as https://host/taxii2/default/)", p.URL)
	}
	c.URL = strings.TrimRight(u.String(), "/") + "/"
	if c.Ceiling == "" {
		c.Ceiling = DefaultCeiling
	}
	t, ok := marking.ParseTLP(c.Ceiling)
	if !ok {
		return nil, tearline.Errorf(tearline.EINVALID, "peer ceiling %q is not a TLP level (CLEAR, GREEN, AMBER, AMBER+STRICT or RED)", p.Ceiling)
	}
	c.Ceiling = t.String()
	if c.Token != "" && c.User != "" {
		return nil, tearline.Errorf(tearline.EINVALID, "give the peer a bearer token or a user and password, not both")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, tearline.Errorf(tearline.EINVALID, "a client certificate needs both its certificate and its key file")
	}
	c.Crosswalk = make([]tearline.MarkingMap, 0, len(p.Crosswalk))
	remote, local := map[string]bool{}, map[string]bool{}
	for i, m := range p.Crosswalk {
		r, err1 := markingID(m.Remote)
		l, err2 := markingID(m.Local)
		switch {
		case err1 != nil || err2 != nil:
			return nil, tearline.Errorf(tearline.EINVALID, "crosswalk[%d]: map a marking-definition id of the peer to a local one (remote %q, local %q)", i, m.Remote, m.Local)
		case remote[r]:
			return nil, tearline.Errorf(tearline.EINVALID, "crosswalk[%d]: the peer's marking %s is mapped twice", i, r)
		case local[l]:
			return nil, tearline.Errorf(tearline.EINVALID, "crosswalk[%d]: local marking %s is mapped twice; a crosswalk maps one to one, so that it can map back", i, l)
		}
		remote[r], local[l] = true, true
		c.Crosswalk = append(c.Crosswalk, tearline.MarkingMap{Remote: r, Local: l})
	}
	if len(c.Crosswalk) == 0 {
		c.Crosswalk = nil
	}
	return &c, nil
}

// peerName checks a peer name.
func peerName(name string) error {
	if name == "" || len(name) > MaxAliasLen {
		return tearline.Errorf(tearline.EINVALID, "peer name %q must be 1 to %d characters", name, MaxAliasLen)
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return tearline.Errorf(tearline.EINVALID, "peer name %q may hold only lower-case letters, digits, '-' and '_'", name)
		}
	}
	if _, err := uuid.Parse(name); err == nil {
		return tearline.Errorf(tearline.EINVALID, "peer name %q must not be a UUID", name)
	}
	return nil
}

// markingID returns a marking-definition id in lower case.
func markingID(id string) (string, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	typ, _, err := stix.ParseID(id)
	if err != nil || typ != "marking-definition" {
		return "", tearline.Errorf(tearline.EINVALID, "%q is not a marking-definition id", id)
	}
	return id, nil
}

// Link checks a link's direction, remote collection and interval.
// EINVALID, saying what is wrong.
func Link(l *tearline.Link) error {
	switch {
	case l.Direction != tearline.LinkPull && l.Direction != tearline.LinkPush:
		return tearline.Errorf(tearline.EINVALID, "link direction %q is neither %q nor %q", l.Direction, tearline.LinkPull, tearline.LinkPush)
	case strings.TrimSpace(l.RemoteCollection) == "" || strings.ContainsAny(l.RemoteCollection, "/?#"):
		return tearline.Errorf(tearline.EINVALID, "remote collection %q is not a collection id", l.RemoteCollection)
	case l.Interval < MinLinkInterval:
		return tearline.Errorf(tearline.EINVALID, "link interval %v is shorter than %v", l.Interval, MinLinkInterval)
	case l.ProductsOnly && l.Direction != tearline.LinkPush:
		return tearline.Errorf(tearline.EINVALID, "only push links can be limited to tear-line products")
	}
	return nil
}
