package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/tearline/tearline"
)

var (
	_ tearline.Scores         = (*DB)(nil)
	_ tearline.Corroborations = (*DB)(nil)
)

// scoreColumns are the columns of object_scores after object, in the
// order scoreArgs and scanScore use.
const scoreColumns = `org, stated, features, related, half_life, reference, valid_until, revoked,
	sources, sightings, false_positives, warnings, confidence, context, computed`

// scoreSelect is scoreColumns qualified by the alias s.
const scoreSelect = `s.org, s.stated, s.features, s.related, s.half_life, s.reference, s.valid_until, s.revoked,
	s.sources, s.sightings, s.false_positives, s.warnings, s.confidence, s.context, s.computed`

// SaveScores implements tearline.Scores.
func (db *DB) SaveScores(ctx context.Context, recs []*tearline.ScoreRecord) (err error) {
	defer wrap(&err, "save %d scores", len(recs))
	if len(recs) == 0 {
		return nil
	}
	refs := make([]tearline.ObservableRef, len(recs))
	for i, r := range recs {
		if r.ID == "" {
			return tearline.Errorf(tearline.EINVALID, "score record %d has no object id", i)
		}
		refs[i] = tearline.ObservableRef{ObjectID: r.ID}
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		pks, err := objectPKs(tx, refs)
		if err != nil {
			return err
		}
		type row struct {
			pk  int64
			rec *tearline.ScoreRecord
		}
		rows := make([]row, 0, len(recs))
		for _, r := range recs {
			if pk, ok := pks[versionRef{r.ID, versionKey(r.Version)}]; ok {
				rows = append(rows, row{pk, r})
			}
		}
		return execRows(tx, `INSERT OR REPLACE INTO object_scores (object, `+scoreColumns+`) VALUES `,
			`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ``, len(rows), func(args []any, i int) []any {
				return scoreArgs(append(args, rows[i].pk), rows[i].rec)
			})
	})
}

// scoreArgs appends the column values of a record.
func scoreArgs(args []any, r *tearline.ScoreRecord) []any {
	var warnings any
	if len(r.Warnings) > 0 {
		b, _ := json.Marshal(r.Warnings)
		warnings = string(b)
	}
	return append(args, r.Org, r.Stated, int64(r.Features), int64(r.Related), int64(r.HalfLife/time.Second),
		optMicros(r.Reference), optMicros(r.ValidUntil), r.Revoked, r.Sources, r.Sightings, r.FalsePositives,
		warnings, r.Confidence, r.Context, optMicros(r.Computed))
}

// FindScores implements tearline.Scores.
func (db *DB) FindScores(ctx context.Context, ids []string) (_ []*tearline.ScoreRecord, err error) {
	defer wrap(&err, "find scores of %d objects", len(ids))
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
	rows, err := db.r.QueryContext(ctx, `SELECT o.id, o.version, `+scoreSelect+`
		FROM objects o JOIN object_scores s ON s.object = o.pk
		WHERE o.idh IN (SELECT value FROM json_each(?))`, string(hashesJSON))
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

// scanScore reads an object id, version and the score columns.
func scanScore(rows *sql.Rows) (*tearline.ScoreRecord, error) {
	var (
		r                               tearline.ScoreRecord
		version                         string
		features, related, halfLife     int64
		reference, validUntil, computed int64
		warnings                        sql.NullString
	)
	err := rows.Scan(&r.ID, &version, &r.Org, &r.Stated, &features, &related, &halfLife, &reference, &validUntil,
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
	r.Reference, r.ValidUntil, r.Computed = optTime(reference), optTime(validUntil), optTime(computed)
	if warnings.Valid {
		if err := json.Unmarshal([]byte(warnings.String), &r.Warnings); err != nil {
			return nil, err
		}
	}
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

// SaveScoreLinks implements tearline.Scores.
func (db *DB) SaveScoreLinks(ctx context.Context, links []tearline.ScoreLink) (err error) {
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
	if len(links) == 0 {
		return nil
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		for _, l := range drop {
			if _, err := tx.Exec(`DELETE FROM score_links WHERE target = ? AND source = ?`, l.Target, l.Source); err != nil {
				return err
			}
		}
		return execRows(tx, `INSERT OR REPLACE INTO score_links (target, source, kind, related, time) VALUES `,
			`(?, ?, ?, ?, ?)`, ``, len(keep), func(args []any, i int) []any {
				l := keep[i]
				return append(args, l.Target, l.Source, l.Kind, l.Related, optMicros(l.Time))
			})
	})
}

// ScoreLinks implements tearline.Scores.
func (db *DB) ScoreLinks(ctx context.Context, targets []string) (_ []tearline.ScoreLink, err error) {
	defer wrap(&err, "read score links of %d objects", len(targets))
	if len(targets) == 0 {
		return nil, nil
	}
	targetsJSON, err := json.Marshal(targets)
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT target, source, kind, related, time FROM score_links
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

// ObservableSources implements tearline.Corroborations with one query
// over the observable index.
func (db *DB) ObservableSources(ctx context.Context, values []tearline.ObservableValue) (_ [][]tearline.ObservableSource, err error) {
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
	rows, err := db.r.QueryContext(ctx, `SELECT k.key, g.id, s.first, s.last
		FROM json_each(?) k JOIN observables v ON v.key = unhex(k.value)
		JOIN observable_sources s ON s.observable = v.id JOIN observable_orgs g ON g.pk = s.org
		ORDER BY k.key, s.first, g.id`, string(keysJSON))
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
