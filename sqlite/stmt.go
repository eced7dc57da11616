package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxStmts bounds a statement cache. Queries are cached by their SQL text,
// and only constant texts are meant to be cached; the bound keeps a caller
// that passes texts with literal values in them from growing it for ever.
const maxStmts = 256

// stmtCache keeps the prepared statements of the queries on the hot paths
// (every TAXII request reads its key, organization, grants, collection and
// page), by SQL text. The driver parses and plans a statement each time it
// is prepared, and for a look-up by key that costs more than running it:
// an idle poll spent a fifth of its CPU in SQLite's parser. A *sql.Stmt of
// the pool is prepared once on each connection it runs on, and stays.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// get returns the cached statement of query, preparing it the first time.
// It returns nil without an error when the cache is full; the caller then
// runs the query unprepared.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st := c.m[query]
	c.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st = c.m[query]; st != nil {
		return st, nil
	}
	if len(c.m) >= maxStmts {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

// close closes the cached statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// readRow runs a query that returns at most one row on a reader
// connection, with a cached statement. query must be a constant text.
func (db *DB) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.rs.get(ctx, query)
	if err != nil || st == nil {
		// A failed prepare is reported by the query itself.
		return db.r.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// read runs a query on a reader connection, with a cached statement.
// query must be a constant text.
func (db *DB) read(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.rs.get(ctx, query)
	if err != nil || st == nil {
		return db.r.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// txStmt returns the cached statement of query for reader transaction tx,
// or nil when the cache is full. The caller closes a non-nil statement;
// that leaves the cached one prepared on the connection.
func (db *DB) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := db.rs.get(ctx, query)
	if err != nil || st == nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st), nil
}
