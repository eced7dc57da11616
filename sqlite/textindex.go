package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/tearline/tearline"
	sqlitedrv "modernc.org/sqlite"
)

// DerivedFileName is the name of the second database file of a data
// directory, beside FileName: it holds the portal's full-text index,
// object_text, which is derived from the stored objects alone.
//
// The index has a writer of its own, so that indexing the words of each
// new version no longer takes the single writer of the main file: ingest
// commits the objects, then hands their names and descriptions to the
// indexer, which writes them on another core (FTS5's inserts, flushes and
// merges once took a seventh of that writer's time). The indexer keeps,
// in the same file and transaction as the rows, the row key up to which
// every stored version is indexed; on open it indexes whatever the main
// file holds past it (after a crash, or when the file is new: a restored
// backup, a copied store, an upgrade), reading the objects' bytes. The
// main file's triggers queue the row keys of deleted versions (text_gone),
// which the indexer removes, and keep row keys from being handed out
// again (pk_floor), so that a row of the index never names another
// version. Searches wait for the indexer to catch up with what was
// committed before them, for at most textSyncWait.
const DerivedFileName = "derived.db"

// textSyncWait bounds how long a search waits for the indexer.
const textSyncWait = 5 * time.Second

// gatherWait is how long the indexer lets offered batches gather before
// it writes them, unless a search waits.
const gatherWait = 250 * time.Millisecond

// textBatchRows is how many versions the indexer writes per transaction
// when it reads them from the main file.
const textBatchRows = 10000

// maxOffered bounds the versions whose text waits in memory for the
// indexer; past it, the indexer reads them from the main file.
const maxOffered = 200000

// derivedSchema creates the tables of the derived file. text_progress
// holds the main file's derived_key, so that a derived file left beside
// another database is rebuilt rather than trusted.
const derivedSchema = `
CREATE VIRTUAL TABLE IF NOT EXISTS object_text USING fts5 (name, description,
	content = '', contentless_delete = 1, detail = column,
	tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS text_progress (
	store_key BLOB    NOT NULL,
	done      INTEGER NOT NULL
) STRICT;`

// textAutomerge is the FTS5 automerge setting of object_text: how many
// segments of one level gather before they are merged into one of the
// next level. FTS5's default is 4. With 8, BenchmarkTextAutomerge indexes
// 1,000,000 rows in 16-19% less time, and searches take as long
// (bench/README.md, session 17). 16 saves more, but in another test it
// made searches for common words 17% slower.
const textAutomerge = 8

// insertTextSQL adds a version's row to the full-text index.
const insertTextSQL = `INSERT INTO object_text (rowid, name, description) VALUES (?, ?, ?)`

// textBatch is the text of consecutive new versions, the first with row
// key first.
type textBatch struct {
	first int64
	ders  []derived
}

// textIndex maintains object_text in the derived file.
type textIndex struct {
	db     *DB
	w      *sql.DB // the one connection that writes the derived file
	wake   chan struct{}
	urgent chan struct{} // a search waits
	stop   chan struct{}
	// stopped is closed when the indexer, once started, has stopped.
	stopped chan struct{}
	started bool // set by start, before any other goroutine uses t

	runMu sync.Mutex // held by catchUp

	mu       sync.Mutex
	offered  map[int64]*textBatch // by first row key
	nOffered int
	done     int64         // every version up to this row key is indexed
	moved    chan struct{} // closed and replaced when done moves
}

// openTextIndex opens (creating it when needed) the derived file at path,
// beside the main file of db, whose derived_key is key, and reads how far
// the index goes. A derived file made for another main file is emptied.
func openTextIndex(ctx context.Context, db *DB, path string, key []byte) (*textIndex, error) {
	w, err := sql.Open("sqlite", derivedDSN(path))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	t := &textIndex{db: db, w: w, wake: make(chan struct{}, 1), urgent: make(chan struct{}, 1), stop: make(chan struct{}),
		stopped: make(chan struct{}), offered: map[int64]*textBatch{}, moved: make(chan struct{})}
	if err := t.prepare(ctx, key); err != nil {
		w.Close()
		return nil, fmt.Errorf("derived file %s: %w", path, err)
	}
	return t, nil
}

// prepare creates the derived file's tables and reads the progress,
// starting over when it belongs to another main file.
func (t *textIndex) prepare(ctx context.Context, key []byte) error {
	if _, err := t.w.ExecContext(ctx, derivedSchema); err != nil {
		return err
	}
	var automerge int
	err := t.w.QueryRowContext(ctx, `SELECT v FROM object_text_config WHERE k = 'automerge'`).Scan(&automerge)
	if errors.Is(err, sql.ErrNoRows) || err == nil && automerge != textAutomerge {
		_, err = t.w.ExecContext(ctx, `INSERT INTO object_text (object_text, rank) VALUES ('automerge', ?)`, textAutomerge)
	}
	if err != nil {
		return fmt.Errorf("set the full-text index's automerge: %w", err)
	}
	var stored []byte
	err = t.w.QueryRowContext(ctx, `SELECT store_key, done FROM text_progress`).Scan(&stored, &t.done)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = t.w.ExecContext(ctx, `INSERT INTO text_progress (store_key, done) VALUES (?, 0)`, key)
		return err
	case err != nil:
		return err
	case bytes.Equal(stored, key):
		return nil
	}
	slog.Warn("sqlite: the full-text index belongs to another database; rebuilding it", "path", t.db.path)
	tx, err := t.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM object_text`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE text_progress SET store_key = ?, done = 0`, key); err != nil {
		return err
	}
	t.done = 0
	return tx.Commit()
}

