package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/tearline/tearline"
)

var (
	_ tearline.Scores  = (*DB)(nil)
	_ tearline.ScoreTx = (*scoreTx)(nil)
)

// scoreTx is a tearline.ScoreTx on the writer connection, whose page
// cache holds what the submission just wrote (a reader's cache is
// dropped whenever the WAL has grown).
type scoreTx struct {
	ctx context.Context
	tx  *sql.Tx
	// known, when not nil, is the adder of the batch written in tx
	// (WriteBatch): it knows the row keys of the batch's versions.
	known *adder
}

// batchTx implements tearline.BatchTx.
type batchTx struct {
	scoreTx
	db *DB
	// fresh are the sources of the values that RecordObservables added
	// to the index, by index key: all that the index holds of them, so
	// that ObservableSources needs no query for them.
	fresh map[string][]tearline.ObservableSource
}

// RecordObservables implements tearline.BatchTx.
func (t *batchTx) RecordObservables(refs []tearline.ObservableRef) (err error) {
	defer wrap(&err, "record %d observables", len(refs))
	keys, err := observableKeys(refs)
	if err != nil {
		return err
	}
	// A second call may add sources to values the first one added.
	t.fresh = nil
	t.fresh, err = recordObservables(t.tx, t.known, refs, keys)
	return err
}

// ObservableSources implements tearline.ScoreTx, answering for the values
// RecordObservables added without a query.
func (t *batchTx) ObservableSources(values []tearline.ObservableValue) ([][]tearline.ObservableSource, error) {
	if len(t.fresh) == 0 {
		return t.scoreTx.ObservableSources(values)
	}
	out := make([][]tearline.ObservableSource, len(values))
	var (
		rest []tearline.ObservableValue
		at   []int
		buf  []byte
		err  error
	)
	for i, v := range values {
		if buf, err = observableKey(buf[:0], v.Kind, v.Value); err == nil {
			if srcs, ok := t.fresh[string(buf)]; ok {
				out[i] = slices.Clone(srcs)
				continue
			}
		}
		rest = append(rest, v)
		at = append(at, i)
	}
	if len(rest) == 0 {
		return out, nil
	}
	more, err := t.scoreTx.ObservableSources(rest)
	if err != nil {
		return nil, err
	}
	for j, srcs := range more {
		out[at[j]] = srcs
	}
	return out, nil
}

// UpdateScores implements tearline.Scores.
func (db *DB) UpdateScores(ctx context.Context, fn func(tx tearline.ScoreTx) error) (err error) {
	defer wrap(&err, "update scores")
	return db.writeTx(ctx, func(tx *sql.Tx) error { return fn(&scoreTx{ctx: ctx, tx: tx}) })
}

// querier is what reads run on: the reader pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scoreData is the part of a score record that object_scores keeps as
// JSON in its record column. Times are microseconds since the epoch,
// the half-life is in seconds; zero values are left out.
type scoreData struct {
	Org            string                `json:"org,omitempty"`
	Stated         int                   `json:"stated"`
	Features       uint32                `json:"features,omitzero"`
	Related        uint32                `json:"related,omitzero"`
	HalfLife       int64                 `json:"half_life,omitzero"`
	Reference      int64                 `json:"reference,omitzero"`
	ValidUntil     int64                 `json:"valid_until,omitzero"`
	Revoked        bool                  `json:"revoked,omitzero"`
	Sources        int                   `json:"sources,omitzero"`
	Sightings      int                   `json:"sightings,omitzero"`
	FalsePositives int                   `json:"false_positives,omitzero"`
	Warnings       []tearline.WarningHit `json:"warnings,omitempty"`
	Computed       int64                 `json:"computed,omitzero"`
}

