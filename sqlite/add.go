package sqlite

import (
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
)

// AddObjects works in three steps: one query loads what is stored of the
// batch's ids; the batch is then decided in memory (conflict, duplicate or
// added, with date_added and the first/last flags); last, the new rows are
// written with prepared multi-row INSERTs (execRows).
const (
	// lookupSQL returns every stored version of the ids whose hashes are in
	// the JSON array ?2 (and perhaps of a few others with the same hashes),
	// with its date_added when collection ?1 holds it.
	lookupSQL = `SELECT o.id, o.version, o.pk, o.hash, co.date_added
		FROM objects o LEFT JOIN collection_objects co
			ON co.object = o.pk AND co.collection = ?1
		WHERE o.pk IN (SELECT pk FROM object_keys WHERE idh IN (SELECT value FROM json_each(?2)))`
	insertObjectSQL = `INSERT OR ROLLBACK INTO objects (pk, idh, id, version, type, spec_version, created, revoked, hash, raw) VALUES `
	objectParams    = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertMemberSQL = `INSERT OR ROLLBACK INTO collection_objects
		(collection, date_added, object, id, type, spec_version, version, is_first, is_last) VALUES `
	memberParams  = `(?, ?, ?, ?, ?, ?, ?, ?, ?)`
	clearFirstSQL = `UPDATE collection_objects SET is_first = 0 WHERE object = ? AND collection = ?`
	clearLastSQL  = `UPDATE collection_objects SET is_last = 0 WHERE object = ? AND collection = ?`
)

// idHash returns the 64-bit FNV-1a hash of an object id, the key by which
// object_keys finds its versions.
func idHash(id string) int64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= prime
	}
	return int64(h)
}

// versionRef identifies an object version.
type versionRef struct{ id, version string }

// storedVersion is what the adder knows of a stored object version.
type storedVersion struct {
	pk        int64
	hash      [sha256.Size]byte
	dateAdded int64 // in the collection; 0 when the collection lacks it
}

// span is the earliest and latest version of an id in the collection, now
// and as they were stored before the batch.
type span struct{ first, last, storedFirst, storedLast string }

// member is a membership to insert.
type member struct {
	o         *tearline.Object
	ref       versionRef
	pk        int64
	dateAdded int64
}

// adder decides and writes one AddObjects batch within a write transaction.
// Writers are serialized, so what it reads at the start stays true but for
// its own writes, which it records as it goes.
type adder struct {
	tx         *sql.Tx
	collection int64
	lastAdded  int64 // last date_added assigned in the collection
	now        int64
	nextPK     int64 // row key of the next new object version
	idsMerged  int64 // highest row key whose id key is in object_ids

	versions map[versionRef]*storedVersion // stored versions of the batch's ids
	spans    map[string]*span              // of the batch's ids in the collection

	objects []*tearline.Object // new object versions, in pk order from firstPK
	hashes  [][sha256.Size]byte
	derived []derived // of objects
	firstPK int64
	members []member

	// batchIDs and batchPKs are, once written, the id of each object of
	// the batch that is stored and the row key of its version, in batch
	// order (the hints of pkHints).
	batchIDs []string
	batchPKs []int64
}

// newAdder looks up the collection and what is stored of the objects' ids.
func newAdder(tx *sql.Tx, collectionID string, objs []*tearline.Object) (*adder, error) {
	a := &adder{
		tx:       tx,
		now:      micros(time.Now()),
		versions: make(map[versionRef]*storedVersion, len(objs)),
		spans:    make(map[string]*span),
	}
	var err error
	if a.collection, a.lastAdded, err = collectionPK(tx, collectionID); err != nil {
		return nil, err
	}
	// Row keys are assigned here rather than by SQLite so that rows that
	// refer to a new object can be written without asking for its key.
	// None is handed out twice: pk_floor is the highest ever deleted (the
	// full-text index in the derived file may still name it).
	if err := tx.QueryRow(`SELECT max(coalesce((SELECT max(pk) FROM objects), 0), (SELECT floor FROM pk_floor)) + 1,
		(SELECT upto FROM object_ids_merged)`).Scan(&a.nextPK, &a.idsMerged); err != nil {
		return nil, err
	}
	a.firstPK = a.nextPK
	return a, a.lookup(objs)
}

