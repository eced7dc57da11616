package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
)

var _ tearline.Translations = (*DB)(nil)

// checkTranslationRequest returns EINVALID for a request without an
// object, a language or a requester.
func checkTranslationRequest(r *tearline.TranslationRequest) error {
	if r.ObjectID == "" || r.Language == "" || r.RequesterOrg == "" {
		return tearline.Errorf(tearline.EINVALID, "a translation request needs an object, a language and a requester")
	}
	return nil
}

// CreateTranslationRequest implements tearline.Translations.
func (db *DB) CreateTranslationRequest(ctx context.Context, r *tearline.TranslationRequest) (err error) {
	defer wrap(&err, "create a translation request of %s", r.ObjectID)
	if err := checkTranslationRequest(r); err != nil {
		return err
	}
	id := r.ID
	if id == "" {
		id = uuid.NewString()
	}
	created := time.Now().UTC().Truncate(time.Microsecond)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO translation_requests (id, object, language, note, requester_org, requester_key, note_id, state, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, r.ObjectID, r.Language, r.Note, r.RequesterOrg, r.RequesterKey, r.NoteID,
			tearline.TranslationOpen, micros(created))
		if err != nil && strings.Contains(err.Error(), "UNIQUE") {
			return tearline.Errorf(tearline.ECONFLICT, "translation request %s exists", id)
		}
		return err
	})
	if err == nil {
		r.ID, r.Created, r.State = id, created, tearline.TranslationOpen
	}
	return err
}

const translationColumns = `id, object, language, note, requester_org, requester_key, note_id, state, created, answer, answered_by, answered`

// scanTranslation reads a row of translationColumns.
func scanTranslation(row interface{ Scan(...any) error }) (*tearline.TranslationRequest, error) {
	var (
		r                 tearline.TranslationRequest
		created, answered int64
	)
	if err := row.Scan(&r.ID, &r.ObjectID, &r.Language, &r.Note, &r.RequesterOrg, &r.RequesterKey, &r.NoteID, &r.State,
		&created, &r.AnswerID, &r.AnsweredBy, &answered); err != nil {
		return nil, err
	}
	r.Created = fromMicros(created)
	if answered != 0 {
		r.Answered = fromMicros(answered)
	}
	return &r, nil
}

// FindTranslationRequest implements tearline.Translations.
func (db *DB) FindTranslationRequest(ctx context.Context, id string) (_ *tearline.TranslationRequest, err error) {
	defer wrap(&err, "find translation request %s", id)
	r, err := scanTranslation(db.r.QueryRowContext(ctx, `SELECT `+translationColumns+` FROM translation_requests WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no translation request %s", id)
	}
	return r, err
}

// ListTranslationRequests implements tearline.Translations.
func (db *DB) ListTranslationRequests(ctx context.Context, f tearline.TranslationFilter) (_ []*tearline.TranslationRequest, err error) {
	defer wrap(&err, "list translation requests")
	if f.State != "" && f.State != tearline.TranslationOpen && f.State != tearline.TranslationAnswered {
		return nil, tearline.Errorf(tearline.EINVALID, "state %q is not open or answered", f.State)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+translationColumns+` FROM translation_requests
		WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR requester_org = ?2) AND (?3 = '' OR object = ?3)
		ORDER BY created, id`, f.State, f.RequesterOrg, f.ObjectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*tearline.TranslationRequest
	for rows.Next() {
		r, err := scanTranslation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AnswerTranslationRequest implements tearline.Translations.
func (db *DB) AnswerTranslationRequest(ctx context.Context, id, answerID, by string, at time.Time) (_ *tearline.TranslationRequest, err error) {
	defer wrap(&err, "answer translation request %s", id)
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRow(`SELECT state FROM translation_requests WHERE id = ?`, id).Scan(&state); err == sql.ErrNoRows {
			return tearline.Errorf(tearline.ENOTFOUND, "no translation request %s", id)
		} else if err != nil {
			return err
		}
		if state != tearline.TranslationOpen {
			return tearline.Errorf(tearline.ECONFLICT, "translation request %s was answered already", id)
		}
		_, err := tx.Exec(`UPDATE translation_requests SET state = ?, answer = ?, answered_by = ?, answered = ? WHERE id = ?`,
			tearline.TranslationAnswered, answerID, by, micros(at), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.FindTranslationRequest(ctx, id)
}
