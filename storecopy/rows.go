package storecopy

import (
	"context"
	"fmt"
	"strings"

	"github.com/tearline/tearline"
)

// maxParams bounds the parameters of one multi-row INSERT (SQLite allows
// 32,766, PostgreSQL 65,535).
const maxParams = 30000

// copyTable copies a table present on both sides, reading canonical rows
// and writing them with multi-row INSERTs.
func (c *copier) copyTable(ctx context.Context, t *table) error {
	cols, err := c.schema.columns(t)
	if err != nil {
		return err
	}
	sel := make([]string, len(cols))
	for i, col := range cols {
		if c.srcPG() {
			sel[i] = pgSelect(col)
		} else {
			sel[i] = quote(col.name)
		}
	}
	q := `SELECT ` + strings.Join(sel, ", ") + ` FROM ` + c.from(t, c.srcPG())
	if order := map[bool]string{true: t.pgOrder, false: t.sqliteOrder}[c.srcPG()]; order != "" {
		q += ` ORDER BY ` + order
	}
	w := c.newWriter(t, cols)
	rows, err := c.src.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := w.add(ctx, vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return w.flush(ctx)
}

// from returns what the rows of table t are read from on one side: the
// table, or its sqliteFrom.
func (c *copier) from(t *table, pg bool) string {
	if !pg && t.sqliteFrom != "" {
		return t.sqliteFrom
	}
	return quote(t.name)
}

// writer writes canonical rows into a table of the target, many per
// statement.
type writer struct {
	c        *copier
	t        *table
	cols     []column
	extra    []string // SQLite-only columns written with expressions
	perRow   int      // parameters per row
	rowsPer  int
	args     []any
	n        int
	byName   map[string]any
	colNames string
}

func (c *copier) newWriter(t *table, cols []column) *writer {
	w := &writer{c: c, t: t, cols: cols, byName: map[string]any{}}
	names := make([]string, 0, len(cols)+len(t.sqliteOnly))
	for _, col := range cols {
		if c.dstPG() {
			names = append(names, quote(col.pgName))
		} else {
			names = append(names, quote(col.name))
		}
	}
	w.perRow = len(cols)
	if !c.dstPG() {
		for name, comp := range t.sqliteOnly {
			if comp.expr == "" {
				continue
			}
			w.extra = append(w.extra, name)
			names = append(names, quote(name))
			w.perRow += strings.Count(comp.expr, "?")
		}
	}
	w.colNames = strings.Join(names, ", ")
	w.rowsPer = max(1, min(1000, maxParams/max(1, w.perRow)))
	return w
}

// add queues one canonical row, writing a statement when enough are.
func (w *writer) add(ctx context.Context, vals []any) error {
	for i, col := range w.cols {
		v := vals[i]
		if b, ok := v.([]byte); ok {
			if w.c.dstPG() && col.pgType != "bytea" {
				v = string(b)
			} else {
				v = append([]byte(nil), b...) // the driver may reuse its buffer
			}
		}
		if !w.c.dstPG() && v == nil && col.sqliteNotNull && col.kind == timeCol {
			v = int64(0) // "never" in a NOT NULL column
		}
		w.args = append(w.args, v)
		w.byName[col.name] = v
	}
	for _, name := range w.extra {
		w.args = append(w.args, w.t.sqliteOnly[name].args(w.byName)...)
	}
	w.n++
	if w.n == w.rowsPer {
		return w.flush(ctx)
	}
	return nil
}

// flush writes the queued rows.
func (w *writer) flush(ctx context.Context) error {
	if w.n == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO ` + quote(w.t.name) + ` (` + w.colNames + `) VALUES `)
	p := 0
	for r := range w.n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i, col := range w.cols {
			if i > 0 {
				b.WriteString(", ")
			}
			p++
			if w.c.dstPG() {
				b.WriteString(pgParam(col, p))
			} else {
				b.WriteByte('?')
			}
		}
		for _, name := range w.extra {
			b.WriteString(", " + w.t.sqliteOnly[name].expr)
		}
		b.WriteByte(')')
	}
	if _, err := w.c.dst.ExecContext(ctx, b.String(), w.args...); err != nil {
		return err
	}
	if w.c.bar != nil {
		w.c.bar.Add(w.n)
	}
	w.args, w.n = w.args[:0], 0
	return nil
}

// copyLinks copies the links of the observable index, which name object
// versions by row key in SQLite and through observable_versions in
// PostgreSQL: as (observable, org, object id, version) rows, in the order
// the versions were first linked.
func (c *copier) copyLinks(ctx context.Context) error {
	q := `SELECT l.observable, l.org, o.id, o.version FROM observable_objects l JOIN objects o ON o.pk = l.object
		ORDER BY l.object, l.observable, l.org`
	if c.srcPG() {
		q = `SELECT l.observable, l.org, v.id, v.version FROM observable_objects l JOIN observable_versions v ON v.pk = l.version
			ORDER BY l.version, l.observable, l.org`
	}
	rows, err := c.src.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	type link struct {
		observable, org int64
		id, version     string
	}
	var batch []link
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var b strings.Builder
		var args []any
		if c.dstPG() {
			// The versions first, in the order they come.
			b.WriteString(`INSERT INTO observable_versions (id, version) VALUES `)
			for i, l := range batch {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "($%d::text, $%d::text)", 2*i+1, 2*i+2)
				args = append(args, l.id, l.version)
			}
			b.WriteString(` ON CONFLICT DO NOTHING`)
			if _, err := c.dst.ExecContext(ctx, b.String(), args...); err != nil {
				return err
			}
			b.Reset()
			args = args[:0]
			b.WriteString(`INSERT INTO observable_objects (observable, version, org) VALUES `)
			for i, l := range batch {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "($%d::bigint, (SELECT pk FROM observable_versions WHERE id = $%d::text AND version = $%d::text), $%d::integer)",
					4*i+1, 4*i+2, 4*i+3, 4*i+4)
				args = append(args, l.observable, l.id, l.version, l.org)
			}
		} else {
			b.WriteString(`INSERT INTO observable_objects (object, observable, org) VALUES `)
			for i, l := range batch {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("((SELECT pk FROM objects WHERE idh = ? AND id = ? AND version = ?), ?, ?)")
				args = append(args, idHash(l.id), l.id, l.version, l.observable, l.org)
			}
		}
		if _, err := c.dst.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
		if c.bar != nil {
			c.bar.Add(len(batch))
		}
		batch = batch[:0]
		return nil
	}
	for rows.Next() {
		var l link
		if err := rows.Scan(&l.observable, &l.org, &l.id, &l.version); err != nil {
			return err
		}
		if batch = append(batch, l); len(batch) == 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// copyScores copies the score records through the stores, whose layouts
// differ (SQLite keeps a record as JSON beside the row key of its
// version).
func (c *copier) copyScores(ctx context.Context, src, dst tearline.Scores) error {
	if c.counts["object_scores"] == 0 {
		return nil
	}
	rows, err := c.src.QueryContext(ctx, `SELECT DISTINCT id FROM objects ORDER BY id`)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for start := 0; start < len(ids); start += 500 {
		recs, err := src.FindScores(ctx, ids[start:min(start+500, len(ids))])
		if err != nil {
			return fmt.Errorf("read scores: %w", err)
		}
		if len(recs) == 0 {
			continue
		}
		err = dst.UpdateScores(ctx, func(tx tearline.ScoreTx) error { return tx.SaveScores(recs) })
		if err != nil {
			return fmt.Errorf("write scores: %w", err)
		}
	}
	return nil
}
