package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
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
	r.Created = now()
	tag, err := db.pool.Exec(ctx, `INSERT INTO releases (id, object_id, version, source_collection, collection,
		requester_org, requester_key, originator_org, justification, status, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.ObjectID, r.Version, r.SourceCollectionID, r.CollectionID, r.RequesterOrg, r.RequesterKey,
		r.OriginatorOrg, r.Justification, r.Status, r.Created)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tearline.Errorf(tearline.ECONFLICT, "release request id %s is taken", r.ID)
	}
	return nil
}

// scanRelease reads one row of releaseColumns.
func scanRelease(row pgx.Row) (*tearline.Release, error) {
	var (
		r       tearline.Release
		decided *time.Time
	)
	if err := row.Scan(&r.ID, &r.ObjectID, &r.Version, &r.SourceCollectionID, &r.CollectionID, &r.RequesterOrg,
		&r.RequesterKey, &r.OriginatorOrg, &r.Justification, &r.Status, &r.DeciderKey, &r.Reason,
		&r.Created, &decided); err != nil {
		return nil, err
	}
	r.Created = r.Created.UTC()
	r.Decided = fromNull(decided)
	return &r, nil
}

// FindRelease returns a release request by id. ENOTFOUND when there is none.
func (db *DB) FindRelease(ctx context.Context, id string) (_ *tearline.Release, err error) {
	defer wrap(&err, "find release request %q", id)
	r, err := scanRelease(db.pool.QueryRow(ctx, `SELECT `+releaseColumns+` FROM releases WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no release request %q", id)
	}
	return r, err
}

// ListReleases returns the requests matching f, oldest first.
func (db *DB) ListReleases(ctx context.Context, f tearline.ReleaseFilter) (_ []*tearline.Release, err error) {
	defer wrap(&err, "list release requests")
	rows, err := db.pool.Query(ctx, `SELECT `+releaseColumns+` FROM releases
		WHERE ($1 = '' OR requester_org = $1 OR originator_org = $1) AND ($2 = '' OR status = $2)
		ORDER BY created, seq`, f.OrgID, f.Status)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Release, error) {
		return scanRelease(row)
	})
}

// DecideRelease moves the request with r.ID from requested to r.Status,
// recording r.DeciderKey, r.Reason and the decision time, filled in
// r.Decided. It decides once, whichever node the deciders reach: ECONFLICT
// when it was decided already; ENOTFOUND when there is no such request;
// EINVALID for another status or an empty decider.
func (db *DB) DecideRelease(ctx context.Context, r *tearline.Release) (err error) {
	defer wrap(&err, "decide release request %q", r.ID)
	if r.Status != tearline.ReleaseApproved && r.Status != tearline.ReleaseDenied {
		return tearline.Errorf(tearline.EINVALID, "release request %s: a decision is %q or %q, not %q",
			r.ID, tearline.ReleaseApproved, tearline.ReleaseDenied, r.Status)
	}
	if r.DeciderKey == "" {
		return tearline.Errorf(tearline.EINVALID, "release request %s: the decider is empty", r.ID)
	}
	decided := now()
	was, err := decideOnce(ctx, db.pool, `UPDATE releases SET status = $2, decider_key = $3, reason = $4, decided = $5
		WHERE id = $1 AND status = $6 RETURNING id`, `SELECT status FROM releases WHERE id = $1`,
		r.ID, r.Status, r.DeciderKey, r.Reason, decided, tearline.ReleaseRequested)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return tearline.Errorf(tearline.ENOTFOUND, "no release request %q", r.ID)
	case err != nil:
		return err
	case was != "":
		return tearline.Errorf(tearline.ECONFLICT, "release request %s was %s already", r.ID, was)
	}
	r.Decided = decided
	return nil
}

// decideOnce runs update, an UPDATE ... WHERE id = $1 AND status = <the
// undecided status> RETURNING id, and returns "" when it changed the row;
// otherwise it returns the status that query ($1 = id) reads, or
// pgx.ErrNoRows when there is no such row. The UPDATE's row lock makes a
// concurrent decision wait for this one and then find the row decided, so
// of racing deciders on any nodes exactly one wins.
func decideOnce(ctx context.Context, pool interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, update, query string, args ...any) (string, error) {
	var id string
	err := pool.QueryRow(ctx, update, args...).Scan(&id)
	if err == nil {
		return "", nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return "", err
	}
	var status string
	if err := pool.QueryRow(ctx, query, args[0]).Scan(&status); err != nil {
		return "", err
	}
	return status, nil
}
