package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
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
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		pk, _, err := collectionPK(tx, collectionID)
		if err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO collection_pii (collection, action, flag_identifiers) VALUES (?, ?, ?)
			ON CONFLICT (collection) DO UPDATE SET action = excluded.action, flag_identifiers = excluded.flag_identifiers`,
			pk, string(action), p.FlagIdentifiers)
		return err
	})
}

// PIIPolicy returns the privacy policy of a collection, PIINone when none
// was set. ENOTFOUND for an unknown collection.
func (db *DB) PIIPolicy(ctx context.Context, collectionID string) (_ tearline.PIIPolicy, err error) {
	defer wrap(&err, "read PII policy of collection %q", collectionID)
	var (
		action sql.NullString
		flag   sql.NullBool
	)
	err = db.r.QueryRowContext(ctx, `SELECT p.action, p.flag_identifiers FROM collections c
		LEFT JOIN collection_pii p ON p.collection = c.pk WHERE c.id = ?`, collectionID).Scan(&action, &flag)
	if errors.Is(err, sql.ErrNoRows) {
		return tearline.PIIPolicy{}, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", collectionID)
	} else if err != nil {
		return tearline.PIIPolicy{}, err
	}
	p := tearline.PIIPolicy{Action: tearline.PIINone}
	if action.Valid {
		p.Action, p.FlagIdentifiers = tearline.PIIAction(action.String), flag.Bool
	}
	return p, nil
}

const reviewColumns = `id, collection, status_id, idx, object_id, version, raw, digest, findings,
	submitter_org, submitter_key, status, decision, approved, reason, decider_key, created, decided,
	finished, stored, result`

// scanReview reads one row of reviewColumns.
func scanReview(row interface{ Scan(...any) error }) (*tearline.Review, error) {
	var (
		r                          tearline.Review
		digest                     []byte
		findings                   string
		created, decided, finished int64
	)
	if err := row.Scan(&r.ID, &r.CollectionID, &r.StatusID, &r.Index, &r.ObjectID, &r.Version, &r.Raw, &digest,
		&findings, &r.SubmitterOrg, &r.SubmitterKey, &r.Status, &r.Decision, &r.Approved, &r.Reason,
		&r.DeciderKey, &created, &decided, &finished, &r.Stored, &r.Result); err != nil {
		return nil, err
	}
	copy(r.Digest[:], digest)
	if err := json.Unmarshal([]byte(findings), &r.Findings); err != nil {
		return nil, fmt.Errorf("review %s: findings: %w", r.ID, err)
	}
	r.Created = fromMicros(created)
	if decided != 0 {
		r.Decided = fromMicros(decided)
	}
	if finished != 0 {
		r.Finished = fromMicros(finished)
	}
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
	created := time.Now().UTC().Truncate(time.Microsecond)
	held := make([]tearline.Review, len(rs))
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		for i, r := range rs {
			findings, err := json.Marshal(nonNilFindings(r.Findings))
			if err != nil {
				return err
			}
			id := r.ID
			if id == "" {
				id = uuid.NewString()
			}
			key := r.HoldKey()
			res, err := tx.Exec(`INSERT INTO reviews (id, hold_key, collection, status_id, idx, object_id, version,
				raw, digest, findings, submitter_org, submitter_key, status, created)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hold_key) DO NOTHING`,
				id, key, r.CollectionID, r.StatusID, r.Index, r.ObjectID, r.Version, r.Raw, r.Digest[:],
				string(findings), r.SubmitterOrg, r.SubmitterKey, tearline.ReviewPending, micros(created))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				held[i] = *r
				held[i].ID, held[i].Status, held[i].Created = id, tearline.ReviewPending, created
				held[i].Findings = nonNilFindings(r.Findings)
				continue
			}
			old, err := scanReview(tx.QueryRow(`SELECT `+reviewColumns+` FROM reviews WHERE hold_key = ?`, key))
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

// nonNilFindings returns fs, or an empty list for nil.
func nonNilFindings(fs []tearline.PIIFinding) []tearline.PIIFinding {
	if fs == nil {
		return []tearline.PIIFinding{}
	}
	return fs
}

// FindReview returns a review by id. ENOTFOUND when there is none.
func (db *DB) FindReview(ctx context.Context, id string) (_ *tearline.Review, err error) {
	defer wrap(&err, "find review %q", id)
	r, err := scanReview(db.r.QueryRowContext(ctx, `SELECT `+reviewColumns+` FROM reviews WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no review %q", id)
	}
	return r, err
}

