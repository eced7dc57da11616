package storecopy

import (
	"hash/fnv"
	"strings"
)

// table says how one table of the store is copied. Columns are named as
// in SQLite ("canonical" names); renames gives the PostgreSQL name of
// those that differ. Every column of either side must be accounted for:
// copied (present on both sides), computed (sqliteOnly, pgOnly) or the
// table is copied by custom code.
type table struct {
	name    string
	renames map[string]string
	// sqliteOnly are SQLite columns absent from PostgreSQL. Reading
	// SQLite they are skipped; writing SQLite they take expr, an SQL
	// expression whose ? parameters args draws from the canonical row
	// (by canonical column name), or their default when expr is "".
	sqliteOnly map[string]computed
	// pgOnly are PostgreSQL columns absent from SQLite, left to their
	// default (an identity, for example) on the way in.
	pgOnly []string
	// sqliteFrom, when not empty, is what the rows of the SQLite table
	// are read and counted from instead of the table: a subquery that
	// gives the canonical rows.
	sqliteFrom string
	// pgOrder and sqliteOrder order the rows read (default: none, the
	// table's own order).
	pgOrder, sqliteOrder string
	// custom copies the table itself (see customs).
	custom bool
	// only names the one side the table exists on ("sqlite" or
	// "postgres"): its content is derived from other tables, rebuilt on
	// the way in (custom code or triggers) and not compared.
	only string
	// seeded tables hold rows that the schema migrations insert; they
	// do not make a target count as holding data.
	seeded bool
}

// computed is how a SQLite-only column is filled from a canonical row.
type computed struct {
	expr string
	args func(row map[string]any) []any
}

// idHash is the sqlite store's idh: the 64-bit FNV-1a hash of an object
// id, as a signed integer.
func idHash(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int64(h.Sum64())
}

// latestVersion computes the row key of the latest stored version of the
// object whose id is the text column col, 0 when none is stored.
func latestVersion(col string) computed {
	return computed{expr: "coalesce((SELECT max(pk) FROM objects WHERE idh = ? AND id = ?), 0)",
		args: func(r map[string]any) []any { id := asString(r[col]); return []any{idHash(id), id} }}
}

// hashOf computes idh from the text column col.
func hashOf(col string) computed {
	return computed{expr: "?", args: func(r map[string]any) []any { return []any{idHash(asString(r[col]))} }}
}

// asString returns v as a string ([]byte or string values).
func asString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// feedEntries are the entries of the SQLite feed's runs, one row each.
const feedEntries = `(WITH RECURSIVE e (seq, time, collection, date_added, left) AS (
		SELECT seq, time, collection, date_added, n - 1 FROM feed
		UNION ALL
		SELECT seq + 1, time + 1, collection, date_added + 1, left - 1 FROM e WHERE left > 0)
	SELECT seq, time, collection, date_added FROM e) AS feed`

