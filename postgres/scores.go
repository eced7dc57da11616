package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
)

var (
	_ tearline.Scores  = (*DB)(nil)
	_ tearline.ScoreTx = (*scoreTx)(nil)
)

// scoreTx is a tearline.ScoreTx in a transaction.
type scoreTx struct {
	ctx context.Context
	tx  pgx.Tx
}

// UpdateScores implements tearline.Scores. A transaction that fails
// because of a concurrent one is run again, fn included.
func (db *DB) UpdateScores(ctx context.Context, fn func(tx tearline.ScoreTx) error) (err error) {
	defer wrap(&err, "update scores")
	return db.inTx(ctx, func(tx pgx.Tx) error { return fn(&scoreTx{ctx, tx}) })
}

// upsertScoreSQL writes one record, unless the store lacks its version.
const upsertScoreSQL = `INSERT INTO object_scores (id, version, org, stated, features, related, half_life,
		reference, valid_until, revoked, sources, sightings, false_positives, warnings, confidence, context, computed)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17
	WHERE EXISTS (SELECT 1 FROM objects WHERE id = $1 AND version = $2)
	ON CONFLICT (id, version) DO UPDATE SET org = excluded.org, stated = excluded.stated,
		features = excluded.features, related = excluded.related, half_life = excluded.half_life,
		reference = excluded.reference, valid_until = excluded.valid_until, revoked = excluded.revoked,
		sources = excluded.sources, sightings = excluded.sightings, false_positives = excluded.false_positives,
		warnings = excluded.warnings, confidence = excluded.confidence, context = excluded.context,
		computed = excluded.computed`

// SaveScores implements tearline.ScoreTx: one statement per record, sent
// as one batch.
func (t *scoreTx) SaveScores(recs []*tearline.ScoreRecord) (err error) {
	defer wrap(&err, "save %d scores", len(recs))
	if len(recs) == 0 {
		return nil
	}
	for i, r := range recs {
		if r.ID == "" {
			return tearline.Errorf(tearline.EINVALID, "score record %d has no object id", i)
		}
	}
	var b pgx.Batch
	for _, r := range recs {
		var warnings any
		if len(r.Warnings) > 0 {
			w, err := json.Marshal(r.Warnings)
			if err != nil {
				return err
			}
			warnings = string(w)
		}
		b.Queue(upsertScoreSQL, r.ID, versionKey(r.Version), r.Org, r.Stated, int64(r.Features), int64(r.Related),
			int64(r.HalfLife/time.Second), nullTime(stored(r.Reference)), nullTime(stored(r.ValidUntil)), r.Revoked,
			r.Sources, r.Sightings, r.FalsePositives, warnings, r.Confidence, r.Context, nullTime(stored(r.Computed)))
	}
	return t.tx.SendBatch(t.ctx, &b).Close()
}

// FindScores implements tearline.Scores.
func (db *DB) FindScores(ctx context.Context, ids []string) (_ []*tearline.ScoreRecord, err error) {
	defer wrap(&err, "find scores of %d objects", len(ids))
	return findScores(ctx, db.pool, ids)
}

// FindScores implements tearline.ScoreTx.
func (t *scoreTx) FindScores(ids []string) (_ []*tearline.ScoreRecord, err error) {
	defer wrap(&err, "find scores of %d objects", len(ids))
	return findScores(t.ctx, t.tx, ids)
}

// querier is what reads run on: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// findScores reads the records of the versions of ids.
func findScores(ctx context.Context, q querier, ids []string) ([]*tearline.ScoreRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT id, version, org, stated, features, related, half_life, reference,
			valid_until, revoked, sources, sightings, false_positives, warnings, confidence, context, computed
		FROM object_scores WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.ScoreRecord, error) {
		var (
			r                               tearline.ScoreRecord
			version                         string
			features, related, halfLife     int64
			reference, validUntil, computed *time.Time
			warnings                        []byte
		)
		err := row.Scan(&r.ID, &version, &r.Org, &r.Stated, &features, &related, &halfLife, &reference, &validUntil,
			&r.Revoked, &r.Sources, &r.Sightings, &r.FalsePositives, &warnings, &r.Confidence, &r.Context, &computed)
		if err != nil {
			return nil, err
		}
		if r.Version, err = parseVersionKey(version); err != nil {
			return nil, err
		}
		if r.Version.Equal(time.Time{}) {
			r.Version = time.Time{}
		}
		r.Features, r.Related = uint32(features), uint32(related)
		r.HalfLife = time.Duration(halfLife) * time.Second
		r.Reference, r.ValidUntil, r.Computed = fromNull(reference), fromNull(validUntil), fromNull(computed)
		if warnings != nil {
			if err := json.Unmarshal(warnings, &r.Warnings); err != nil {
				return nil, err
			}
		}
		return &r, nil
	})
}

// SaveScoreLinks implements tearline.ScoreTx.
func (t *scoreTx) SaveScoreLinks(links []tearline.ScoreLink) (err error) {
	defer wrap(&err, "save %d score links", len(links))
	for i, l := range links {
		if l.Target == "" || l.Source == "" {
			return tearline.Errorf(tearline.EINVALID, "score link %d needs a target and a source", i)
		}
		switch l.Kind {
		case "", tearline.LinkSighting, tearline.LinkFalsePositive, tearline.LinkRelated:
		default:
			return tearline.Errorf(tearline.EINVALID, "score link %d has unknown kind %q", i, l.Kind)
		}
	}
	if len(links) == 0 {
		return nil
	}
	var b pgx.Batch
	for _, l := range links {
		if l.Kind == "" {
			b.Queue(`DELETE FROM score_links WHERE target = $1 AND source = $2`, l.Target, l.Source)
			continue
		}
		b.Queue(`INSERT INTO score_links (target, source, kind, related, time) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (target, source) DO UPDATE SET kind = excluded.kind, related = excluded.related, time = excluded.time`,
			l.Target, l.Source, l.Kind, l.Related, nullTime(stored(l.Time)))
	}
	return t.tx.SendBatch(t.ctx, &b).Close()
}

// ScoreLinks implements tearline.Scores.
func (db *DB) ScoreLinks(ctx context.Context, targets []string) (_ []tearline.ScoreLink, err error) {
	defer wrap(&err, "read score links of %d objects", len(targets))
	return scoreLinks(ctx, db.pool, targets)
}

// ScoreLinks implements tearline.ScoreTx.
func (t *scoreTx) ScoreLinks(targets []string) (_ []tearline.ScoreLink, err error) {
	defer wrap(&err, "read score links of %d objects", len(targets))
	return scoreLinks(t.ctx, t.tx, targets)
}

// scoreLinks reads the links of targets.
func scoreLinks(ctx context.Context, q querier, targets []string) ([]tearline.ScoreLink, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT target, source, kind, related, time FROM score_links
		WHERE target = ANY($1) ORDER BY target, source`, targets)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (tearline.ScoreLink, error) {
		var (
			l tearline.ScoreLink
			t *time.Time
		)
		err := row.Scan(&l.Target, &l.Source, &l.Kind, &l.Related, &t)
		l.Time = fromNull(t)
		return l, err
	})
}
