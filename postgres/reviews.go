package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

var (
	_ tearline.PIIPolicies = (*DB)(nil)
	_ tearline.Reviews     = (*DB)(nil)
)

// SetPIIPolicy sets the privacy policy of a collection. ENOTFOUND for an
// unknown collection; EINVALID for an unknown action.
func (db *DB) SetPIIPolicy(ctx context.Context, collectionID string, p tearline.PIIPolicy) (err error) {
	defer wrap(&err, "set PII policy of collection %q", collectionID)
	action, err := tearline.ParsePIIAction(string(p.Action))
	if err != nil {
		return err
	}
	var pk int64
	err = db.pool.QueryRow(ctx, `INSERT INTO collection_pii (collection, action, flag_identifiers)
		SELECT pk, $2, $3 FROM collections WHERE id = $1
		ON CONFLICT (collection) DO UPDATE SET action = excluded.action, flag_identifiers = excluded.flag_identifiers
		RETURNING collection`, collectionID, string(action), p.FlagIdentifiers).Scan(&pk)
	if errors.Is(err, pgx.ErrNoRows) {
		return tearline.Errorf(tearline.ENOTFOUND, "no collection %q", collectionID)
	}
	return err
}

// PIIPolicy returns the privacy policy of a collection, PIINone when none
// was set. ENOTFOUND for an unknown collection.
func (db *DB) PIIPolicy(ctx context.Context, collectionID string) (_ tearline.PIIPolicy, err error) {
	defer wrap(&err, "read PII policy of collection %q", collectionID)
	var (
		action *string
		flag   *bool
	)
	err = db.pool.QueryRow(ctx, `SELECT p.action, p.flag_identifiers FROM collections c
		LEFT JOIN collection_pii p ON p.collection = c.pk WHERE c.id = $1`, collectionID).Scan(&action, &flag)
	if errors.Is(err, pgx.ErrNoRows) {
		return tearline.PIIPolicy{}, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", collectionID)
	} else if err != nil {
		return tearline.PIIPolicy{}, err
	}
	p := tearline.PIIPolicy{Action: tearline.PIINone}
	if action != nil {
		p.Action, p.FlagIdentifiers = tearline.PIIAction(*action), flag != nil && *flag
	}
	return p, nil
}

const reviewColumns = `id, collection, status_id, idx, object_id, version, raw, digest, findings,
	submitter_org, submitter_key, status, decision, approved, reason, decider_key, created, decided,
	finished, stored, result`

// scanReview reads one row of reviewColumns.
func scanReview(row pgx.Row) (*tearline.Review, error) {
	var (
		r                 tearline.Review
		digest            []byte
		decided, finished *time.Time
	)
	if err := row.Scan(&r.ID, &r.CollectionID, &r.StatusID, &r.Index, &r.ObjectID, &r.Version, &r.Raw, &digest,
		&r.Findings, &r.SubmitterOrg, &r.SubmitterKey, &r.Status, &r.Decision, &r.Approved, &r.Reason,
		&r.DeciderKey, &r.Created, &decided, &finished, &r.Stored, &r.Result); err != nil {
		return nil, err
	}
	copy(r.Digest[:], digest)
	if r.Findings == nil {
		r.Findings = []tearline.PIIFinding{}
	}
	r.Created = r.Created.UTC()
	r.Decided, r.Finished = fromNull(decided), fromNull(finished)
	return &r, nil
}

