package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tearline/tearline"
)

// AddProvenance records where object versions came from; a record already
// kept changes nothing. The batch is one statement over arrays, in key
// order so that concurrent writers lock rows in the same order.
func (db *DB) AddProvenance(ctx context.Context, ps []tearline.Provenance) (err error) {
	defer wrap(&err, "add provenance of %d versions", len(ps))
	if len(ps) == 0 {
		return nil
	}
	sorted := slices.Clone(ps)
	slices.SortFunc(sorted, func(a, b tearline.Provenance) int {
		return strings.Compare(a.ID+"\x00"+a.Version+"\x00"+a.PeerID+"\x00"+a.RemoteCollection,
			b.ID+"\x00"+b.Version+"\x00"+b.PeerID+"\x00"+b.RemoteCollection)
	})
	cols := make([][]string, 4)
	for _, p := range sorted {
		cols[0], cols[1] = append(cols[0], p.ID), append(cols[1], p.Version)
		cols[2], cols[3] = append(cols[2], p.PeerID), append(cols[3], p.RemoteCollection)
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO provenance (object, version, peer, remote_collection, added)
			SELECT *, $5::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
			ON CONFLICT DO NOTHING`, cols[0], cols[1], cols[2], cols[3], now())
		return err
	})
}

// FromPeer reports, for each ref, whether the version came from the peer:
// one query for the whole batch.
func (db *DB) FromPeer(ctx context.Context, peerID string, refs []tearline.VersionRef) (_ []bool, err error) {
	defer wrap(&err, "look up provenance of %d versions", len(refs))
	out := make([]bool, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(refs))
	seen := map[string]bool{}
	for _, r := range refs {
		if !seen[r.ID] {
			seen[r.ID] = true
			ids = append(ids, r.ID)
		}
	}
	rows, err := db.pool.Query(ctx, `SELECT p.object, p.version FROM unnest($1::text[]) AS u (id)
		CROSS JOIN LATERAL (SELECT DISTINCT object, version FROM provenance WHERE object = u.id AND peer = $2 OFFSET 0) p`,
		ids, peerID)
	if err != nil {
		return nil, err
	}
	came := map[tearline.VersionRef]bool{}
	var r tearline.VersionRef
	if _, err := pgx.ForEachRow(rows, []any{&r.ID, &r.Version}, func() error { came[r] = true; return nil }); err != nil {
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
	rows, err := db.pool.Query(ctx, `SELECT object, version, peer, remote_collection, added FROM provenance
		WHERE object = $1 ORDER BY added, version, peer, remote_collection`, objectID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (tearline.Provenance, error) {
		var p tearline.Provenance
		err := row.Scan(&p.ID, &p.Version, &p.PeerID, &p.RemoteCollection, &p.Added)
		p.Added = p.Added.UTC()
		return p, err
	})
}

const heldColumns = `id, peer, link, collection, remote_collection, object, version, reason, created, raw`

func scanHeld(row pgx.Row) (*tearline.Held, error) {
	var h tearline.Held
	if err := row.Scan(&h.ID, &h.PeerID, &h.LinkID, &h.CollectionID, &h.RemoteCollection, &h.ObjectID, &h.Version,
		&h.Reason, &h.Created, &h.Raw); err != nil {
		return nil, err
	}
	h.Created = h.Created.UTC()
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
	created := now()
	ids := make([]string, len(hs))
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		for i, h := range hs {
			id := h.ID
			if id == "" {
				id = uuid.NewString()
			}
			err := tx.QueryRow(ctx, `INSERT INTO held (`+heldColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (peer, collection, object, version) DO UPDATE SET reason = excluded.reason RETURNING id`,
				id, h.PeerID, h.LinkID, h.CollectionID, h.RemoteCollection, h.ObjectID, h.Version, h.Reason, created, h.Raw).Scan(&ids[i])
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23503" {
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
				h.Created = created
			}
		}
	}
	return err
}

// ListHeld returns the objects held for a peer, or for every peer for "",
// oldest first.
func (db *DB) ListHeld(ctx context.Context, peerID string) (_ []*tearline.Held, err error) {
	defer wrap(&err, "list objects held for peer %q", peerID)
	rows, err := db.pool.Query(ctx, `SELECT `+heldColumns+` FROM held WHERE $1 = '' OR peer = $1 ORDER BY created, id`, peerID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Held, error) { return scanHeld(row) })
}

// FindHeld returns a held object by id. ENOTFOUND when there is none.
func (db *DB) FindHeld(ctx context.Context, id string) (_ *tearline.Held, err error) {
	defer wrap(&err, "find held object %q", id)
	h, err := scanHeld(db.pool.QueryRow(ctx, `SELECT `+heldColumns+` FROM held WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no held object %q", id)
	}
	return h, err
}

// DeleteHeld removes a held object. ENOTFOUND when there is none.
func (db *DB) DeleteHeld(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete held object %q", id)
	return db.deleteByID(ctx, `DELETE FROM held WHERE id = $1`, id, "held object")
}