// derivedDSN is the data source name of the derived file's writer.
func derivedDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "cache_size(-32768)") // 32 MiB
	q.Set("_journal_mode", "WAL")
	q.Add("_pragma", "journal_size_limit(67108864)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// offer hands the indexer the text of new versions just committed, the
// first with row key first, and wakes it.
func (t *textIndex) offer(first int64, ders []derived) {
	if len(ders) > 0 {
		t.mu.Lock()
		if t.nOffered+len(ders) <= maxOffered && first > t.done {
			t.offered[first] = &textBatch{first: first, ders: ders}
			t.nOffered += len(ders)
		}
		t.mu.Unlock()
	}
	t.poke()
}

// poke wakes the indexer.
func (t *textIndex) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// start starts the indexer.
func (t *textIndex) start() {
	t.started = true
	go t.run()
}

// run is the indexer: it catches up at start and after every wake.
func (t *textIndex) run() {
	defer close(t.stopped)
	for {
		if err := t.catchUp(); err != nil {
			slog.Error("sqlite: full-text indexing failed; retrying", "path", t.db.path, "err", err)
			select {
			case <-t.stop:
				return
			case <-time.After(time.Second):
			}
			continue
		}
		select {
		case <-t.stop:
			return
		case <-t.wake:
		case <-t.urgent:
			continue
		}
		// Let a few batches gather: one transaction for several costs
		// FTS5 fewer flushes and merges. A search does not wait for it.
		timer := time.NewTimer(gatherWait)
	gather:
		for {
			t.mu.Lock()
			n := t.nOffered
			t.mu.Unlock()
			if n >= textBatchRows {
				break
			}
			select {
			case <-t.stop:
				timer.Stop()
				return
			case <-t.urgent:
				break gather
			case <-t.wake:
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
	}
}

// catchUp indexes the versions the main file holds past done and removes
// the rows of deleted versions, until there are none.
func (t *textIndex) catchUp() error {
	t.runMu.Lock()
	defer t.runMu.Unlock()
	ctx := context.Background()
	for {
		select {
		case <-t.stop:
			return nil
		default:
		}
		last, err := t.lastPK(ctx)
		if err != nil {
			return err
		}
		t.mu.Lock()
		done := t.done
		t.mu.Unlock()
		if last <= done {
			return t.removeGone(ctx)
		}
		if err := t.indexNext(ctx, done, last); err != nil {
			return err
		}
	}
}

// lastPK returns the row key of the last version the main file holds.
func (t *textIndex) lastPK(ctx context.Context) (int64, error) {
	var last int64
	err := t.db.r.QueryRowContext(ctx, `SELECT coalesce(max(pk), 0) FROM objects`).Scan(&last)
	return last, err
}

// indexNext indexes the next versions past done (up to last): the
// offered batches that follow one another from done+1, up to about
// textBatchRows versions, or up to textBatchRows read from the main file.
// Fewer, larger transactions cost FTS5 fewer flushes and merges.
func (t *textIndex) indexNext(ctx context.Context, done, last int64) error {
	var (
		pks  []int64
		ders []derived
		upTo = done
	)
	t.mu.Lock()
	for len(ders) < textBatchRows {
		b := t.offered[upTo+1]
		if b == nil || b.first > last {
			break
		}
		for i, d := range b.ders {
			pks, ders = append(pks, b.first+int64(i)), append(ders, d)
		}
		upTo = b.first + int64(len(b.ders)) - 1
	}
	next := last + 1 // the first offered row key past upTo, if any
	for first := range t.offered {
		if first > upTo && first < next {
			next = first
		}
	}
	t.mu.Unlock()
	if upTo == done {
		var err error
		if pks, ders, upTo, err = t.read(ctx, done, min(next-1, last)); err != nil {
			return err
		}
	}
	return t.write(ctx, done, pks, ders, upTo)
}

// read reads from the main file the text of up to textBatchRows stored
// versions with row keys past after and up to upTo, and returns the row
// key up to which it read.
func (t *textIndex) read(ctx context.Context, after, upTo int64) ([]int64, []derived, int64, error) {
	rows, err := t.db.r.QueryContext(ctx, `SELECT pk, type, raw FROM objects WHERE pk > ? AND pk <= ? ORDER BY pk LIMIT ?`,
		after, upTo, textBatchRows)
	if err != nil {
		return nil, nil, 0, err
	}
	defer rows.Close()
	var (
		pks  []int64
		ders []derived
		n    int
	)
	reached := upTo
	for rows.Next() {
		var (
			pk  int64
			o   tearline.Object
			raw []byte
		)
		if err := rows.Scan(&pk, &o.Type, &raw); err != nil {
			return nil, nil, 0, err
		}
		o.Raw = raw
		n++
		if d := derive(&o); d.text {
			pks, ders = append(pks, pk), append(ders, d)
		}
		reached = pk
	}
	if err := rows.Err(); err != nil {
		return nil, nil, 0, err
	}
	if n < textBatchRows {
		reached = upTo // nothing more below upTo
	}
	return pks, ders, reached, nil
}

// write adds the rows of versions pks (with texts ders), which follow
// done, and records that the index now covers every version up to upTo.
// When another process that opened the same data directory (a command
// run beside the server) indexed past done meanwhile, it takes up that
// progress instead of indexing the same versions again.
func (t *textIndex) write(ctx context.Context, done int64, pks []int64, ders []derived, upTo int64) error {
	tx, err := t.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var stored int64
	if err := tx.QueryRowContext(ctx, `SELECT done FROM text_progress`).Scan(&stored); err != nil {
		return err
	}
	if stored != done {
		tx.Rollback()
		t.advance(stored)
		return nil
	}
	var st *sql.Stmt
	for i, d := range ders {
		if !d.text {
			continue
		}
		if st == nil {
			if st, err = tx.PrepareContext(ctx, insertTextSQL); err != nil {
				return err
			}
			defer st.Close()
		}
		if _, err := st.ExecContext(ctx, pks[i], d.name, d.description); err != nil {
			return fmt.Errorf("index the text of row %d: %w", pks[i], err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE text_progress SET done = ?`, upTo); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	t.advance(upTo)
	return nil
}

// advance records that the index covers every version up to done.
func (t *textIndex) advance(done int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done = done
	for first, b := range t.offered {
		if first <= done {
			t.nOffered -= len(b.ders)
			delete(t.offered, first)
		}
	}
	close(t.moved)
	t.moved = make(chan struct{})
}

// removeGone removes the rows of the deleted versions the index covers,
// then forgets them in the main file. Both steps may be repeated: a
// version's row key is never handed out again.
func (t *textIndex) removeGone(ctx context.Context) error {
	t.mu.Lock()
	done := t.done
	t.mu.Unlock()
	rows, err := t.db.r.QueryContext(ctx, `SELECT pk FROM text_gone WHERE pk <= ? ORDER BY pk LIMIT 10000`, done)
	if err != nil {
		return err
	}
	gone, err := scanColumn[int64](rows)
	if err != nil || len(gone) == 0 {
		return err
	}
	tx, err := t.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, pk := range gone {
		if _, err := tx.ExecContext(ctx, `DELETE FROM object_text WHERE rowid = ?`, pk); err != nil {
			return fmt.Errorf("remove the text of row %d: %w", pk, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return t.db.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM text_gone WHERE pk <= ?`, gone[len(gone)-1])
		return err
	})
}

// SyncText waits until the full-text index covers every object version
// committed before the call, for at most textSyncWait. It fails when the
// index is still behind then, or ctx is done first.
func (db *DB) SyncText(ctx context.Context) error {
	if !db.text.sync(ctx) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("sqlite: the full-text index is still behind the stored objects after %v", textSyncWait)
	}
	return nil
}

// sync waits until the index covers every version committed before the
// call, ctx is done or textSyncWait passes; it reports whether the index
// caught up.
func (t *textIndex) sync(ctx context.Context) bool {
	last, err := t.lastPK(ctx)
	if err != nil {
		return false
	}
	timer := time.NewTimer(textSyncWait)
	defer timer.Stop()
	for {
		t.mu.Lock()
		done, moved := t.done, t.moved
		t.mu.Unlock()
		if done >= last {
			return true
		}
		select {
		case t.urgent <- struct{}{}:
		default:
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return false
		case <-timer.C:
			return false
		}
	}
}

// close stops the indexer, if started, and closes the derived file.
func (t *textIndex) close() error {
	close(t.stop)
	if t.started {
		<-t.stopped
	}
	return t.w.Close()
}

// attachConnector opens connections to the main file that also attach
// the derived file, as schema "derived", so that queries name object_text
// as if it were in the main file.
type attachConnector struct {
	dsn, derived string
}

// Connect implements driver.Connector.
func (c attachConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := (&sqlitedrv.Driver{}).Open(c.dsn)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("the sqlite driver cannot execute statements on a connection")
	}
	if _, err := ex.ExecContext(ctx, `ATTACH DATABASE ? AS derived`, []driver.NamedValue{{Ordinal: 1, Value: c.derived}}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("attach %s: %w", c.derived, err)
	}
	return conn, nil
}

// Driver implements driver.Connector.
func (attachConnector) Driver() driver.Driver { return &sqlitedrv.Driver{} }
