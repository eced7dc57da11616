package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tearline/tearline"
)

var _ tearline.Exchanges = (*DB)(nil)

// RecordSubmission implements tearline.Exchanges.
func (db *DB) RecordSubmission(ctx context.Context, s *tearline.Submission) (err error) {
	defer wrap(&err, "record submission %s", s.ID)
	if s.ID == "" || s.OrgID == "" {
		return tearline.Errorf(tearline.EINVALID, "a submission needs an id and an organization")
	}
	hints := db.pks.get(s.Objects)
	return db.writeTx(ctx, func(tx *sql.Tx) error { return recordSubmission(tx, s, hints, nil) })
}

// recordSubmission is RecordSubmission in tx. hints holds, for each of
// s.Objects, the row key of the version the submission stored or found,
// or 0 when it is not known (pkHints); known, when not nil, tells for each
// whether its hint is certain (the version was written or found in tx),
// and then needs no check.
func recordSubmission(tx *sql.Tx, s *tearline.Submission, hints []int64, known []bool) error {
	res, err := tx.Exec(`INSERT INTO submissions (id, org, collection, received, available, state, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		s.ID, s.OrgID, s.CollectionID, micros(s.Received), micros(s.Available), tearline.TriageReceived, micros(s.Available))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	if len(s.Objects) == 0 {
		return nil
	}
	// The rows follow one another (single writer): the submission
	// records their range of rowids (migration 23). Each row names a
	// stored version of its object (migration 25). When every hint is
	// known (the batch of tx wrote or found the versions), the rows go in
	// multi-row statements (execRows; a conflict cannot happen, there
	// being no key). Otherwise each row names the version hinted when it
	// still holds the object, or else the latest, found through
	// object_keys (migration 27), one statement per row: a multi-row
	// statement with these subqueries cost more to prepare, once per
	// submission, than it saved.
	before, err := maxRowid(tx)
	if err != nil {
		return err
	}
	if !slices.Contains(known, false) && len(known) == len(s.Objects) {
		err = execRows(tx, `INSERT OR ROLLBACK INTO submission_objects (submission, idx, object, idh, object_pk) VALUES `,
			`(?, ?, ?, ?, ?)`, ``, len(s.Objects), func(args []any, i int) []any {
				return append(args, s.ID, i, s.Objects[i], idHash(s.Objects[i]), hints[i])
			})
	} else {
		err = insertSubmissionObjects(tx, s, hints)
	}
	if err != nil {
		return err
	}
	// New rowids are one more than the largest: the rows are the ones
	// after before, unless something else wrote the table meanwhile.
	first, last := before+1, before+int64(len(s.Objects))
	if after, err := maxRowid(tx); err != nil {
		return err
	} else if after != last {
		return fmt.Errorf("the %d objects got rowids %d to %d, not one after the other", len(s.Objects), first, after)
	}
	// Feedback that came before the record (a submission processed in
	// the background is recorded once complete).
	_, err = tx.Exec(`UPDATE submissions SET objects_first = ?3, objects_last = ?4,
		first_feedback = CASE WHEN EXISTS (
			SELECT 1 FROM submission_objects so JOIN feedback f ON f.ref = so.object
			WHERE so.rowid BETWEEN ?3 AND ?4 AND f.org <> ?2 AND f.type IN ('sighting', 'opinion', 'note'))
		THEN available ELSE first_feedback END
		WHERE id = ?1`, s.ID, s.OrgID, first, last)
	return err
}

// insertSubmissionObjects writes the rows of s's objects one statement
// per row, each naming the version hinted when it still holds the object,
// or else the latest.
func insertSubmissionObjects(tx *sql.Tx, s *tearline.Submission, hints []int64) error {
	st, err := tx.Prepare(`INSERT INTO submission_objects (submission, idx, object, idh, object_pk)
		VALUES (?1, ?2, ?3, ?4, coalesce((SELECT pk FROM objects WHERE pk = ?5 AND id = ?3),
			(SELECT max(o.pk) FROM object_keys k JOIN objects o ON o.pk = k.pk WHERE k.idh = ?4 AND o.id = ?3), 0))`)
	if err != nil {
		return err
	}
	defer st.Close()
	for i, id := range s.Objects {
		if _, err := st.Exec(s.ID, i, id, idHash(id), hints[i]); err != nil {
			return err
		}
	}
	return nil
}

// maxRowid returns the largest rowid of submission_objects, 0 when it is
// empty.
func maxRowid(tx *sql.Tx) (int64, error) {
	var n sql.NullInt64
	err := tx.QueryRow(`SELECT max(rowid) FROM submission_objects`).Scan(&n)
	return n.Int64, err
}

// submissionsOf selects the ids of the submissions that carried the
// object whose id is ?3 and idh ?4: through its stored versions, or by id
// where the object was not stored when the submission was recorded
// (migration 25).
const submissionsOf = `SELECT so.submission FROM objects o JOIN submission_objects so ON so.object_pk = o.pk
	WHERE o.pk IN (SELECT pk FROM object_keys WHERE idh = ?4) AND o.id = ?3 AND so.object_pk <> 0
	UNION ALL SELECT submission FROM submission_objects WHERE object_pk = 0 AND idh = ?4 AND object = ?3`

const submissionColumns = `id, org, collection, received, available, state, acknowledged, first_feedback, updated, updated_by, note`

// scanSubmission reads a row of submissionColumns.
func scanSubmission(row interface{ Scan(...any) error }) (*tearline.Submission, error) {
	var (
		s                               tearline.Submission
		rec, avail, ack, first, updated int64
	)
	if err := row.Scan(&s.ID, &s.OrgID, &s.CollectionID, &rec, &avail, &s.State, &ack, &first, &updated, &s.UpdatedBy, &s.Note); err != nil {
		return nil, err
	}
	s.Received, s.Available, s.Updated = fromMicros(rec), fromMicros(avail), fromMicros(updated)
	if ack != 0 {
		s.Acknowledged = fromMicros(ack)
	}
	if first != 0 {
		s.FirstFeedback = fromMicros(first)
	}
	return &s, nil
}

// submissionObjects fills the Objects of subs.
func submissionObjects(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
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
	js, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, `SELECT s.id, so.object FROM submissions s
		JOIN submission_objects so ON so.rowid BETWEEN s.objects_first AND s.objects_last
		WHERE s.id IN (SELECT value FROM json_each(?)) ORDER BY s.id, so.rowid`, string(js))
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
	s, err := scanSubmission(db.r.QueryRowContext(ctx, `SELECT `+submissionColumns+` FROM submissions WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no submission %s", id)
	} else if err != nil {
		return nil, err
	}
	return s, submissionObjects(ctx, db.r, []*tearline.Submission{s})
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
	if f.OrgID != "" {
		where, args = append(where, "org = ?"), append(args, f.OrgID)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if !f.From.IsZero() {
		where, args = append(where, "received >= ?"), append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "received < ?"), append(args, micros(f.To))
	}
	q := `SELECT ` + submissionColumns + ` FROM submissions`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY received DESC, id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	var out []*tearline.Submission
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanSubmission(rows)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		if err := rows.Err(); err != nil {
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
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE submissions SET state = ?, updated = ?, updated_by = ?, note = ?,
			acknowledged = CASE WHEN acknowledged = 0 THEN ? ELSE acknowledged END WHERE id = ?`,
			c.State, micros(c.At), c.By, c.Note, micros(c.At), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no submission %s", id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return db.FindSubmission(ctx, id)
}

// RecordFeedback implements tearline.Exchanges.
func (db *DB) RecordFeedback(ctx context.Context, fs []*tearline.Feedback) (err error) {
	defer wrap(&err, "record %d feedback references", len(fs))
	if len(fs) == 0 {
		return nil
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error { return recordFeedback(tx, fs) })
}

// recordFeedback is RecordFeedback in tx.
func recordFeedback(tx *sql.Tx, fs []*tearline.Feedback) error {
	for _, f := range fs {
		res, err := tx.Exec(`INSERT INTO feedback (object, ref, type, org, created) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, f.ObjectID, f.RefID, f.Type, f.OrgID, micros(f.Created))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 || !tearline.CountsAsFeedback(f.Type) {
			continue
		}
		if _, err := tx.Exec(`UPDATE submissions SET first_feedback = ?1 WHERE first_feedback = 0 AND org <> ?2
			AND id IN (`+submissionsOf+`)`,
			micros(f.Created), f.OrgID, f.RefID, idHash(f.RefID)); err != nil {
			return err
		}
	}
	return nil
}

