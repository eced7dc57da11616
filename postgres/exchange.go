package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

var _ tearline.Exchanges = (*DB)(nil)

// RecordSubmission implements tearline.Exchanges.
func (db *DB) RecordSubmission(ctx context.Context, s *tearline.Submission) (err error) {
	defer wrap(&err, "record submission %s", s.ID)
	if s.ID == "" || s.OrgID == "" {
		return tearline.Errorf(tearline.EINVALID, "a submission needs an id and an organization")
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO submissions (id, org, collection, received, available, state, updated)
			VALUES ($1, $2, $3, $4, $5, $6, $5) ON CONFLICT (id) DO NOTHING`,
			s.ID, s.OrgID, s.CollectionID, stored(s.Received), stored(s.Available), tearline.TriageReceived)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if len(s.Objects) > 0 {
			idx := make([]int32, len(s.Objects))
			for i := range idx {
				idx[i] = int32(i)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO submission_objects (submission, idx, object)
				SELECT $1, i, o FROM unnest($2::integer[], $3::text[]) AS u(i, o)`, s.ID, idx, s.Objects); err != nil {
				return err
			}
		}
		// Feedback that came before the record (a submission processed in
		// the background is recorded once complete).
		_, err = tx.Exec(ctx, `UPDATE submissions SET first_feedback = available WHERE id = $1 AND EXISTS (
			SELECT 1 FROM submission_objects so JOIN feedback f ON f.ref = so.object
			WHERE so.submission = $1 AND f.org <> $2 AND f.type IN ('sighting', 'opinion', 'note'))`, s.ID, s.OrgID)
		return err
	})
}

const submissionColumns = `id, org, collection, received, available, state, acknowledged, first_feedback, updated, updated_by, note`

// scanSubmission reads a row of submissionColumns.
func scanSubmission(row pgx.CollectableRow) (*tearline.Submission, error) {
	var (
		s          tearline.Submission
		ack, first *time.Time
	)
	if err := row.Scan(&s.ID, &s.OrgID, &s.CollectionID, &s.Received, &s.Available, &s.State, &ack, &first,
		&s.Updated, &s.UpdatedBy, &s.Note); err != nil {
		return nil, err
	}
	s.Received, s.Available, s.Updated = s.Received.UTC(), s.Available.UTC(), s.Updated.UTC()
	s.Acknowledged, s.FirstFeedback = fromNull(ack), fromNull(first)
	return &s, nil
}

// submissionObjects fills the Objects of subs.
func submissionObjects(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, subs []*tearline.Submission) error {
	if len(subs) == 0 {
		return nil
	}
	byID := make(map[string]*tearline.Submission, len(subs))
	ids := make([]string, 0, len(subs))
	for _, s := range subs {
		byID[s.ID] = s
		ids = append(ids, s.ID)
	}
	rows, err := q.Query(ctx, `SELECT submission, object FROM submission_objects
		WHERE submission = ANY($1) ORDER BY submission, idx`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sub, obj string
		if err := rows.Scan(&sub, &obj); err != nil {
			return err
		}
		byID[sub].Objects = append(byID[sub].Objects, obj)
	}
	return rows.Err()
}

// FindSubmission implements tearline.Exchanges.
func (db *DB) FindSubmission(ctx context.Context, id string) (_ *tearline.Submission, err error) {
	defer wrap(&err, "find submission %s", id)
	rows, err := db.pool.Query(ctx, `SELECT `+submissionColumns+` FROM submissions WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	s, err := pgx.CollectExactlyOneRow(rows, scanSubmission)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no submission %s", id)
	} else if err != nil {
		return nil, err
	}
	return s, submissionObjects(ctx, db.pool, []*tearline.Submission{s})
}

// ListSubmissions implements tearline.Exchanges.
func (db *DB) ListSubmissions(ctx context.Context, f tearline.SubmissionFilter) (_ []*tearline.Submission, err error) {
	defer wrap(&err, "list submissions")
	if f.State != "" && !tearline.ValidTriageState(f.State) {
		return nil, tearline.Errorf(tearline.EINVALID, "state %q is not one of %s", f.State, strings.Join(tearline.TriageStates, ", "))
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.OrgID != "" {
		add("org = $%d", f.OrgID)
	}
	if f.State != "" {
		add("state = $%d", f.State)
	}
	if !f.From.IsZero() {
		add("received >= $%d", stored(f.From))
	}
	if !f.To.IsZero() {
		add("received < $%d", stored(f.To))
	}
	q := `SELECT ` + submissionColumns + ` FROM submissions`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY received DESC, id`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	var out []*tearline.Submission
	err = pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		if out, err = collect(rows, scanSubmission); err != nil {
			return err
		}
		return submissionObjects(ctx, tx, out)
	})
	return out, err
}

