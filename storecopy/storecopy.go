// Package storecopy copies a whole Tearline store between the embedded
// SQLite store of a data directory and a PostgreSQL database, either way:
// every table, row by row, with object versions byte for byte and the
// date_added of every membership, so that TAXII cursors, status ids, API
// keys and subscription cursors stay valid. It knows every table of both
// schemas and refuses to copy a database holding a table it does not know.
// The copy is checked at the end: row counts per table and content hashes
// of the object bytes and of the memberships, read again from both sides.
package storecopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/schollz/progressbar/v3"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres"
	"github.com/tearline/tearline/sqlite"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Options tune Copy.
type Options struct {
	// Replace empties a target that holds data before copying; without
	// it such a target is refused.
	Replace bool
	// Progress receives a progress bar; nil for none.
	Progress io.Writer
}

// TableCount is the number of rows of a table on both sides after a copy.
type TableCount struct {
	Table          string
	Source, Target int64
}

// Report is what a copy did and found when checking it.
type Report struct {
	Counts []TableCount
	// Objects is the number of object versions; ObjectsHash the SHA-256
	// over every version's id, version and bytes in (id, version) order,
	// and MembersHash over every membership's collection, date_added, id
	// and version: the same on both sides.
	Objects                  int64
	ObjectsHash, MembersHash string
}

// IsPostgres reports whether a store location is a PostgreSQL URL rather
// than a data directory.
func IsPostgres(loc string) bool {
	return strings.HasPrefix(loc, "postgres://") || strings.HasPrefix(loc, "postgresql://")
}

// Redact returns a location with the password of a URL hidden.
func Redact(loc string) string {
	if !IsPostgres(loc) {
		return loc
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "(malformed URL)"
	}
	return u.Redacted()
}

// Copy copies the store at from into the store at to: one is a data
// directory (the SQLite store, created when absent), the other a
// postgres:// URL. Both schemas are migrated to the current version
// first. The source is read in one snapshot and the target written in one
// transaction; scores are then copied through the stores. Run it with the
// servers of both stopped: what the source receives after the snapshot is
// not copied.
//
// It fails without writing anything when a database holds a table it does
// not know, or when the target holds data and opts.Replace is not set; and
// after writing, when the check finds a difference (the error lists them).
func Copy(ctx context.Context, from, to string, opts Options) (_ *Report, err error) {
	if IsPostgres(from) == IsPostgres(to) {
		return nil, errors.New("copy between a data directory and a postgres:// database (use tearline backup for a data directory, pg_dump for PostgreSQL)")
	}
	dir, pgURL := from, to
	if IsPostgres(from) {
		dir, pgURL = to, from
	} else if _, err := os.Stat(filepath.Join(from, sqlite.FileName)); err != nil {
		// Opening it would create an empty store, and copy nothing.
		return nil, fmt.Errorf("no store in data directory %s: %w", from, err)
	}
	// Opening the stores creates or migrates both schemas.
	lite, err := sqlite.Open(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	defer lite.Close()
	pgStore, err := postgres.Open(ctx, pgURL)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Redact(pgURL), err)
	}
	defer pgStore.Close()

	liteDB, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(0)")
	if err != nil {
		return nil, err
	}
	defer liteDB.Close()
	liteDB.SetMaxOpenConns(2)
	pgDB, err := sql.Open("pgx", pgURL)
	if err != nil {
		return nil, errors.New("malformed database URL")
	}
	defer pgDB.Close()

	c := &copier{fromPG: IsPostgres(from), opts: opts}
	srcDB, dstDB := liteDB, pgDB
	if c.fromPG {
		srcDB, dstDB = pgDB, liteDB
	}
	srcTx, err := srcDB.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if c.fromPG {
		c.src = srcTx
	} else {
		// SQLite's snapshot is the deferred read transaction; the
		// driver takes no isolation level.
		srcTx, err = srcDB.BeginTx(ctx, nil)
		c.src = srcTx
	}
	if err != nil {
		return nil, fmt.Errorf("read the source: %w", err)
	}
	defer srcTx.Rollback()
	dstTx, err := dstDB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("write the target: %w", err)
	}
	defer dstTx.Rollback()
	c.dst = dstTx
	liteTx, pgTx := c.src, c.dst
	if c.fromPG {
		liteTx, pgTx = c.dst, c.src
	}
	if c.schema, err = readSchema(ctx, liteTx, pgTx); err != nil {
		return nil, err
	}
	if err := c.schema.check(); err != nil {
		return nil, err
	}
	if err := c.run(ctx); err != nil {
		return nil, err
	}
	if err := dstTx.Commit(); err != nil {
		return nil, fmt.Errorf("commit the target: %w", err)
	}
	var srcScores, dstScores tearline.Scores = lite, pgStore
	if c.fromPG {
		srcScores, dstScores = pgStore, lite
	}
	if err := c.copyScores(ctx, srcScores, dstScores); err != nil {
		return nil, err
	}
	return c.verify(ctx, dstDB)
}