// SaveScores implements tearline.ScoreTx.
func (t *scoreTx) SaveScores(recs []*tearline.ScoreRecord) (err error) {
	defer wrap(&err, "save %d scores", len(recs))
	if len(recs) == 0 {
		return nil
	}
	refs := make([]tearline.ObservableRef, len(recs))
	for i, r := range recs {
		if r.ID == "" {
			return tearline.Errorf(tearline.EINVALID, "score record %d has no object id", i)
		}
		refs[i] = tearline.ObservableRef{ObjectID: r.ID, Version: r.Version}
	}
	pks, err := versionPKs(t.tx, t.known, refs)
	if err != nil {
		return err
	}
	type row struct {
		pk     int64
		rec    *tearline.ScoreRecord
		record string
	}
	rows := make([]row, 0, len(recs))
	for _, r := range recs {
		pk, ok := pks[versionRef{r.ID, versionKey(r.Version)}]
		if !ok {
			continue
		}
		b, err := json.Marshal(scoreData{
			Org: r.Org, Stated: r.Stated, Features: r.Features, Related: r.Related,
			HalfLife: int64(r.HalfLife / time.Second), Reference: optMicros(r.Reference), ValidUntil: optMicros(r.ValidUntil),
			Revoked: r.Revoked, Sources: r.Sources, Sightings: r.Sightings, FalsePositives: r.FalsePositives,
			Warnings: r.Warnings, Computed: optMicros(r.Computed),
		})
		if err != nil {
			return err
		}
		rows = append(rows, row{pk, r, string(b)})
	}
	return execRows(t.tx, `INSERT OR REPLACE INTO object_scores (object, confidence, context, record) VALUES `,
		`(?, ?, ?, ?)`, ``, len(rows), func(args []any, i int) []any {
			return append(args, rows[i].pk, rows[i].rec.Confidence, rows[i].rec.Context, rows[i].record)
		})
}

// FindScores implements tearline.Scores.
func (db *DB) FindScores(ctx context.Context, ids []string) (_ []*tearline.ScoreRecord, err error) {
	defer wrap(&err, "find scores of %d objects", len(ids))
	return findScores(ctx, db.r, ids)
}

// FindScores implements tearline.ScoreTx.
func (t *scoreTx) FindScores(ids []string) (_ []*tearline.ScoreRecord, err error) {
	defer wrap(&err, "find scores of %d objects", len(ids))
	return findScores(t.ctx, t.tx, ids)
}

