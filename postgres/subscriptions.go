package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

var _ tearline.Subscriptions = (*DB)(nil)

const subscriptionColumns = `id, org, name, filter, webhook_url, webhook_secret, cursor, created`

// CreateSubscription stores s, filling an empty s.ID with a new UUID,
// s.Created and s.Cursor, which starts at the head of the feed. EINVALID
// for an empty organization or filter; ENOTFOUND for an unknown
// organization; ECONFLICT for a taken id.
func (db *DB) CreateSubscription(ctx context.Context, s *tearline.Subscription) (err error) {
	defer wrap(&err, "create subscription %q", s.Name)
	switch {
	case s.OrgID == "":
		return tearline.Errorf(tearline.EINVALID, "subscription organization is empty")
	case len(s.Filter) == 0:
		return tearline.Errorf(tearline.EINVALID, "subscription filter is empty")
	}
	if s.ID == "" {
		s.ID = uuid.NewString()
	}
	created := now()
	var (
		inserted bool
		orgFound bool
		cursor   int64
	)
	err = db.pool.QueryRow(ctx, `WITH org AS (SELECT id FROM organizations WHERE id = $2),
			ins AS (INSERT INTO subscriptions (`+subscriptionColumns+`)
				SELECT $1, org.id, $3, $4, $5, $6, (SELECT seq FROM feed_head WHERE one = 1), $7 FROM org
				ON CONFLICT (id) DO NOTHING RETURNING cursor)
		SELECT EXISTS (SELECT 1 FROM org), EXISTS (SELECT 1 FROM ins), coalesce((SELECT cursor FROM ins), 0)`,
		s.ID, s.OrgID, s.Name, string(s.Filter), s.WebhookURL, s.WebhookSecret, created).Scan(&orgFound, &inserted, &cursor)
	switch {
	case err != nil:
		return err
	case !orgFound:
		return tearline.Errorf(tearline.ENOTFOUND, "no organization %q", s.OrgID)
	case !inserted:
		return tearline.Errorf(tearline.ECONFLICT, "subscription id %s is taken", s.ID)
	}
	s.Cursor, s.Created = cursor, created
	return nil
}

// scanSubscription reads one row of subscriptionColumns.
func scanSubscription(row pgx.Row) (*tearline.Subscription, error) {
	var (
		s      tearline.Subscription
		filter string
	)
	if err := row.Scan(&s.ID, &s.OrgID, &s.Name, &filter, &s.WebhookURL, &s.WebhookSecret, &s.Cursor, &s.Created); err != nil {
		return nil, err
	}
	s.Filter, s.Created = []byte(filter), s.Created.UTC()
	return &s, nil
}

