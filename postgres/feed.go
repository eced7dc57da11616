package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tearline/tearline"
)

var _ tearline.Feed = (*DB)(nil)

// The feed is numbered after commit by a sequencer; see
// migrations/00006_feed.sql for why and how.

// pendFeed records the memberships that an AddObjects transaction adds
// to the collection with row key collection, for the sequencer, and
// returns the highest pending id it drew. It runs under the collection's
// lock, after the memberships are written, so that within a collection
// pending ids follow date_added.
func pendFeed(ctx context.Context, tx pgx.Tx, collection int64, dates []time.Time) (int64, error) {
	if len(dates) == 0 {
		return 0, nil
	}
	var last int64
	err := tx.QueryRow(ctx, `WITH ins AS (
			INSERT INTO feed_pending (collection, date_added) SELECT $1, d FROM unnest($2::timestamptz[]) WITH ORDINALITY AS u (d, n)
			ORDER BY n RETURNING id)
		SELECT max(id) FROM ins`, collection, dates).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("record feed entries: %w", err)
	}
	return last, nil
}

// sequenceBatch bounds the pending rows one sequencer transaction moves.
const sequenceBatch = 10000

// errNothingPending rolls back a sequencer transaction that found nothing
// to do: a rollback is not flushed to disk, a commit would be.
var errNothingPending = errors.New("nothing pending")

// sequence gives feed numbers to every committed pending row, if any
// pending row has an id up to upTo (the caller's own rows); when none
// does, another node numbered them already and it returns at once. The
// numbers follow the head, in pending id order; times are the database
// clock, or the last time plus a microsecond when the clock is behind it.
func (db *DB) sequence(ctx context.Context, upTo int64) (err error) {
	defer wrap(&err, "number the feed")
	var pending bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM feed_pending WHERE id <= $1)`, upTo).Scan(&pending); err != nil {
		return err
	}
	for pending {
		moved := 0
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			var (
				seq         int64
				last        *time.Time
				clock       time.Time
				id, col     int64
				dateAdded   time.Time
				rows        []pendingRow
				headLocked  bool
				stillNeeded bool
			)
			b := &pgx.Batch{}
			b.Queue(`SELECT seq, time, clock_timestamp() FROM feed_head WHERE one = 1 FOR UPDATE`).QueryRow(func(row pgx.Row) error {
				headLocked = true
				return row.Scan(&seq, &last, &clock)
			})
			b.Queue(`SELECT EXISTS (SELECT 1 FROM feed_pending WHERE id <= $1)`, upTo).QueryRow(func(row pgx.Row) error {
				return row.Scan(&stillNeeded)
			})
			b.Queue(`DELETE FROM feed_pending WHERE id IN (SELECT id FROM feed_pending ORDER BY id LIMIT $1)
				RETURNING id, collection, date_added`, sequenceBatch).Query(func(r pgx.Rows) error {
				_, err := pgx.ForEachRow(r, []any{&id, &col, &dateAdded}, func() error {
					rows = append(rows, pendingRow{id, col, dateAdded})
					return nil
				})
				return err
			})
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
			if !headLocked {
				return errors.New("the feed head row is missing")
			}
			if !stillNeeded || len(rows) == 0 {
				pending = false
				return errNothingPending
			}
			slices.SortFunc(rows, func(a, b pendingRow) int { return cmp.Compare(a.id, b.id) })
			t := fromNull(last)
			clock = stored(clock)
			entries := make([][]any, len(rows))
			for i, r := range rows {
				if t.Before(clock) {
					t = clock
				} else {
					t = t.Add(time.Microsecond)
				}
				seq++
				entries[i] = []any{seq, t, r.collection, r.dateAdded}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"feed"}, []string{"seq", "time", "collection", "date_added"},
				pgx.CopyFromRows(entries)); err != nil {
				return fmt.Errorf("copy feed entries: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE feed_head SET seq = $1, time = $2 WHERE one = 1`, seq, t); err != nil {
				return err
			}
			pending = len(rows) == sequenceBatch
			moved = len(rows)
			return nil
		})
		if err != nil && !errors.Is(err, errNothingPending) {
			return err
		}
		if err == nil {
			db.vacuum.deleted(db.pool, moved)
		}
	}
	return nil
}

