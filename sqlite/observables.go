package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"time"

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

// sourceSpan is a source's first and last submission of a value.
type sourceSpan struct{ first, last int64 }

// link is a value carried by an object version, from a source.
type link struct{ object, observable, org int64 }

// RecordObservables implements tearline.Observables. It works like
// AddObjects: a few queries load what is stored of the batch (its values'
// ids, its object versions' row keys, its sources), the batch is then
// resolved in memory, and the new rows go in with multi-row statements.
func (db *DB) RecordObservables(ctx context.Context, refs []tearline.ObservableRef) (err error) {
	defer wrap(&err, "record %d observables", len(refs))
	if len(refs) == 0 {
		return nil
	}
	keys, err := observableKeys(refs)
	if err != nil {
		return err
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := recordObservables(tx, nil, refs, keys)
		return err
	})
}

// observableKeys returns the index key of each ref's value. EINVALID
// (naming the ref) for an unknown kind or a value not in normalized form.
func observableKeys(refs []tearline.ObservableRef) ([]string, error) {
	keys := make([]string, len(refs))
	var (
		buf []byte
		err error
	)
	for i, r := range refs {
		if buf, err = observableKey(buf[:0], r.Kind, r.Value); err != nil {
			return nil, tearline.Errorf(tearline.EINVALID, "observable %d: %s", i, tearline.ErrorMessage(err))
		}
		keys[i] = string(buf)
	}
	return keys, nil
}

// recordObservables records refs, whose index keys are keys, in tx. a,
// when not nil, is the adder of the batch written in tx, which knows the
// row keys of its versions; then it also returns the sources of the
// values that were new, keyed by index key, which are all that tx holds
// of them (see batchTx.ObservableSources).
func recordObservables(tx *sql.Tx, a *adder, refs []tearline.ObservableRef, keys []string) (map[string][]tearline.ObservableSource, error) {
	orgs, err := internOrgs(tx, refs)
	if err != nil {
		return nil, err
	}
	objects, err := versionPKs(tx, a, refs)
	if err != nil {
		return nil, err
	}
	ids, fresh, err := observableIDs(tx, keys)
	if err != nil {
		return nil, err
	}
	spans := map[[2]int64]*sourceSpan{}
	var links []link
	seen := map[link]bool{}
	for i, r := range refs {
		id, org := ids[keys[i]], orgs[r.Source]
		t := r.Time.Unix()
		if sp := spans[[2]int64{id, org}]; sp == nil {
			spans[[2]int64{id, org}] = &sourceSpan{t, t}
		} else {
			sp.first, sp.last = min(sp.first, t), max(sp.last, t)
		}
		if r.ObjectID == "" {
			continue
		}
		pk, ok := objects[versionRef{r.ObjectID, versionKey(r.Version)}]
		if l := (link{pk, id, org}); ok && !seen[l] {
			seen[l] = true
			links = append(links, l)
		}
	}
	type span struct {
		key [2]int64
		*sourceSpan
	}
	sorted := make([]span, 0, len(spans))
	for k, sp := range spans {
		sorted = append(sorted, span{k, sp})
	}
	slices.SortFunc(sorted, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.key[0], b.key[0]), cmp.Compare(a.key[1], b.key[1]))
	})
	err = execRows(tx, `INSERT OR ROLLBACK INTO observable_sources (observable, org, first, last) VALUES `, `(?, ?, ?, ?)`,
		` ON CONFLICT (observable, org) DO UPDATE SET first = min(first, excluded.first), last = max(last, excluded.last)`,
		len(sorted), func(args []any, i int) []any {
			s := sorted[i]
			return append(args, s.key[0], s.key[1], s.first, s.last)
		})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(links, func(a, b link) int {
		return cmp.Or(cmp.Compare(a.object, b.object), cmp.Compare(a.observable, b.observable), cmp.Compare(a.org, b.org))
	})
	err = execRows(tx, `INSERT OR IGNORE INTO observable_objects (object, observable, org) VALUES `, `(?, ?, ?)`, ``,
		len(links), func(args []any, i int) []any {
			l := links[i]
			return append(args, l.object, l.observable, l.org)
		})
	if err != nil || a == nil || len(fresh) == 0 {
		return nil, err
	}
	byValue := make(map[int64][]orgSpan, len(fresh))
	for _, sp := range sorted {
		byValue[sp.key[0]] = append(byValue[sp.key[0]], orgSpan{sp.key[1], sp.first, sp.last})
	}
	return freshSources(fresh, ids, orgs, byValue), nil
}

