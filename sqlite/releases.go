package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

var _ tearline.Releases = (*DB)(nil)

const releaseColumns = `id, object_id, version, source_collection, collection, requester_org, requester_key,
	originator_org, justification, status, decider_key, reason, created, decided`

// CreateRelease stores r as requested, filling an empty r.ID with a new
// UUID, r.Status and r.Created (kept to the microsecond). EINVALID for an
// empty object, version, collection, requester or originator; ECONFLICT for
// a taken id.
func (db *DB) CreateRelease(ctx context.Context, r *tearline.Release) (err error) {
	defer wrap(&err, "create release request %q", r.ID)
	switch {
	case r.ObjectID == "" || r.Version == "":
		return tearline.Errorf(tearline.EINVALID, "release request object or version is empty")
	case r.SourceCollectionID == "" || r.CollectionID == "":
		return tearline.Errorf(tearline.EINVALID, "release request collection is empty")
	case r.RequesterOrg == "" || r.RequesterKey == "":
		return tearline.Errorf(tearline.EINVALID, "release request requester is empty")
	case r.OriginatorOrg == "":
		return tearline.Errorf(tearline.EINVALID, "release request originator is empty")
	}
	if r.ID == "" {
		r.ID = uuid.NewString()
	}
	r.Status = tearline.ReleaseRequested
	r.DeciderKey, r.Reason, r.Decided = "", "", time.Time{}
	r.Created = time.Now().UTC().Truncate(time.Microsecond)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO releases (`+releaseColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, 0) ON CONFLICT (id) DO NOTHING`,
			r.ID, r.ObjectID, r.Version, r.SourceCollectionID, r.CollectionID, r.RequesterOrg, r.RequesterKey,
			r.OriginatorOrg, r.Justification, r.Status, micros(r.Created))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ECONFLICT, "release request id %s is taken", r.ID)
		}
		return nil
	})
}

// scanRelease reads one row of releaseColumns.
func scanRelease(row interface{ Scan(...any) error }) (*tearline.Release, error) {
	var (
		r                tearline.Release
		created, decided int64
	)
	if err := row.Scan(&r.ID, &r.ObjectID, &r.Version, &r.SourceCollectionID, &r.CollectionID, &r.RequesterOrg, &r.RequesterKey,
		&r.OriginatorOrg, &r.Justification, &r.Status, &r.DeciderKey, &r.Reason, &created, &decided); err != nil {
		return nil, err
	}
	r.Created = fromMicros(created)
	if decided != 0 {
		r.Decided = fromMicros(decided)
	}
	return &r, nil
}

// FindRelease returns a release request by id. ENOTFOUND when there is none.
func (db *DB) FindRelease(ctx context.Context, id string) (_ *tearline.Release, err error) {
	defer wrap(&err, "find release request %q", id)
	r, err := scanRelease(db.r.QueryRowContext(ctx, `SELECT `+releaseColumns+` FROM releases WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no release request %q", id)
	}
	return r, err
}

// ListReleases returns the requests matching f, oldest first.
func (db *DB) ListReleases(ctx context.Context, f tearline.ReleaseFilter) (_ []*tearline.Release, err error) {
	defer wrap(&err, "list release requests")
	rows, err := db.r.QueryContext(ctx, `SELECT `+releaseColumns+` FROM releases
		WHERE (?1 = '' OR requester_org = ?1 OR originator_org = ?1) AND (?2 = '' OR status = ?2)
		ORDER BY created, id`, f.OrgID, f.Status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []*tearline.Release
	for rows.Next() {
		r, err := scanRelease(rows)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// DecideRelease moves the request with r.ID from requested to r.Status,
// recording r.DeciderKey, r.Reason and the decision time, filled in
// r.Decided. ECONFLICT when it was decided already; ENOTFOUND when there is
// no such request; EINVALID for another status or an empty decider.
func (db *DB) DecideRelease(ctx context.Context, r *tearline.Release) (err error) {
	defer wrap(&err, "decide release request %q", r.ID)
	if r.Status != tearline.ReleaseApproved && r.Status != tearline.ReleaseDenied {
		return tearline.Errorf(tearline.EINVALID, "release request %s: a decision is %q or %q, not %q",
			r.ID, tearline.ReleaseApproved, tearline.ReleaseDenied, r.Status)
	}
	if r.DeciderKey == "" {
		return tearline.Errorf(tearline.EINVALID, "release request %s: the decider is empty", r.ID)
	}
	decided := time.Now().UTC().Truncate(time.Microsecond)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE releases SET status = ?, decider_key = ?, reason = ?, decided = ?
			WHERE id = ? AND status = ?`,
			r.Status, r.DeciderKey, r.Reason, micros(decided), r.ID, tearline.ReleaseRequested)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil
		}
		var status string
		err = tx.QueryRow(`SELECT status FROM releases WHERE id = ?`, r.ID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no release request %q", r.ID)
		} else if err != nil {
			return err
		}
		return tearline.Errorf(tearline.ECONFLICT, "release request %s was %s already", r.ID, status)
	})
	if err == nil {
		r.Decided = decided
	}
	return err
}