// ListFeedback implements tearline.Exchanges.
func (db *DB) ListFeedback(ctx context.Context, refs []string, from, to time.Time) (_ []*tearline.Feedback, err error) {
	defer wrap(&err, "list feedback")
	q := `SELECT object, ref, type, org, created FROM feedback WHERE created >= ? AND created < ?`
	hi := int64(1<<63 - 1)
	if !to.IsZero() {
		hi = micros(to)
	}
	args := []any{micros(from), hi}
	if from.IsZero() {
		args[0] = int64(-1 << 63)
	}
	if len(refs) > 0 {
		js, err := json.Marshal(refs)
		if err != nil {
			return nil, err
		}
		q += ` AND ref IN (SELECT value FROM json_each(?))`
		args = append(args, string(js))
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY created, object, ref`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*tearline.Feedback
	for rows.Next() {
		var (
			f       tearline.Feedback
			created int64
		)
		if err := rows.Scan(&f.ObjectID, &f.RefID, &f.Type, &f.OrgID, &created); err != nil {
			return nil, err
		}
		f.Created = fromMicros(created)
		out = append(out, &f)
	}
	return out, rows.Err()
}

// AddActivity implements tearline.Exchanges.
func (db *DB) AddActivity(ctx context.Context, as []tearline.Activity) (err error) {
	defer wrap(&err, "add the activity of %d organization days", len(as))
	if len(as) == 0 {
		return nil
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		for _, a := range as {
			if _, err := tx.Exec(`INSERT INTO org_activity (org, day, requests, objects) VALUES (?, ?, ?, ?)
				ON CONFLICT (day, org) DO UPDATE SET requests = requests + excluded.requests, objects = objects + excluded.objects`,
				a.OrgID, micros(tearline.Day(a.Day)), a.Requests, a.Objects); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListActivity implements tearline.Exchanges.
func (db *DB) ListActivity(ctx context.Context, from, to time.Time) (_ []tearline.Activity, err error) {
	defer wrap(&err, "list activity")
	rows, err := db.r.QueryContext(ctx, `SELECT org, day, requests, objects FROM org_activity
		WHERE day >= ? AND day < ? ORDER BY day, org`, micros(from), micros(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tearline.Activity
	for rows.Next() {
		var (
			a   tearline.Activity
			day int64
		)
		if err := rows.Scan(&a.OrgID, &day, &a.Requests, &a.Objects); err != nil {
			return nil, err
		}
		a.Day = fromMicros(day)
		out = append(out, a)
	}
	return out, rows.Err()
}