// orgSpan is the first and last time (Unix seconds) an organization, by
// its row key, submitted a value.
type orgSpan struct{ org, first, last int64 }

// freshSources returns the sources of the new values, keyed by index key,
// in the order ObservableSources gives them (first seen, then
// organization): those of spans, the (value, organization) spans this
// call recorded, by value id.
func freshSources(fresh []string, ids map[string]int64, orgs map[string]int64, spans map[int64][]orgSpan) map[string][]tearline.ObservableSource {
	names := make(map[int64]string, len(orgs))
	for name, pk := range orgs {
		names[pk] = name
	}
	out := make(map[string][]tearline.ObservableSource, len(fresh))
	for _, k := range fresh {
		var srcs []tearline.ObservableSource
		for _, sp := range spans[ids[k]] {
			srcs = append(srcs, tearline.ObservableSource{Org: names[sp.org],
				First: time.Unix(sp.first, 0).UTC(), Last: time.Unix(sp.last, 0).UTC()})
		}
		slices.SortFunc(srcs, func(a, b tearline.ObservableSource) int {
			return cmp.Or(a.First.Compare(b.First), cmp.Compare(a.Org, b.Org))
		})
		out[k] = srcs
	}
	return out
}

// internOrgs returns the interned row key of each source of refs, adding
// the sources not yet interned.
func internOrgs(tx *sql.Tx, refs []tearline.ObservableRef) (map[string]int64, error) {
	orgs := map[string]int64{}
	for _, r := range refs {
		if _, ok := orgs[r.Source]; ok {
			continue
		}
		var pk int64
		err := tx.QueryRow(`INSERT INTO observable_orgs (id) VALUES (?) ON CONFLICT (id) DO UPDATE SET id = excluded.id RETURNING pk`,
			r.Source).Scan(&pk)
		if err != nil {
			return nil, err
		}
		orgs[r.Source] = pk
	}
	return orgs, nil
}

// versionPKs returns the row keys of the stored object versions that refs
// name, as objectPKs does; a, when not nil, is the adder of the batch
// written in tx, whose versions need no query.
func versionPKs(tx *sql.Tx, a *adder, refs []tearline.ObservableRef) (map[versionRef]int64, error) {
	if a == nil {
		return objectPKs(tx, refs)
	}
	pks := make(map[versionRef]int64, len(refs))
	var rest []tearline.ObservableRef
	for _, r := range refs {
		if r.ObjectID == "" {
			continue
		}
		ref := versionRef{r.ObjectID, versionKey(r.Version)}
		if v := a.versions[ref]; v != nil {
			pks[ref] = v.pk
		} else if _, ok := pks[ref]; !ok {
			rest = append(rest, r)
		}
	}
	if len(rest) == 0 {
		return pks, nil
	}
	more, err := objectPKs(tx, rest)
	if err != nil {
		return nil, err
	}
	maps.Copy(pks, more)
	return pks, nil
}

