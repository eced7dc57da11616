package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/tearline/tearline"
)

// AddObjects adds the object versions to the collection in one write
// transaction and returns one result per object, in order.
//
// A version (id and version key) already stored with other bytes, in any
// collection, is a Conflict and is not stored; the other objects are. A
// version the collection already holds is a Duplicate with its existing
// DateAdded. Every other version is Added with a new DateAdded, unique and
// strictly increasing within the collection: max(now, last assigned + 1µs).
// Because writers are serialized, commit order is date_added order.
//
// ENOTFOUND for an unknown collection; EINVALID for a nil object or one
// without id, type or bytes. On any error nothing is written.
func (db *DB) AddObjects(ctx context.Context, collectionID string, objs []*tearline.Object) (_ []tearline.AddResult, err error) {
	defer wrap(&err, "add objects to %s", collectionID)
	for i, o := range objs {
		switch {
		case o == nil:
			return nil, tearline.Errorf(tearline.EINVALID, "object %d is nil", i)
		case o.ID == "" || o.Type == "":
			return nil, tearline.Errorf(tearline.EINVALID, "object %d has no id or type", i)
		case len(o.Raw) == 0:
			return nil, tearline.Errorf(tearline.EINVALID, "object %s has no content", o.ID)
		}
	}
	hashes := hashAll(objs)
	results := make([]tearline.AddResult, len(objs))
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		w, err := newAdder(tx, collectionID)
		if err != nil {
			return err
		}
		defer w.close()
		for i, o := range objs {
			if i%64 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if results[i], err = w.add(o, hashes[i]); err != nil {
				return fmt.Errorf("%s: %w", o.ID, err)
			}
		}
		return w.finish()
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// hashAll returns the SHA-256 of each object's bytes, spread over the CPUs
// when there is much to hash.
func hashAll(objs []*tearline.Object) [][sha256.Size]byte {
	hashes := make([][sha256.Size]byte, len(objs))
	total := 0
	for _, o := range objs {
		total += len(o.Raw)
	}
	workers := min(runtime.GOMAXPROCS(0), len(objs))
	if total < 1<<20 || workers < 2 {
		for i, o := range objs {
			hashes[i] = sha256.Sum256(o.Raw)
		}
		return hashes
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(objs); i += workers {
				hashes[i] = sha256.Sum256(objs[i].Raw)
			}
		})
	}
	wg.Wait()
	return hashes
}

// adder holds the prepared statements and the state of one AddObjects
// transaction.
type adder struct {
	tx         *sql.Tx
	collection int64
	lastAdded  int64 // last date_added assigned in the collection
	now        int64
	changed    bool

	insertObject *sql.Stmt // new version; no-op when (id, version) exists
	findObject   *sql.Stmt // pk and hash of an existing version
	versions     *sql.Stmt // versions of an id in the collection
	clearFirst   *sql.Stmt
	clearLast    *sql.Stmt
	insertMember *sql.Stmt
}