// lookup loads the stored versions of the objects' ids.
func (a *adder) lookup(objs []*tearline.Object) error {
	seen := make(map[string]bool, len(objs))
	hashes := make([]int64, 0, len(objs))
	for _, o := range objs {
		if !seen[o.ID] {
			seen[o.ID] = true
			hashes = append(hashes, idHash(o.ID))
		}
	}
	hashesJSON, err := json.Marshal(hashes)
	if err != nil {
		return err
	}
	rows, err := a.tx.Query(lookupSQL, a.collection, string(hashesJSON))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ref       versionRef
			v         storedVersion
			hash      []byte
			dateAdded sql.NullInt64
		)
		if err := rows.Scan(&ref.id, &ref.version, &v.pk, &hash, &dateAdded); err != nil {
			return err
		}
		if !seen[ref.id] {
			continue // another id with the same hash
		}
		copy(v.hash[:], hash)
		v.dateAdded = dateAdded.Int64
		a.versions[ref] = &v
		if dateAdded.Valid {
			a.extend(ref)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, sp := range a.spans {
		sp.storedFirst, sp.storedLast = sp.first, sp.last
	}
	return nil
}

// extend records that the collection holds version ref.
func (a *adder) extend(ref versionRef) {
	sp := a.spans[ref.id]
	switch {
	case sp == nil:
		a.spans[ref.id] = &span{first: ref.version, last: ref.version}
	case ref.version < sp.first:
		sp.first = ref.version
	case ref.version > sp.last:
		sp.last = ref.version
	}
}

// add decides what becomes of one object version and queues its rows.
// d is what the portal's indexes hold of it (derive).
func (a *adder) add(o *tearline.Object, hash [sha256.Size]byte, d derived) (tearline.AddResult, error) {
	ref := versionRef{o.ID, versionKey(o.Version)}
	v := a.versions[ref]
	switch {
	case v == nil:
		v = &storedVersion{pk: a.nextPK, hash: hash}
		a.nextPK++
		a.versions[ref] = v
		a.objects = append(a.objects, o)
		a.hashes = append(a.hashes, hash)
		a.derived = append(a.derived, d)
	case v.hash != hash:
		same, err := a.sameContent(v, o.Raw)
		if err != nil {
			return tearline.AddResult{}, err
		}
		if !same {
			return tearline.AddResult{Status: tearline.Conflict}, nil
		}
		if v.dateAdded != 0 {
			return tearline.AddResult{Status: tearline.Duplicate, DateAdded: fromMicros(v.dateAdded)}, nil
		}
	case v.dateAdded != 0:
		return tearline.AddResult{Status: tearline.Duplicate, DateAdded: fromMicros(v.dateAdded)}, nil
	}
	a.lastAdded = max(a.now, a.lastAdded+1)
	v.dateAdded = a.lastAdded
	a.extend(ref)
	a.members = append(a.members, member{o: o, ref: ref, pk: v.pk, dateAdded: v.dateAdded})
	return tearline.AddResult{Status: tearline.Added, DateAdded: fromMicros(v.dateAdded)}, nil
}

// sameContent reports whether raw is the content of stored version v, whose
// bytes hash differently: the same JSON text but for the whitespace between
// tokens. The same object pretty-printed by another tool is then the same
// version, kept in the bytes first stored, rather than a conflict.
func (a *adder) sameContent(v *storedVersion, raw []byte) (bool, error) {
	var stored []byte
	if i := v.pk - a.firstPK; i >= 0 {
		stored = a.objects[i].Raw // new in this batch
	} else if err := a.tx.QueryRow(`SELECT raw FROM objects WHERE pk = ?`, v.pk).Scan(&stored); err != nil {
		return false, err
	}
	return normalize.EqualIgnoringSpace(stored, raw), nil
}