// SetTriage implements tearline.Exchanges.
func (db *DB) SetTriage(ctx context.Context, id string, c tearline.TriageChange) (_ *tearline.Submission, err error) {
	defer wrap(&err, "set the triage state of submission %s", id)
	if !tearline.ValidTriageState(c.State) || c.State == tearline.TriageReceived {
		return nil, tearline.Errorf(tearline.EINVALID, "state %q: want one of %s", c.State,
			strings.Join(tearline.TriageStates[1:], ", "))
	}
	tag, err := db.pool.Exec(ctx, `UPDATE submissions SET state = $1, updated = $2, updated_by = $3, note = $4,
		acknowledged = COALESCE(acknowledged, $2) WHERE id = $5`, c.State, stored(c.At), c.By, c.Note, id)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 0 {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no submission %s", id)
	}
	return db.FindSubmission(ctx, id)
}

// RecordFeedback implements tearline.Exchanges.
func (db *DB) RecordFeedback(ctx context.Context, fs []*tearline.Feedback) (err error) {
	defer wrap(&err, "record %d feedback references", len(fs))
	if len(fs) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		for _, f := range fs {
			tag, err := tx.Exec(ctx, `INSERT INTO feedback (object, ref, type, org, created) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT DO NOTHING`, f.ObjectID, f.RefID, f.Type, f.OrgID, stored(f.Created))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 || !tearline.CountsAsFeedback(f.Type) {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE submissions SET first_feedback = $1 WHERE first_feedback IS NULL AND org <> $2
				AND id IN (SELECT submission FROM submission_objects WHERE object = $3)`,
				stored(f.Created), f.OrgID, f.RefID); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListFeedback implements tearline.Exchanges.
func (db *DB) ListFeedback(ctx context.Context, refs []string, from, to time.Time) (_ []*tearline.Feedback, err error) {
	defer wrap(&err, "list feedback")
	q := `SELECT object, ref, type, org, created FROM feedback WHERE ($1::timestamptz IS NULL OR created >= $1)
		AND ($2::timestamptz IS NULL OR created < $2)`
	args := []any{nullTime(from), nullTime(to)}
	if len(refs) > 0 {
		q += ` AND ref = ANY($3)`
		args = append(args, refs)
	}
	rows, err := db.pool.Query(ctx, q+` ORDER BY created, object, ref`, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Feedback, error) {
		var f tearline.Feedback
		if err := row.Scan(&f.ObjectID, &f.RefID, &f.Type, &f.OrgID, &f.Created); err != nil {
			return nil, err
		}
		f.Created = f.Created.UTC()
		return &f, nil
	})
}

// AddActivity implements tearline.Exchanges.
func (db *DB) AddActivity(ctx context.Context, as []tearline.Activity) (err error) {
	defer wrap(&err, "add the activity of %d organization days", len(as))
	if len(as) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		for _, a := range as {
			if _, err := tx.Exec(ctx, `INSERT INTO org_activity (org, day, requests, objects) VALUES ($1, $2, $3, $4)
				ON CONFLICT (day, org) DO UPDATE SET requests = org_activity.requests + excluded.requests,
				objects = org_activity.objects + excluded.objects`,
				a.OrgID, tearline.Day(a.Day), a.Requests, a.Objects); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListActivity implements tearline.Exchanges.
func (db *DB) ListActivity(ctx context.Context, from, to time.Time) (_ []tearline.Activity, err error) {
	defer wrap(&err, "list activity")
	rows, err := db.pool.Query(ctx, `SELECT org, day, requests, objects FROM org_activity
		WHERE day >= $1 AND day < $2 ORDER BY day, org`, stored(from), stored(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (tearline.Activity, error) {
		var a tearline.Activity
		err := row.Scan(&a.OrgID, &a.Day, &a.Requests, &a.Objects)
		a.Day = a.Day.UTC()
		return a, err
	})
}
