package storecopy

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// kind is how a column's values are represented on each side.
type kind int

const (
	plain    kind = iota // the same value on both sides
	timeCol              // SQLite: microseconds since the epoch; PostgreSQL: timestamptz
	boolCol              // SQLite: 0 or 1; PostgreSQL: boolean
	arrayCol             // SQLite: a JSON array of strings; PostgreSQL: text[]
	jsonCol              // SQLite: JSON text; PostgreSQL: jsonb
)

// column is one copied column of a table.
type column struct {
	name, pgName  string // canonical (SQLite) and PostgreSQL names
	kind          kind
	pgType        string // the cast of a value written to PostgreSQL
	pgNullable    bool
	sqliteNotNull bool
}

// pgColumn is what PostgreSQL says about a column.
type pgColumn struct {
	dataType, udt string
	nullable      bool
}

// schema is the tables and columns of both databases.
type schema struct {
	sqlite map[string]map[string]bool // table -> column -> NOT NULL
	pg     map[string]map[string]pgColumn
	// sqliteCols keeps SQLite's column order.
	sqliteCols map[string][]string
}

// readSchema reads the tables and columns of both databases.
func readSchema(ctx context.Context, lite, pg *sql.Tx) (*schema, error) {
	s := &schema{sqlite: map[string]map[string]bool{}, pg: map[string]map[string]pgColumn{}, sqliteCols: map[string][]string{}}
	rows, err := lite.QueryContext(ctx, `SELECT m.name, p.name, p."notnull" FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' ORDER BY m.name, p.cid`)
	if err != nil {
		return nil, fmt.Errorf("read the SQLite schema: %w", err)
	}
	for rows.Next() {
		var (
			t, c    string
			notNull bool
		)
		if err := rows.Scan(&t, &c, &notNull); err != nil {
			rows.Close()
			return nil, err
		}
		if s.sqlite[t] == nil {
			s.sqlite[t] = map[string]bool{}
		}
		s.sqlite[t][c] = notNull
		s.sqliteCols[t] = append(s.sqliteCols[t], c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// A virtual table (the full-text index) has no columns to list.
	rows, err = lite.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		if s.sqlite[t] == nil {
			s.sqlite[t] = map[string]bool{}
		}
	}
	rows.Close()
	rows, err = pg.QueryContext(ctx, `SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable = 'YES'
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.table_schema = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("read the PostgreSQL schema: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			t, c string
			col  pgColumn
		)
		if err := rows.Scan(&t, &c, &col.dataType, &col.udt, &col.nullable); err != nil {
			return nil, err
		}
		if s.pg[t] == nil {
			s.pg[t] = map[string]pgColumn{}
		}
		s.pg[t][c] = col
	}
	return s, rows.Err()
}

// check fails on a table of either database that tables does not list (or
// that exists on a side it should not), so that nothing is skipped
// silently.
func (s *schema) check() error {
	var unknown []string
	for _, side := range []struct {
		name   string
		tables []string
	}{{"sqlite", keys(s.sqlite)}, {"postgres", keys(s.pg)}} {
		for _, t := range side.tables {
			if bookkeeping(t) {
				continue
			}
			spec := findTable(t)
			if spec == nil || (spec.only != "" && spec.only != side.name) {
				unknown = append(unknown, side.name+" table "+t)
			}
		}
	}
	for _, t := range tables {
		_, inLite := s.sqlite[t.name]
		_, inPG := s.pg[t.name]
		// A derived table (t.only) may come and go with the version of
		// the schema, and a table may be listed before its migrations
		// are; a copied table that exists must be on both sides.
		if t.only == "" && inLite != inPG {
			unknown = append(unknown, "missing table "+t.name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("the databases hold tables that this version of tearline migrate does not know how to copy (%s): "+
			"use the tearline binary that created them, or teach storecopy their columns", strings.Join(unknown, ", "))
	}
	return nil
}

// has reports whether a table exists on one side.
func (s *schema) has(name string, pg bool) bool {
	if pg {
		_, ok := s.pg[name]
		return ok
	}
	_, ok := s.sqlite[name]
	return ok
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// columns returns the copied columns of a table present on both sides,
// failing on a column of either side that the spec does not account for.
func (s *schema) columns(t *table) ([]column, error) {
	pgCols := s.pg[t.name]
	seen := map[string]bool{}
	var cols []column
	for _, c := range s.sqliteCols[t.name] {
		if _, ok := t.sqliteOnly[c]; ok {
			continue
		}
		pn := t.pgName(c)
		pc, ok := pgCols[pn]
		if !ok {
			return nil, fmt.Errorf("table %s: SQLite column %s has no PostgreSQL counterpart %s", t.name, c, pn)
		}
		seen[pn] = true
		col := column{name: c, pgName: pn, pgNullable: pc.nullable, sqliteNotNull: s.sqlite[t.name][c]}
		switch pc.dataType {
		case "timestamp with time zone":
			col.kind, col.pgType = timeCol, "timestamptz"
		case "boolean":
			col.kind, col.pgType = boolCol, "boolean"
		case "jsonb":
			col.kind, col.pgType = jsonCol, "jsonb"
		case "ARRAY":
			if pc.udt != "_text" {
				return nil, fmt.Errorf("table %s: column %s is an array of %s, which storecopy cannot copy", t.name, pn, pc.udt)
			}
			col.kind, col.pgType = arrayCol, "text[]"
		case "text", "bytea", "bigint", "integer", "smallint", "double precision":
			col.kind, col.pgType = plain, pc.dataType
		default:
			return nil, fmt.Errorf("table %s: column %s has type %s, which storecopy cannot copy", t.name, pn, pc.dataType)
		}
		cols = append(cols, col)
	}
	for pn := range pgCols {
		if !seen[pn] && !slices.Contains(t.pgOnly, pn) {
			return nil, fmt.Errorf("table %s: PostgreSQL column %s has no SQLite counterpart", t.name, pn)
		}
	}
	for c := range t.sqliteOnly {
		if _, ok := s.sqlite[t.name][c]; !ok {
			return nil, fmt.Errorf("table %s: SQLite column %s is gone", t.name, c)
		}
	}
	return cols, nil
}

// pgSelect is the PostgreSQL expression that reads column c in its
// canonical (SQLite) form.
func pgSelect(c column) string {
	q := quote(c.pgName)
	switch c.kind {
	case timeCol:
		return `(extract(epoch FROM ` + q + `) * 1000000)::bigint`
	case boolCol:
		return q + `::integer::bigint`
	case arrayCol:
		return `array_to_json(` + q + `)::text`
	case jsonCol:
		return q + `::text`
	}
	return q
}

// pgParam is the PostgreSQL expression that writes parameter $n, a
// canonical value, into column c.
func pgParam(c column, n int) string {
	p := fmt.Sprintf("$%d", n)
	switch c.kind {
	case timeCol:
		v := p + `::bigint`
		if c.pgNullable {
			// SQLite keeps "never" as 0 in NOT NULL columns.
			v = `nullif(` + v + `, 0)`
		}
		return `('epoch'::timestamptz + ` + v + ` * interval '1 microsecond')`
	case boolCol:
		return `(` + p + `::bigint <> 0)`
	case arrayCol:
		return `ARRAY(SELECT json_array_elements_text(CASE WHEN json_typeof(` + p + `::json) = 'array' THEN ` + p + `::json ELSE '[]' END))`
	case jsonCol:
		return p + `::jsonb`
	}
	return p + `::` + c.pgType
}

// quote quotes an SQL identifier.
func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
