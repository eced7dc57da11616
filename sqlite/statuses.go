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

var _ tearline.StatusStore = (*DB)(nil)

// statusDetails is the JSON form of the details column.
type statusDetails struct {
	Successes []tearline.StatusDetail `json:"successes"`
	Failures  []tearline.StatusDetail `json:"failures"`
	Pendings  []tearline.StatusDetail `json:"pendings"`
}

// statusArgs validates s and returns the values of the columns id,
// api_root, collection, org, status, request_time, total_count and details,
// in that order. It fills a zero s.RequestTime with the current time and
// keeps it to the microsecond.
func statusArgs(s *tearline.Status) ([]any, error) {
	if s.ID == "" {
		return nil, tearline.Errorf(tearline.EINVALID, "status id is empty")
	}
	if s.Status != tearline.StatusPending && s.Status != tearline.StatusComplete {
		return nil, tearline.Errorf(tearline.EINVALID, "status %s: invalid status %q", s.ID, s.Status)
	}
	if s.RequestTime.IsZero() {
		s.RequestTime = time.Now()
	}
	s.RequestTime = s.RequestTime.UTC().Truncate(time.Microsecond)
	details, err := json.Marshal(statusDetails{
		Successes: emptyIfNil(s.Successes),
		Failures:  emptyIfNil(s.Failures),
		Pendings:  emptyIfNil(s.Pendings),
	})
	if err != nil {
		return nil, err
	}
	return []any{s.ID, s.APIRoot, s.CollectionID, s.OrgID, s.Status,
		micros(s.RequestTime), s.TotalCount, string(details)}, nil
}

func emptyIfNil(ds []tearline.StatusDetail) []tearline.StatusDetail {
	if ds == nil {
		return []tearline.StatusDetail{}
	}
	return ds
}

// Statements that write a status. upsertStatusSQL leaves the body as it is,
// so a progress update keeps a pending submission resumable.
const (
	insertStatusSQL = `INSERT INTO statuses
		(id, api_root, collection, org, status, request_time, total_count, details, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	upsertStatusSQL = `INSERT INTO statuses
		(id, api_root, collection, org, status, request_time, total_count, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET
		api_root = excluded.api_root, collection = excluded.collection, org = excluded.org,
		status = excluded.status, request_time = excluded.request_time,
		total_count = excluded.total_count, details = excluded.details`
)

// CreateSubmission stores a new status together with the body of its
// submission, in one transaction. It fills an empty s.ID with a new random
// UUID and a zero s.RequestTime with the current time (kept to the
// microsecond). A nil body is stored as an empty one: the submission is
// pending until CompleteSubmission. EINVALID for a status other than pending
// or complete; ECONFLICT for a taken id.
func (db *DB) CreateSubmission(ctx context.Context, s *tearline.Status, body []byte) (err error) {
	defer wrap(&err, "create submission %q", s.ID)
	if s.ID == "" {
		s.ID = uuid.NewString()
	}
	args, err := statusArgs(s)
	if err != nil {
		return err
	}
	if body == nil {
		body = []byte{}
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(insertStatusSQL, append(args, body)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ECONFLICT, "status id %s is taken", s.ID)
		}
		return nil
	})
}

// PendingSubmissions returns the ids of the statuses whose submission body
// is still stored, by request time, oldest first.
func (db *DB) PendingSubmissions(ctx context.Context) (_ []string, err error) {
	defer wrap(&err, "list pending submissions")
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM statuses
		WHERE body IS NOT NULL ORDER BY request_time, id`)
	if err != nil {
		return nil, err
	}
	return scanColumn[string](rows)
}

// SubmissionBody returns the stored body of a pending submission. ENOTFOUND
// when there is no such status or its submission was completed.
func (db *DB) SubmissionBody(ctx context.Context, id string) (_ []byte, err error) {
	defer wrap(&err, "read submission body %q", id)
	var body []byte
	err = db.r.QueryRowContext(ctx, `SELECT body FROM statuses WHERE id = ? AND body IS NOT NULL`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no pending submission %q", id)
	} else if err != nil {
		return nil, err
	}
	if body == nil {
		body = []byte{}
	}
	return body, nil
}

// CompleteSubmission saves the final status, creating it if it is gone, and
// deletes the submission body, in one statement. It fills a zero
// s.RequestTime like SaveStatus. EINVALID for an empty id or a status other
// than pending or complete.
func (db *DB) CompleteSubmission(ctx context.Context, s *tearline.Status) (err error) {
	defer wrap(&err, "complete submission %q", s.ID)
	args, err := statusArgs(s)
	if err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(upsertStatusSQL+`, body = NULL`, args...)
		return err
	})
}

// SaveStatus creates or replaces a status, keeping the stored submission
// body if there is one. It fills a zero s.RequestTime with the current time
// (kept to the microsecond). EINVALID for an empty id or a status other than
// pending or complete.
func (db *DB) SaveStatus(ctx context.Context, s *tearline.Status) (err error) {
	defer wrap(&err, "save status %q", s.ID)
	return db.writeTx(ctx, func(tx *sql.Tx) error { return saveStatus(tx, s) })
}

// saveStatus is SaveStatus in tx.
func saveStatus(tx *sql.Tx, s *tearline.Status) error {
	args, err := statusArgs(s)
	if err != nil {
		return err
	}
	_, err = tx.Exec(upsertStatusSQL, args...)
	return err
}

// FindStatus returns a status by id. Detail lists that are empty come back
// nil. ENOTFOUND when there is none.
func (db *DB) FindStatus(ctx context.Context, id string) (_ *tearline.Status, err error) {
	defer wrap(&err, "find status %q", id)
	var (
		s           tearline.Status
		requestTime int64
		details     string
	)
	err = db.r.QueryRowContext(ctx, `SELECT id, api_root, collection, org, status, request_time, total_count, details
		FROM statuses WHERE id = ?`, id).Scan(&s.ID, &s.APIRoot, &s.CollectionID, &s.OrgID, &s.Status,
		&requestTime, &s.TotalCount, &details)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no status %q", id)
	} else if err != nil {
		return nil, err
	}
	s.RequestTime = fromMicros(requestTime)
	var d statusDetails
	if err := json.Unmarshal([]byte(details), &d); err != nil {
		return nil, fmt.Errorf("details: %w", err)
	}
	s.Successes, s.Failures, s.Pendings = nilIfEmpty(d.Successes), nilIfEmpty(d.Failures), nilIfEmpty(d.Pendings)
	return &s, nil
}

func nilIfEmpty(ds []tearline.StatusDetail) []tearline.StatusDetail {
	if len(ds) == 0 {
		return nil
	}
	return ds
}

// DeleteStatusesBefore removes the statuses requested before t and returns
// how many it removed. Statuses whose submission is still pending (body
// stored) are kept, whatever their age: they are removed only after
// CompleteSubmission, so that nothing accepted is lost.
func (db *DB) DeleteStatusesBefore(ctx context.Context, t time.Time) (n int, err error) {
	defer wrap(&err, "delete statuses before %v", t)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM statuses WHERE request_time < ? AND body IS NULL`, ceilMicros(t))
		if err != nil {
			return err
		}
		m, err := res.RowsAffected()
		n = int(m)
		return err
	})
	return n, err
}

// ceilMicros returns t in microseconds, rounded up, so that a stored time
// compares below it exactly when it is before t.
func ceilMicros(t time.Time) int64 {
	us := micros(t)
	if t.Nanosecond()%1000 != 0 {
		us++
	}
	return us
}