// write writes the queued rows, clears the flags of stored versions that
// are no longer the first or last of their id, and records the last
// date_added assigned.
func (a *adder) write() error {
	err := execRows(a.tx, insertObjectSQL, objectParams, ``, len(a.objects), func(args []any, i int) []any {
		o, hash := a.objects[i], a.hashes[i]
		var created any
		if !o.Created.IsZero() {
			created = versionKey(o.Created)
		}
		return append(args, a.firstPK+int64(i), idHash(o.ID), o.ID, versionKey(o.Version), o.Type, o.SpecVersion,
			created, o.Revoked, hash[:], o.Raw)
	})
	if err != nil {
		return fmt.Errorf("insert objects: %w", err)
	}
	if err := a.addKeys(); err != nil {
		return err
	}
	if err := indexDerived(a.tx, a.firstPK, a.objects, a.derived); err != nil {
		return err
	}
	err = execRows(a.tx, insertMemberSQL, memberParams, ``, len(a.members), func(args []any, i int) []any {
		m := a.members[i]
		sp := a.spans[m.ref.id]
		return append(args, a.collection, m.dateAdded, m.pk, m.ref.id, m.o.Type, m.o.SpecVersion, m.ref.version,
			m.ref.version == sp.first, m.ref.version == sp.last)
	})
	if err != nil {
		return fmt.Errorf("insert memberships: %w", err)
	}
	if err := appendFeed(a.tx, a.collection, a.members); err != nil {
		return err
	}
	for id, sp := range a.spans {
		if sp.storedFirst != "" && sp.storedFirst != sp.first {
			pk := a.versions[versionRef{id, sp.storedFirst}].pk
			if _, err := a.tx.Exec(clearFirstSQL, pk, a.collection); err != nil {
				return err
			}
		}
		if sp.storedLast != "" && sp.storedLast != sp.last {
			pk := a.versions[versionRef{id, sp.storedLast}].pk
			if _, err := a.tx.Exec(clearLastSQL, pk, a.collection); err != nil {
				return err
			}
		}
	}
	if len(a.members) == 0 {
		return nil
	}
	_, err = a.tx.Exec(`UPDATE collections SET last_added = ? WHERE pk = ?`, a.lastAdded, a.collection)
	return err
}

// addKeys adds the id keys of the new versions to object_ids_recent,
// merging them into object_ids once enough have gathered (migration 27).
// One statement for the batch, not a trigger on objects: a trigger made
// SQLite keep a statement journal for every row of objects, and this
// statement, which ends the transaction on a conflict, keeps none.
func (a *adder) addKeys() error {
	if len(a.objects) == 0 {
		return nil
	}
	hashes := make([]int64, len(a.objects))
	for i, o := range a.objects {
		hashes[i] = idHash(o.ID)
	}
	js, err := json.Marshal(hashes)
	if err != nil {
		return err
	}
	if _, err := a.tx.Exec(`INSERT OR ROLLBACK INTO object_ids_recent (idh, pk) SELECT value, ?1 + key FROM json_each(?2)`, a.firstPK, string(js)); err != nil {
		return fmt.Errorf("add id keys: %w", err)
	}
	if last := a.nextPK - 1; last-a.idsMerged >= recentObjectIDs {
		if err := mergeObjectIDs(a.tx, last); err != nil {
			return fmt.Errorf("merge id keys: %w", err)
		}
	}
	return nil
}

// size estimates the bytes the batch wrote: new object versions, index
// entries and memberships.
func (a *adder) size() int64 {
	n := int64(len(a.members)) * 256
	for _, o := range a.objects {
		n += int64(len(o.Raw)) + 128
	}
	return n
}
