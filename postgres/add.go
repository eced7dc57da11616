package postgres

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/tracing"
)

// AddObjects adds the object versions to the collection in one transaction
// and returns one result per object, in order.
//
// A version (id and version key) already stored, in any collection, with
// other content is a Conflict and is not stored; the other objects are.
// Content is compared by Object.Digest when it is set, else by the bytes
// but for the whitespace between tokens; the bytes first stored are kept.
// A version the collection already holds is a Duplicate with its existing
// DateAdded. Every other version is Added with a new DateAdded, unique and
// strictly increasing within the collection: max(now, last assigned + 1µs),
// now being the database server's clock, shared by all nodes.
//
// It works in two steps. First, without holding any lock, it looks up the
// stored versions of the batch's ids, decides which versions are new to the
// store and copies them into objects (COPY, sorted by key so that
// concurrent writers of the same versions cannot deadlock). Then it locks
// the collection's row, reads which of the versions the collection holds,
// assigns date_added and the first/last flags, copies the memberships in
// and commits. Only the second, short step is serialized among writers of
// one collection. A transaction that meets a concurrent one on the same
// versions (unique or foreign key violation, deadlock) is retried whole.
//
// ENOTFOUND for an unknown collection; EINVALID for a nil object or one
// without id, type or bytes. On any error nothing is written.
func (db *DB) AddObjects(ctx context.Context, collectionID string, objs []*tearline.Object) (_ []tearline.AddResult, err error) {
	defer wrap(&err, "add objects to %s", collectionID)
	ctx, end := tracing.StoreCall(ctx, "postgresql", "AddObjects")
	defer end.End(&err)
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		if _, err := collectionPK(ctx, db.pool, collectionID); err != nil {
			return nil, err
		}
		return []tearline.AddResult{}, nil
	}
	hashes := normalize.ContentHashes(objs)
	var (
		results []tearline.AddResult
		feedTo  int64
	)
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		a := newAdder(tx, collectionID, objs, hashes)
		var err error
		results, err = a.run(ctx)
		feedTo = a.feedTo
		return err
	})
	if err != nil {
		return nil, err
	}
	if feedTo > 0 {
		// The versions are stored; numbering their feed entries may fail
		// (or this node stop) without losing them: the next sequencer run
		// of any node, or a feed reader, numbers them.
		_ = db.sequence(ctx, feedTo)
	}
	return results, nil
}

// The lookups of a batch's ids take each id in turn through an index: a
// LATERAL subquery that OFFSET 0 keeps from being merged into the join is
// run once per id. The plan stays the same whatever the statistics say, or
// whether there are any (autovacuum may be off, or behind a bulk load).
// An = ANY(array) condition, or a join left to the planner, turned into a
// scan of the whole table per batch on a large table without statistics.
const (
	// lookupObjectsSQL returns the stored versions of the ids in $1.
	lookupObjectsSQL = `SELECT o.id, o.version, o.hash FROM unnest($1::text[]) AS b (id)
		CROSS JOIN LATERAL (SELECT id, version, hash FROM objects WHERE id = b.id OFFSET 0) o`
	// lookupMembersSQL returns the versions of the ids in $2 that the
	// collection with id $1 holds, with their date_added.
	lookupMembersSQL = `SELECT co.id, co.version, co.date_added FROM unnest($2::text[]) AS b (id)
		CROSS JOIN LATERAL (SELECT id, version, date_added FROM collection_objects
			WHERE id = b.id AND collection = (SELECT pk FROM collections WHERE id = $1) OFFSET 0) co`
)

// versionRef identifies an object version.
type versionRef struct{ id, version string }

// version is what the adder knows of an object version of the batch.
type version struct {
	hash  [sha256.Size]byte
	raw   []byte // of a version new in this batch; nil for a stored one
	added time.Time
}

// span is the earliest and latest version of an id in the collection, now
// and as they were stored before the batch.
type span struct{ first, last, storedFirst, storedLast string }

// adder decides and writes one AddObjects batch within one transaction
// attempt.
type adder struct {
	tx           pgx.Tx
	collectionID string
	objs         []*tearline.Object
	hashes       [][sha256.Size]byte
	refs         []versionRef // of objs

	ids      []string                // distinct ids of the batch
	versions map[versionRef]*version // stored and new versions of the batch's ids
	fresh    []int                   // indexes in objs of the versions new to the store
	results  []tearline.AddResult
	feedTo   int64 // highest feed_pending id of the batch; 0 when it added nothing
}

func newAdder(tx pgx.Tx, collectionID string, objs []*tearline.Object, hashes [][sha256.Size]byte) *adder {
	a := &adder{
		tx:           tx,
		collectionID: collectionID,
		objs:         objs,
		hashes:       hashes,
		refs:         make([]versionRef, len(objs)),
		versions:     make(map[versionRef]*version, len(objs)),
		results:      make([]tearline.AddResult, len(objs)),
	}
	seen := make(map[string]bool, len(objs))
	for i, o := range objs {
		a.refs[i] = versionRef{o.ID, versionKey(o.Version)}
		if !seen[o.ID] {
			seen[o.ID] = true
			a.ids = append(a.ids, o.ID)
		}
	}
	return a
}

