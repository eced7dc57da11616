package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tearline/tearline"
)

var _ tearline.Feed = (*DB)(nil)

// appendFeed gives the memberships that AddObjects adds to the
// collection with row key collection their feed entries, within its
// transaction: sequence numbers and times follow those in feed_head.
// Writers are serialized, so entries become visible in seq order. The
// entries are written as runs (migration 22): one row for each stretch of
// memberships whose date_added values follow one another, as a batch's
// do, their times being one microsecond apart.
func appendFeed(tx *sql.Tx, collection int64, members []member) error {
	if len(members) == 0 {
		return nil
	}
	var seq, last int64
	if err := tx.QueryRow(`SELECT seq, time FROM feed_head WHERE one = 1`).Scan(&seq, &last); err != nil {
		return fmt.Errorf("read feed head: %w", err)
	}
	now := micros(time.Now())
	for i := 0; i < len(members); {
		n := 1
		for i+n < len(members) && members[i+n].dateAdded == members[i].dateAdded+int64(n) {
			n++
		}
		first := max(now, last+1)
		if _, err := tx.Exec(`INSERT INTO feed (seq, time, collection, date_added, n) VALUES (?, ?, ?, ?, ?)`,
			seq+1, first, collection, members[i].dateAdded, n); err != nil {
			return fmt.Errorf("append to the feed: %w", err)
		}
		seq, last = seq+int64(n), first+int64(n)-1
		i += n
	}
	_, err := tx.Exec(`UPDATE feed_head SET seq = ?, time = ? WHERE one = 1`, seq, last)
	return err
}

// feedSQL reads the feed entries after ?1, up to ?1 + ?2, telling whether
// each version's type is in the JSON array ?3 (true for all when it is
// null), with what the objects table holds (the bytes, created, revoked)
// of those versions whose type is also in the JSON array ?4 (all when it
// is null; the other rows are not read): each run that holds some of
// them, once per membership of those entries that still exists, or once
// with a NULL membership when none does. The run holding entry ?1 is the
// last that starts at or before it.
const feedSQL = `SELECT f.seq, f.n, f.time, f.date_added, c.id, co.date_added, co.id, co.type, co.spec_version, co.version, o.created, o.revoked,
		?3 IS NULL OR co.type IN (SELECT value FROM json_each(?3)),
		o.raw
	FROM feed f
	LEFT JOIN collections c ON c.pk = f.collection
	LEFT JOIN collection_objects co ON co.collection = f.collection
		AND co.date_added BETWEEN f.date_added + max(0, ?1 + 1 - f.seq) AND f.date_added + min(f.n - 1, ?1 + ?2 - f.seq)
	LEFT JOIN objects o ON o.pk = CASE WHEN (?3 IS NULL OR co.type IN (SELECT value FROM json_each(?3)))
		AND (?4 IS NULL OR co.type IN (SELECT value FROM json_each(?4))) THEN co.object END
	WHERE f.seq >= coalesce((SELECT max(seq) FROM feed WHERE seq <= ?1), 0) AND f.seq <= ?1 + ?2
	ORDER BY f.seq, co.date_added`

// feedSpansSQL is feedSQL for a read with spans: of each run it reads
// only the memberships whose type is in the JSON array ?3, with what the
// objects table holds of them, in date_added order; the other entries of
// the run are returned as spans (see spans).
const feedSpansSQL = `SELECT f.seq, f.n, f.time, f.date_added, c.id, co.date_added, co.id, co.type, co.spec_version, co.version, o.created, o.revoked,
		1, o.raw
	FROM feed f
	LEFT JOIN collections c ON c.pk = f.collection
	LEFT JOIN collection_objects co ON co.collection = f.collection AND co.type IN (SELECT value FROM json_each(?3))
		AND co.date_added BETWEEN f.date_added + max(0, ?1 + 1 - f.seq) AND f.date_added + min(f.n - 1, ?1 + ?2 - f.seq)
	LEFT JOIN objects o ON o.pk = co.object
	WHERE f.seq >= coalesce((SELECT max(seq) FROM feed WHERE seq <= ?1), 0) AND f.seq <= ?1 + ?2
	ORDER BY f.seq, co.date_added`