// ListReviews returns the reviews f selects, oldest first.
func (db *DB) ListReviews(ctx context.Context, f tearline.ReviewFilter) (_ []*tearline.Review, err error) {
	defer wrap(&err, "list reviews")
	rows, err := db.r.QueryContext(ctx, `SELECT `+reviewColumns+` FROM reviews
		WHERE (?1 = '' OR collection = ?1) AND (?2 = '' OR status = ?2) AND (?3 = '' OR status_id = ?3)
		ORDER BY created, rowid`, f.CollectionID, f.Status, f.StatusID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rs []*tearline.Review
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// checkDecision returns the EINVALID error of a malformed decision, or nil.
func checkDecision(r *tearline.Review) error {
	switch {
	case r.Status != tearline.ReviewApproved && r.Status != tearline.ReviewRejected:
		return tearline.Errorf(tearline.EINVALID, "review %s: a decision is %q or %q, not %q",
			r.ID, tearline.ReviewApproved, tearline.ReviewRejected, r.Status)
	case r.DeciderKey == "":
		return tearline.Errorf(tearline.EINVALID, "review %s: the decider is empty", r.ID)
	case r.Status == tearline.ReviewApproved && (r.Decision == "" || len(r.Approved) == 0):
		return tearline.Errorf(tearline.EINVALID, "review %s: an approval needs a decision and the object to store", r.ID)
	}
	return nil
}

// DecideReview moves the pending review r.ID to r.Status, once. ENOTFOUND
// when there is no such review; ECONFLICT when it was decided already;
// EINVALID for a malformed decision.
func (db *DB) DecideReview(ctx context.Context, r *tearline.Review) (err error) {
	defer wrap(&err, "decide review %q", r.ID)
	if err := checkDecision(r); err != nil {
		return err
	}
	decision, approved := r.Decision, r.Approved
	if r.Status == tearline.ReviewRejected {
		decision, approved = "", nil
	}
	decided := time.Now().UTC().Truncate(time.Microsecond)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE reviews SET status = ?, decision = ?, approved = ?, reason = ?,
			decider_key = ?, decided = ? WHERE id = ? AND status = ?`,
			r.Status, decision, approved, r.Reason, r.DeciderKey, micros(decided), r.ID, tearline.ReviewPending)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil
		}
		return reviewNotPending(tx.QueryRow(`SELECT status FROM reviews WHERE id = ?`, r.ID), r.ID)
	})
	if err == nil {
		r.Decision, r.Approved, r.Decided = decision, approved, decided
	}
	return err
}

// reviewNotPending returns the error for a review that a conditional
// update did not change, from the row of its status.
func reviewNotPending(row *sql.Row, id string) error {
	var status string
	err := row.Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return tearline.Errorf(tearline.ENOTFOUND, "no review %q", id)
	} else if err != nil {
		return err
	}
	return tearline.Errorf(tearline.ECONFLICT, "review %s was %s already", id, status)
}

// FinishReview records the outcome of storing the object of an approved
// review. ENOTFOUND when there is no such review; ECONFLICT when it is not
// approved.
func (db *DB) FinishReview(ctx context.Context, id string, stored bool, result string) (err error) {
	defer wrap(&err, "finish review %q", id)
	finished := time.Now().UTC().Truncate(time.Microsecond)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE reviews SET finished = ?, stored = ?, result = ? WHERE id = ? AND status = ?`,
			micros(finished), stored, result, id, tearline.ReviewApproved)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil
		}
		var status string
		err = tx.QueryRow(`SELECT status FROM reviews WHERE id = ?`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no review %q", id)
		} else if err != nil {
			return err
		}
		return tearline.Errorf(tearline.ECONFLICT, "review %s is %s, not approved", id, status)
	})
}

// submissionKeyRetention is how long a submission's key is kept.
const submissionKeyRetention = 30 * 24 * time.Hour

// SetSubmissionKey records the API key of a TAXII submission and removes
// the records older than 30 days.
func (db *DB) SetSubmissionKey(ctx context.Context, statusID, keyID string) (err error) {
	defer wrap(&err, "record the key of submission %q", statusID)
	now := time.Now()
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM submission_keys WHERE created < ?`, micros(now.Add(-submissionKeyRetention))); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO submission_keys (status_id, key_id, created) VALUES (?, ?, ?)
			ON CONFLICT (status_id) DO UPDATE SET key_id = excluded.key_id`, statusID, keyID, micros(now))
		return err
	})
}

// SubmissionKey returns the key recorded for a submission. ENOTFOUND when
// there is none.
func (db *DB) SubmissionKey(ctx context.Context, statusID string) (_ string, err error) {
	defer wrap(&err, "read the key of submission %q", statusID)
	var key string
	err = db.r.QueryRowContext(ctx, `SELECT key_id FROM submission_keys WHERE status_id = ?`, statusID).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", tearline.Errorf(tearline.ENOTFOUND, "no key recorded for submission %q", statusID)
	}
	return key, err
}