// findScores reads the records of the versions of ids.
func findScores(ctx context.Context, q querier, ids []string) ([]*tearline.ScoreRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	want := make(map[string]bool, len(ids))
	hashes := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !want[id] {
			want[id] = true
			hashes = append(hashes, idHash(id))
		}
	}
	hashesJSON, err := json.Marshal(hashes)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT o.id, o.version, s.confidence, s.context, s.record
		FROM objects o JOIN object_scores s ON s.object = o.pk
		WHERE o.pk IN (SELECT pk FROM object_keys WHERE idh IN (SELECT value FROM json_each(?)))`, string(hashesJSON))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*tearline.ScoreRecord
	for rows.Next() {
		r, err := scanScore(rows)
		if err != nil {
			return nil, err
		}
		if want[r.ID] {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

// scanScore reads an object id and version, and the score columns.
func scanScore(rows *sql.Rows) (*tearline.ScoreRecord, error) {
	var (
		r       tearline.ScoreRecord
		version string
		record  []byte
		d       scoreData
	)
	if err := rows.Scan(&r.ID, &version, &r.Confidence, &r.Context, &record); err != nil {
		return nil, err
	}
	var err error
	if r.Version, err = parseVersionKey(version); err != nil {
		return nil, err
	}
	if r.Version.Equal(time.Time{}) {
		r.Version = time.Time{}
	}
	if err := json.Unmarshal(record, &d); err != nil {
		return nil, fmt.Errorf("score record of %s: %w", r.ID, err)
	}
	r.Org, r.Stated, r.Features, r.Related = d.Org, d.Stated, d.Features, d.Related
	r.HalfLife = time.Duration(d.HalfLife) * time.Second
	r.Reference, r.ValidUntil, r.Computed = optTime(d.Reference), optTime(d.ValidUntil), optTime(d.Computed)
	r.Revoked, r.Sources, r.Sightings, r.FalsePositives = d.Revoked, d.Sources, d.Sightings, d.FalsePositives
	r.Warnings = d.Warnings
	return &r, nil
}

// validLink checks a link for SaveScoreLinks.
func validLink(i int, l tearline.ScoreLink) error {
	if l.Target == "" || l.Source == "" {
		return tearline.Errorf(tearline.EINVALID, "score link %d needs a target and a source", i)
	}
	switch l.Kind {
	case "", tearline.LinkSighting, tearline.LinkFalsePositive, tearline.LinkRelated:
		return nil
	}
	return tearline.Errorf(tearline.EINVALID, "score link %d has unknown kind %q", i, l.Kind)
}

// SaveScoreLinks implements tearline.ScoreTx.
func (t *scoreTx) SaveScoreLinks(links []tearline.ScoreLink) (err error) {
	defer wrap(&err, "save %d score links", len(links))
	var keep, drop []tearline.ScoreLink
	for i, l := range links {
		if err := validLink(i, l); err != nil {
			return err
		}
		if l.Kind == "" {
			drop = append(drop, l)
		} else {
			keep = append(keep, l)
		}
	}
	for _, l := range drop {
		if _, err := t.tx.Exec(`DELETE FROM score_links WHERE target = ? AND source = ?`, l.Target, l.Source); err != nil {
			return err
		}
	}
	return execRows(t.tx, `INSERT OR REPLACE INTO score_links (target, source, kind, related, time) VALUES `,
		`(?, ?, ?, ?, ?)`, ``, len(keep), func(args []any, i int) []any {
			l := keep[i]
			return append(args, l.Target, l.Source, l.Kind, l.Related, optMicros(l.Time))
		})
}

// ScoreLinks implements tearline.Scores.
func (db *DB) ScoreLinks(ctx context.Context, targets []string) (_ []tearline.ScoreLink, err error) {
	defer wrap(&err, "read score links of %d objects", len(targets))
	return scoreLinks(ctx, db.r, targets)
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
	targetsJSON, err := json.Marshal(targets)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT target, source, kind, related, time FROM score_links
		WHERE target IN (SELECT value FROM json_each(?)) ORDER BY target, source`, string(targetsJSON))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tearline.ScoreLink
	for rows.Next() {
		var (
			l tearline.ScoreLink
			t int64
		)
		if err := rows.Scan(&l.Target, &l.Source, &l.Kind, &l.Related, &t); err != nil {
			return nil, err
		}
		l.Time = optTime(t)
		out = append(out, l)
	}
	return out, rows.Err()
}

// observableSourcesSQL reads the sources of the values whose keys, in
// hexadecimal, are the JSON array ?, by the values' positions in it. A
// value is in observables or, not merged yet, in observables_recent.
const observableSourcesSQL = `SELECT k.key, g.id, s.first, s.last
	FROM json_each(?) k JOIN observable_sources s ON s.observable = coalesce(
		(SELECT id FROM observables WHERE key = unhex(k.value)),
		(SELECT id FROM observables_recent WHERE key = unhex(k.value)))
	JOIN observable_orgs g ON g.pk = s.org
	ORDER BY k.key, s.first, g.id`

// ObservableSources implements tearline.ScoreTx with one query over the
// observable index.
func (t *scoreTx) ObservableSources(values []tearline.ObservableValue) (_ [][]tearline.ObservableSource, err error) {
	defer wrap(&err, "read the sources of %d observables", len(values))
	out := make([][]tearline.ObservableSource, len(values))
	if len(values) == 0 {
		return out, nil
	}
	hexKeys := make([]string, len(values))
	var buf []byte
	for i, v := range values {
		if buf, err = observableKey(buf[:0], v.Kind, v.Value); err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "observable %d: %s", i, tearline.ErrorMessage(err))
		}
		hexKeys[i] = hex.EncodeToString(buf)
	}
	keysJSON, err := json.Marshal(hexKeys)
	if err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(t.ctx, observableSourcesSQL, string(keysJSON))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			i           int
			s           tearline.ObservableSource
			first, last int64
		)
		if err := rows.Scan(&i, &s.Org, &first, &last); err != nil {
			return nil, err
		}
		s.First, s.Last = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		out[i] = append(out[i], s)
	}
	return out, rows.Err()
}