// ReadFeed returns the feed entries after q.After, in sequence order,
// examining at most q.Limit of them. EINVALID for a negative After.
func (db *DB) ReadFeed(ctx context.Context, q tearline.FeedQuery) (_ *tearline.FeedPage, err error) {
	defer wrap(&err, "read the feed after %d", q.After)
	if q.After < 0 {
		return nil, tearline.Errorf(tearline.EINVALID, "negative feed cursor %d", q.After)
	}
	limit := q.Limit
	if limit <= 0 || limit > tearline.MaxFeedPage {
		limit = tearline.MaxFeedPage
	}
	var types, rawTypes any
	if len(q.Types) > 0 {
		b, err := json.Marshal(q.Types)
		if err != nil {
			return nil, err
		}
		types = string(b)
	}
	if q.Bare {
		b, err := json.Marshal(append([]string{}, q.RawTypes...))
		if err != nil {
			return nil, err
		}
		rawTypes = string(b)
	}
	query, spans := feedSQL, q.Bare && q.Spans && types == nil
	if spans {
		query, types = feedSpansSQL, rawTypes
	}
	page := &tearline.FeedPage{Last: q.After}
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, q.After, limit, types, rawTypes)
		if err != nil {
			return err
		}
		defer rows.Close()
		// With spans, covered is the last entry returned or spanned, and
		// run the run being read: its entries up to end not returned are
		// spanned when the next run starts.
		var (
			covered = q.After
			run     struct {
				seq, end, at, added int64
				collection          sql.NullString
			}
		)
		span := func(upTo int64) {
			if upTo <= covered {
				return
			}
			if !run.collection.Valid { // the collection is gone
				covered = upTo
				return
			}
			k := upTo - run.seq
			page.Entries = append(page.Entries, &tearline.FeedEntry{Seq: upTo, Time: fromMicros(run.at + k),
				CollectionID: run.collection.String, Entry: tearline.Entry{DateAdded: fromMicros(run.added + k)}})
			covered = upTo
		}
		for rows.Next() {
			var (
				e                       tearline.FeedEntry
				seq, n, at, runAdded    int64
				dateAdded               sql.NullInt64
				collection, id, typ, sv sql.NullString
				version, created        sql.NullString
				revoked, wanted         sql.NullBool
				raw                     []byte
			)
			if err := rows.Scan(&seq, &n, &at, &runAdded, &collection, &dateAdded, &id, &typ, &sv, &version, &created, &revoked, &wanted, &raw); err != nil {
				return err
			}
			// The run's entries examined end at its last one or the page's.
			end := min(seq+n-1, q.After+int64(limit))
			if end > page.Last {
				page.Last = end
			}
			if spans && seq != run.seq {
				span(run.end)
				run.seq, run.end, run.at, run.added, run.collection = seq, end, at, runAdded, collection
			}
			if !id.Valid || !wanted.Bool || (raw == nil && !q.Bare) {
				continue // deleted, or not of the types asked for
			}
			k := dateAdded.Int64 - runAdded
			if spans {
				span(seq + k - 1)
				covered = seq + k
			}
			e.Seq = seq + k
			e.Time, e.CollectionID, e.DateAdded = fromMicros(at+k), collection.String, fromMicros(dateAdded.Int64)
			e.ID, e.Type, e.SpecVersion, e.Revoked, e.Raw = id.String, typ.String, sv.String, revoked.Bool, raw
			if e.Version, err = parseVersionKey(version.String); err != nil {
				return fmt.Errorf("%s: version: %w", e.ID, err)
			}
			if created.Valid {
				if e.Created, err = parseVersionKey(created.String); err != nil {
					return fmt.Errorf("%s: created: %w", e.ID, err)
				}
			}
			page.Entries = append(page.Entries, &e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if spans {
			span(run.end)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// FeedHead returns the last sequence number assigned, 0 for none.
func (db *DB) FeedHead(ctx context.Context) (seq int64, err error) {
	defer wrap(&err, "read the feed head")
	err = db.r.QueryRowContext(ctx, `SELECT seq FROM feed_head WHERE one = 1`).Scan(&seq)
	return seq, err
}

// FeedSeqAt returns the highest sequence number whose time is not after
// t, 0 when there is none.
func (db *DB) FeedSeqAt(ctx context.Context, t time.Time) (seq int64, err error) {
	defer wrap(&err, "find the feed position at %v", t)
	// The run holding it is the last that starts at or before t (times
	// grow with seq); its entries are one microsecond apart.
	err = db.r.QueryRowContext(ctx, `SELECT coalesce((SELECT seq + min(n - 1, ?1 - time) FROM feed WHERE time <= ?1
		ORDER BY time DESC LIMIT 1), 0)`, micros(t)).Scan(&seq)
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
	want := make(map[string]bool, len(ids))
	hashes := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !want[id] {
			want[id] = true
			hashes = append(hashes, idHash(id))
		}
	}
	hj, err := json.Marshal(hashes)
	if err != nil {
		return nil, err
	}
	// The submitting organization stands in for a missing created_by_ref:
	// as scoring records it, else as the feedback record has it (sightings,
	// opinions, notes, language content, from every ingest path), else the
	// partner whose submission first stored it (relationships too).
	rows, err := db.r.QueryContext(ctx, `SELECT o.id, o.version, COALESCE(
			NULLIF(json_extract(CAST(o.raw AS TEXT), '$.created_by_ref'), ''),
			NULLIF(json_extract(s.record, '$.org'), ''),
			(SELECT f.org FROM feedback f WHERE f.object = o.id AND f.org <> '' LIMIT 1),
			(SELECT sb.org FROM submissions sb WHERE sb.id IN (
				SELECT so.submission FROM objects v JOIN submission_objects so ON so.object_pk = v.pk
				WHERE v.pk IN (SELECT pk FROM object_keys WHERE idh = o.idh) AND v.id = o.id AND so.object_pk <> 0
				UNION ALL SELECT submission FROM submission_objects WHERE object_pk = 0 AND idh = o.idh AND object = o.id)
				ORDER BY sb.received LIMIT 1))
		FROM objects o LEFT JOIN object_scores s ON s.object = o.pk
		WHERE o.pk IN (SELECT pk FROM object_keys WHERE idh IN (SELECT value FROM json_each(?))) ORDER BY o.id, o.version`, string(hj))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, version string
			creator     sql.NullString
		)
		if err := rows.Scan(&id, &version, &creator); err != nil {
			return nil, err
		}
		if want[id] {
			out[id] = creator.String // the last row of an id is its latest version
		}
	}
	return out, rows.Err()
}
