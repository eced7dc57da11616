package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
)

var _ tearline.Peers = (*DB)(nil)

const peerColumns = `id, name, org, url, token, username, password, cert_file, key_file, ca_file, ceiling, one_way, crosswalk, created`

// scanPeer reads one row of peerColumns.
func scanPeer(row pgx.Row) (*tearline.Peer, error) {
	var (
		p         tearline.Peer
		crosswalk string
	)
	if err := row.Scan(&p.ID, &p.Name, &p.OrgID, &p.URL, &p.Token, &p.User, &p.Password, &p.CertFile, &p.KeyFile,
		&p.CAFile, &p.Ceiling, &p.OneWay, &crosswalk, &p.Created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(crosswalk), &p.Crosswalk); err != nil {
		return nil, fmt.Errorf("peer %s: crosswalk: %w", p.ID, err)
	}
	if len(p.Crosswalk) == 0 {
		p.Crosswalk = nil
	}
	p.Created = p.Created.UTC()
	return &p, nil
}

// peerConflict turns a unique violation into ECONFLICT.
func peerConflict(err error, p *tearline.Peer) error {
	if uniqueViolation(err) != "" {
		return tearline.Errorf(tearline.ECONFLICT, "peer name %q, id or organization is taken by another peer", p.Name)
	}
	return err
}

// CreatePeer stores p in canonical form, filling p.ID and p.Created.
// EINVALID for malformed settings (see normalize.Peer); ENOTFOUND for an
// unknown organization; ECONFLICT for a taken name, id or organization.
func (db *DB) CreatePeer(ctx context.Context, p *tearline.Peer) (err error) {
	defer wrap(&err, "create peer %q", p.Name)
	n, err := normalize.Peer(p)
	if err != nil {
		return err
	}
	if n.ID == "" {
		n.ID = uuid.NewString()
	}
	n.Created = now()
	cw, err := json.Marshal(n.Crosswalk)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if err := orgExists(ctx, tx, n.OrgID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO peers (`+peerColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			n.ID, n.Name, n.OrgID, n.URL, n.Token, n.User, n.Password, n.CertFile, n.KeyFile, n.CAFile, n.Ceiling, n.OneWay, string(cw), n.Created)
		return peerConflict(err, n)
	})
	if err == nil {
		*p = *n
	}
	return err
}

// FindPeer returns the peer whose id or name is key. ENOTFOUND when there
// is none.
func (db *DB) FindPeer(ctx context.Context, key string) (_ *tearline.Peer, err error) {
	defer wrap(&err, "find peer %q", key)
	p, err := scanPeer(db.pool.QueryRow(ctx, `SELECT `+peerColumns+` FROM peers WHERE id = $1 OR name = $1 LIMIT 1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no peer %q", key)
	}
	return p, err
}

// PeerByOrg returns the peer organization orgID stands for. ENOTFOUND when
// it stands for none. It is one lookup in the unique index on org, cheap
// enough for every TAXII request.
func (db *DB) PeerByOrg(ctx context.Context, orgID string) (_ *tearline.Peer, err error) {
	defer wrap(&err, "find peer of organization %q", orgID)
	p, err := scanPeer(db.pool.QueryRow(ctx, `SELECT `+peerColumns+` FROM peers WHERE org = $1`, orgID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "organization %q stands for no peer", orgID)
	}
	return p, err
}

// ListPeers returns every peer ordered by name.
func (db *DB) ListPeers(ctx context.Context) (_ []*tearline.Peer, err error) {
	defer wrap(&err, "list peers")
	rows, err := db.pool.Query(ctx, `SELECT `+peerColumns+` FROM peers ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Peer, error) { return scanPeer(row) })
}

// UpdatePeer replaces the settings of the peer with p.ID; its
// organization and creation time stay. ENOTFOUND, EINVALID, ECONFLICT as
// documented on tearline.Peers.
func (db *DB) UpdatePeer(ctx context.Context, p *tearline.Peer) (err error) {
	defer wrap(&err, "update peer %q", p.ID)
	n, err := normalize.Peer(p)
	if err != nil {
		return err
	}
	cw, err := json.Marshal(n.Crosswalk)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE peers SET name = $1, url = $2, token = $3, username = $4, password = $5, cert_file = $6,
			key_file = $7, ca_file = $8, ceiling = $9, one_way = $10, crosswalk = $11 WHERE id = $12 RETURNING org, created`,
			n.Name, n.URL, n.Token, n.User, n.Password, n.CertFile, n.KeyFile, n.CAFile, n.Ceiling, n.OneWay, string(cw), n.ID).
			Scan(&n.OrgID, &n.Created)
		if errors.Is(err, pgx.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no peer %q", n.ID)
		}
		n.Created = n.Created.UTC()
		return peerConflict(err, n)
	})
	if err == nil {
		*p = *n
	}
	return err
}

// deleteByID runs a DELETE of one row by id, ENOTFOUND (with what) when
// there is none.
func (db *DB) deleteByID(ctx context.Context, q, id, what string) error {
	tag, err := db.pool.Exec(ctx, q, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tearline.Errorf(tearline.ENOTFOUND, "no %s %q", what, id)
	}
	return nil
}

// DeletePeer removes a peer with its links and held objects (the foreign
// keys cascade); provenance stays. ENOTFOUND when there is none.
func (db *DB) DeletePeer(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete peer %q", id)
	return db.deleteByID(ctx, `DELETE FROM peers WHERE id = $1`, id, "peer")
}

const linkColumns = `id, peer, direction, collection, remote_collection, interval_ms, products_only, created`

