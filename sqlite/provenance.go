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
)

// provenanceRows is the number of rows of one multi-row INSERT into
// provenance (6 parameters each).
const provenanceRows = 128

// recentProvenance is how many keys gather in provenance_keys_recent
// before they are merged into provenance_keys (migration 28).
const recentProvenance = 16384

// AddProvenance records where object versions came from; a record already
// kept changes nothing.
func (db *DB) AddProvenance(ctx context.Context, ps []tearline.Provenance) (err error) {
	defer wrap(&err, "add provenance of %d versions", len(ps))
	if len(ps) == 0 {
		return nil
	}
	now := micros(time.Now())
	// A record twice in one call is added once: the INSERT's check does
	// not see the rows the statement itself adds.
	seen := make(map[tearline.Provenance]bool, len(ps))
	fresh := make([]tearline.Provenance, 0, len(ps))
	for _, p := range ps {
		p.Added = time.Time{}
		if !seen[p] {
			seen[p] = true
			fresh = append(fresh, p)
		}
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		// The rows added take the seqs after the last one now kept.
		var last int64
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) FROM provenance`).Scan(&last); err != nil {
			return err
		}
		var full *sql.Stmt // of provenanceRows rows, prepared once
		for start := 0; start < len(fresh); start += provenanceRows {
			batch := fresh[start:min(start+provenanceRows, len(fresh))]
			args := make([]any, 0, 6*len(batch))
			for _, p := range batch {
				args = append(args, idHash(p.ID), p.Version, p.PeerID, p.RemoteCollection, p.ID, now)
			}
			var err error
			if len(batch) < provenanceRows {
				_, err = tx.Exec(insertProvenanceSQL(len(batch)), args...)
			} else {
				if full == nil {
					if full, err = tx.Prepare(insertProvenanceSQL(provenanceRows)); err != nil {
						return err
					}
					defer full.Close()
				}
				_, err = full.Exec(args...)
			}
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return addProvenanceKeys(tx, last)
	})
}

// insertProvenanceSQL returns the INSERT of n provenance records (6
// parameters each) that adds those not kept already.
func insertProvenanceSQL(n int) string {
	return `INSERT OR ROLLBACK INTO provenance (idh, version, peer, remote_collection, object, added)
		SELECT column1, column2, column3, column4, column5, column6 FROM (VALUES ` +
		strings.Repeat(`(?, ?, ?, ?, ?, ?), `, n-1) + `(?, ?, ?, ?, ?, ?)) v
		WHERE NOT EXISTS (SELECT 1 FROM provenance_by_id k JOIN provenance p ON p.seq = k.seq
			WHERE k.idh = v.column1 AND p.object = v.column5 AND p.version = v.column2
			AND p.peer = v.column3 AND p.remote_collection = v.column4)`
}

// addProvenanceKeys adds the (idh, seq) keys of the provenance rows after
// seq last, those the transaction added, to provenance_keys_recent, and
// merges them into provenance_keys once enough have gathered. The rows
// are read back from provenance, where they are the last pages written:
// the inserts return nothing, and no key goes through Go or JSON.
func addProvenanceKeys(tx *sql.Tx, last int64) error {
	res, err := tx.Exec(`INSERT OR ROLLBACK INTO provenance_keys_recent (idh, seq) SELECT idh, seq FROM provenance WHERE seq > ?`, last)
	if err != nil {
		return fmt.Errorf("add provenance keys: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	// A count of a few pages.
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM provenance_keys_recent`).Scan(&n); err != nil {
		return err
	}
	if n < recentProvenance {
		return nil
	}
	return merge(tx, "provenance_keys_recent", "provenance_keys", "idh", "seq")
}

