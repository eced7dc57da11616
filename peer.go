package tearline

import (
	"context"
	"time"
)

// Federation: a peer is another TAXII 2.1 server (Tearline or any other)
// that this server exchanges objects with through links: a pull link reads
// a collection of the peer into a local collection; a push link sends what
// a local collection receives to a collection of the peer.

// Link directions.
const (
	LinkPull = "pull"
	LinkPush = "push"
)

// Peer is a remote TAXII server this server federates with.
type Peer struct {
	ID string // UUID
	// Name is unique: 1 to 64 lower-case letters, digits, '-' and '_'.
	Name string
	// OrgID is the organization of this server that stands for the peer.
	// Its profile (country, communities, clearance) is the peer's profile
	// to the access decision, as the recipient of what is pushed to it and
	// as the submitter of what is pulled from it; its API keys are what the
	// peer uses to reach this server, whose TAXII reads then treat it as a
	// peer too.
	OrgID string
	// URL is the peer's TAXII API root URL (https://host/taxii2/default/).
	URL string
	// The credentials this server presents to the peer: a bearer token, a
	// user and password (HTTP Basic), and/or a TLS client certificate and
	// key (PEM files); CAFile names the CAs that verify the peer ("" for
	// the system roots).
	Token, User, Password     string
	CertFile, KeyFile, CAFile string
	// Ceiling is the highest TLP level the peer receives, as TLP 2.0 names
	// it ("TLP:GREEN"); the access decision never gives a peer more.
	Ceiling string
	// OneWay marks the peer as the low side of a one-way link: it may send
	// to this server (pull links from it, its own pushes), and nothing goes
	// back to it but approved tear-line products on push links that are
	// ProductsOnly; its TAXII reads are refused.
	OneWay bool
	// Crosswalk maps the peer's marking definitions to local ones: on the
	// way in its ids become the local ones, on the way out the local ones
	// become its ids. Each remote and each local id appears once.
	Crosswalk []MarkingMap
	Created   time.Time
}

// MarkingMap maps one marking-definition id of a peer to a local one.
type MarkingMap struct {
	Remote string `json:"remote"`
	Local  string `json:"local"`
}

// Link is a pull or push link between a local collection and a collection
// of a peer.
type Link struct {
	ID     string // UUID
	PeerID string
	// Direction is LinkPull (remote to local) or LinkPush (local to
	// remote).
	Direction string
	// CollectionID is the local collection; RemoteCollection the id (or,
	// on a Tearline peer, the alias) of the peer's collection.
	CollectionID     string
	RemoteCollection string
	// Interval is the time between two runs of the link.
	Interval time.Duration
	// ProductsOnly limits a push link to approved tear-line products (the
	// derived objects and their derived-from relationships). Push links
	// to a OneWay peer must set it.
	ProductsOnly bool
	Created      time.Time
}

// LinkState is the durable progress of a link, kept by the store so that a
// restart resumes where the link stopped.
type LinkState struct {
	LinkID string
	// Cursor is where the next run starts: for a pull link the date_added
	// of the last object received (as the peer wrote it, sent back as
	// added_after); for a push link the date_added of the last local entry
	// considered, in VersionLayout. "" before the first object.
	Cursor string
	// LastRun and LastSuccess are when the last run ended, and the last
	// run that ended without error; zero before the first. A run that
	// changes nothing else is saved only when the link's last save is
	// older than the syncer's state interval (a minute by default), so
	// the stored times of an idle link may lag by that much.
	LastRun, LastSuccess time.Time
	// LastError is the error of the last run; "" after a success.
	LastError string
	// Failures counts the runs that failed since the last success.
	Failures int
	// Objects counts the objects stored (pull) or accepted by the peer
	// (push); Refused those refused (by this server's validation or
	// marking check on a pull, by the peer on a push); Held those held for
	// review; Withheld those the access decision kept from the peer.
	Objects, Refused, Held, Withheld int64
	// Fence is the fencing token of the node that runs the link (see
	// Peers.TakeLink); 0 until a node took it. SaveLinkState stores a
	// state only when its Fence is not lower than the stored one, so a
	// node that lost the link to another cannot write over the newer
	// state.
	Fence int64
}

// VersionRef names one object version: its id and version key
// (VersionLayout).
type VersionRef struct {
	ID, Version string
}

// Provenance records that an object version came from a peer, and from
// which of its collections ("" when the peer pushed it to this server).
type Provenance struct {
	VersionRef
	PeerID           string
	RemoteCollection string
	Added            time.Time // when it was first recorded; set by the store
}

