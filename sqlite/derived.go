package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// The portal's indexes of stored object versions (migration 00016): the
// full-text index object_text indexes the words of the name and
// description of every version that has one (keeping neither the text nor
// word positions since migration 00021; in the derived file since
// migration 00024, see textindex.go), and object_refs what relationships,
// sightings, opinions, notes, reports and groupings refer to. AddObjects
// writes the rows of object_refs itself, multi-row INSERTs of values,
// rather than triggers on objects (dropped by migration 00017): the AFTER
// INSERT triggers ran a trigger program, and JSON functions over the raw
// bytes, per row, which cost more than reading the members here (the
// objects were parsed once already).
const (
	insertRefsSQL = `INSERT OR IGNORE INTO object_refs (ref, object) VALUES `
	// fillListRefsSQL and fillRefsSQL index the stored versions the
	// reference index lacks, as the triggers did.
	fillListRefsSQL = `INSERT OR IGNORE INTO object_refs (ref, object)
	SELECT r.value, o.pk FROM objects o, json_each(CAST(o.raw AS TEXT), '$.object_refs') r
	WHERE o.type IN ('relationship', 'sighting', 'opinion', 'note', 'report', 'grouping') AND json_valid(CAST(o.raw AS TEXT)) AND r.type = 'text'`
	fillRefsSQL = `INSERT OR IGNORE INTO object_refs (ref, object)
	SELECT json_extract(CAST(o.raw AS TEXT), '$.' || k.name), o.pk
	FROM objects o, (SELECT 'source_ref' AS name UNION ALL SELECT 'target_ref' UNION ALL SELECT 'sighting_of_ref') k
	WHERE o.type IN ('relationship', 'sighting', 'opinion', 'note', 'report', 'grouping') AND json_valid(CAST(o.raw AS TEXT))
	  AND json_type(CAST(o.raw AS TEXT), '$.' || k.name) = 'text'`
)

var (
	nameKey        = []byte(`"name"`)
	descriptionKey = []byte(`"description"`)
)

// referring reports whether object_refs indexes what objects of type typ
// refer to.
func referring(typ string) bool {
	switch typ {
	case "relationship", "sighting", "opinion", "note", "report", "grouping":
		return true
	}
	return false
}

// derived is what the portal's indexes hold of one object version.
type derived struct {
	name, description string
	text              bool     // it has a string name or description
	refs              []string // what it refers to, perhaps with repeats
}

// derive reads what the portal's indexes hold of an object version: the
// top-level name and description strings (a value that is not a string
// counts as missing), and for the referring types the string elements of
// object_refs and the string source_ref, target_ref and sighting_of_ref, as
// the triggers read them. The text that validation read (Object.TextOf)
// spares parsing the other types again.
func derive(o *tearline.Object) derived {
	typ, raw := o.Type, o.Raw
	refs := referring(typ)
	if t := o.TextOf(); t != nil && !refs {
		return derived{name: t.Name, description: t.Description, text: t.Has}
	}
	// Most objects of other types without either member are told apart
	// without parsing.
	if !refs && !bytes.Contains(raw, nameKey) && !bytes.Contains(raw, descriptionKey) {
		return derived{}
	}
	v, err := stix.ParseValue(raw)
	if err != nil || v.Kind != stix.Object {
		return derived{}
	}
	t := stix.TextOf(&v, raw)
	d := derived{name: t.Name, description: t.Description, text: t.Has}
	if !refs {
		return d
	}
	if a := v.Get("object_refs"); a != nil && a.Kind == stix.Array {
		for _, e := range a.Elems {
			if e.Kind == stix.String {
				d.refs = append(d.refs, e.Str)
			}
		}
	}
	for _, k := range [...]string{"source_ref", "target_ref", "sighting_of_ref"} {
		if r := v.Get(k); r != nil && r.Kind == stix.String {
			d.refs = append(d.refs, r.Str)
		}
	}
	return d
}

// indexDerived adds the rows of the reference index for new object
// versions objs, the first with row key firstPK and the others following
// it; ders[i] is derive's reading of objs[i]. Their text goes to the
// full-text index in the derived file once they are committed
// (textIndex.offer).
func indexDerived(tx *sql.Tx, firstPK int64, objs []*tearline.Object, ders []derived) error {
	type refRow struct {
		ref string
		pk  int64
	}
	var rows []refRow
	for i := range objs {
		for _, r := range ders[i].refs {
			rows = append(rows, refRow{r, firstPK + int64(i)})
		}
	}
	err := execRows(tx, insertRefsSQL, `(?, ?)`, ``, len(rows), func(args []any, i int) []any {
		return append(args, rows[i].ref, rows[i].pk)
	})
	if err != nil {
		return fmt.Errorf("index references: %w", err)
	}
	return nil
}

// FillDerived adds to the reference index every stored object version it
// lacks, and to object_ids and provenance_keys the id keys they lack
// (migrations 27 and 28), merging the recent ones. AddObjects and
// AddProvenance keep them themselves; a copy made straight into the
// tables (package storecopy) calls this in its transaction after it. The
// full-text index needs no call: its indexer indexes every version past
// the last it indexed when the store opens.
func FillDerived(ctx context.Context, tx *sql.Tx) error {
	for _, q := range []string{fillListRefsSQL, fillRefsSQL} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("fill the reference index: %w", err)
		}
	}
	// Each INSERT ends the transaction on a conflict, so that SQLite
	// keeps no statement journal of the pages it changes (see merge).
	err := execAll(ctx, tx, `INSERT OR ROLLBACK INTO object_ids (idh, pk) SELECT idh, pk FROM objects o
			WHERE NOT EXISTS (SELECT 1 FROM object_keys k WHERE k.idh = o.idh AND k.pk = o.pk) ORDER BY idh, pk`,
		`INSERT OR ROLLBACK INTO object_ids (idh, pk) SELECT idh, pk FROM object_ids_recent ORDER BY idh, pk`,
		`DELETE FROM object_ids_recent`,
		`UPDATE object_ids_merged SET upto = (SELECT max(coalesce((SELECT max(pk) FROM objects), 0), (SELECT floor FROM pk_floor)))`,
		`INSERT OR ROLLBACK INTO provenance_keys (idh, seq) SELECT idh, seq FROM provenance p
			WHERE NOT EXISTS (SELECT 1 FROM provenance_by_id k WHERE k.idh = p.idh AND k.seq = p.seq) ORDER BY idh, seq`,
		`INSERT OR ROLLBACK INTO provenance_keys (idh, seq) SELECT idh, seq FROM provenance_keys_recent ORDER BY idh, seq`,
		`DELETE FROM provenance_keys_recent`)
	if err != nil {
		return fmt.Errorf("fill the id keys: %w", err)
	}
	return nil
}