// feedVacuumEvery is how many pending rows the sequencer deletes between
// two vacuums of feed_pending when the server's autovacuum is off. A
// vacuum every 50,000 rows made the ingest rate dip by half now and then;
// every 250,000 kept it level (bench/README.md, session 9).
const feedVacuumEvery = 250000

// feedVacuum vacuums feed_pending, the queue table that every add inserts
// into and the sequencer empties, once every feedVacuumEvery deleted rows,
// when the server's autovacuum is off. Without it the dead rows pile up,
// and every sequencer query walks past them: at 7.2 million dead rows
// ingest took 658 µs of CPU per object, against 203 µs right after a
// VACUUM (bench/README.md). One VACUUM runs at a time per DB, in the
// background, without truncating the table (which takes an exclusive
// lock, and the queue grows back at once); a failure (a
// PostgreSQL-compatible database without VACUUM, say) is logged once and
// stops them.
type feedVacuum struct {
	every  int64 // 0: never (autovacuum is on)
	count  atomic.Int64
	failed atomic.Bool
	mu     sync.Mutex // guards running and closed
	// running is set while a VACUUM runs; closed once close was called.
	running, closed bool
	wg              sync.WaitGroup
}

// close waits for a VACUUM in progress and starts no more.
func (v *feedVacuum) close() {
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
	v.wg.Wait()
}

