package postgres

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/observable"
)

var _ tearline.Observables = (*DB)(nil)

// observableKey returns the storage key of a normalized value. EINVALID
// for an unknown kind or a value not in normalized form.
func observableKey(dst []byte, kind, value string) ([]byte, error) {
	k, ok := observable.ParseKind(kind)
	if !ok {
		return nil, tearline.Errorf(tearline.EINVALID, "unknown observable kind %q", kind)
	}
	key, err := observable.AppendKey(dst, observable.Observable{Kind: k, Value: value})
	if err != nil {
		return nil, tearline.Errorf(tearline.EINVALID, "%s value %q is not in normalized form", kind, value)
	}
	return key, nil
}

// refKeys returns the storage key of each ref. EINVALID naming the first
// ref that is not normalized.
func refKeys(refs []tearline.ObservableRef) ([][]byte, error) {
	keys := make([][]byte, len(refs))
	for i, r := range refs {
		k, err := observableKey(nil, r.Kind, r.Value)
		if err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "observable %d: %s", i, tearline.ErrorMessage(err))
		}
		keys[i] = k
	}
	return keys, nil
}

// RecordObservables implements tearline.Observables. Each step is one
// statement over arrays for the whole batch: intern the sources, the
// object versions that the store holds and the values, then upsert the
// sources' first/last times and insert the links. Rows go in key order, so
// that concurrent writers take row locks in the same order.
func (db *DB) RecordObservables(ctx context.Context, refs []tearline.ObservableRef) (err error) {
	defer wrap(&err, "record %d observables", len(refs))
	if len(refs) == 0 {
		return nil
	}
	keys, err := refKeys(refs)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		orgs, err := internObservableOrgs(ctx, tx, refs)
		if err != nil {
			return err
		}
		versions, err := internVersions(ctx, tx, refs)
		if err != nil {
			return err
		}
		ids, err := internObservables(ctx, tx, keys)
		if err != nil {
			return err
		}
		type spanKey struct {
			observable int64
			org        int32
		}
		spans := map[spanKey][2]int64{}
		type link struct {
			observable, version int64
			org                 int32
		}
		links := map[link]bool{}
		for i, r := range refs {
			id, org, t := ids[string(keys[i])], orgs[r.Source], r.Time.Unix()
			k := spanKey{id, org}
			if sp, ok := spans[k]; ok {
				spans[k] = [2]int64{min(sp[0], t), max(sp[1], t)}
			} else {
				spans[k] = [2]int64{t, t}
			}
			if pk, ok := versions[versionRef{r.ObjectID, versionKey(r.Version)}]; ok && r.ObjectID != "" {
				links[link{id, pk, org}] = true
			}
		}
		sk := make([]spanKey, 0, len(spans))
		for k := range spans {
			sk = append(sk, k)
		}
		slices.SortFunc(sk, func(a, b spanKey) int {
			return cmp.Or(cmp.Compare(a.observable, b.observable), cmp.Compare(a.org, b.org))
		})
		var (
			obs           = make([]int64, len(sk))
			org           = make([]int32, len(sk))
			first, last   = make([]int64, len(sk)), make([]int64, len(sk))
			lobs, lver    []int64
			lorg          []int32
			sortedLinks   = make([]link, 0, len(links))
			sourcesUpsert = `INSERT INTO observable_sources (observable, org, first, last)
				SELECT * FROM unnest($1::bigint[], $2::integer[], $3::bigint[], $4::bigint[])
				ON CONFLICT (observable, org) DO UPDATE
				SET first = least(observable_sources.first, excluded.first), last = greatest(observable_sources.last, excluded.last)
				WHERE excluded.first < observable_sources.first OR excluded.last > observable_sources.last`
		)
		for i, k := range sk {
			obs[i], org[i], first[i], last[i] = k.observable, k.org, spans[k][0], spans[k][1]
		}
		if _, err := tx.Exec(ctx, sourcesUpsert, obs, org, first, last); err != nil {
			return err
		}
		for l := range links {
			sortedLinks = append(sortedLinks, l)
		}
		if len(sortedLinks) == 0 {
			return nil
		}
		slices.SortFunc(sortedLinks, func(a, b link) int {
			return cmp.Or(cmp.Compare(a.observable, b.observable), cmp.Compare(a.version, b.version), cmp.Compare(a.org, b.org))
		})
		for _, l := range sortedLinks {
			lobs, lver, lorg = append(lobs, l.observable), append(lver, l.version), append(lorg, l.org)
		}
		_, err = tx.Exec(ctx, `INSERT INTO observable_objects (observable, version, org)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::integer[]) ON CONFLICT DO NOTHING`, lobs, lver, lorg)
		return err
	})
}

