package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
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
	created = created.UTC().Truncate(time.Microsecond)
	mediaTypes := c.MediaTypes
	if mediaTypes == nil {
		mediaTypes = []string{}
	}
	mt, err := json.Marshal(mediaTypes)
	if err != nil {
		return err
	}

	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		var taken string
		err := tx.QueryRow(`SELECT id, alias FROM collections WHERE id = ? OR alias = ?`,
			id.String(), c.Alias).Scan(&taken, new(string))
		switch {
		case err == nil && taken == id.String():
			return tearline.Errorf(tearline.ECONFLICT, "collection id %s is taken", id)
		case err == nil:
			return tearline.Errorf(tearline.ECONFLICT, "collection alias %q is taken", c.Alias)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.Exec(`INSERT INTO collections (id, alias, title, description, media_types, api_root, created)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id.String(), c.Alias, c.Title, c.Description, string(mt), c.APIRoot, micros(created))
		return err
	})
	if err != nil {
		return err
	}
	c.ID, c.Created = id.String(), created
	return nil
}

// collectionColumns are the columns scanCollection reads, in order.
const collectionColumns = `id, alias, title, description, media_types, api_root, created`

// scanCollection reads a row of collectionColumns.
func scanCollection(row interface{ Scan(...any) error }) (*tearline.Collection, error) {
	var (
		c       tearline.Collection
		mt      string
		created int64
	)
	if err := row.Scan(&c.ID, &c.Alias, &c.Title, &c.Description, &mt, &c.APIRoot, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(mt), &c.MediaTypes); err != nil {
		return nil, fmt.Errorf("collection %s: media types: %w", c.ID, err)
	}
	if len(c.MediaTypes) == 0 {
		c.MediaTypes = nil
	}
	c.Created = fromMicros(created)
	return &c, nil
}

// FindCollection returns the collection whose id or alias is key; an id
// match wins. ENOTFOUND when there is none.
func (db *DB) FindCollection(ctx context.Context, key string) (_ *tearline.Collection, err error) {
	defer wrap(&err, "find collection %q", key)
	c, err := scanCollection(db.readRow(ctx, `SELECT `+collectionColumns+`
		FROM collections WHERE id = ?1 OR alias = ?1 ORDER BY id = ?1 DESC LIMIT 1`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", key)
	}
	return c, err
}

// Collections returns all collections ordered by alias.
func (db *DB) Collections(ctx context.Context) (_ []*tearline.Collection, err error) {
	defer wrap(&err, "list collections")
	rows, err := db.r.QueryContext(ctx, `SELECT `+collectionColumns+` FROM collections ORDER BY alias`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []*tearline.Collection
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// DeleteCollection removes the collection with the given id and its
// memberships, and the object versions that are in no other collection.
// ENOTFOUND when there is no such collection.
func (db *DB) DeleteCollection(ctx context.Context, id string) (err error) {
	defer wrap(&err, "delete collection %s", id)
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		pk, _, err := collectionPK(tx, id)
		if err != nil {
			return err
		}
		rows, err := tx.Query(`DELETE FROM collection_objects WHERE collection = ? RETURNING object`, pk)
		if err != nil {
			return err
		}
		objects, err := scanColumn[int64](rows)
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := deleteOrphans(tx, objects); err != nil {
			return err
		}
		_, err = tx.Exec(`DELETE FROM collections WHERE pk = ?`, pk)
		return err
	})
}

// collectionPKQuery reads a collection's row key and last date_added.
const collectionPKQuery = `SELECT pk, last_added FROM collections WHERE id = ?`

// collectionPK returns the row key and the last assigned date_added of the
// collection with the given id. ENOTFOUND when there is none.
func collectionPK(tx *sql.Tx, id string) (pk, lastAdded int64, err error) {
	err = tx.QueryRow(collectionPKQuery, id).Scan(&pk, &lastAdded)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", id)
	}
	return pk, lastAdded, err
}

// readCollectionPK is collectionPK in reader transaction tx, with a
// cached statement.
func (db *DB) readCollectionPK(ctx context.Context, tx *sql.Tx, id string) (int64, error) {
	st, err := db.txStmt(ctx, tx, collectionPKQuery)
	if err != nil {
		return 0, err
	}
	if st == nil {
		pk, _, err := collectionPK(tx, id)
		return pk, err
	}
	defer st.Close()
	var pk, lastAdded int64
	err = st.QueryRowContext(ctx, id).Scan(&pk, &lastAdded)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", id)
	}
	return pk, err
}

// scanColumn reads and closes rows of one column.
func scanColumn[T any](rows *sql.Rows) ([]T, error) {
	defer rows.Close()
	var vs []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// deleteOrphans deletes those of the given object rows that are no longer in
// any collection.
func deleteOrphans(tx *sql.Tx, objects []int64) error {
	if len(objects) == 0 {
		return nil
	}
	stmt, err := tx.Prepare(`DELETE FROM objects WHERE pk = ?1
		AND NOT EXISTS (SELECT 1 FROM collection_objects WHERE object = ?1)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, pk := range objects {
		if _, err := stmt.Exec(pk); err != nil {
			return err
		}
	}
	return nil
}