func scanLink(row pgx.Row) (*tearline.Link, error) {
	var (
		l        tearline.Link
		interval int64
	)
	if err := row.Scan(&l.ID, &l.PeerID, &l.Direction, &l.CollectionID, &l.RemoteCollection, &interval, &l.ProductsOnly, &l.Created); err != nil {
		return nil, err
	}
	l.Interval = time.Duration(interval) * time.Millisecond
	l.Created = l.Created.UTC()
	return &l, nil
}

// CreateLink stores l, filling l.ID and l.Created. EINVALID for a malformed
// link (see normalize.Link); ENOTFOUND for an unknown peer or collection.
func (db *DB) CreateLink(ctx context.Context, l *tearline.Link) (err error) {
	defer wrap(&err, "create link of peer %q", l.PeerID)
	if err := normalize.Link(l); err != nil {
		return err
	}
	if l.ID == "" {
		l.ID = uuid.NewString()
	}
	l.Created = now()
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT 1 FROM peers WHERE id = $1`, l.PeerID).Scan(new(int)); errors.Is(err, pgx.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no peer %q", l.PeerID)
		} else if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT 1 FROM collections WHERE id = $1`, l.CollectionID).Scan(new(int)); errors.Is(err, pgx.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no collection %q", l.CollectionID)
		} else if err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO peer_links (`+linkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			l.ID, l.PeerID, l.Direction, l.CollectionID, l.RemoteCollection, l.Interval.Milliseconds(), l.ProductsOnly, l.Created)
		if uniqueViolation(err) != "" {
			return tearline.Errorf(tearline.ECONFLICT, "link id %s is taken", l.ID)
		}
		return err
	})
}

// FindLink returns a link by id. ENOTFOUND when there is none.
func (db *DB) FindLink(ctx context.Context, id string) (_ *tearline.Link, err error) {
	defer wrap(&err, "find link %q", id)
	l, err := scanLink(db.pool.QueryRow(ctx, `SELECT `+linkColumns+` FROM peer_links WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no link %q", id)
	}
	return l, err
}

// ListLinks returns the links of a peer, or of every peer for "", oldest
// first.
func (db *DB) ListLinks(ctx context.Context, peerID string) (_ []*tearline.Link, err error) {
	defer wrap(&err, "list links of peer %q", peerID)
	rows, err := db.pool.Query(ctx, `SELECT `+linkColumns+` FROM peer_links
		WHERE $1 = '' OR peer = $1 ORDER BY created, id`, peerID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Link, error) { return scanLink(row) })
}

// DeleteLink removes a link and its state. ENOTFOUND when there is none.
func (db *DB) DeleteLink(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete link %q", id)
	return db.deleteByID(ctx, `DELETE FROM peer_links WHERE id = $1`, id, "link")
}

// LinkState returns the state of a link. ENOTFOUND for an unknown link.
func (db *DB) LinkState(ctx context.Context, linkID string) (_ *tearline.LinkState, err error) {
	defer wrap(&err, "read state of link %q", linkID)
	s := tearline.LinkState{LinkID: linkID}
	var lastRun, lastSuccess *time.Time
	err = db.pool.QueryRow(ctx, `SELECT cursor, last_run, last_success, last_error, failures, objects, refused, held, withheld, fence
		FROM peer_links WHERE id = $1`, linkID).Scan(&s.Cursor, &lastRun, &lastSuccess, &s.LastError, &s.Failures,
		&s.Objects, &s.Refused, &s.Held, &s.Withheld, &s.Fence)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no link %q", linkID)
	} else if err != nil {
		return nil, err
	}
	s.LastRun, s.LastSuccess = fromNull(lastRun), fromNull(lastSuccess)
	return &s, nil
}

// SaveLinkState stores the state of a link when its fence is not lower
// than the stored one. ENOTFOUND for an unknown link; ECONFLICT when the
// stored fence is higher.
func (db *DB) SaveLinkState(ctx context.Context, s *tearline.LinkState) (err error) {
	defer wrap(&err, "save state of link %q", s.LinkID)
	// The row lock makes the fence check and the write one step against a
	// concurrent TakeLink: the WHERE is checked again on the row it left.
	tag, err := db.pool.Exec(ctx, `UPDATE peer_links SET cursor = $1, last_run = $2, last_success = $3, last_error = $4,
		failures = $5, objects = $6, refused = $7, held = $8, withheld = $9, fence = $11 WHERE id = $10 AND fence <= $11`,
		s.Cursor, nullTime(stored(s.LastRun)), nullTime(stored(s.LastSuccess)), s.LastError, s.Failures,
		s.Objects, s.Refused, s.Held, s.Withheld, s.LinkID, s.Fence)
	if err != nil {
		return err
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var fence int64
	if err := db.pool.QueryRow(ctx, `SELECT fence FROM peer_links WHERE id = $1`, s.LinkID).Scan(&fence); errors.Is(err, pgx.ErrNoRows) {
		return tearline.Errorf(tearline.ENOTFOUND, "no link %q", s.LinkID)
	} else if err != nil {
		return err
	}
	return tearline.Errorf(tearline.ECONFLICT, "link %q was taken over by another node (fence %d, this node's %d)", s.LinkID, fence, s.Fence)
}

// TakeLink raises the fence of a link by one and returns it. ENOTFOUND
// for an unknown link.
func (db *DB) TakeLink(ctx context.Context, linkID string) (fence int64, err error) {
	defer wrap(&err, "take link %q", linkID)
	err = db.pool.QueryRow(ctx, `UPDATE peer_links SET fence = fence + 1 WHERE id = $1 RETURNING fence`, linkID).Scan(&fence)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, tearline.Errorf(tearline.ENOTFOUND, "no link %q", linkID)
	}
	return fence, err
}