// internObservableOrgs returns the interned key of each source of refs,
// adding the sources not yet interned.
func internObservableOrgs(ctx context.Context, tx pgx.Tx, refs []tearline.ObservableRef) (map[string]int32, error) {
	seen := map[string]bool{}
	var ids []string
	for _, r := range refs {
		if !seen[r.Source] {
			seen[r.Source] = true
			ids = append(ids, r.Source)
		}
	}
	slices.Sort(ids)
	orgs := make(map[string]int32, len(ids))
	read := func() error {
		rows, err := tx.Query(ctx, `SELECT id, pk FROM observable_orgs WHERE id = ANY($1::text[])`, ids)
		if err != nil {
			return err
		}
		var (
			id string
			pk int32
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &pk}, func() error { orgs[id] = pk; return nil })
		return err
	}
	if err := read(); err != nil || len(orgs) == len(ids) {
		return orgs, err
	}
	var fresh []string
	for _, id := range ids {
		if _, ok := orgs[id]; !ok {
			fresh = append(fresh, id)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO observable_orgs (id) SELECT unnest($1::text[]) ON CONFLICT (id) DO NOTHING`, fresh); err != nil {
		return nil, err
	}
	if err := read(); err != nil {
		return nil, err
	}
	if len(orgs) != len(ids) {
		return nil, errors.New("interned sources vanished")
	}
	return orgs, nil
}

// internVersions returns the interned key of each object version that refs
// name and the store holds, interning them in the order refs first name
// them (the order a batch stored them).
func internVersions(ctx context.Context, tx pgx.Tx, refs []tearline.ObservableRef) (map[versionRef]int64, error) {
	seen := map[versionRef]bool{}
	var ids, vers []string
	for _, r := range refs {
		if r.ObjectID == "" {
			continue
		}
		ref := versionRef{r.ObjectID, versionKey(r.Version)}
		if !seen[ref] {
			seen[ref] = true
			ids, vers = append(ids, ref.id), append(vers, ref.version)
		}
	}
	pks := make(map[versionRef]int64, len(ids))
	if len(ids) == 0 {
		return pks, nil
	}
	// Only the versions the store holds are interned; the foreign key
	// fails (and the transaction is tried again) when one is removed
	// meanwhile.
	_, err := tx.Exec(ctx, `INSERT INTO observable_versions (id, version)
		SELECT u.id, u.version FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u (id, version, n)
		WHERE EXISTS (SELECT 1 FROM objects o WHERE o.id = u.id AND o.version = u.version)
		ORDER BY u.n ON CONFLICT (id, version) DO NOTHING`, ids, vers)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT v.id, v.version, v.pk FROM unnest($1::text[], $2::text[]) AS u (id, version)
		CROSS JOIN LATERAL (SELECT id, version, pk FROM observable_versions WHERE id = u.id AND version = u.version OFFSET 0) v`, ids, vers)
	if err != nil {
		return nil, err
	}
	var (
		ref versionRef
		pk  int64
	)
	_, err = pgx.ForEachRow(rows, []any{&ref.id, &ref.version, &pk}, func() error { pks[ref] = pk; return nil })
	return pks, err
}

// lookupObservablesSQL returns the ids of the stored values among the keys
// in $1.
const lookupObservablesSQL = `SELECT o.key, o.id FROM unnest($1::bytea[]) AS u (key)
	CROSS JOIN LATERAL (SELECT key, id FROM observables WHERE key = u.key OFFSET 0) o`

// internObservables returns the id of each distinct key, giving new values
// new ids.
func internObservables(ctx context.Context, tx pgx.Tx, keys [][]byte) (map[string]int64, error) {
	ids := make(map[string]int64, len(keys))
	var distinct [][]byte
	for _, k := range keys {
		if _, ok := ids[string(k)]; !ok {
			ids[string(k)] = 0
			distinct = append(distinct, k)
		}
	}
	slices.SortFunc(distinct, bytes.Compare)
	read := func(q string, args ...any) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		var (
			key []byte
			id  int64
		)
		_, err = pgx.ForEachRow(rows, []any{&key, &id}, func() error { ids[string(key)] = id; return nil })
		return err
	}
	missing := func() [][]byte {
		var m [][]byte
		for _, k := range distinct {
			if ids[string(k)] == 0 {
				m = append(m, k)
			}
		}
		return m
	}
	if err := read(lookupObservablesSQL, distinct); err != nil {
		return nil, err
	}
	fresh := missing()
	if len(fresh) == 0 {
		return ids, nil
	}
	err := read(`INSERT INTO observables (key) SELECT k FROM unnest($1::bytea[]) AS u (k) ORDER BY k
		ON CONFLICT (key) DO NOTHING RETURNING key, id`, fresh)
	if err != nil {
		return nil, err
	}
	// Values that a concurrent transaction inserted first.
	if fresh = missing(); len(fresh) > 0 {
		if err := read(lookupObservablesSQL, fresh); err != nil {
			return nil, err
		}
		if len(missing()) > 0 {
			return nil, errors.New("interned observables vanished")
		}
	}
	return ids, nil
}