// objectPKs returns the row keys of the stored object versions that refs
// name.
func objectPKs(tx *sql.Tx, refs []tearline.ObservableRef) (map[versionRef]int64, error) {
	ids := map[string]bool{}
	hashes := make([]int64, 0, len(refs))
	for _, r := range refs {
		if r.ObjectID != "" && !ids[r.ObjectID] {
			ids[r.ObjectID] = true
			hashes = append(hashes, idHash(r.ObjectID))
		}
	}
	pks := map[versionRef]int64{}
	if len(hashes) == 0 {
		return pks, nil
	}
	hashesJSON, err := json.Marshal(hashes)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(`SELECT id, version, pk FROM objects
		WHERE pk IN (SELECT pk FROM object_keys WHERE idh IN (SELECT value FROM json_each(?)))`, string(hashesJSON))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ref versionRef
			pk  int64
		)
		if err := rows.Scan(&ref.id, &ref.version, &pk); err != nil {
			return nil, err
		}
		if ids[ref.id] {
			pks[ref] = pk
		}
	}
	return pks, rows.Err()
}

// observableIDsSQL returns the stored values, and their ids, of the
// index keys in the JSON array ?1 (hexadecimal, in key order): the array
// drives the join (CROSS JOIN fixes the order), and the probes walk each
// table from left to right. An IN list would first be copied into a
// temporary index, once per table.
const observableIDsSQL = `SELECT o.key, o.id FROM json_each(?1) j CROSS JOIN observables o ON o.key = unhex(j.value)
	UNION ALL SELECT r.key, r.id FROM json_each(?1) j CROSS JOIN observables_recent r ON r.key = unhex(j.value)`

// observableIDs returns the id of each distinct key, giving new values the
// next ids, and the keys that were new.
func observableIDs(tx *sql.Tx, keys []string) (map[string]int64, []string, error) {
	ids := make(map[string]int64, len(keys))
	var hexKeys []string
	for _, k := range keys {
		if _, ok := ids[k]; !ok {
			ids[k] = 0
			hexKeys = append(hexKeys, hex.EncodeToString([]byte(k)))
		}
	}
	slices.Sort(hexKeys) // hexadecimal sorts as the bytes do
	keysJSON, err := json.Marshal(hexKeys)
	if err != nil {
		return nil, nil, err
	}
	rows, err := tx.Query(observableIDsSQL, string(keysJSON))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			key []byte
			id  int64
		)
		if err := rows.Scan(&key, &id); err != nil {
			return nil, nil, err
		}
		ids[string(key)] = id
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var fresh []string
	for k, id := range ids {
		if id == 0 {
			fresh = append(fresh, k)
		}
	}
	if len(fresh) == 0 {
		return ids, nil, nil
	}
	// Sorted keys insert in key order, touching each leaf page once.
	slices.Sort(fresh)
	var next, merged int64
	if err := tx.QueryRow(`UPDATE observable_next SET next = next + ? RETURNING next - ?, merged`, len(fresh), len(fresh)).Scan(&next, &merged); err != nil {
		return nil, nil, err
	}
	for i, k := range fresh {
		ids[k] = next + int64(i)
	}
	err = execRows(tx, `INSERT OR ROLLBACK INTO observables_recent (key, id) VALUES `, `(?, ?)`, ``, len(fresh), func(args []any, i int) []any {
		return append(args, []byte(fresh[i]), ids[fresh[i]])
	})
	if err != nil {
		return nil, nil, err
	}
	if next+int64(len(fresh))-merged >= recentValues {
		err = mergeRecent(tx)
	}
	return ids, fresh, err
}

// recentValues is how many new values gather in observables_recent
// before they are merged into observables (migration 26). A merge writes
// up to one page of observables per value merged, once for all of them;
// observables_recent stays a few hundred kilobytes.
const recentValues = 16384