// copier is one copy in progress.
type copier struct {
	fromPG   bool
	opts     Options
	src, dst *sql.Tx
	schema   *schema
	counts   map[string]int64 // source rows per copied table
	bar      *progressbar.ProgressBar
}

// copyIndex is the index on the SQLite target's objects that lives as long
// as a copy into it.
const copyIndex = "storecopy_objects_idh"

// srcPG and dstPG report whether the source and the target are the
// PostgreSQL side.
func (c *copier) srcPG() bool { return c.fromPG }
func (c *copier) dstPG() bool { return !c.fromPG }

// run empties the target (when allowed) and copies every table.
func (c *copier) run(ctx context.Context) error {
	c.counts = map[string]int64{}
	var total int64
	for i := range tables {
		t := &tables[i]
		if !c.onSource(t) || (t.only != "" && !t.custom) {
			continue
		}
		n, err := countRows(ctx, c.src, c.srcPG(), t, c.from(t, c.srcPG()))
		if err != nil {
			return err
		}
		if t.name == "feed_pending" && n > 0 {
			return fmt.Errorf("feed_pending holds %d entries not yet in the change feed: stop every server of the database and try again", n)
		}
		c.counts[t.name] = n
		total += n
	}
	if err := c.emptyTarget(ctx); err != nil {
		return err
	}
	if !c.dstPG() {
		// The rows that name object versions find their row keys by id
		// hash (computed columns). The store keeps no index on objects
		// for that (it finds ids through object_keys, which FillDerived
		// fills at the end): one lives as long as the copy.
		if _, err := c.dst.ExecContext(ctx, `CREATE INDEX `+copyIndex+` ON objects (idh)`); err != nil {
			return err
		}
	}
	if c.opts.Progress != nil {
		c.bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(c.opts.Progress),
			progressbar.OptionSetDescription("copying rows"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100_000_000), progressbar.OptionOnCompletion(func() { fmt.Fprintln(c.opts.Progress) }))
	}
	for i := range tables {
		t := &tables[i]
		if !c.onSource(t) || !c.onTarget(t) {
			continue
		}
		var err error
		switch {
		case t.name == "observable_objects":
			err = c.copyLinks(ctx)
		case t.custom:
			continue
		default:
			err = c.copyTable(ctx, t)
		}
		if err != nil {
			return fmt.Errorf("copy table %s: %w", t.name, err)
		}
	}
	if c.bar != nil {
		c.bar.Finish()
	}
	return c.fixCounters(ctx)
}

// onSource and onTarget report whether a table exists on that side.
func (c *copier) onSource(t *table) bool { return c.schema.has(t.name, c.srcPG()) }
func (c *copier) onTarget(t *table) bool { return c.schema.has(t.name, c.dstPG()) }

