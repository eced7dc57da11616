// Package sqlite implements tearline.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go).
//
// The database is one file, tearline.db, in a data directory, in WAL mode.
// Writes go through a single connection that begins its transactions with
// BEGIN IMMEDIATE, so writers are serialized and commit in the order they
// assign date_added; reads use a separate pool of query-only connections that
// see consistent snapshots while a write is in progress. A second file,
// derived.db, holds the portal's full-text index, which its own writer
// derives from the first (see DerivedFileName); the readers attach it.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/tearline/tearline"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the name of the database file inside the data directory.
const FileName = "tearline.db"

// busyTimeout is how long a connection waits for a lock held by another
// connection (another process, or a checkpoint) before failing.
const busyTimeout = 10 * time.Second

// pageSize is the page size of new databases. Against the 4 KiB default
// it halves the CPU time of a bulk import: object bytes average 2 KiB, and
// every page costs the driver a few system calls on its way through the WAL.
const pageSize = 16384

// DB is a Tearline store in one SQLite database file. It implements
// tearline.Store and is safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB    // one connection; every write goes through it
	r    *sql.DB    // query-only connections
	rs   *stmtCache // prepared statements of r
	c    *sql.DB    // one connection for background checkpoints
	text *textIndex // the full-text index, in the derived file
	pks  pkHints    // row keys of versions of recently added objects

	unchecked  atomic.Int64  // estimated bytes written since the last checkpoint request
	checkpoint chan struct{} // asks the checkpointer for a checkpoint
	stop       chan struct{} // closed by Close to stop the checkpointer
	stopped    chan struct{} // closed by the checkpointer when it stops
	// onCheckpoint, when not nil, is called after each background checkpoint.
	onCheckpoint func(error)
	closeOnce    sync.Once
	closeText    sync.Once
}

var _ tearline.Store = (*DB)(nil)

// Open opens the store in directory dir, creating the directory (mode 0700)
// and the database file when they do not exist, and applies the pending
// schema migrations. The caller must Close the returned DB.
func Open(ctx context.Context, dir string) (*DB, error) {
	return open(ctx, dir, nil)
}

// open is Open with a function that the checkpointer calls after each
// checkpoint, for tests.
func open(ctx context.Context, dir string, onCheckpoint func(error)) (_ *DB, err error) {
	defer wrap(&err, "open %s", dir)
	if dir == "" {
		return nil, errors.New("empty data directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	db := &DB{path: path, onCheckpoint: onCheckpoint}

	db.w, err = sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.migrate(ctx); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var key []byte
	if err := db.w.QueryRowContext(ctx, `SELECT key FROM derived_key`).Scan(&key); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("read derived_key: %w", err)
	}
	derivedPath := filepath.Join(filepath.Dir(path), DerivedFileName)
	if db.text, err = openTextIndex(ctx, db, derivedPath, key); err != nil {
		db.w.Close()
		return nil, err
	}

	n := max(4, runtime.GOMAXPROCS(0))
	db.r = sql.OpenDB(attachConnector{dsn: dsn(path, true), derived: derivedPath})
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	db.rs = newStmtCache(db.r)
	if err := db.r.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}

	db.c, err = sql.Open("sqlite", dsn(path, false))
	if err != nil {
		db.Close()
		return nil, err
	}
	db.c.SetMaxOpenConns(1)
	db.c.SetMaxIdleConns(1)
	db.checkpoint = make(chan struct{}, 1)
	db.stop = make(chan struct{})
	db.stopped = make(chan struct{})
	go db.checkpointer()
	db.text.start()
	return db, nil
}

// checkpointBytes is about how much is written to the WAL between two
// background checkpoints. Each checkpoint costs two fsyncs, so they are
// spaced by volume rather than run after every commit.
const checkpointBytes = 8 << 20

// smallWrite is the estimated WAL volume of a commit that does not report
// its own: a few pages.
const smallWrite = 4 * pageSize

// checkpointer copies committed WAL frames into the database file once
// writes have added checkpointBytes to it, so that writers never do it
// themselves (SQLite's automatic checkpoint runs in the committing
// writer, and copies the whole WAL while the writer waits). A PASSIVE
// checkpoint waits for no one: readers and the writer go on while it runs,
// on another core, and requests made meanwhile are served by one more
// checkpoint. Errors are logged: a checkpoint that fails leaves the WAL to
// the next one, and the writer's own automatic checkpoint is the backstop.
func (db *DB) checkpointer() {
	defer close(db.stopped)
	for {
		select {
		case <-db.stop:
			return
		case <-db.checkpoint:
		}
		_, err := db.c.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		if err != nil {
			slog.Warn("sqlite: checkpoint failed", "path", db.path, "err", err)
		}
		if db.onCheckpoint != nil {
			db.onCheckpoint(err)
		}
	}
}

