package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
)

// CreateCollection stores c. It fills c.ID with a new random (version 4) UUID
// when it is empty, else normalizes it to the canonical lower-case form, and
// sets c.Created to the current time when it is zero (it is kept to the
// microsecond). EINVALID when the alias is empty or malformed or the id is
// not a UUID; ECONFLICT when the id or the alias is taken.
func (db *DB) CreateCollection(ctx context.Context, c *tearline.Collection) (err error) {
	defer wrap(&err, "create collection %q", c.Alias)
	if err := normalize.CollectionAlias(c.Alias); err != nil {
		return err
	}
	id := uuid.New()
	if c.ID != "" {
		if id, err = uuid.Parse(c.ID); err != nil {
			return tearline.Errorf(tearline.EINVALID, "collection id %q is not a UUID", c.ID)
		}
	}
	created := c.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = stored(created)
	mediaTypes := c.MediaTypes
	if mediaTypes == nil {
		mediaTypes = []string{}
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO collections (id, alias, title, description, media_types, api_root, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id.String(), c.Alias, c.Title, c.Description, mediaTypes, c.APIRoot, created)
	switch uniqueViolation(err) {
	case "":
	case "collections_id_key":
		return tearline.Errorf(tearline.ECONFLICT, "collection id %s is taken", id)
	default:
		return tearline.Errorf(tearline.ECONFLICT, "collection alias %q is taken", c.Alias)
	}
	if err != nil {
		return err
	}
	c.ID, c.Created = id.String(), created
	return nil
}

// collectionColumns are the columns scanCollection reads, in order.
const collectionColumns = `id, alias, title, description, media_types, api_root, created`

// scanCollection reads a row of collectionColumns.
func scanCollection(row pgx.Row) (*tearline.Collection, error) {
	var c tearline.Collection
	if err := row.Scan(&c.ID, &c.Alias, &c.Title, &c.Description, &c.MediaTypes, &c.APIRoot, &c.Created); err != nil {
		return nil, err
	}
	if len(c.MediaTypes) == 0 {
		c.MediaTypes = nil
	}
	c.Created = c.Created.UTC()
	return &c, nil
}

// FindCollection returns the collection whose id or alias is key; an id
// match wins. ENOTFOUND when there is none.
func (db *DB) FindCollection(ctx context.Context, key string) (_ *tearline.Collection, err error) {
	defer wrap(&err, "find collection %q", key)
	c, err := scanCollection(db.pool.QueryRow(ctx, `SELECT `+collectionColumns+`
		FROM collections WHERE id = $1 OR alias = $1 ORDER BY id = $1 DESC LIMIT 1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", key)
	}
	return c, err
}

// Collections returns all collections ordered by alias.
func (db *DB) Collections(ctx context.Context) (_ []*tearline.Collection, err error) {
	defer wrap(&err, "list collections")
	rows, err := db.pool.Query(ctx, `SELECT `+collectionColumns+` FROM collections ORDER BY alias`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row pgx.CollectableRow) (*tearline.Collection, error) {
		return scanCollection(row)
	})
}

// deleteChunk is how many memberships DeleteCollection removes per
// statement, so that a large collection never has all its keys in memory.
const deleteChunk = 10000

// DeleteCollection removes the collection with the given id and its
// memberships, and the object versions that are in no other collection,
// in one transaction. ENOTFOUND when there is no such collection.
func (db *DB) DeleteCollection(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete collection %s", id)
	return db.inTx(ctx, func(tx pgx.Tx) error {
		pk, _, err := lockCollection(ctx, tx, id)
		if err != nil {
			return err
		}
		for {
			rows, err := tx.Query(ctx, `DELETE FROM collection_objects WHERE collection = $1
				AND date_added IN (SELECT date_added FROM collection_objects WHERE collection = $1
					ORDER BY date_added LIMIT $2)
				RETURNING id, version`, pk, deleteChunk)
			if err != nil {
				return err
			}
			ids, versions, err := scanRefs(rows)
			if err != nil {
				return err
			}
			if err := deleteOrphans(ctx, tx, ids, versions); err != nil {
				return err
			}
			if len(ids) < deleteChunk {
				break
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM collections WHERE pk = $1`, pk)
		return err
	})
}

// lockCollection returns the row key and the last assigned date_added (zero
// when none) of the collection with the given id, and locks its row until
// the end of the transaction: writers of a collection take turns. ENOTFOUND
// when there is none.
func lockCollection(ctx context.Context, tx pgx.Tx, id string) (pk int64, lastAdded time.Time, err error) {
	var last *time.Time
	err = tx.QueryRow(ctx, `SELECT pk, last_added FROM collections WHERE id = $1 FOR UPDATE`, id).Scan(&pk, &last)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", id)
	}
	return pk, fromNull(last), err
}

// collectionPK returns the row key of the collection with the given id.
// ENOTFOUND when there is none.
func collectionPK(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id string) (pk int64, err error) {
	err = q.QueryRow(ctx, `SELECT pk FROM collections WHERE id = $1`, id).Scan(&pk)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", id)
	}
	return pk, err
}

// scanRefs reads and closes rows of (id, version).
func scanRefs(rows pgx.Rows) (ids, versions []string, err error) {
	defer rows.Close()
	for rows.Next() {
		var id, version string
		if err := rows.Scan(&id, &version); err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		versions = append(versions, version)
	}
	return ids, versions, rows.Err()
}

// deleteOrphans deletes those of the given object versions that are no
// longer in any collection. A concurrent transaction that adds one of them
// to a collection makes one of the two fail on the foreign key of
// collection_objects, and retry (see retryable).
func deleteOrphans(ctx context.Context, tx pgx.Tx, ids, versions []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `DELETE FROM objects o USING unnest($1::text[], $2::text[]) AS g (id, version)
		WHERE o.id = g.id AND o.version = g.version
		AND NOT EXISTS (SELECT 1 FROM collection_objects co WHERE co.id = o.id AND co.version = o.version)`,
		ids, versions)
	return err
}
