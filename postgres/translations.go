package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

var _ tearline.Translations = (*DB)(nil)

// CreateTranslationRequest implements tearline.Translations.
func (db *DB) CreateTranslationRequest(ctx context.Context, r *tearline.TranslationRequest) (err error) {
	defer wrap(&err, "create a translation request of %s", r.ObjectID)
	if r.ObjectID == "" || r.Language == "" || r.RequesterOrg == "" {
		return tearline.Errorf(tearline.EINVALID, "a translation request needs an object, a language and a requester")
	}
	id := r.ID
	if id == "" {
		id = uuid.NewString()
	}
	created := now()
	_, err = db.pool.Exec(ctx, `INSERT INTO translation_requests (id, object, language, note, requester_org, requester_key, note_id, state, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, r.ObjectID, r.Language, r.Note, r.RequesterOrg, r.RequesterKey, r.NoteID,
		tearline.TranslationOpen, created)
	if uniqueViolation(err) != "" {
		return tearline.Errorf(tearline.ECONFLICT, "translation request %s exists", id)
	} else if err != nil {
		return err
	}
	r.ID, r.Created, r.State = id, created, tearline.TranslationOpen
	return nil
}

const translationColumns = `id, object, language, note, requester_org, requester_key, note_id, state, created, answer, answered_by, answered`

// scanTranslation reads a row of translationColumns.
func scanTranslation(row pgx.CollectableRow) (*tearline.TranslationRequest, error) {
	var (
		r        tearline.TranslationRequest
		answered *time.Time
	)
	if err := row.Scan(&r.ID, &r.ObjectID, &r.Language, &r.Note, &r.RequesterOrg, &r.RequesterKey, &r.NoteID, &r.State,
		&r.Created, &r.AnswerID, &r.AnsweredBy, &answered); err != nil {
		return nil, err
	}
	r.Created, r.Answered = r.Created.UTC(), fromNull(answered)
	return &r, nil
}

// FindTranslationRequest implements tearline.Translations.
func (db *DB) FindTranslationRequest(ctx context.Context, id string) (_ *tearline.TranslationRequest, err error) {
	defer wrap(&err, "find translation request %s", id)
	rows, err := db.pool.Query(ctx, `SELECT `+translationColumns+` FROM translation_requests WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanTranslation)
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := db.pool.Query(ctx, `SELECT `+translationColumns+` FROM translation_requests
		WHERE ($1 = '' OR state = $1) AND ($2 = '' OR requester_org = $2) AND ($3 = '' OR object = $3)
		ORDER BY created, id`, f.State, f.RequesterOrg, f.ObjectID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTranslation)
}

// AnswerTranslationRequest implements tearline.Translations.
func (db *DB) AnswerTranslationRequest(ctx context.Context, id, answerID, by string, at time.Time) (_ *tearline.TranslationRequest, err error) {
	defer wrap(&err, "answer translation request %s", id)
	tag, err := db.pool.Exec(ctx, `UPDATE translation_requests SET state = $1, answer = $2, answered_by = $3, answered = $4
		WHERE id = $5 AND state = $6`, tearline.TranslationAnswered, answerID, by, stored(at), id, tearline.TranslationOpen)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 0 {
		if _, err := db.FindTranslationRequest(ctx, id); err != nil {
			return nil, err
		}
		return nil, tearline.Errorf(tearline.ECONFLICT, "translation request %s was answered already", id)
	}
	return db.FindTranslationRequest(ctx, id)
}
