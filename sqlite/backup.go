package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Snapshot writes a consistent copy of the database in dataDir to the new
// file dst with VACUUM INTO, while the server (in this or another process)
// goes on reading and writing: the copy is one read transaction's view of
// the database, every commit before it and none after. The copy is compact
// and in rollback-journal mode; Open turns it back to WAL. Snapshot changes
// nothing in dataDir; it fails if there is no database or dst exists.
func Snapshot(ctx context.Context, dataDir, dst string) (err error) {
	defer wrap(&err, "snapshot %s", dataDir)
	src, err := filepath.Abs(filepath.Join(dataDir, FileName))
	if err != nil {
		return err
	}
	if _, err := os.Stat(src); err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("%s exists", dst)
	}
	// A plain connection: no migrations, no journal-mode change. It only
	// reads the source; WAL lets the server's writer go on meanwhile.
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: src, RawQuery: q.Encode()}).String())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		os.Remove(dst)
		return err
	}
	f, err := os.Open(dst)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Summary describes the content of a database file, so that a copy can be
// checked against its original.
type Summary struct {
	// Integrity is the result of PRAGMA integrity_check: "ok" or the
	// problems found.
	Integrity string `json:"integrity"`
	// Tables counts the rows of every table.
	Tables map[string]int64 `json:"tables"`
	// Collections counts the object versions of each collection, by id.
	Collections map[string]int64 `json:"collections"`
	// Content is the hex SHA-256 of every row of every table, tables by
	// name and rows by key, values with their types: two databases with the
	// same Content hold the same data.
	Content string `json:"content_sha256"`
	// Objects is the hex SHA-256 of the stored bytes of every object
	// version, with its id and version, in the order they were stored.
	Objects string `json:"objects_sha256"`
}

// Summarize reads the database file at path, which must not be in use by a
// writer (a snapshot or a restored copy), and returns its Summary. It opens
// the file read-only and changes nothing.
func Summarize(ctx context.Context, path string) (_ *Summary, err error) {
	defer wrap(&err, "summarize %s", path)
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("mode", "ro")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}).String())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	s := &Summary{Tables: map[string]int64{}, Collections: map[string]int64{}}
	var problems []string
	rows, err := tx.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return nil, err
		}
		problems = append(problems, p)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	s.Integrity = strings.Join(problems, "; ")
	if s.Integrity != "ok" {
		return s, nil // counting a damaged file proves nothing
	}

	tables, err := tableNames(ctx, tx)
	if err != nil {
		return nil, err
	}
	content := sha256.New()
	for _, t := range tables {
		n, err := digestTable(ctx, tx, t, content)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t, err)
		}
		s.Tables[t] = n
	}
	s.Content = hex.EncodeToString(content.Sum(nil))

	objects := sha256.New()
	rows, err = tx.QueryContext(ctx, `SELECT id, version, raw FROM objects ORDER BY pk`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, version string
		var raw []byte
		if err := rows.Scan(&id, &version, &raw); err != nil {
			rows.Close()
			return nil, err
		}
		sum := sha256.Sum256(raw)
		writeField(objects, []byte(id))
		writeField(objects, []byte(version))
		objects.Write(sum[:])
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	s.Objects = hex.EncodeToString(objects.Sum(nil))

	rows, err = tx.QueryContext(ctx, `SELECT c.id, count(co.object) FROM collections c
		LEFT JOIN collection_objects co ON co.collection = c.pk GROUP BY c.pk`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, err
		}
		s.Collections[id] = n
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	return s, tx.Commit()
}

// tableNames lists the tables of the database by name, SQLite's own and
// FTS shadow tables left out (they are derived from the others).
func tableNames(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table'
		AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// digestTable writes the name and every row of table t, in key order, to h
// and returns the number of rows.
func digestTable(ctx context.Context, tx *sql.Tx, t string, h hash.Hash) (int64, error) {
	quoted := `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	order := "rowid"
	var withoutRowid int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_list WHERE name = ? AND wr = 1`, t).Scan(&withoutRowid); err != nil {
		return 0, err
	}
	if withoutRowid > 0 {
		pk, err := keyColumns(ctx, tx, t)
		if err != nil {
			return 0, err
		}
		order = strings.Join(pk, ", ")
	}
	rows, err := tx.QueryContext(ctx, `SELECT * FROM `+quoted+` ORDER BY `+order)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	writeField(h, []byte(t))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		for _, v := range vals {
			if err := writeValue(h, v); err != nil {
				return 0, err
			}
		}
		n++
	}
	return n, rows.Err()
}

// keyColumns returns the primary key columns of table t, quoted, in key
// order.
func keyColumns(ctx context.Context, tx *sql.Tx, t string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, t)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, `"`+strings.ReplaceAll(c, `"`, `""`)+`"`)
	}
	if len(cols) == 0 {
		return nil, errors.New("a table without rowid has no primary key")
	}
	return cols, rows.Err()
}

// writeValue writes a column value with its type tag.
func writeValue(h hash.Hash, v any) error {
	var b [9]byte
	switch x := v.(type) {
	case nil:
		h.Write([]byte{0})
	case int64:
		b[0] = 1
		binary.BigEndian.PutUint64(b[1:], uint64(x))
		h.Write(b[:])
	case float64:
		b[0] = 2
		binary.BigEndian.PutUint64(b[1:], math.Float64bits(x))
		h.Write(b[:])
	case string:
		h.Write([]byte{3})
		writeField(h, []byte(x))
	case []byte:
		h.Write([]byte{4})
		writeField(h, x)
	case bool: // columns declared BOOLEAN outside STRICT tables
		b[0] = 5
		if x {
			b[8] = 1
		}
		h.Write(b[:])
	case time.Time: // columns declared DATE or TIMESTAMP outside STRICT tables
		h.Write([]byte{6})
		writeField(h, []byte(x.UTC().Format(time.RFC3339Nano)))
	default:
		return fmt.Errorf("unexpected column value of type %T", v)
	}
	return nil
}

// writeField writes b with its length, so that fields cannot run together.
func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}