// tables lists every table Tearline keeps, in an order where each table
// comes after those its rows refer to. A table of either store that is not
// listed, and is not bookkeeping, stops the copy: a table added later must
// be added here, never skipped.
var tables = []table{
	{name: "organizations"},
	{name: "api_keys", pgOnly: []string{"seq"}, pgOrder: "seq"},
	{name: "certificates"},
	{name: "collections"},
	{name: "objects", sqliteOnly: map[string]computed{"pk": {}, "idh": hashOf("id")},
		sqliteOrder: "pk",
		// The order they were first stored, which the observable index
		// and the full-text index of the sqlite store follow.
		pgOrder: "(SELECT min(co.date_added) FROM collection_objects co WHERE co.id = objects.id AND co.version = objects.version), id, version"},
	{name: "collection_objects", sqliteOnly: map[string]computed{"object": {
		expr: "(SELECT pk FROM objects WHERE idh = ? AND id = ? AND version = ?)",
		args: func(r map[string]any) []any {
			id := asString(r["id"])
			return []any{idHash(id), id, asString(r["version"])}
		},
	}}, sqliteOrder: "collection, date_added", pgOrder: "collection, date_added"},
	{name: "grants"},
	{name: "statuses"},
	{name: "products", pgOnly: []string{"seq"}, pgOrder: "seq"},
	{name: "releases", pgOnly: []string{"seq"}, pgOrder: "seq"},
	{name: "org_clients"},
	// A SQLite feed row is a run of n entries (migration 22 of the
	// sqlite store); PostgreSQL keeps one row per entry, which comes in
	// as a run of one.
	{name: "feed", sqliteOnly: map[string]computed{"n": {expr: "1", args: func(map[string]any) []any { return nil }}}, sqliteFrom: feedEntries, sqliteOrder: "seq", pgOrder: "seq"},
	{name: "feed_head", seeded: true},
	{name: "feed_pending", only: "postgres", custom: true},
	{name: "subscriptions"},
	{name: "dead_letters"},
	{name: "collection_pii"},
	{name: "reviews", pgOnly: []string{"seq"}, pgOrder: "seq"},
	{name: "submission_keys"},
	{name: "object_scores", custom: true},
	{name: "score_links"},
	{name: "org_reliability"},
	{name: "warning_entries"},
	// A SQLite submission finds its objects by their range of rowids
	// (migration 23 of the sqlite store), which a copy in sets once they
	// are written (fixCounters), in (submission, idx) order.
	{name: "submissions", sqliteOnly: map[string]computed{"objects_first": {}, "objects_last": {}}},
	// Each row names the latest stored version of its object (migration
	// 25 of the sqlite store): objects are copied before.
	{name: "submission_objects", sqliteOnly: map[string]computed{"idh": hashOf("object"), "object_pk": latestVersion("object")},
		sqliteOrder: "submission, idx", pgOrder: "submission, idx"},
	{name: "feedback"},
	{name: "org_activity"},
	{name: "portal_users"},
	{name: "portal_sessions", renames: map[string]string{"user": "user_name"}},
	{name: "portal_visits"},
	{name: "portal_signin_failures"},
	{name: "translation_requests"},
	// The portal's reference index of the sqlite store, which AddObjects
	// keeps and a copy fills (fixCounters). Its full-text index is in a
	// file of its own, rebuilt when the store opens.
	{name: "object_refs", only: "sqlite"},
	// The PostgreSQL store's full-text index, which AddObjects keeps and
	// a copy fills (fixCounters).
	{name: "object_search", only: "postgres"},
	// The sqlite store finds versions by id through two tables, the keys
	// not yet merged in the second (migration 27 of the sqlite store),
	// which AddObjects keeps; a copy in fills object_ids and sets
	// object_ids_merged (sqlite.FillDerived).
	{name: "object_ids", only: "sqlite"},
	{name: "object_ids_recent", only: "sqlite"},
	{name: "object_ids_merged", only: "sqlite", seeded: true},
	// The values of the sqlite store's observable index are in two
	// tables, the recent ones not yet merged (migration 26 of the sqlite
	// store); a copy in writes them all to the first.
	{name: "observables", sqliteFrom: `(SELECT key, id FROM observables UNION ALL
		SELECT key, id FROM observables_recent) AS observables`},
	{name: "observables_recent", only: "sqlite"},
	{name: "observable_next", only: "sqlite", seeded: true, custom: true},
	{name: "observable_orgs"},
	{name: "observable_sources"},
	{name: "observable_versions", only: "postgres", custom: true},
	{name: "observable_objects", custom: true},
	{name: "peers"},
	{name: "peer_links", renames: map[string]string{"interval": "interval_ms"}},
	// The sqlite store's provenance rows are appended (seq) and found by
	// id through two tables of keys, the recent ones not yet merged in
	// the second (migration 28 of the sqlite store); a copy in fills
	// them (sqlite.FillDerived).
	{name: "provenance", sqliteOnly: map[string]computed{"seq": {}, "idh": hashOf("object")},
		sqliteOrder: "seq", pgOrder: "added, object, version, peer, remote_collection"},
	{name: "provenance_keys", only: "sqlite"},
	{name: "provenance_keys_recent", only: "sqlite"},
	{name: "held"},
}

// bookkeeping reports whether a table belongs to the database engine or
// the schema migrations rather than to Tearline's data: never copied.
func bookkeeping(name string) bool {
	switch name {
	case "goose_db_version", "goose_lock", "sqlite_sequence", "sqlite_stat1", "sqlite_stat4":
		return true
	case "derived_key", "pk_floor", "text_gone":
		// The SQLite store's ties to its derived file (the full-text
		// index), which a new store rebuilds for itself.
		return true
	}
	// The shadow tables of the SQLite full-text index object_text, in the
	// main file before migration 24.
	return strings.HasPrefix(name, "object_text_")
}

// findTable returns the spec of a table, or nil.
func findTable(name string) *table {
	for i := range tables {
		if tables[i].name == name {
			return &tables[i]
		}
	}
	return nil
}

// pgName returns the PostgreSQL name of canonical column c.
func (t *table) pgName(c string) string {
	if n, ok := t.renames[c]; ok {
		return n
	}
	return c
}
