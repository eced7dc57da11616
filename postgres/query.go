package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
	"github.com/tearline/tearline/tracing"
)

// QueryObjects returns the entries of collection q.CollectionID that match
// q, in date_added order, at most q.Limit of them when it is positive; More
// tells whether further entries match. The collection lookup and the page
// go to the server in one round trip. ENOTFOUND for an unknown collection;
// EINVALID for a malformed version filter or a negative limit.
func (db *DB) QueryObjects(ctx context.Context, q tearline.ObjectQuery) (_ *tearline.ObjectPage, err error) {
	defer wrap(&err, "query objects in %s", q.CollectionID)
	ctx, end := tracing.StoreCall(ctx, "postgresql", "QueryObjects")
	defer end.End(&err)
	vf, err := normalize.Versions(q.Versions, tearline.VersionLast)
	if err != nil {
		return nil, err
	}
	if q.Limit < 0 {
		return nil, tearline.Errorf(tearline.EINVALID, "negative limit %d", q.Limit)
	}
	page := &tearline.ObjectPage{}
	found := false
	b := &pgx.Batch{}
	b.Queue(`SELECT 1 FROM collections WHERE id = $1`, q.CollectionID).Query(func(rows pgx.Rows) error {
		found = rows.Next()
		rows.Close()
		return rows.Err()
	})
	query, args := objectQuery(q, vf)
	b.Queue(query, args...).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			if q.Limit > 0 && len(page.Entries) == q.Limit {
				page.More = true
				break
			}
			e, err := scanEntry(rows, q.NoRaw)
			if err != nil {
				return err
			}
			page.Entries = append(page.Entries, e)
		}
		return rows.Err()
	})
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	if !found {
		return nil, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", q.CollectionID)
	}
	return page, nil
}

// objectQuery returns the SQL text and parameters of query q. It fetches one
// entry beyond the limit to tell whether there are more.
//
// The conditions are written so that the planner can take the index that
// gives date_added order: one type is compared with = (the index by type),
// and a filter of only the last or only the first versions is the bare
// flag that the partial indexes are defined by.
func objectQuery(q tearline.ObjectQuery, vf normalize.VersionFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT co.date_added, co.id, co.type, co.spec_version, co.version, o.created, o.revoked`)
	if !q.NoRaw {
		b.WriteString(`, o.raw`)
	}
	b.WriteString(` FROM collection_objects co JOIN objects o ON o.id = co.id AND o.version = co.version
		WHERE co.collection = (SELECT pk FROM collections WHERE id = $1)`)
	args := []any{q.CollectionID}
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !q.AddedAfter.IsZero() {
		b.WriteString(` AND co.date_added > ` + param(q.AddedAfter))
	}
	inList := func(column string, values []string) {
		switch len(values) {
		case 0:
		case 1:
			b.WriteString(` AND ` + column + ` = ` + param(values[0]))
		default:
			b.WriteString(` AND ` + column + ` = ANY(` + param(values) + `)`)
		}
	}
	inList("co.id", q.IDs)
	inList("co.type", q.Types)
	inList("co.spec_version", q.SpecVersions)
	if !vf.All {
		var terms []string
		if vf.Last {
			terms = append(terms, `co.is_last`)
		}
		if vf.First {
			terms = append(terms, `co.is_first`)
		}
		if len(vf.Exact) > 0 {
			terms = append(terms, `co.version = ANY(`+param(vf.Exact)+`)`)
		}
		b.WriteString(` AND (` + strings.Join(terms, ` OR `) + `)`)
	}
	b.WriteString(` ORDER BY co.date_added`)
	if q.Limit > 0 {
		b.WriteString(` LIMIT ` + param(q.Limit+1))
	}
	return b.String(), args
}

// scanEntry reads a row of objectQuery.
func scanEntry(rows pgx.Rows, noRaw bool) (*tearline.Entry, error) {
	var (
		e       tearline.Entry
		version string
		created *string
	)
	dest := []any{&e.DateAdded, &e.ID, &e.Type, &e.SpecVersion, &version, &created, &e.Revoked}
	if !noRaw {
		dest = append(dest, &e.Raw)
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	e.DateAdded = e.DateAdded.UTC()
	var err error
	if e.Version, err = parseVersionKey(version); err != nil {
		return nil, fmt.Errorf("%s: version: %w", e.ID, err)
	}
	if created != nil {
		if e.Created, err = parseVersionKey(*created); err != nil {
			return nil, fmt.Errorf("%s: created: %w", e.ID, err)
		}
	}
	return &e, nil
}

// DeleteObject removes from the collection the versions of object id selected
// by versions (VersionFirst, VersionLast, VersionAll or version timestamps)
// and specVersions; empty lists select all. It returns how many versions were
// removed; those left in no collection are deleted. It holds the
// collection's row lock, as AddObjects does, so the first and last flags it
// recomputes cannot race with a writer. ENOTFOUND when the collection does
// not exist or no version matched; EINVALID for a malformed version filter.
func (db *DB) DeleteObject(ctx context.Context, collectionID, id string, versions, specVersions []string) (n int, err error) {
	defer wrap(&err, "delete object %s from %s", id, collectionID)
	vf, err := normalize.Versions(versions, tearline.VersionAll)
	if err != nil {
		return 0, err
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		pk, _, err := lockCollection(ctx, tx, collectionID)
		if err != nil {
			return err
		}
		var where strings.Builder
		args := []any{pk, id}
		where.WriteString(`collection = $1 AND id = $2`)
		if !vf.All {
			var terms []string
			if vf.Last {
				terms = append(terms, `is_last`)
			}
			if vf.First {
				terms = append(terms, `is_first`)
			}
			if len(vf.Exact) > 0 {
				args = append(args, vf.Exact)
				terms = append(terms, fmt.Sprintf(`version = ANY($%d)`, len(args)))
			}
			where.WriteString(` AND (` + strings.Join(terms, ` OR `) + `)`)
		}
		if len(specVersions) > 0 {
			args = append(args, specVersions)
			fmt.Fprintf(&where, ` AND spec_version = ANY($%d)`, len(args))
		}
		rows, err := tx.Query(ctx, `DELETE FROM collection_objects WHERE `+where.String()+` RETURNING id, version`, args...)
		if err != nil {
			return err
		}
		ids, gone, err := scanRefs(rows)
		if err != nil {
			return err
		}
		if len(gone) == 0 {
			return tearline.Errorf(tearline.ENOTFOUND, "no matching version of %s in collection %s", id, collectionID)
		}
		n = len(gone)
		// The earliest or latest version may be gone: flag the remaining ones.
		_, err = tx.Exec(ctx, `UPDATE collection_objects co SET
				is_first = co.version = r.first, is_last = co.version = r.last
			FROM (SELECT min(version) AS first, max(version) AS last FROM collection_objects
				WHERE collection = $1 AND id = $2) r
			WHERE co.collection = $1 AND co.id = $2
			AND (co.is_first <> (co.version = r.first) OR co.is_last <> (co.version = r.last))`, pk, id)
		if err != nil {
			return err
		}
		return deleteOrphans(ctx, tx, ids, gone)
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
	var count *int64
	err = db.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM collection_objects co WHERE co.collection = c.pk)
		FROM collections c WHERE c.id = $1`, collectionID).Scan(&count)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, tearline.Errorf(tearline.ENOTFOUND, "no collection %q", collectionID)
	} else if err != nil {
		return 0, err
	}
	return int(*count), nil
}