// Held is an object received from a peer and held for review: one whose
// markings this server does not know (a marking definition neither known
// nor mapped by the peer's crosswalk) or cannot interpret. It is never
// treated as unmarked: it stays out of every collection until an admin
// releases it (after adding a crosswalk entry or the definition) or drops
// it.
type Held struct {
	ID     string // UUID
	PeerID string
	// LinkID is the pull link it came by; "" when the peer pushed it.
	LinkID string
	// CollectionID is the local collection it was on its way to;
	// RemoteCollection the peer's collection.
	CollectionID     string
	RemoteCollection string
	// ObjectID and Version (as the object writes it) identify it.
	ObjectID, Version string
	// Raw is the object as the peer sent it, before the crosswalk.
	Raw     []byte
	Reason  string
	Created time.Time
}

// Peers keeps federation peers, their links and link states, provenance
// and held objects. Errors are *Error values with the listed codes, or
// wrapped internal errors.
type Peers interface {
	// CreatePeer stores p, filling p.ID (a new UUID when empty) and
	// p.Created, with its fields in the canonical form of
	// normalize.Peer. EINVALID for a malformed name, URL, ceiling or
	// crosswalk; ENOTFOUND for an unknown organization; ECONFLICT when the
	// name, id or organization is taken by another peer.
	CreatePeer(ctx context.Context, p *Peer) error
	// FindPeer returns the peer whose id or name is key. ENOTFOUND when
	// there is none.
	FindPeer(ctx context.Context, key string) (*Peer, error)
	// PeerByOrg returns the peer that organization orgID stands for.
	// ENOTFOUND when it stands for none.
	PeerByOrg(ctx context.Context, orgID string) (*Peer, error)
	// ListPeers returns every peer ordered by name.
	ListPeers(ctx context.Context) ([]*Peer, error)
	// UpdatePeer replaces the settings of the peer with p.ID (the id,
	// organization and creation time stay). ENOTFOUND when there is no
	// such peer; EINVALID and ECONFLICT as for CreatePeer.
	UpdatePeer(ctx context.Context, p *Peer) error
	// DeletePeer removes a peer with its links, their states and its held
	// objects; provenance stays, as history. ENOTFOUND when there is none.
	DeletePeer(ctx context.Context, id string) error

	// CreateLink stores l, filling l.ID and l.Created. EINVALID for
	// another direction, an empty remote collection or a non-positive
	// interval; ENOTFOUND for an unknown peer or local collection.
	CreateLink(ctx context.Context, l *Link) error
	// FindLink returns a link by id. ENOTFOUND when there is none.
	FindLink(ctx context.Context, id string) (*Link, error)
	// ListLinks returns the links of a peer (of every peer when peerID is
	// ""), oldest first.
	ListLinks(ctx context.Context, peerID string) ([]*Link, error)
	// DeleteLink removes a link and its state. ENOTFOUND when there is
	// none.
	DeleteLink(ctx context.Context, id string) error
	// LinkState returns the state of a link; a link that never ran has a
	// zero state (with LinkID set). ENOTFOUND for an unknown link.
	LinkState(ctx context.Context, linkID string) (*LinkState, error)
	// SaveLinkState stores the state of a link, and s.Fence as the link's
	// fence, when s.Fence is not lower than the stored fence. ENOTFOUND
	// for an unknown link (deleted meanwhile); ECONFLICT when the stored
	// fence is higher (another node took the link over: see TakeLink).
	SaveLinkState(ctx context.Context, s *LinkState) error
	// TakeLink records that a node starts running a link: it raises the
	// link's fence by one and returns it, so that from then on the saves
	// of any node that ran the link before (with a lower fence) are
	// refused. The node reads the link's state afterwards and saves with
	// the returned fence. ENOTFOUND for an unknown link.
	TakeLink(ctx context.Context, linkID string) (fence int64, err error)

	// AddProvenance records where object versions came from; recording
	// the same peer and remote collection for a version again changes
	// nothing.
	AddProvenance(ctx context.Context, ps []Provenance) error
	// FromPeer reports, for each ref, whether the version came from the
	// peer (by any of its collections).
	FromPeer(ctx context.Context, peerID string, refs []VersionRef) ([]bool, error)
	// ProvenanceOf returns where the versions of an object came from,
	// oldest first.
	ProvenanceOf(ctx context.Context, objectID string) ([]Provenance, error)

	// HoldObjects stores held objects, filling ID and Created; an object
	// version already held for the same peer and local collection is not
	// held twice (its ID is set to the one held). ENOTFOUND for an
	// unknown peer or collection.
	HoldObjects(ctx context.Context, hs []*Held) error
	// ListHeld returns the objects held for a peer (for every peer when
	// peerID is ""), oldest first.
	ListHeld(ctx context.Context, peerID string) ([]*Held, error)
	// FindHeld returns a held object by id. ENOTFOUND when there is none.
	FindHeld(ctx context.Context, id string) (*Held, error)
	// DeleteHeld removes a held object (released or dropped). ENOTFOUND
	// when there is none.
	DeleteHeld(ctx context.Context, id string) error
}
