package storecopy

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// verify counts the rows of every copied table on the target and compares
// them with the source's snapshot, and hashes the objects and memberships
// on both sides.
func (c *copier) verify(ctx context.Context, dstDB *sql.DB) (*Report, error) {
	dst, err := dstDB.BeginTx(ctx, &sql.TxOptions{ReadOnly: c.dstPG()})
	if err != nil {
		return nil, err
	}
	defer dst.Rollback()
	rep := &Report{}
	var diffs []string
	for i := range tables {
		t := &tables[i]
		if t.only != "" || !c.onTarget(t) {
			continue
		}
		n, err := countRows(ctx, dst, c.dstPG(), t, c.from(t, c.dstPG()))
		if err != nil {
			return nil, err
		}
		rep.Counts = append(rep.Counts, TableCount{Table: t.name, Source: c.counts[t.name], Target: n})
		if n != c.counts[t.name] {
			diffs = append(diffs, fmt.Sprintf("%s has %d rows, the source %d", t.name, n, c.counts[t.name]))
		}
	}
	srcObjects, srcHash, err := objectsHash(ctx, c.src)
	if err != nil {
		return nil, err
	}
	dstObjects, dstHash, err := objectsHash(ctx, dst)
	if err != nil {
		return nil, err
	}
	rep.Objects, rep.ObjectsHash = dstObjects, dstHash
	if srcObjects != dstObjects || srcHash != dstHash {
		diffs = append(diffs, fmt.Sprintf("object bytes differ: %d versions with hash %s, the source %d with %s", dstObjects, dstHash, srcObjects, srcHash))
	}
	srcMembers, err := membersHash(ctx, c.src, c.srcPG())
	if err != nil {
		return nil, err
	}
	if rep.MembersHash, err = membersHash(ctx, dst, c.dstPG()); err != nil {
		return nil, err
	}
	if srcMembers != rep.MembersHash {
		diffs = append(diffs, fmt.Sprintf("memberships differ: hash %s, the source %s", rep.MembersHash, srcMembers))
	}
	if len(diffs) > 0 {
		return rep, fmt.Errorf("the copy differs from the source: %s", strings.Join(diffs, "; "))
	}
	return rep, nil
}

func writeField(w interface{ Write([]byte) (int, error) }, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	w.Write(n[:])
	w.Write(b)
}

// objectsHash returns the number of object versions and the SHA-256 over
// their ids, versions and bytes in (id, version) order, which is byte
// order on both sides.
func objectsHash(ctx context.Context, tx *sql.Tx) (int64, string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, version, raw FROM objects ORDER BY id, version`)
	if err != nil {
		return 0, "", fmt.Errorf("hash objects: %w", err)
	}
	defer rows.Close()
	h := sha256.New()
	var n int64
	for rows.Next() {
		var id, version string
		var raw []byte
		if err := rows.Scan(&id, &version, &raw); err != nil {
			return 0, "", err
		}
		writeField(h, []byte(id))
		writeField(h, []byte(version))
		writeField(h, raw)
		n++
	}
	return n, hex.EncodeToString(h.Sum(nil)), rows.Err()
}

// membersHash returns the SHA-256 over every membership's collection id,
// date_added (microseconds), object id, version and first/last flags in
// (collection id, date_added) order.
func membersHash(ctx context.Context, tx *sql.Tx, pg bool) (string, error) {
	q := `SELECT c.id, co.date_added, co.id, co.version, co.is_first, co.is_last FROM collection_objects co
		JOIN collections c ON c.pk = co.collection ORDER BY c.id, co.date_added`
	if pg {
		q = `SELECT c.id, (extract(epoch FROM co.date_added) * 1000000)::bigint, co.id, co.version, co.is_first::integer, co.is_last::integer
			FROM collection_objects co JOIN collections c ON c.pk = co.collection ORDER BY c.id, co.date_added`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return "", fmt.Errorf("hash memberships: %w", err)
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var (
			col, id, version string
			added            int64
			first, last      int64
		)
		if err := rows.Scan(&col, &added, &id, &version, &first, &last); err != nil {
			return "", err
		}
		writeField(h, []byte(col))
		writeField(h, binary.BigEndian.AppendUint64(nil, uint64(added)))
		writeField(h, []byte(id))
		writeField(h, []byte(version))
		writeField(h, []byte{byte(first), byte(last)})
	}
	return hex.EncodeToString(h.Sum(nil)), rows.Err()
}