// FindSubscription returns a subscription by id. ENOTFOUND when there is
// none.
func (db *DB) FindSubscription(ctx context.Context, id string) (_ *tearline.Subscription, err error) {
	defer wrap(&err, "find subscription %q", id)
	s, err := scanSubscription(db.pool.QueryRow(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no subscription %q", id)
	}
	return s, err
}

// ListSubscriptions returns the subscriptions of an organization (all when
// orgID is ""), oldest first.
func (db *DB) ListSubscriptions(ctx context.Context, orgID string) (_ []*tearline.Subscription, err error) {
	defer wrap(&err, "list subscriptions of %q", orgID)
	rows, err := db.pool.Query(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions
		WHERE $1 = '' OR org = $1 ORDER BY created, id`, orgID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Subscription, error) { return scanSubscription(row) })
}

// UpdateSubscription replaces the name, filter and webhook of the
// subscription with s.ID, then reads it back into s. ENOTFOUND when there
// is none; EINVALID for an empty filter.
func (db *DB) UpdateSubscription(ctx context.Context, s *tearline.Subscription) (err error) {
	defer wrap(&err, "update subscription %q", s.ID)
	if len(s.Filter) == 0 {
		return tearline.Errorf(tearline.EINVALID, "subscription filter is empty")
	}
	got, err := scanSubscription(db.pool.QueryRow(ctx, `UPDATE subscriptions
		SET name = $2, filter = $3, webhook_url = $4, webhook_secret = $5 WHERE id = $1 RETURNING `+subscriptionColumns,
		s.ID, s.Name, string(s.Filter), s.WebhookURL, s.WebhookSecret))
	if errors.Is(err, pgx.ErrNoRows) {
		return tearline.Errorf(tearline.ENOTFOUND, "no subscription %q", s.ID)
	} else if err != nil {
		return err
	}
	*s = *got
	return nil
}

// DeleteSubscription removes a subscription and its dead letters.
// ENOTFOUND when there is none.
func (db *DB) DeleteSubscription(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete subscription %q", id)
	tag, err := db.pool.Exec(ctx, `DELETE FROM subscriptions WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tearline.Errorf(tearline.ENOTFOUND, "no subscription %q", id)
	}
	return nil
}

// SaveCursors moves the delivery cursors forward in one statement;
// smaller values than those stored, and unknown subscriptions, are
// ignored.
func (db *DB) SaveCursors(ctx context.Context, cursors map[string]int64) (err error) {
	defer wrap(&err, "save %d delivery cursors", len(cursors))
	if len(cursors) == 0 {
		return nil
	}
	ids := make([]string, 0, len(cursors))
	seqs := make([]int64, 0, len(cursors))
	for id, c := range cursors {
		ids, seqs = append(ids, id), append(seqs, c)
	}
	_, err = db.pool.Exec(ctx, `UPDATE subscriptions s SET cursor = u.cursor
		FROM unnest($1::text[], $2::bigint[]) AS u (id, cursor) WHERE s.id = u.id AND s.cursor < u.cursor`, ids, seqs)
	return err
}

const deadLetterColumns = `id, subscription, first_seq, last_seq, objects, attempts, last_error, created, updated`

// SaveDeadLetter stores or replaces d, filling an empty d.ID with a new
// UUID, d.Created for a new dead letter, and d.Updated. ENOTFOUND for an
// unknown subscription.
func (db *DB) SaveDeadLetter(ctx context.Context, d *tearline.DeadLetter) (err error) {
	defer wrap(&err, "save dead letter of subscription %q", d.SubscriptionID)
	if d.ID == "" {
		d.ID = uuid.NewString()
	}
	updated := now()
	var created time.Time
	err = db.pool.QueryRow(ctx, `INSERT INTO dead_letters (`+deadLetterColumns+`)
		SELECT $1, id, $3, $4, $5, $6, $7, $8, $8 FROM subscriptions WHERE id = $2
		ON CONFLICT (id) DO UPDATE SET first_seq = excluded.first_seq, last_seq = excluded.last_seq,
			objects = excluded.objects, attempts = excluded.attempts, last_error = excluded.last_error,
			updated = excluded.updated
		RETURNING created`,
		d.ID, d.SubscriptionID, d.FirstSeq, d.LastSeq, d.Objects, d.Attempts, d.LastError, updated).Scan(&created)
	if errors.Is(err, pgx.ErrNoRows) {
		return tearline.Errorf(tearline.ENOTFOUND, "no subscription %q", d.SubscriptionID)
	} else if err != nil {
		return err
	}
	d.Created, d.Updated = created.UTC(), updated
	return nil
}

// DeadLetters returns the dead letters of a subscription, oldest first.
func (db *DB) DeadLetters(ctx context.Context, subscriptionID string) (_ []*tearline.DeadLetter, err error) {
	defer wrap(&err, "list dead letters of subscription %q", subscriptionID)
	rows, err := db.pool.Query(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE subscription = $1 ORDER BY created, id`, subscriptionID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.DeadLetter, error) {
		var d tearline.DeadLetter
		if err := row.Scan(&d.ID, &d.SubscriptionID, &d.FirstSeq, &d.LastSeq, &d.Objects, &d.Attempts, &d.LastError,
			&d.Created, &d.Updated); err != nil {
			return nil, err
		}
		d.Created, d.Updated = d.Created.UTC(), d.Updated.UTC()
		return &d, nil
	})
}

// DeleteDeadLetter removes a dead letter of a subscription. ENOTFOUND when
// there is none.
func (db *DB) DeleteDeadLetter(ctx context.Context, subscriptionID, id string) (err error) {
	defer wrap(&err, "delete dead letter %q", id)
	tag, err := db.pool.Exec(ctx, `DELETE FROM dead_letters WHERE id = $1 AND subscription = $2`, id, subscriptionID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tearline.Errorf(tearline.ENOTFOUND, "no dead letter %q of subscription %q", id, subscriptionID)
	}
	return nil
}