// FromPeer reports, for each ref, whether the version came from the peer.
// It is one query for the whole batch: the hashes of the ids go in as a
// JSON array.
func (db *DB) FromPeer(ctx context.Context, peerID string, refs []tearline.VersionRef) (_ []bool, err error) {
	defer wrap(&err, "look up provenance of %d versions", len(refs))
	out := make([]bool, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	hashes := make([]int64, len(refs))
	for i, r := range refs {
		hashes[i] = idHash(r.ID)
	}
	js, err := json.Marshal(hashes)
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT p.object, p.version FROM provenance_by_id k JOIN provenance p ON p.seq = k.seq
		WHERE k.idh IN (SELECT value FROM json_each(?1)) AND p.peer = ?2`, string(js), peerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	came := map[tearline.VersionRef]bool{}
	for rows.Next() {
		var r tearline.VersionRef
		if err := rows.Scan(&r.ID, &r.Version); err != nil {
			return nil, err
		}
		came[r] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, r := range refs {
		out[i] = came[r]
	}
	return out, nil
}

// ProvenanceOf returns where the versions of an object came from, oldest
// first.
func (db *DB) ProvenanceOf(ctx context.Context, objectID string) (_ []tearline.Provenance, err error) {
	defer wrap(&err, "read provenance of %q", objectID)
	rows, err := db.r.QueryContext(ctx, `SELECT p.object, p.version, p.peer, p.remote_collection, p.added
		FROM provenance_by_id k JOIN provenance p ON p.seq = k.seq
		WHERE k.idh = ? AND p.object = ? ORDER BY p.added, p.version, p.peer, p.remote_collection`, idHash(objectID), objectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []tearline.Provenance
	for rows.Next() {
		var (
			p     tearline.Provenance
			added int64
		)
		if err := rows.Scan(&p.ID, &p.Version, &p.PeerID, &p.RemoteCollection, &added); err != nil {
			return nil, err
		}
		p.Added = fromMicros(added)
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

const heldColumns = `id, peer, link, collection, remote_collection, object, version, reason, created, raw`

func scanHeld(row interface{ Scan(...any) error }) (*tearline.Held, error) {
	var (
		h       tearline.Held
		created int64
	)
	if err := row.Scan(&h.ID, &h.PeerID, &h.LinkID, &h.CollectionID, &h.RemoteCollection, &h.ObjectID, &h.Version,
		&h.Reason, &created, &h.Raw); err != nil {
		return nil, err
	}
	h.Created = fromMicros(created)
	return &h, nil
}

// HoldObjects stores held objects, filling ID and Created; a version held
// already for the same peer and collection keeps its first record, whose
// id is set in the Held. ENOTFOUND for an unknown peer or collection.
func (db *DB) HoldObjects(ctx context.Context, hs []*tearline.Held) (err error) {
	defer wrap(&err, "hold %d objects", len(hs))
	if len(hs) == 0 {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	ids := make([]string, len(hs))
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		for i, h := range hs {
			id := h.ID
			if id == "" {
				id = uuid.NewString()
			}
			err := tx.QueryRow(`INSERT INTO held (`+heldColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (peer, collection, object, version) DO UPDATE SET reason = excluded.reason RETURNING id`,
				id, h.PeerID, h.LinkID, h.CollectionID, h.RemoteCollection, h.ObjectID, h.Version, h.Reason, micros(now), h.Raw).Scan(&ids[i])
			if err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
				return tearline.Errorf(tearline.ENOTFOUND, "no peer %q or no collection %q", h.PeerID, h.CollectionID)
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for i, h := range hs {
			h.ID = ids[i]
			if h.Created.IsZero() {
				h.Created = now
			}
		}
	}
	return err
}

// ListHeld returns the objects held for a peer, or for every peer for "",
// oldest first.
func (db *DB) ListHeld(ctx context.Context, peerID string) (_ []*tearline.Held, err error) {
	defer wrap(&err, "list objects held for peer %q", peerID)
	rows, err := db.r.QueryContext(ctx, `SELECT `+heldColumns+` FROM held WHERE ?1 = '' OR peer = ?1 ORDER BY created, id`, peerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hs []*tearline.Held
	for rows.Next() {
		h, err := scanHeld(rows)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}

// FindHeld returns a held object by id. ENOTFOUND when there is none.
func (db *DB) FindHeld(ctx context.Context, id string) (_ *tearline.Held, err error) {
	defer wrap(&err, "find held object %q", id)
	h, err := scanHeld(db.r.QueryRowContext(ctx, `SELECT `+heldColumns+` FROM held WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no held object %q", id)
	}
	return h, err
}

// DeleteHeld removes a held object. ENOTFOUND when there is none.
func (db *DB) DeleteHeld(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete held object %q", id)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM held WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no held object %q", id)
		}
		return nil
	})
}
