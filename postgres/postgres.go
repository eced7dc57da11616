// Package postgres implements the Tearline stores (tearline.Store,
// Directory, StatusStore, Products and Releases: all that a TAXII server
// needs) on PostgreSQL with pgx, so that
// several `tearline serve` nodes can share one database.
//
// Several processes may write to the same collection at once. AddObjects
// takes the row lock of the collection (SELECT ... FOR UPDATE) before it
// assigns date_added and holds it until it commits, so within a collection
// date_added is unique and strictly increasing, and transactions commit in
// date_added order: any snapshot that shows an entry shows every entry with
// an earlier date_added, and a reader paging with added_after skips nothing.
//
// The schema (migrations/) avoids features that PostgreSQL-compatible
// distributed databases lack: no advisory locks, no LISTEN/NOTIFY, no
// triggers or stored procedures; migrations are serialized by goose's
// table-based lock. PostgreSQL-specific features in use: COPY FROM STDIN
// (binary) for bulk ingest, the "C" collation for byte-ordered text, text[]
// and jsonb columns, partial indexes, identity columns, and
// clock_timestamp() as the one clock all nodes share.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/tearline/tearline"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a Tearline store in a PostgreSQL database. It implements
// tearline.Store, Directory, StatusStore, Products and Releases and is safe for
// concurrent use, by several DB values in several processes too.
type DB struct {
	pool    *pgxpool.Pool
	retries atomic.Int64 // transactions run again (see inTx)
	// vacuum keeps feed_pending's dead rows down when the server's
	// autovacuum is off (see feedVacuum).
	vacuum feedVacuum
}

var (
	_ tearline.Store       = (*DB)(nil)
	_ tearline.Directory   = (*DB)(nil)
	_ tearline.StatusStore = (*DB)(nil)
	_ tearline.Products    = (*DB)(nil)
)

// Open connects to the database named by url (a postgres:// URL or a
// key=value connection string, as pgx parses them; pool settings such as
// pool_max_conns, and runtime parameters such as search_path, may be
// given in it) and applies the pending schema migrations. It logs a warning
// (once per process) when the server's autovacuum is off: the plans of pages rest on the
// statistics it keeps. The caller must Close the returned DB.
func Open(ctx context.Context, url string) (_ *DB, err error) {
	defer wrap(&err, "open")
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error quotes the URL, password included.
		return nil, errors.New("malformed database URL")
	}
	serialPlans(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var autovacuum string
	if err := pool.QueryRow(ctx, `SHOW autovacuum`).Scan(&autovacuum); err == nil && autovacuum == "off" {
		// Pages are planned from the statistics that autovacuum keeps:
		// without them the planner may read all of a collection after the
		// cursor and sort it, for every page.
		warnAutovacuum.Do(func() {
			slog.Warn("postgres: autovacuum is off: run ANALYZE after bulk loads, or pages of large collections get slow")
		})
		db.vacuum.every = feedVacuumEvery
	}
	return db, nil
}

// migrate applies the embedded migrations that the database lacks. Nodes
// starting together take turns through a lock row in the table goose_lock
// rather than an advisory lock. Migration numbers are assigned ahead of
// time, so one may land after a higher one was applied: it is applied then
// (out of order) rather than refused.
func (db *DB) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresTableLocker(lock.WithTableLockTimeout(500*time.Millisecond, 1200))
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys, goose.WithLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// Close closes the connections to the database. Operations in progress
// may fail.
func (db *DB) Close() error {
	db.vacuum.close()
	db.pool.Close()
	return nil
}

// serialPlans makes the pool's connections plan without parallel
// workers unless the URL sets max_parallel_workers_per_gather. A page of
// 1,000 entries is a short index walk, but the planner, costing the whole
// rest of a large collection, gives it a Gather Merge: starting the
// workers then took 32 ms of a 66 ms page on 2 cores, where the walk
// alone took 13 ms with the operating system's cache dropped. A server
// that answers many clients at once has no idle cores to lend a query
// anyway. A PostgreSQL-compatible database that does not know the setting
// keeps its own plans: the SET fails and is ignored.
func serialPlans(cfg *pgxpool.Config) {
	if _, ok := cfg.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"]; ok {
		return
	}
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, `SET max_parallel_workers_per_gather = 0`); err != nil && c.IsClosed() {
			return err
		}
		if after != nil {
			return after(ctx, c)
		}
		return nil
	}
}

// warnAutovacuum logs, once per process, that autovacuum is off.
var warnAutovacuum sync.Once

// maxAttempts is how many times a transaction that failed for a reason a
// retry may not meet (see retryable) is tried in all.
const maxAttempts = 8

// inTx runs fn in a transaction and commits it when fn returns nil;
// otherwise it rolls back, so a failed operation leaves nothing written.
// A transaction that failed because of a concurrent one (see retryable) is
// run again from the start, fn included.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, db.pool, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
		db.retries.Add(1)
	}
}

// retryable reports whether err ended a transaction because of another
// one: a serialization failure or deadlock, a new object version that a
// concurrent transaction inserted first (unique violation on objects), or a
// membership whose object version a concurrent transaction deleted, or vice
// versa (foreign key violation between collection_objects and objects, or
// errVersionGone), or an object version of the observable index that a
// concurrent transaction deleted (observable_versions and objects).
// Each time, a new attempt sees the other transaction's outcome.
func retryable(err error) bool {
	if errors.Is(err, errVersionGone) {
		return true
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01":
		return true
	case "23505":
		return pe.ConstraintName == "objects_pkey"
	case "23503":
		return pe.ConstraintName == "collection_objects_id_version_fkey" ||
			pe.ConstraintName == "observable_versions_id_version_fkey"
	}
	return false
}

// uniqueViolation returns the constraint name when err is a unique
// violation, else "".
func uniqueViolation(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName
	}
	return ""
}

// wrap prefixes a non-nil internal *errp with "postgres: " and the
// operation name. *tearline.Error values are returned as they are: their
// message is meant for the client.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	var e *tearline.Error
	if errors.As(*errp, &e) {
		*errp = e
		return
	}
	*errp = fmt.Errorf("postgres: %s: %w", fmt.Sprintf(format, args...), *errp)
}

// now returns the current time as stored: UTC, to the microsecond.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// stored returns t as stored: UTC, to the microsecond (rounded down, as
// PostgreSQL stores a timestamptz sent by pgx).
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// versionKey formats t as a version key (tearline.VersionLayout).
func versionKey(t time.Time) string { return t.UTC().Format(tearline.VersionLayout) }

// parseVersionKey parses a version key read back from the database.
func parseVersionKey(s string) (time.Time, error) {
	return time.Parse(tearline.VersionLayout, s)
}

// nullTime returns t, or nil (NULL) for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromNull returns the time of a nullable column in UTC, the zero time for
// NULL.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// collect reads and closes rows with fn, like pgx.CollectRows, but returns
// nil rather than an empty slice when there are none, as the sqlite store
// does.
func collect[T any](rows pgx.Rows, fn pgx.RowToFunc[T]) ([]T, error) {
	vs, err := pgx.CollectRows(rows, fn)
	if len(vs) == 0 {
		return nil, err
	}
	return vs, err
}