// wrote records that a committed transaction wrote about n bytes to the
// WAL and, every checkpointBytes, asks for a checkpoint without waiting for
// it.
func (db *DB) wrote(n int64) {
	if db.unchecked.Add(n) < checkpointBytes {
		return
	}
	db.unchecked.Store(0)
	select {
	case db.checkpoint <- struct{}{}:
	default: // one is pending already
	}
}

// dsn returns the data source name of the writer connection or, when
// readOnly, of a reader connection. It is a file: URI so that any path
// survives escaping.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", "cache_size(-16384)") // 16 MiB per reader
	} else {
		// The writer walks the indexes of every collection it adds to; the
		// default 2 MB cache makes inserts into large collections read the
		// same index pages again and again. A larger cache costs every
		// commit more: SQLite then walks the cache's hash table, whose size
		// follows the cache's (pcache1Truncate), and fills it through fresh
		// allocations. With 128 MiB, posting 300,000 indicators ran at
		// 8,845-10,352 objects/s against 11,398-12,423 with 16 MiB
		// (bench/README.md, session 10).
		q.Add("_pragma", "cache_size(-16384)") // 16 MiB
		// page_size applies only to a new, empty database: the driver runs
		// the _pragma list before the journal mode shorthand, which
		// creates the file.
		q.Add("_pragma", fmt.Sprintf("page_size(%d)", pageSize))
		q.Set("_journal_mode", "WAL")
		// The checkpointer keeps the WAL short; this is the backstop.
		q.Add("_pragma", "wal_autocheckpoint(16384)")
		q.Add("_pragma", "journal_size_limit(67108864)")
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	// url.URL renders "file:///abs/path?..." for an absolute path, which
	// SQLite reads as a URI with an empty authority.
	return u.String()
}

// migrate applies the embedded migrations that the database lacks. Their
// numbers are assigned ahead of time, so one may land after a higher one
// was applied: it is applied then (out of order) rather than refused.
func (db *DB) migrate(ctx context.Context) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	// p.Close would close db.w, which the store keeps using.
	_, err = p.Up(ctx)
	return err
}

// migrations returns a goose provider of the embedded migrations on the
// writer connection.
func (db *DB) migrations() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, db.w, fsys, goose.WithAllowOutofOrder(true),
		goose.WithGoMigrations(goMigrations...))
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database. Operations in progress may fail.
func (db *DB) Close() error {
	var errs []error
	if db.text != nil {
		db.closeText.Do(func() { errs = append(errs, db.text.close()) })
	}
	if db.stop != nil {
		db.closeOnce.Do(func() { close(db.stop) })
		<-db.stopped
	}
	if db.rs != nil {
		db.rs.close()
	}
	for _, d := range []*sql.DB{db.c, db.r, db.w} {
		// The writer goes last: closing the last connection checkpoints the
		// WAL into the database file and removes the -wal and -shm files.
		if d != nil {
			errs = append(errs, d.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// writeTx runs fn in a write transaction on the writer connection and commits
// it when fn returns nil; otherwise it rolls back, so a failed operation
// leaves nothing written. Waiting for the writer connection respects ctx.
// The transaction itself runs with ctx's values but not its cancellation:
// fn checks ctx between statements instead, which spares the driver a
// watcher goroutine per statement on bulk writes.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	// Rollback after Commit is a no-op; this also covers a panic in fn.
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.wrote(smallWrite)
	return nil
}

// readTx runs fn in a read transaction on a reader connection, so that all
// its statements see the same snapshot of the database.
func (db *DB) readTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// wrap prefixes a non-nil internal *errp with "sqlite: " and the operation
// name. *tearline.Error values are returned as they are: their message is
// meant for the client.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	var e *tearline.Error
	if errors.As(*errp, &e) {
		*errp = e
		return
	}
	*errp = fmt.Errorf("sqlite: %s: %w", fmt.Sprintf(format, args...), *errp)
}

// micros returns t as integer microseconds since the epoch, the unit of
// date_added and created.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of micros, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// versionKey formats t as a version key (tearline.VersionLayout).
//
// It writes the digits itself: time.Format, which interprets the layout
// on every call, was a few percent of the single writer's time in ingest
// profiles. Years outside 0000-9999 are left to time.Format.
func versionKey(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(tearline.VersionLayout)
	}
	hour, minute, sec := t.Clock()
	var b [len(tearline.VersionLayout)]byte
	digits := func(at, n, v int) {
		for i := at + n - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	digits(0, 4, year)
	b[4] = '-'
	digits(5, 2, int(month))
	b[7] = '-'
	digits(8, 2, day)
	b[10] = 'T'
	digits(11, 2, hour)
	b[13] = ':'
	digits(14, 2, minute)
	b[16] = ':'
	digits(17, 2, sec)
	b[19] = '.'
	digits(20, 9, t.Nanosecond())
	b[29] = 'Z'
	return string(b[:])
}

// parseVersionKey parses a version key read back from the database.
func parseVersionKey(s string) (time.Time, error) {
	return time.Parse(tearline.VersionLayout, s)
}