// deleted counts n rows deleted by the sequencer and starts a VACUUM
// when due.
func (v *feedVacuum) deleted(pool *pgxpool.Pool, n int) {
	if v.every == 0 || v.failed.Load() || v.count.Add(int64(n)) < v.every {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.running || v.closed {
		return
	}
	v.running = true
	v.count.Store(0)
	v.wg.Go(func() {
		defer func() {
			v.mu.Lock()
			v.running = false
			v.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := pool.Exec(ctx, `VACUUM (TRUNCATE false) feed_pending`); err != nil && !v.failed.Swap(true) {
			slog.Warn("postgres: vacuum feed_pending; with autovacuum off it slows ingest as it grows", "err", err)
		}
	})
}

// pendingRow is a row of feed_pending.
type pendingRow struct {
	id, collection int64
	dateAdded      time.Time
}

// feedSQL reads the feed after $1, at most $2 rows, telling whether each
// version's type is in $3 (true for all when it is NULL), with what the
// objects table holds (the bytes, created, revoked) of those versions
// whose type is also in $4 (all when it is NULL). A row whose membership
// is gone has a NULL id.
const feedSQL = `SELECT f.seq, f.time, c.id, f.date_added, co.id, co.type, co.spec_version, co.version, o.created, o.revoked,
		$3::text[] IS NULL OR co.type = ANY ($3::text[]),
		o.raw
	FROM (SELECT seq, time, collection, date_added FROM feed WHERE seq > $1 ORDER BY seq LIMIT $2) f
	LEFT JOIN collections c ON c.pk = f.collection
	LEFT JOIN collection_objects co ON co.collection = f.collection AND co.date_added = f.date_added
	LEFT JOIN objects o ON o.id = co.id AND o.version = co.version
		AND ($3::text[] IS NULL OR co.type = ANY ($3::text[]))
		AND ($4::text[] IS NULL OR co.type = ANY ($4::text[]))
	ORDER BY f.seq`

// ReadFeed returns the feed entries after q.After, in sequence order,
// examining at most q.Limit of them. It first numbers pending rows, if
// any (see sequence). EINVALID for a negative After.
func (db *DB) ReadFeed(ctx context.Context, q tearline.FeedQuery) (_ *tearline.FeedPage, err error) {
	if q.After < 0 {
		return nil, tearline.Errorf(tearline.EINVALID, "negative feed cursor %d", q.After)
	}
	if err := db.sequence(ctx, math.MaxInt64); err != nil {
		return nil, err
	}
	defer wrap(&err, "read the feed after %d", q.After)
	limit := q.Limit
	if limit <= 0 || limit > tearline.MaxFeedPage {
		limit = tearline.MaxFeedPage
	}
	var types []string
	if len(q.Types) > 0 {
		types = q.Types
	}
	var rawTypes []string // NULL: every version's bytes
	if q.Bare {
		rawTypes = append([]string{}, q.RawTypes...)
	}
	rows, err := db.pool.Query(ctx, feedSQL, q.After, limit, types, rawTypes)
	if err != nil {
		return nil, err
	}
	page := &tearline.FeedPage{Last: q.After}
	var (
		seq                              int64
		at, dateAdded                    time.Time
		collection, id, typ, sv, version *string
		created                          *string
		revoked, wanted                  *bool
		raw                              []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&seq, &at, &collection, &dateAdded, &id, &typ, &sv, &version, &created, &revoked, &wanted, &raw}, func() error {
		page.Last = seq
		if id == nil || wanted == nil || !*wanted || (raw == nil && !q.Bare) || collection == nil {
			return nil // deleted, or not of the types asked for
		}
		e := &tearline.FeedEntry{Seq: seq, Time: at.UTC(), CollectionID: *collection}
		e.DateAdded = dateAdded.UTC()
		e.ID, e.Type, e.SpecVersion, e.Revoked = *id, *typ, *sv, revoked != nil && *revoked
		e.Raw = slices.Clone(raw)
		var err error
		if e.Version, err = parseVersionKey(*version); err != nil {
			return fmt.Errorf("%s: version: %w", e.ID, err)
		}
		if created != nil {
			if e.Created, err = parseVersionKey(*created); err != nil {
				return fmt.Errorf("%s: created: %w", e.ID, err)
			}
		}
		page.Entries = append(page.Entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// FeedHead returns the last sequence number given, 0 for none.
func (db *DB) FeedHead(ctx context.Context) (seq int64, err error) {
	defer wrap(&err, "read the feed head")
	err = db.pool.QueryRow(ctx, `SELECT seq FROM feed_head WHERE one = 1`).Scan(&seq)
	return seq, err
}

// FeedSeqAt returns the highest sequence number whose time is not after
// t, 0 when there is none.
func (db *DB) FeedSeqAt(ctx context.Context, t time.Time) (seq int64, err error) {
	defer wrap(&err, "find the feed position at %v", t)
	err = db.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM feed WHERE time <= $1`, t).Scan(&seq)
	return seq, err
}

// ObjectCreators returns the created_by_ref of the latest stored version
// of each of ids the store holds, else the organization that submitted it
// ("" when neither is known; see tearline.Feed).
func (db *DB) ObjectCreators(ctx context.Context, ids []string) (_ map[string]string, err error) {
	defer wrap(&err, "look up the creators of %d objects", len(ids))
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	// The submitting organization stands in for a missing created_by_ref:
	// as scoring records it, else as the feedback record has it (sightings,
	// opinions, notes, language content, from every ingest path), else the
	// partner whose submission first stored it (relationships too).
	rows, err := db.pool.Query(ctx, `SELECT o.id, o.raw, COALESCE(
			NULLIF((SELECT s.org FROM object_scores s WHERE s.id = o.id AND s.version = o.version), ''),
			(SELECT f.org FROM feedback f WHERE f.object = o.id AND f.org <> '' LIMIT 1),
			(SELECT sb.org FROM submission_objects so JOIN submissions sb ON sb.id = so.submission
				WHERE so.object = o.id ORDER BY sb.received LIMIT 1),
			'')
		FROM (SELECT DISTINCT id FROM unnest($1::text[]) AS b (id)) b
		CROSS JOIN LATERAL (SELECT id, version, raw FROM objects WHERE id = b.id ORDER BY version DESC LIMIT 1) o`, ids)
	if err != nil {
		return nil, err
	}
	var (
		id, org string
		raw     []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &raw, &org}, func() error {
		var o struct {
			CreatedByRef string `json:"created_by_ref"`
		}
		_ = json.Unmarshal(raw, &o) // stored objects are valid JSON; anything else has no creator
		out[id] = o.CreatedByRef
		if out[id] == "" {
			out[id] = org
		}
		return nil
	})
	return out, err
}