// mergeRecent moves the values of observables_recent into observables.
func mergeRecent(tx *sql.Tx) error {
	if err := merge(tx, "observables_recent", "observables", "key", "id"); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE observable_next SET merged = next`)
	return err
}

// LookupObservable implements tearline.Observables.
func (db *DB) LookupObservable(ctx context.Context, kind, value string, maxObjects int) (_ *tearline.ObservableEntry, err error) {
	defer wrap(&err, "look up %s %q", kind, value)
	key, err := observableKey(nil, kind, value)
	if err != nil {
		return nil, err
	}
	e := &tearline.ObservableEntry{Kind: kind, Value: value}
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM observables WHERE key = ?1
			UNION ALL SELECT id FROM observables_recent WHERE key = ?1`, key).Scan(&id)
		if err == sql.ErrNoRows {
			return tearline.Errorf(tearline.ENOTFOUND, "no %s %q in the observable index", kind, value)
		} else if err != nil {
			return err
		}
		if err := lookupSources(ctx, tx, id, e); err != nil {
			return err
		}
		return lookupObjects(ctx, tx, id, maxObjects, e)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// lookupSources fills the sources and first/last times of the value with
// id.
func lookupSources(ctx context.Context, tx *sql.Tx, id int64, e *tearline.ObservableEntry) error {
	rows, err := tx.QueryContext(ctx, `SELECT o.id, s.first, s.last FROM observable_sources s
		JOIN observable_orgs o ON o.pk = s.org WHERE s.observable = ? ORDER BY s.first, o.id`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			s           tearline.ObservableSource
			first, last int64
		)
		if err := rows.Scan(&s.Org, &first, &last); err != nil {
			return err
		}
		s.First, s.Last = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		if e.First.IsZero() || s.First.Before(e.First) {
			e.First = s.First
		}
		if s.Last.After(e.Last) {
			e.Last = s.Last
		}
		e.Sources = append(e.Sources, s)
	}
	return rows.Err()
}

// lookupObjects fills the object versions carrying the value with id, the
// most recently stored first, at most max (all when max <= 0).
func lookupObjects(ctx context.Context, tx *sql.Tx, id int64, max int, e *tearline.ObservableEntry) error {
	rows, err := tx.QueryContext(ctx, `SELECT l.object, ob.id, ob.version, o.id FROM observable_objects l
		JOIN objects ob ON ob.pk = l.object JOIN observable_orgs o ON o.pk = l.org
		WHERE l.observable = ? ORDER BY l.object DESC`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	last := int64(-1)
	for rows.Next() {
		var (
			pk             int64
			objID, version string
			org            string
		)
		if err := rows.Scan(&pk, &objID, &version, &org); err != nil {
			return err
		}
		if pk != last {
			if max > 0 && len(e.Objects) == max {
				e.MoreObjects = true
				break
			}
			v, err := parseVersionKey(version)
			if err != nil {
				return err
			}
			e.Objects = append(e.Objects, tearline.ObservableObject{ID: objID, Version: v})
			last = pk
		}
		o := &e.Objects[len(e.Objects)-1]
		o.Sources = append(o.Sources, org)
	}
	for i := range e.Objects {
		slices.Sort(e.Objects[i].Sources)
	}
	return rows.Err()
}

// ObservableTables are the tables and indexes of the observable index.
var ObservableTables = []string{"observables", "observables_recent", "observable_sources", "observable_objects", "observable_objects_value",
	"observable_orgs", "sqlite_autoindex_observable_orgs_1", "observable_next"}

// TableSize is the space one table or index takes in the database file.
type TableSize struct {
	Name    string
	Pages   int64
	Bytes   int64 // of its pages
	Payload int64 // bytes of the rows' content in them
}

// ObservableIndexSize returns the space each table and index of the
// observable index takes (ObservableTables order), from SQLite's dbstat
// virtual table. It reads every page of them: use it for measurements,
// not on a hot path.
func (db *DB) ObservableIndexSize(ctx context.Context) (_ []TableSize, err error) {
	defer wrap(&err, "observable index size")
	var out []TableSize
	for _, name := range ObservableTables {
		ts := TableSize{Name: name}
		err := db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(pgsize), 0), coalesce(sum(payload), 0) FROM dbstat WHERE name = ?`, name).
			Scan(&ts.Pages, &ts.Bytes, &ts.Payload)
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	return out, nil
}