// emptyTarget refuses a target that holds data unless told to replace it,
// then empties every table (seeded rows included: they are copied).
func (c *copier) emptyTarget(ctx context.Context) error {
	var full []string
	for i := range tables {
		t := &tables[i]
		if !c.onTarget(t) || t.seeded || t.only != "" {
			continue
		}
		var one int
		err := c.dst.QueryRowContext(ctx, `SELECT 1 FROM `+quote(t.name)+` LIMIT 1`).Scan(&one)
		if err == nil {
			full = append(full, t.name)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read target table %s: %w", t.name, err)
		}
	}
	if len(full) > 0 && !c.opts.Replace {
		return fmt.Errorf("the target holds data (tables %s): copy into an empty store, or replace its content with --replace", strings.Join(full, ", "))
	}
	for i := len(tables) - 1; i >= 0; i-- {
		t := &tables[i]
		if !c.onTarget(t) || (t.only != "" && t.seeded && !t.custom) {
			continue // a derived table's row from the migrations, which fixCounters updates
		}
		if _, err := c.dst.ExecContext(ctx, `DELETE FROM `+quote(t.name)); err != nil {
			return fmt.Errorf("empty target table %s: %w", t.name, err)
		}
	}
	return nil
}

// countRows counts the rows of a table, read from from, as the check
// compares them: for the links of the observable index, those of stored
// versions.
func countRows(ctx context.Context, tx *sql.Tx, pg bool, t *table, from string) (int64, error) {
	q := `SELECT count(*) FROM ` + from
	if t.name == "observable_objects" && pg {
		q = `SELECT count(*) FROM observable_objects l JOIN observable_versions v ON v.pk = l.version`
	}
	var n int64
	if err := tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("count table %s: %w", t.name, err)
	}
	return n, nil
}

// fixCounters sets what hands out new ids past the copied rows: the
// PostgreSQL identity sequences, or SQLite's next observable id (and
// fills the SQLite store's portal indexes).
func (c *copier) fixCounters(ctx context.Context) error {
	if !c.dstPG() {
		if _, err := c.dst.ExecContext(ctx, `INSERT INTO observable_next (next) SELECT coalesce(max(id), 0) + 1 FROM observables`); err != nil {
			return err
		}
		if _, err := c.dst.ExecContext(ctx, `UPDATE submissions SET objects_first = r.f, objects_last = r.l
			FROM (SELECT submission, min(rowid) AS f, max(rowid) AS l FROM submission_objects GROUP BY submission) AS r
			WHERE r.submission = submissions.id`); err != nil {
			return err
		}
		// The portal's indexes, which AddObjects keeps but a copy into
		// objects does not.
		if err := sqlite.FillDerived(ctx, c.dst); err != nil {
			return err
		}
		// A new key ties the full-text index in the derived file to
		// this content: the store rebuilds it from scratch when it next
		// opens, so the removals queued by emptying a replaced store
		// are moot. Kept, the index would name row keys that the copy
		// gave again to other versions and count them as indexed, and
		// the queue would remove the new versions' rows.
		for _, q := range []string{`DROP INDEX ` + copyIndex, `UPDATE derived_key SET key = randomblob(16)`, `DELETE FROM text_gone`} {
			if _, err := c.dst.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	// The full-text index, which AddObjects keeps but a copy into
	// objects does not.
	if err := postgres.FillSearch(ctx, c.dst); err != nil {
		return err
	}
	rows, err := c.dst.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return err
	}
	var ids [][2]string
	for rows.Next() {
		var t, col string
		if err := rows.Scan(&t, &col); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, [2]string{t, col})
	}
	rows.Close()
	for _, id := range ids {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(%s), 0) + 1, false) FROM %s`, quote(id[1]), quote(id[0]))
		if _, err := c.dst.ExecContext(ctx, q, quote(id[0]), id[1]); err != nil {
			return fmt.Errorf("set the sequence of %s.%s: %w", id[0], id[1], err)
		}
	}
	return nil
}
