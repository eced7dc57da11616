package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
	"github.com/tearline/tearline/tracing"
)

// versionWhere appends to b the condition " AND (...)" that selects the
// versions of filter f in the columns of collection_objects with the given
// prefix ("" or "co."), and returns args with its parameters appended.
func versionWhere(f normalize.VersionFilter, b *strings.Builder, args []any, prefix string) []any {
	if f.All {
		return args
	}
	var terms []string
	if f.Last {
		terms = append(terms, prefix+"is_last = 1")
	}
	if f.First {
		terms = append(terms, prefix+"is_first = 1")
	}
	if len(f.Exact) > 0 {
		var in strings.Builder
		args = inList(&in, args, prefix+"version", f.Exact)
		terms = append(terms, strings.TrimPrefix(in.String(), " AND "))
	}
	b.WriteString(" AND (")
	b.WriteString(strings.Join(terms, " OR "))
	b.WriteString(")")
	return args
}

// inList appends to b the condition " AND column IN (?, ...)" when values is
// not empty, and returns args with the values appended.
func inList(b *strings.Builder, args []any, column string, values []string) []any {
	if len(values) == 0 {
		return args
	}
	b.WriteString(" AND ")
	b.WriteString(column)
	b.WriteString(" IN (")
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("?")
		args = append(args, v)
	}
	b.WriteString(")")
	return args
}

// QueryObjects returns the entries of collection q.CollectionID that match
// q, in date_added order, at most q.Limit of them when it is positive; More
// tells whether further entries match. It reads a consistent snapshot and
// never blocks writers. ENOTFOUND for an unknown collection; EINVALID for a
// malformed version filter or a negative limit.
func (db *DB) QueryObjects(ctx context.Context, q tearline.ObjectQuery) (_ *tearline.ObjectPage, err error) {
	defer wrap(&err, "query objects in %s", q.CollectionID)
	ctx, end := tracing.StoreCall(ctx, "sqlite", "QueryObjects")
	defer end.End(&err)
	vf, err := normalize.Versions(q.Versions, tearline.VersionLast)
	if err != nil {
		return nil, err
	}
	if q.Limit < 0 {
		return nil, tearline.Errorf(tearline.EINVALID, "negative limit %d", q.Limit)
	}

	page := &tearline.ObjectPage{}
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		pk, err := db.readCollectionPK(ctx, tx, q.CollectionID)
		if err != nil {
			return err
		}
		query, args := objectQuery(pk, q, vf)
		// Queries of ids carry their hashes as literals: each text is new,
		// and is not cached.
		var st *sql.Stmt
		if len(q.IDs) == 0 {
			if st, err = db.txStmt(ctx, tx, query); err != nil {
				return err
			}
		}
		var rows *sql.Rows
		if st != nil {
			defer st.Close()
			rows, err = st.QueryContext(ctx, args...)
		} else {
			rows, err = tx.QueryContext(ctx, query, args...)
		}
		if err != nil {
			return err
		}
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
	if err != nil {
		return nil, err
	}
	return page, nil
}

// objectQuery returns the SQL text and parameters of query q on the
// collection with row key pk. It fetches one entry beyond the limit to tell
// whether there are more.
//
// CROSS JOIN fixes the join order. Entries of given ids are found through
// object_keys (migration 27) and sorted; all others are read from
// collection_objects in date_added order, by the index objectIndex names,
// with objects reached by row key. SQLite's own choice, without statistics
// (no ANALYZE is run), would scan the collection in date_added order
// whatever the filters.
func objectQuery(pk int64, q tearline.ObjectQuery, vf normalize.VersionFilter) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT co.date_added, co.id, co.type, co.spec_version, co.version, o.created, o.revoked`)
	if !q.NoRaw {
		b.WriteString(`, o.raw`)
	}
	args := []any{pk}
	if len(q.IDs) > 0 {
		b.WriteString(` FROM objects o CROSS JOIN collection_objects co ON co.object = o.pk AND co.collection = ? WHERE 1`)
		hashes := make([]string, len(q.IDs))
		for i, id := range q.IDs {
			hashes[i] = strconv.FormatInt(idHash(id), 10)
		}
		// The hashes are integers, formatted here rather than bound.
		b.WriteString(` AND o.pk IN (SELECT pk FROM object_keys WHERE idh IN (` + strings.Join(hashes, ", ") + `))`)
		args = inList(&b, args, "o.id", q.IDs)
	} else {
		b.WriteString(` FROM collection_objects co`)
		if index := objectIndex(q, vf); index != "" {
			b.WriteString(` INDEXED BY `)
			b.WriteString(index)
		}
		b.WriteString(` CROSS JOIN objects o ON o.pk = co.object WHERE co.collection = ?`)
	}
	if !q.AddedAfter.IsZero() {
		b.WriteString(` AND co.date_added > ?`)
		args = append(args, micros(q.AddedAfter))
	}
	args = inList(&b, args, "co.type", q.Types)
	args = inList(&b, args, "co.spec_version", q.SpecVersions)
	args = versionWhere(vf, &b, args, "co.")
	b.WriteString(` ORDER BY co.date_added`)
	if q.Limit > 0 {
		b.WriteString(` LIMIT ?`)
		args = append(args, q.Limit+1)
	}
	return b.String(), args
}

// objectIndex returns the index of collection_objects that serves q, one
// without ids, or "" for the primary key, the collection in date_added
// order.
func objectIndex(q tearline.ObjectQuery, vf normalize.VersionFilter) string {
	switch {
	case len(q.Types) == 1:
		// One type's entries in date_added order, however rare.
		return "collection_objects_type"
	case vf.Only(tearline.VersionLast):
		return "collection_objects_last"
	case vf.Only(tearline.VersionFirst):
		return "collection_objects_first"
	}
	return ""
}

// scanEntry reads a row of objectQuery.
func scanEntry(rows *sql.Rows, noRaw bool) (*tearline.Entry, error) {
	var (
		e         tearline.Entry
		dateAdded int64
		version   string
		created   sql.NullString
	)
	dest := []any{&dateAdded, &e.ID, &e.Type, &e.SpecVersion, &version, &created, &e.Revoked}
	if !noRaw {
		dest = append(dest, &e.Raw)
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	e.DateAdded = fromMicros(dateAdded)
	var err error
	if e.Version, err = parseVersionKey(version); err != nil {
		return nil, fmt.Errorf("%s: version: %w", e.ID, err)
	}
	if created.Valid {
		if e.Created, err = parseVersionKey(created.String); err != nil {
			return nil, fmt.Errorf("%s: created: %w", e.ID, err)
		}
	}
	return &e, nil
}