// Statements of AddObjects. versionsSQL returns the earliest and latest
// versions of the id in the collection and the date_added of the given
// version if the collection holds it; one index range serves all three.
const (
	insertObjectSQL = `INSERT INTO objects (id, version, type, spec_version, created, revoked, hash, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id, version) DO NOTHING`
	findObjectSQL = `SELECT pk, hash FROM objects WHERE id = ? AND version = ?`
	versionsSQL   = `SELECT min(version), max(version), max(iif(version = ?3, date_added, NULL))
		FROM collection_objects WHERE collection = ?1 AND id = ?2`
	clearFirstSQL   = `UPDATE collection_objects SET is_first = 0 WHERE collection = ? AND id = ? AND version = ?`
	clearLastSQL    = `UPDATE collection_objects SET is_last = 0 WHERE collection = ? AND id = ? AND version = ?`
	insertMemberSQL = `INSERT INTO collection_objects
		(collection, date_added, object, id, type, spec_version, version, is_first, is_last)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// newAdder looks up the collection and prepares the statements.
func newAdder(tx *sql.Tx, collectionID string) (*adder, error) {
	a := &adder{tx: tx, now: micros(time.Now())}
	var err error
	if a.collection, a.lastAdded, err = collectionPK(tx, collectionID); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&a.insertObject, insertObjectSQL},
		{&a.findObject, findObjectSQL},
		{&a.versions, versionsSQL},
		{&a.clearFirst, clearFirstSQL},
		{&a.clearLast, clearLastSQL},
		{&a.insertMember, insertMemberSQL},
	} {
		if *s.stmt, err = tx.Prepare(s.sql); err != nil {
			a.close()
			return nil, err
		}
	}
	return a, nil
}

// close closes the prepared statements.
func (a *adder) close() {
	for _, s := range []*sql.Stmt{a.insertObject, a.findObject, a.versions, a.clearFirst, a.clearLast, a.insertMember} {
		if s != nil {
			s.Close()
		}
	}
}

// add stores one object version and its membership in the collection.
func (a *adder) add(o *tearline.Object, hash [sha256.Size]byte) (tearline.AddResult, error) {
	version := versionKey(o.Version)
	var created any
	if !o.Created.IsZero() {
		created = versionKey(o.Created)
	}
	res, err := a.insertObject.Exec(o.ID, version, o.Type, o.SpecVersion, created, o.Revoked, hash[:], o.Raw)
	if err != nil {
		return tearline.AddResult{}, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return tearline.AddResult{}, err
	}
	var object int64
	if n == 1 {
		if object, err = res.LastInsertId(); err != nil {
			return tearline.AddResult{}, err
		}
	} else {
		var stored []byte
		if err := a.findObject.QueryRow(o.ID, version).Scan(&object, &stored); err != nil {
			return tearline.AddResult{}, err
		}
		if !bytes.Equal(stored, hash[:]) {
			return tearline.AddResult{Status: tearline.Conflict}, nil
		}
	}

	var first, last sql.NullString
	var dateAdded sql.NullInt64
	if err := a.versions.QueryRow(a.collection, o.ID, version).Scan(&first, &last, &dateAdded); err != nil {
		return tearline.AddResult{}, err
	}
	if dateAdded.Valid {
		return tearline.AddResult{Status: tearline.Duplicate, DateAdded: fromMicros(dateAdded.Int64)}, nil
	}
	isFirst := !first.Valid || version < first.String
	isLast := !last.Valid || version > last.String
	if isFirst && first.Valid {
		if _, err := a.clearFirst.Exec(a.collection, o.ID, first.String); err != nil {
			return tearline.AddResult{}, err
		}
	}
	if isLast && last.Valid {
		if _, err := a.clearLast.Exec(a.collection, o.ID, last.String); err != nil {
			return tearline.AddResult{}, err
		}
	}
	a.lastAdded = max(a.now, a.lastAdded+1)
	a.changed = true
	_, err = a.insertMember.Exec(a.collection, a.lastAdded, object, o.ID, o.Type, o.SpecVersion, version, isFirst, isLast)
	if err != nil {
		return tearline.AddResult{}, err
	}
	return tearline.AddResult{Status: tearline.Added, DateAdded: fromMicros(a.lastAdded)}, nil
}

// finish records the last date_added assigned.
func (a *adder) finish() error {
	if !a.changed {
		return nil
	}
	_, err := a.tx.Exec(`UPDATE collections SET last_added = ? WHERE pk = ?`, a.lastAdded, a.collection)
	return err
}

// DeleteObject removes from the collection the versions of object id selected
// by versions (VersionFirst, VersionLast, VersionAll or version timestamps)
// and specVersions; empty lists select all. It returns how many versions were
// removed; those left in no collection are deleted. ENOTFOUND when the
// collection does not exist or no version matched; EINVALID for a malformed
// version filter.
func (db *DB) DeleteObject(ctx context.Context, collectionID, id string, versions, specVersions []string) (n int, err error) {
	defer wrap(&err, "delete object %s from %s", id, collectionID)
	vf, err := parseVersions(versions, tearline.VersionAll)
	if err != nil {
		return 0, err
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		pk, _, err := collectionPK(tx, collectionID)
		if err != nil {
			return err
		}
		var where strings.Builder
		args := []any{pk, id}
		where.WriteString(`collection = ? AND id = ?`)
		args = vf.where(&where, args, "")
		args = inList(&where, args, "spec_version", specVersions)
		rows, err := tx.Query(`DELETE FROM collection_objects WHERE `+where.String()+` RETURNING object`, args...)
		if err != nil {
			return err
		}
		objects, err := scanInt64s(rows)
		if err != nil {
			return err
		}
		if len(objects) == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no matching version of %s in collection %s", id, collectionID)
		}
		n = len(objects)
		// The earliest or latest version may be gone: flag the remaining ones.
		_, err = tx.Exec(`UPDATE collection_objects SET
				is_first = version = (SELECT min(version) FROM collection_objects WHERE collection = ?1 AND id = ?2),
				is_last = version = (SELECT max(version) FROM collection_objects WHERE collection = ?1 AND id = ?2)
			WHERE collection = ?1 AND id = ?2`, pk, id)
		if err != nil {
			return err
		}
		return deleteOrphans(tx, objects)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// CountObjects returns the number of object versions in the collection.
// ENOTFOUND for an unknown collection.
func (db *DB) CountObjects(ctx context.Context, collectionID string) (n int, err error) {
	defer wrap(&err, "count objects in %s", collectionID)
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		pk, _, err := collectionPK(tx, collectionID)
		if err != nil {
			return err
		}
		return tx.QueryRow(`SELECT count(*) FROM collection_objects WHERE collection = ?`, pk).Scan(&n)
	})
	return n, err
}
