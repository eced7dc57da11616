package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
)

var _ tearline.Peers = (*DB)(nil)

const peerColumns = `id, name, org, url, token, username, password, cert_file, key_file, ca_file, ceiling, one_way, crosswalk, created`

// scanPeer reads one row of peerColumns.
func scanPeer(row interface{ Scan(...any) error }) (*tearline.Peer, error) {
	var (
		p         tearline.Peer
		crosswalk string
		created   int64
	)
	if err := row.Scan(&p.ID, &p.Name, &p.OrgID, &p.URL, &p.Token, &p.User, &p.Password, &p.CertFile, &p.KeyFile,
		&p.CAFile, &p.Ceiling, &p.OneWay, &crosswalk, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(crosswalk), &p.Crosswalk); err != nil {
		return nil, fmt.Errorf("peer %s: crosswalk: %w", p.ID, err)
	}
	if len(p.Crosswalk) == 0 {
		p.Crosswalk = nil
	}
	p.Created = fromMicros(created)
	return &p, nil
}

// peerConflict turns a unique constraint failure into ECONFLICT.
func peerConflict(err error, p *tearline.Peer) error {
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
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
	n.Created = time.Now().UTC().Truncate(time.Microsecond)
	cw, err := json.Marshal(n.Crosswalk)
	if err != nil {
		return err
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := orgExists(tx, n.OrgID); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO peers (`+peerColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ID, n.Name, n.OrgID, n.URL, n.Token, n.User, n.Password, n.CertFile, n.KeyFile, n.CAFile, n.Ceiling, n.OneWay, string(cw), micros(n.Created))
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
	p, err := scanPeer(db.readRow(ctx, `SELECT `+peerColumns+` FROM peers WHERE id = ?1 OR name = ?1`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no peer %q", key)
	}
	return p, err
}

// PeerByOrg returns the peer organization orgID stands for. ENOTFOUND when
// it stands for none. It is one lookup in the unique index on org, cheap
// enough for every TAXII request.
func (db *DB) PeerByOrg(ctx context.Context, orgID string) (_ *tearline.Peer, err error) {
	defer wrap(&err, "find peer of organization %q", orgID)
	p, err := scanPeer(db.readRow(ctx, `SELECT `+peerColumns+` FROM peers WHERE org = ?`, orgID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "organization %q stands for no peer", orgID)
	}
	return p, err
}

// ListPeers returns every peer ordered by name.
func (db *DB) ListPeers(ctx context.Context) (_ []*tearline.Peer, err error) {
	defer wrap(&err, "list peers")
	rows, err := db.r.QueryContext(ctx, `SELECT `+peerColumns+` FROM peers ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []*tearline.Peer
	for rows.Next() {
		p, err := scanPeer(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
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
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		old, err := scanPeer(tx.QueryRow(`SELECT `+peerColumns+` FROM peers WHERE id = ?`, n.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no peer %q", n.ID)
		} else if err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE peers SET name = ?, url = ?, token = ?, username = ?, password = ?, cert_file = ?,
			key_file = ?, ca_file = ?, ceiling = ?, one_way = ?, crosswalk = ? WHERE id = ?`,
			n.Name, n.URL, n.Token, n.User, n.Password, n.CertFile, n.KeyFile, n.CAFile, n.Ceiling, n.OneWay, string(cw), n.ID)
		if err = peerConflict(err, n); err != nil {
			return err
		}
		n.OrgID, n.Created = old.OrgID, old.Created
		return nil
	})
	if err == nil {
		*p = *n
	}
	return err
}

// DeletePeer removes a peer with its links and held objects; provenance
// stays. ENOTFOUND when there is none.
func (db *DB) DeletePeer(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete peer %q", id)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM peers WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no peer %q", id)
		}
		return nil
	})
}

const linkColumns = `id, peer, direction, collection, remote_collection, interval, products_only, created`

func scanLink(row interface{ Scan(...any) error }) (*tearline.Link, error) {
	var (
		l                 tearline.Link
		interval, created int64
	)
	if err := row.Scan(&l.ID, &l.PeerID, &l.Direction, &l.CollectionID, &l.RemoteCollection, &interval, &l.ProductsOnly, &created); err != nil {
		return nil, err
	}
	l.Interval = time.Duration(interval) * time.Millisecond
	l.Created = fromMicros(created)
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
	l.Created = time.Now().UTC().Truncate(time.Microsecond)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRow(`SELECT 1 FROM peers WHERE id = ?`, l.PeerID).Scan(new(int)); errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no peer %q", l.PeerID)
		} else if err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT 1 FROM collections WHERE id = ?`, l.CollectionID).Scan(new(int)); errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no collection %q", l.CollectionID)
		} else if err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO peer_links (`+linkColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			l.ID, l.PeerID, l.Direction, l.CollectionID, l.RemoteCollection, l.Interval.Milliseconds(), l.ProductsOnly, micros(l.Created))
		if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return tearline.Errorf(tearline.ECONFLICT, "link id %s is taken", l.ID)
		}
		return err
	})
}

// FindLink returns a link by id. ENOTFOUND when there is none.
func (db *DB) FindLink(ctx context.Context, id string) (_ *tearline.Link, err error) {
	defer wrap(&err, "find link %q", id)
	l, err := scanLink(db.readRow(ctx, `SELECT `+linkColumns+` FROM peer_links WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no link %q", id)
	}
	return l, err
}

// ListLinks returns the links of a peer, or of every peer for "", oldest
// first.
func (db *DB) ListLinks(ctx context.Context, peerID string) (_ []*tearline.Link, err error) {
	defer wrap(&err, "list links of peer %q", peerID)
	rows, err := db.r.QueryContext(ctx, `SELECT `+linkColumns+` FROM peer_links
		WHERE ?1 = '' OR peer = ?1 ORDER BY created, id`, peerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ls []*tearline.Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, rows.Err()
}

// DeleteLink removes a link and its state. ENOTFOUND when there is none.
func (db *DB) DeleteLink(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete link %q", id)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM peer_links WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no link %q", id)
		}
		return nil
	})
}