// run does the whole batch and returns the results.
func (a *adder) run(ctx context.Context) ([]tearline.AddResult, error) {
	if err := a.storeObjects(ctx); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := a.addMembers(ctx); err != nil {
		return nil, err
	}
	return a.results, ctx.Err()
}

// storeObjects looks up the stored versions of the batch's ids, marks the
// conflicts, and copies the versions new to the store into objects.
func (a *adder) storeObjects(ctx context.Context) error {
	rows, err := a.tx.Query(ctx, lookupObjectsSQL, a.ids)
	if err != nil {
		return err
	}
	var (
		ref  versionRef
		hash []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&ref.id, &ref.version, &hash}, func() error {
		v := &version{}
		copy(v.hash[:], hash)
		a.versions[ref] = v
		return nil
	})
	if err != nil {
		return fmt.Errorf("look up stored versions: %w", err)
	}
	for i, o := range a.objs {
		v := a.versions[a.refs[i]]
		switch {
		case v == nil:
			a.versions[a.refs[i]] = &version{hash: a.hashes[i], raw: o.Raw}
			a.fresh = append(a.fresh, i)
		case v.hash != a.hashes[i]:
			same, err := a.sameContent(ctx, a.refs[i], v, o.Raw)
			if err != nil {
				return err
			}
			if !same {
				a.results[i] = tearline.AddResult{Status: tearline.Conflict}
			}
		}
	}
	if len(a.fresh) == 0 {
		return nil
	}
	// One order for every writer, so two that insert the same new versions
	// wait for each other instead of deadlocking.
	slices.SortFunc(a.fresh, func(i, j int) int {
		return cmp.Or(cmp.Compare(a.refs[i].id, a.refs[j].id), cmp.Compare(a.refs[i].version, a.refs[j].version))
	})
	_, err = a.tx.CopyFrom(ctx, pgx.Identifier{"objects"},
		[]string{"id", "version", "type", "spec_version", "created", "revoked", "hash", "raw"},
		pgx.CopyFromSlice(len(a.fresh), func(k int) ([]any, error) {
			i := a.fresh[k]
			o := a.objs[i]
			var created *string
			if !o.Created.IsZero() {
				s := versionKey(o.Created)
				created = &s
			}
			return []any{o.ID, a.refs[i].version, o.Type, o.SpecVersion, created, o.Revoked, a.hashes[i][:], o.Raw}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy objects: %w", err)
	}
	return a.addSearch(ctx)
}

// addSearch adds the full-text rows (object_search) of the new versions
// that have a name or a description, in the order of the copy. Their text
// comes from the parse of validation when the objects carry it; the
// database only turns it into a tsvector.
func (a *adder) addSearch(ctx context.Context) error {
	var ids, versions, texts []string
	for _, i := range a.fresh {
		o := a.objs[i]
		t := o.TextOf()
		if t == nil {
			t = stix.ReadText(o.Raw)
		}
		if !t.Has {
			continue
		}
		ids, versions = append(ids, o.ID), append(versions, a.refs[i].version)
		// PostgreSQL's text cannot hold U+0000; a space splits words as
		// U+0000 does in the SQLite store's index (migration 00019).
		texts = append(texts, strings.ReplaceAll(t.Name+" "+t.Description, "\x00", " "))
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := a.tx.Exec(ctx, `INSERT INTO object_search (id, version, doc)
		SELECT u.id, u.version, to_tsvector('simple', u.text) FROM unnest($1::text[], $2::text[], $3::text[]) AS u (id, version, text)
		ON CONFLICT DO NOTHING`, ids, versions, texts)
	if err != nil {
		return fmt.Errorf("index the text of %d objects: %w", len(ids), err)
	}
	return nil
}

// sameContent reports whether raw is the content of version v of ref,
// whose hash differs: the same JSON text but for the whitespace between
// tokens.
func (a *adder) sameContent(ctx context.Context, ref versionRef, v *version, raw []byte) (bool, error) {
	stored := v.raw
	if stored == nil {
		err := a.tx.QueryRow(ctx, `SELECT raw FROM objects WHERE id = $1 AND version = $2`, ref.id, ref.version).Scan(&stored)
		if errors.Is(err, pgx.ErrNoRows) {
			// Deleted since the lookup: a new attempt stores raw.
			return false, errVersionGone
		} else if err != nil {
			return false, err
		}
		v.raw = stored
	}
	return normalize.EqualIgnoringSpace(stored, raw), nil
}

// errVersionGone is returned when a version found stored was deleted by a
// concurrent transaction before the adder read it.
var errVersionGone = errors.New("an object version was deleted concurrently")

// addMembers locks the collection, assigns date_added to the versions the
// collection lacks, sets the first/last flags, and writes the memberships
// and the collection's last date_added.
func (a *adder) addMembers(ctx context.Context) error {
	// The lock, the clock and the collection's versions of the batch's ids,
	// in one round trip; the statements run in order, so the clock is read
	// and the versions are looked up once the lock is held.
	b := &pgx.Batch{}
	var (
		pk        int64
		last      *time.Time
		clock     time.Time
		lockErr   error
		held      = map[versionRef]time.Time{}
		spans     = map[string]*span{}
		ref       versionRef
		dateAdded time.Time
	)
	b.Queue(`SELECT pk, last_added FROM collections WHERE id = $1 FOR UPDATE`, a.collectionID).QueryRow(func(row pgx.Row) error {
		lockErr = row.Scan(&pk, &last)
		if errors.Is(lockErr, pgx.ErrNoRows) {
			lockErr = tearline.Errorf(tearline.ENOTFOUND, "no collection %q", a.collectionID)
		}
		return nil // the other statements then find nothing
	})
	b.Queue(`SELECT clock_timestamp()`).QueryRow(func(row pgx.Row) error { return row.Scan(&clock) })
	b.Queue(lookupMembersSQL, a.collectionID, a.ids).Query(func(rows pgx.Rows) error {
		_, err := pgx.ForEachRow(rows, []any{&ref.id, &ref.version, &dateAdded}, func() error {
			held[ref] = dateAdded.UTC()
			extend(spans, ref)
			return nil
		})
		return err
	})
	if err := a.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if lockErr != nil {
		return lockErr
	}
	for _, sp := range spans {
		sp.storedFirst, sp.storedLast = sp.first, sp.last
	}

	lastAdded := fromNull(last)
	base := stored(clock)
	var added []int
	for i := range a.objs {
		if a.results[i].Status == tearline.Conflict {
			continue
		}
		ref := a.refs[i]
		if d, ok := held[ref]; ok {
			a.results[i] = tearline.AddResult{Status: tearline.Duplicate, DateAdded: d}
			continue
		}
		if lastAdded.Before(base) {
			lastAdded = base
		} else {
			lastAdded = lastAdded.Add(time.Microsecond)
		}
		held[ref] = lastAdded
		extend(spans, ref)
		added = append(added, i)
		a.results[i] = tearline.AddResult{Status: tearline.Added, DateAdded: lastAdded}
	}
	if len(added) == 0 {
		return nil
	}

	_, err := a.tx.CopyFrom(ctx, pgx.Identifier{"collection_objects"},
		[]string{"collection", "date_added", "id", "version", "type", "spec_version", "is_first", "is_last"},
		pgx.CopyFromSlice(len(added), func(k int) ([]any, error) {
			i := added[k]
			o, ref := a.objs[i], a.refs[i]
			sp := spans[ref.id]
			return []any{pk, a.results[i].DateAdded, ref.id, ref.version, o.Type, o.SpecVersion,
				ref.version == sp.first, ref.version == sp.last}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy memberships: %w", err)
	}
	dates := make([]time.Time, len(added))
	for k, i := range added {
		dates[k] = a.results[i].DateAdded
	}
	if a.feedTo, err = pendFeed(ctx, a.tx, pk, dates); err != nil {
		return err
	}

	// Stored versions that are no longer the first or the last of their id.
	type clear struct{ first, last bool }
	clears := map[versionRef]*clear{}
	for id, sp := range spans {
		if sp.storedFirst != "" && sp.storedFirst != sp.first {
			r := versionRef{id, sp.storedFirst}
			if clears[r] == nil {
				clears[r] = &clear{}
			}
			clears[r].first = true
		}
		if sp.storedLast != "" && sp.storedLast != sp.last {
			r := versionRef{id, sp.storedLast}
			if clears[r] == nil {
				clears[r] = &clear{}
			}
			clears[r].last = true
		}
	}
	b = &pgx.Batch{}
	if len(clears) > 0 {
		var (
			ids, versions []string
			firsts, lasts []bool
		)
		for r, c := range clears {
			ids, versions = append(ids, r.id), append(versions, r.version)
			firsts, lasts = append(firsts, c.first), append(lasts, c.last)
		}
		b.Queue(`UPDATE collection_objects co SET
				is_first = co.is_first AND NOT u.first, is_last = co.is_last AND NOT u.last
			FROM unnest($2::text[], $3::text[], $4::boolean[], $5::boolean[]) AS u (id, version, first, last)
			WHERE co.id = u.id AND co.version = u.version AND co.collection = $1`,
			pk, ids, versions, firsts, lasts)
	}
	b.Queue(`UPDATE collections SET last_added = $2 WHERE pk = $1`, pk, lastAdded)
	return a.tx.SendBatch(ctx, b).Close()
}

// extend records in spans that the collection holds version ref.
func extend(spans map[string]*span, ref versionRef) {
	sp := spans[ref.id]
	switch {
	case sp == nil:
		spans[ref.id] = &span{first: ref.version, last: ref.version}
	case ref.version < sp.first:
		sp.first = ref.version
	case ref.version > sp.last:
		sp.last = ref.version
	}
}