const (
	// observableSourcesSQL returns the sources of the value with key $1.
	observableSourcesSQL = `SELECT g.id, s.first, s.last FROM observables v
		JOIN observable_sources s ON s.observable = v.id JOIN observable_orgs g ON g.pk = s.org
		WHERE v.key = $1 ORDER BY s.first, g.id`
	// observableObjectsSQL returns the sources of the $2 (all for NULL)
	// most recently stored versions that carry the value with key $1,
	// newest first.
	observableObjectsSQL = `WITH v AS (SELECT id FROM observables WHERE key = $1),
		t AS (SELECT DISTINCT l.version FROM v JOIN observable_objects l ON l.observable = v.id
			JOIN observable_versions ov ON ov.pk = l.version ORDER BY l.version DESC LIMIT $2)
		SELECT ov.pk, ov.id, ov.version, g.id FROM t JOIN observable_versions ov ON ov.pk = t.version
			JOIN observable_objects l ON l.observable = (SELECT id FROM v) AND l.version = t.version
			JOIN observable_orgs g ON g.pk = l.org
		ORDER BY ov.pk DESC, g.id`
)

// LookupObservable implements tearline.Observables with two queries sent
// in one round trip, reading one snapshot.
func (db *DB) LookupObservable(ctx context.Context, kind, value string, maxObjects int) (_ *tearline.ObservableEntry, err error) {
	defer wrap(&err, "look up %s %q", kind, value)
	key, err := observableKey(nil, kind, value)
	if err != nil {
		return nil, err
	}
	var limit any
	if maxObjects > 0 {
		limit = maxObjects + 1
	}
	e := &tearline.ObservableEntry{Kind: kind, Value: value}
	err = pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(observableSourcesSQL, key)
		b.Queue(observableObjectsSQL, key, limit)
		res := tx.SendBatch(ctx, &b)
		defer res.Close()
		rows, err := res.Query()
		if err != nil {
			return err
		}
		var (
			s           tearline.ObservableSource
			first, last int64
		)
		_, err = pgx.ForEachRow(rows, []any{&s.Org, &first, &last}, func() error {
			s.First, s.Last = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
			if e.First.IsZero() || s.First.Before(e.First) {
				e.First = s.First
			}
			if s.Last.After(e.Last) {
				e.Last = s.Last
			}
			e.Sources = append(e.Sources, s)
			return nil
		})
		if err != nil {
			return err
		}
		if rows, err = res.Query(); err != nil {
			return err
		}
		var (
			pk, lastPK     int64 = 0, -1
			objID, version string
			org            string
			bad            error
		)
		_, err = pgx.ForEachRow(rows, []any{&pk, &objID, &version, &org}, func() error {
			if pk != lastPK {
				if maxObjects > 0 && len(e.Objects) == maxObjects {
					e.MoreObjects = true
					return nil
				}
				v, err := parseVersionKey(version)
				if err != nil {
					bad = err
					return nil
				}
				e.Objects = append(e.Objects, tearline.ObservableObject{ID: objID, Version: v})
				lastPK = pk
			}
			if pk == lastPK {
				o := &e.Objects[len(e.Objects)-1]
				o.Sources = append(o.Sources, org)
			}
			return nil
		})
		if err == nil {
			err = bad
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(e.Sources) == 0 {
		// Every recorded value has a source.
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no %s %q in the observable index", kind, value)
	}
	return e, nil
}

// ObservableSources implements tearline.ScoreTx with one query over the
// observable index.
func (t *scoreTx) ObservableSources(values []tearline.ObservableValue) (_ [][]tearline.ObservableSource, err error) {
	defer wrap(&err, "read the sources of %d observables", len(values))
	out := make([][]tearline.ObservableSource, len(values))
	if len(values) == 0 {
		return out, nil
	}
	keys := make([][]byte, len(values))
	for i, v := range values {
		if keys[i], err = observableKey(nil, v.Kind, v.Value); err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "observable %d: %s", i, tearline.ErrorMessage(err))
		}
	}
	rows, err := t.tx.Query(t.ctx, `SELECT u.n - 1, g.id, s.first, s.last
		FROM unnest($1::bytea[]) WITH ORDINALITY AS u (key, n)
		CROSS JOIN LATERAL (SELECT id FROM observables WHERE key = u.key OFFSET 0) v
		JOIN observable_sources s ON s.observable = v.id JOIN observable_orgs g ON g.pk = s.org
		ORDER BY u.n, s.first, g.id`, keys)
	if err != nil {
		return nil, err
	}
	var (
		i           int64
		s           tearline.ObservableSource
		first, last int64
	)
	_, err = pgx.ForEachRow(rows, []any{&i, &s.Org, &first, &last}, func() error {
		s.First, s.Last = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		out[i] = append(out[i], s)
		return nil
	})
	return out, err
}
