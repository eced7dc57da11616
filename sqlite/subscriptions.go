package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
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
	created := time.Now().UTC().Truncate(time.Microsecond)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM organizations WHERE id = ?`, s.OrgID).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no organization %q", s.OrgID)
		}
		var cursor int64
		if err := tx.QueryRow(`SELECT seq FROM feed_head WHERE one = 1`).Scan(&cursor); err != nil {
			return err
		}
		res, err := tx.Exec(`INSERT INTO subscriptions (`+subscriptionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			s.ID, s.OrgID, s.Name, string(s.Filter), s.WebhookURL, s.WebhookSecret, cursor, micros(created))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ECONFLICT, "subscription id %s is taken", s.ID)
		}
		s.Cursor, s.Created = cursor, created
		return nil
	})
}

// scanSubscription reads one row of subscriptionColumns.
func scanSubscription(row interface{ Scan(...any) error }) (*tearline.Subscription, error) {
	var (
		s       tearline.Subscription
		filter  string
		created int64
	)
	if err := row.Scan(&s.ID, &s.OrgID, &s.Name, &filter, &s.WebhookURL, &s.WebhookSecret, &s.Cursor, &created); err != nil {
		return nil, err
	}
	s.Filter, s.Created = []byte(filter), fromMicros(created)
	return &s, nil
}

// FindSubscription returns a subscription by id. ENOTFOUND when there is
// none.
func (db *DB) FindSubscription(ctx context.Context, id string) (_ *tearline.Subscription, err error) {
	defer wrap(&err, "find subscription %q", id)
	s, err := scanSubscription(db.r.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no subscription %q", id)
	}
	return s, err
}

// ListSubscriptions returns the subscriptions of an organization (all when
// orgID is ""), oldest first.
func (db *DB) ListSubscriptions(ctx context.Context, orgID string) (_ []*tearline.Subscription, err error) {
	defer wrap(&err, "list subscriptions of %q", orgID)
	rows, err := db.r.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions
		WHERE ?1 = '' OR org = ?1 ORDER BY created, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*tearline.Subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// UpdateSubscription replaces the name, filter and webhook of the
// subscription with s.ID, then reads it back into s. ENOTFOUND when there
// is none; EINVALID for an empty filter.
func (db *DB) UpdateSubscription(ctx context.Context, s *tearline.Subscription) (err error) {
	defer wrap(&err, "update subscription %q", s.ID)
	if len(s.Filter) == 0 {
		return tearline.Errorf(tearline.EINVALID, "subscription filter is empty")
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		got, err := scanSubscription(tx.QueryRow(`UPDATE subscriptions SET name = ?, filter = ?, webhook_url = ?, webhook_secret = ?
			WHERE id = ? RETURNING `+subscriptionColumns, s.Name, string(s.Filter), s.WebhookURL, s.WebhookSecret, s.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return tearline.Errorf(tearline.ENOTFOUND, "no subscription %q", s.ID)
		} else if err != nil {
			return err
		}
		*s = *got
		return nil
	})
}

// DeleteSubscription removes a subscription and its dead letters.
// ENOTFOUND when there is none.
func (db *DB) DeleteSubscription(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete subscription %q", id)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM subscriptions WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no subscription %q", id)
		}
		return nil
	})
}

// SaveCursors moves the delivery cursors forward in one transaction;
// smaller values than those stored, and unknown subscriptions, are
// ignored.
func (db *DB) SaveCursors(ctx context.Context, cursors map[string]int64) (err error) {
	defer wrap(&err, "save %d delivery cursors", len(cursors))
	if len(cursors) == 0 {
		return nil
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.Prepare(`UPDATE subscriptions SET cursor = ?2 WHERE id = ?1 AND cursor < ?2`)
		if err != nil {
			return err
		}
		defer st.Close()
		for id, c := range cursors {
			if _, err := st.Exec(id, c); err != nil {
				return err
			}
		}
		return nil
	})
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
	now := time.Now().UTC().Truncate(time.Microsecond)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM subscriptions WHERE id = ?`, d.SubscriptionID).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no subscription %q", d.SubscriptionID)
		}
		var created int64
		err := tx.QueryRow(`INSERT INTO dead_letters (`+deadLetterColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET first_seq = excluded.first_seq, last_seq = excluded.last_seq,
				objects = excluded.objects, attempts = excluded.attempts, last_error = excluded.last_error,
				updated = excluded.updated
			RETURNING created`,
			d.ID, d.SubscriptionID, d.FirstSeq, d.LastSeq, d.Objects, d.Attempts, d.LastError, micros(now), micros(now)).Scan(&created)
		if err != nil {
			return err
		}
		d.Created, d.Updated = fromMicros(created), now
		return nil
	})
}

// DeadLetters returns the dead letters of a subscription, oldest first.
func (db *DB) DeadLetters(ctx context.Context, subscriptionID string) (_ []*tearline.DeadLetter, err error) {
	defer wrap(&err, "list dead letters of subscription %q", subscriptionID)
	rows, err := db.r.QueryContext(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE subscription = ? ORDER BY created, id`, subscriptionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*tearline.DeadLetter
	for rows.Next() {
		var (
			d                tearline.DeadLetter
			created, updated int64
		)
		if err := rows.Scan(&d.ID, &d.SubscriptionID, &d.FirstSeq, &d.LastSeq, &d.Objects, &d.Attempts, &d.LastError,
			&created, &updated); err != nil {
			return nil, err
		}
		d.Created, d.Updated = fromMicros(created), fromMicros(updated)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// DeleteDeadLetter removes a dead letter of a subscription. ENOTFOUND when
// there is none.
func (db *DB) DeleteDeadLetter(ctx context.Context, subscriptionID, id string) (err error) {
	defer wrap(&err, "delete dead letter %q", id)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM dead_letters WHERE id = ? AND subscription = ?`, id, subscriptionID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no dead letter %q of subscription %q", id, subscriptionID)
		}
		return nil
	})
}
