package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
	"github.com/tearline/tearline/tracing"
)

// AddObjects adds the object versions to the collection in one write
// transaction and returns one result per object, in order.
//
// A version (id and version key) already stored, in any collection, with
// other content is a Conflict and is not stored; the other objects are.
// Content is compared by Object.Digest when it is set (the canonical form,
// so whitespace, member order and number spelling do not count), else by
// the bytes but for the whitespace between tokens: the same version
// reformatted is the same version, and its bytes as first stored are kept. A version the collection already holds is a Duplicate with its
// existing DateAdded. Every other version is Added with a new DateAdded, unique and
// strictly increasing within the collection: max(now, last assigned + 1µs).
// Because writers are serialized, commit order is date_added order.
//
// ENOTFOUND for an unknown collection; EINVALID for a nil object or one
// without id, type or bytes. On any error nothing is written.
func (db *DB) AddObjects(ctx context.Context, collectionID string, objs []*tearline.Object) (_ []tearline.AddResult, err error) {
	defer wrap(&err, "add objects to %s", collectionID)
	ctx, end := tracing.StoreCall(ctx, "sqlite", "AddObjects")
	defer end.End(&err)
	return db.addObjects(ctx, collectionID, objs, nil)
}

var _ tearline.BatchWriter = (*DB)(nil)

// WriteBatch implements tearline.BatchWriter: AddObjects, then fn in the
// same transaction, where the observables and scores of the batch's
// versions find their row keys from what AddObjects read and assigned.
func (db *DB) WriteBatch(ctx context.Context, collectionID string, objs []*tearline.Object,
	fn func(tx tearline.BatchTx, added []tearline.AddResult) error) (_ []tearline.AddResult, err error) {
	defer wrap(&err, "write a batch of %d objects to %s", len(objs), collectionID)
	ctx, end := tracing.StoreCall(ctx, "sqlite", "WriteBatch")
	defer end.End(&err)
	return db.addObjects(ctx, collectionID, objs, func(tx *sql.Tx, a *adder, results []tearline.AddResult) error {
		return fn(&batchTx{scoreTx: scoreTx{ctx: ctx, tx: tx, known: a}, db: db}, results)
	})
}

// addObjects adds objs to the collection and, when then is not nil, calls
// it in the same transaction once the rows are written.
func (db *DB) addObjects(ctx context.Context, collectionID string, objs []*tearline.Object,
	then func(tx *sql.Tx, a *adder, results []tearline.AddResult) error) ([]tearline.AddResult, error) {
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
	hashes := normalize.ContentHashes(objs)
	// What the portal's indexes hold of each object is read before the
	// writer is taken: parsing is the one part of it that needs no
	// database, and the single writer is what bounds ingest.
	ders := make([]derived, len(objs))
	for i, o := range objs {
		ders[i] = derive(o)
	}
	results := make([]tearline.AddResult, len(objs))
	var (
		written  int64
		firstPK  int64
		newTexts []derived
		ids      []string
		pks      []int64 // of a stored version of each of ids
	)
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		a, err := newAdder(tx, collectionID, objs)
		if err != nil {
			return err
		}
		firstPK, newTexts = a.firstPK, nil
		for i, o := range objs {
			if results[i], err = a.add(o, hashes[i], ders[i]); err != nil {
				return fmt.Errorf("%s: %w", o.ID, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := a.write(); err != nil {
			return err
		}
		written = a.size()
		newTexts = a.derived
		ids, pks = ids[:0], pks[:0]
		for _, o := range objs {
			if v := a.versions[versionRef{o.ID, versionKey(o.Version)}]; v != nil {
				ids, pks = append(ids, o.ID), append(pks, v.pk)
			}
		}
		a.batchIDs, a.batchPKs = ids, pks
		if then != nil {
			return then(tx, a, results)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.wrote(written)
	db.text.offer(firstPK, newTexts)
	db.pks.put(ids, pks)
	return results, nil
}

// DeleteObject removes from the collection the versions of object id selected
// by versions (VersionFirst, VersionLast, VersionAll or version timestamps)
// and specVersions; empty lists select all. It returns how many versions were
// removed; those left in no collection are deleted. ENOTFOUND when the
// collection does not exist or no version matched; EINVALID for a malformed
// version filter.
func (db *DB) DeleteObject(ctx context.Context, collectionID, id string, versions, specVersions []string) (n int, err error) {
	defer wrap(&err, "delete object %s from %s", id, collectionID)
	vf, err := normalize.Versions(versions, tearline.VersionAll)
	if err != nil {
		return 0, err
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		pk, _, err := collectionPK(tx, collectionID)
		if err != nil {
			return err
		}
		var where strings.Builder
		args := []any{pk, id, idHash(id)}
		where.WriteString(`collection = ?1 AND object IN (SELECT pk FROM objects WHERE pk IN (SELECT pk FROM object_keys WHERE idh = ?3) AND id = ?2)`)
		args = versionWhere(vf, &where, args, "")
		args = inList(&where, args, "spec_version", specVersions)
		rows, err := tx.Query(`DELETE FROM collection_objects INDEXED BY collection_objects_object
			WHERE `+where.String()+` RETURNING object`, args...)
		if err != nil {
			return err
		}
		objects, err := scanColumn[int64](rows)
		if err != nil {
			return err
		}
		if len(objects) == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no matching version of %s in collection %s", id, collectionID)
		}
		n = len(objects)
		// The earliest or latest version may be gone: flag the remaining ones.
		_, err = tx.Exec(`WITH remaining AS (
				SELECT co.version FROM collection_objects co INDEXED BY collection_objects_object
				WHERE co.collection = ?1 AND co.object IN (SELECT pk FROM objects WHERE pk IN (SELECT pk FROM object_keys WHERE idh = ?3) AND id = ?2))
			UPDATE collection_objects INDEXED BY collection_objects_object SET
				is_first = version = (SELECT min(version) FROM remaining),
				is_last = version = (SELECT max(version) FROM remaining)
			WHERE collection = ?1 AND object IN (SELECT pk FROM objects WHERE pk IN (SELECT pk FROM object_keys WHERE idh = ?3) AND id = ?2)`, pk, id, idHash(id))
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