// HoldForReview stores pending reviews in one transaction; an object held
// already (see tearline.Review.HoldKey) is read back instead. EINVALID for
// an empty collection, object id or object.
func (db *DB) HoldForReview(ctx context.Context, rs []*tearline.Review) (err error) {
	defer wrap(&err, "hold %d objects for review", len(rs))
	for _, r := range rs {
		if r.CollectionID == "" || r.ObjectID == "" || len(r.Raw) == 0 {
			return tearline.Errorf(tearline.EINVALID, "a held object needs a collection, an id and its bytes")
		}
	}
	if len(rs) == 0 {
		return nil
	}
	held := make([]tearline.Review, len(rs))
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		created := now()
		for i, r := range rs {
			findings := r.Findings
			if findings == nil {
				findings = []tearline.PIIFinding{}
			}
			id := r.ID
			if id == "" {
				id = uuid.NewString()
			}
			key := r.HoldKey()
			var got string
			err := tx.QueryRow(ctx, `INSERT INTO reviews (id, hold_key, collection, status_id, idx, object_id,
				version, raw, digest, findings, submitter_org, submitter_key, status, created)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
				ON CONFLICT (hold_key) DO NOTHING RETURNING id`,
				id, key, r.CollectionID, r.StatusID, r.Index, r.ObjectID, r.Version, r.Raw, r.Digest[:],
				findings, r.SubmitterOrg, r.SubmitterKey, tearline.ReviewPending, created).Scan(&got)
			if err == nil {
				held[i] = *r
				held[i].ID, held[i].Status, held[i].Created, held[i].Findings = id, tearline.ReviewPending, created, findings
				continue
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			old, err := scanReview(tx.QueryRow(ctx, `SELECT `+reviewColumns+` FROM reviews WHERE hold_key = $1`, key))
			if err != nil {
				return err
			}
			held[i] = *old
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, r := range rs {
		*r = held[i]
	}
	return nil
}

// FindReview returns a review by id. ENOTFOUND when there is none.
func (db *DB) FindReview(ctx context.Context, id string) (_ *tearline.Review, err error) {
	defer wrap(&err, "find review %q", id)
	r, err := scanReview(db.pool.QueryRow(ctx, `SELECT `+reviewColumns+` FROM reviews WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no review %q", id)
	}
	return r, err
}

// ListReviews returns the reviews f selects, oldest first.
func (db *DB) ListReviews(ctx context.Context, f tearline.ReviewFilter) (_ []*tearline.Review, err error) {
	defer wrap(&err, "list reviews")
	rows, err := db.pool.Query(ctx, `SELECT `+reviewColumns+` FROM reviews
		WHERE ($1 = '' OR collection = $1) AND ($2 = '' OR status = $2) AND ($3 = '' OR status_id = $3)
		ORDER BY created, seq`, f.CollectionID, f.Status, f.StatusID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Review, error) { return scanReview(row) })
}

// DecideReview moves the pending review r.ID to r.Status, once. ENOTFOUND
// when there is no such review; ECONFLICT when it was decided already;
// EINVALID for a malformed decision.
func (db *DB) DecideReview(ctx context.Context, r *tearline.Review) (err error) {
	defer wrap(&err, "decide review %q", r.ID)
	switch {
	case r.Status != tearline.ReviewApproved && r.Status != tearline.ReviewRejected:
		return tearline.Errorf(tearline.EINVALID, "review %s: a decision is %q or %q, not %q",
			r.ID, tearline.ReviewApproved, tearline.ReviewRejected, r.Status)
	case r.DeciderKey == "":
		return tearline.Errorf(tearline.EINVALID, "review %s: the decider is empty", r.ID)
	case r.Status == tearline.ReviewApproved && (r.Decision == "" || len(r.Approved) == 0):
		return tearline.Errorf(tearline.EINVALID, "review %s: an approval needs a decision and the object to store", r.ID)
	}
	decision, approved := r.Decision, r.Approved
	if r.Status == tearline.ReviewRejected {
		decision, approved = "", nil
	}
	decided := now()
	was, err := decideOnce(ctx, db.pool, `UPDATE reviews SET status = $2, decision = $3, approved = $4, reason = $5,
		decider_key = $6, decided = $7 WHERE id = $1 AND status = $8 RETURNING id`, `SELECT status FROM reviews WHERE id = $1`,
		r.ID, r.Status, decision, approved, r.Reason, r.DeciderKey, decided, tearline.ReviewPending)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return tearline.Errorf(tearline.ENOTFOUND, "no review %q", r.ID)
	case err != nil:
		return err
	case was != "":
		return tearline.Errorf(tearline.ECONFLICT, "review %s was %s already", r.ID, was)
	}
	r.Decision, r.Approved, r.Decided = decision, approved, decided
	return nil
}

// FinishReview records the outcome of storing the object of an approved
// review. ENOTFOUND when there is no such review; ECONFLICT when it is not
// approved.
func (db *DB) FinishReview(ctx context.Context, id string, stored bool, result string) (err error) {
	defer wrap(&err, "finish review %q", id)
	was, err := decideOnce(ctx, db.pool, `UPDATE reviews SET finished = $2, stored = $3, result = $4
		WHERE id = $1 AND status = $5 RETURNING id`, `SELECT status FROM reviews WHERE id = $1`,
		id, now(), stored, result, tearline.ReviewApproved)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return tearline.Errorf(tearline.ENOTFOUND, "no review %q", id)
	case err != nil:
		return err
	case was != "":
		return tearline.Errorf(tearline.ECONFLICT, "review %s is %s, not approved", id, was)
	}
	return nil
}

// submissionKeyRetention is how long a submission's key is kept.
const submissionKeyRetention = 30 * 24 * time.Hour

// SetSubmissionKey records the API key of a TAXII submission and removes
// the records older than 30 days.
func (db *DB) SetSubmissionKey(ctx context.Context, statusID, keyID string) (err error) {
	defer wrap(&err, "record the key of submission %q", statusID)
	t := now()
	if _, err := db.pool.Exec(ctx, `DELETE FROM submission_keys WHERE created < $1`, t.Add(-submissionKeyRetention)); err != nil {
		return err
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO submission_keys (status_id, key_id, created) VALUES ($1, $2, $3)
		ON CONFLICT (status_id) DO UPDATE SET key_id = excluded.key_id`, statusID, keyID, t)
	return err
}

// SubmissionKey returns the key recorded for a submission. ENOTFOUND when
// there is none.
func (db *DB) SubmissionKey(ctx context.Context, statusID string) (_ string, err error) {
	defer wrap(&err, "read the key of submission %q", statusID)
	var key string
	err = db.pool.QueryRow(ctx, `SELECT key_id FROM submission_keys WHERE status_id = $1`, statusID).Scan(&key)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", tearline.Errorf(tearline.ENOTFOUND, "no key recorded for submission %q", statusID)
	}
	return key, err
}