// optMicros turns a time into microseconds, 0 for the zero time.
func optMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

// optTime is the inverse of optMicros.
func optTime(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

// LinkState returns the state of a link. ENOTFOUND for an unknown link.
func (db *DB) LinkState(ctx context.Context, linkID string) (_ *tearline.LinkState, err error) {
	defer wrap(&err, "read state of link %q", linkID)
	s := tearline.LinkState{LinkID: linkID}
	var lastRun, lastSuccess int64
	err = db.readRow(ctx, `SELECT cursor, last_run, last_success, last_error, failures, objects, refused, held, withheld, fence
		FROM peer_links WHERE id = ?`, linkID).Scan(&s.Cursor, &lastRun, &lastSuccess, &s.LastError, &s.Failures,
		&s.Objects, &s.Refused, &s.Held, &s.Withheld, &s.Fence)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no link %q", linkID)
	} else if err != nil {
		return nil, err
	}
	s.LastRun, s.LastSuccess = optTime(lastRun), optTime(lastSuccess)
	return &s, nil
}

// SaveLinkState stores the state of a link when its fence is not lower
// than the stored one. ENOTFOUND for an unknown link; ECONFLICT when the
// stored fence is higher.
func (db *DB) SaveLinkState(ctx context.Context, s *tearline.LinkState) (err error) {
	defer wrap(&err, "save state of link %q", s.LinkID)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE peer_links SET cursor = ?, last_run = ?, last_success = ?, last_error = ?, failures = ?,
			objects = ?, refused = ?, held = ?, withheld = ?, fence = ? WHERE id = ? AND fence <= ?`,
			s.Cursor, optMicros(s.LastRun), optMicros(s.LastSuccess), s.LastError, s.Failures,
			s.Objects, s.Refused, s.Held, s.Withheld, s.Fence, s.LinkID, s.Fence)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			return nil
		}
		var fence int64
		if err := tx.QueryRow(`SELECT fence FROM peer_links WHERE id = ?`, s.LinkID).Scan(&fence); errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no link %q", s.LinkID)
		} else if err != nil {
			return err
		}
		return tearline.Errorf(tearline.ECONFLICT, "link %q was taken over by another node (fence %d, this node's %d)", s.LinkID, fence, s.Fence)
	})
}

// TakeLink raises the fence of a link by one and returns it. ENOTFOUND
// for an unknown link.
func (db *DB) TakeLink(ctx context.Context, linkID string) (fence int64, err error) {
	defer wrap(&err, "take link %q", linkID)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRow(`UPDATE peer_links SET fence = fence + 1 WHERE id = ? RETURNING fence`, linkID).Scan(&fence)
		if errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no link %q", linkID)
		}
		return err
	})
	return fence, err
}
