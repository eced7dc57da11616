package sqlite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/normalize"
)

// TestQueryPlans checks with EXPLAIN QUERY PLAN that the common queries
// search an index rather than scan a table, and sort only where the index
// cannot give date_added order.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openTest(t)
	c := &tearline.Collection{Alias: "plans"}
	if err := db.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	var objs []*tearline.Object
	for i := range 200 {
		id := fmt.Sprintf("%s--%d", []string{"indicator", "malware", "relationship"}[i%3], i)
		objs = append(objs, testObject(id, "2020-01-01T00:00:00Z", `{}`), testObject(id, "2021-01-01T00:00:00Z", `{}`))
	}
	if _, err := db.AddObjects(ctx, c.ID, objs); err != nil {
		t.Fatal(err)
	}

	after := time.Now().Add(-time.Hour)
	query := func(q tearline.ObjectQuery) (string, []any) {
		vf, err := normalize.Versions(q.Versions, tearline.VersionLast)
		if err != nil {
			t.Fatal(err)
		}
		return objectQuery(1, q, vf)
	}
	tests := []struct {
		name string
		sql  string
		args []any
		want []string // substrings of the plan, in order
		sort bool     // whether a sort (USE TEMP B-TREE) is expected
	}{
		{name: "default page", want: []string{"SEARCH co USING INDEX collection_objects_last (collection=? AND date_added>?)"}},
		{name: "first", want: []string{"SEARCH co USING INDEX collection_objects_first (collection=? AND date_added>?)"}},
		{name: "all", want: []string{"SEARCH co USING PRIMARY KEY (collection=? AND date_added>?)"}},
		{name: "first and last", want: []string{"SEARCH co USING PRIMARY KEY (collection=? AND date_added>?)"}},
		{name: "exact", want: []string{"SEARCH co USING PRIMARY KEY (collection=? AND date_added>?)"}},
		{name: "type", want: []string{"SEARCH co USING INDEX collection_objects_type (collection=? AND type=? AND date_added>?)"}},
		{name: "ids", want: []string{"SEARCH o USING INTEGER PRIMARY KEY (rowid=?)", "SEARCH object_ids USING PRIMARY KEY (idh=?)", "SEARCH object_ids_recent USING PRIMARY KEY (idh=?)",
			"SEARCH co USING INDEX collection_objects_object (object=? AND collection=?)"}, sort: true},
		{
			name: "lookup", sql: lookupSQL, args: []any{1, `["indicator--0"]`},
			want: []string{"SEARCH o USING INTEGER PRIMARY KEY (rowid=?)", "SEARCH object_ids USING PRIMARY KEY (idh=?)", "SEARCH object_ids_recent USING PRIMARY KEY (idh=?)",
				"SEARCH co USING COVERING INDEX collection_objects_object (object=? AND collection=?)"},
		},
		{
			name: "clear last", sql: clearLastSQL, args: []any{1, 1},
			want: []string{"SEARCH collection_objects USING COVERING INDEX collection_objects_object (object=? AND collection=?)"},
		},
		{
			name: "delete object", sql: `DELETE FROM collection_objects INDEXED BY collection_objects_object
				WHERE collection = ?1 AND object IN (SELECT pk FROM objects WHERE pk IN (SELECT pk FROM object_keys WHERE idh = ?3) AND id = ?2) RETURNING object`,
			args: []any{1, "indicator--0", idHash("indicator--0")},
			want: []string{"SEARCH collection_objects USING INDEX collection_objects_object (object=? AND collection=?)",
				"SEARCH objects USING INTEGER PRIMARY KEY (rowid=?)", "SEARCH object_ids USING PRIMARY KEY (idh=?)", "SEARCH object_ids_recent USING PRIMARY KEY (idh=?)"},
		},
		{
			name: "orphan", sql: `DELETE FROM objects WHERE pk = ?1
				AND NOT EXISTS (SELECT 1 FROM collection_objects WHERE object = ?1)`, args: []any{1},
			want: []string{"SEARCH objects USING INTEGER PRIMARY KEY (rowid=?)",
				"SEARCH collection_objects USING COVERING INDEX collection_objects_object (object=?)"},
		},
		{
			name: "submissions of an object", sql: `SELECT id FROM submissions WHERE id IN (` + submissionsOf + `)`,
			args: []any{nil, nil, "indicator--0", idHash("indicator--0")},
			want: []string{"SEARCH o USING INTEGER PRIMARY KEY (rowid=?)", "SEARCH object_ids USING PRIMARY KEY (idh=?)", "SEARCH object_ids_recent USING PRIMARY KEY (idh=?)",
				"SEARCH so USING INDEX submission_objects_pk (object_pk=?)",
				"SEARCH submission_objects USING INDEX submission_objects_unstored (idh=?)"},
		},
		{
			// The statement of the trigger submission_objects_gone
			// (migration 29), run for every object version deleted.
			name: "submission rows of a deleted version", sql: triggerStatement(t, db, "submission_objects_gone"),
			want: []string{"SEARCH submission_objects USING COVERING INDEX submission_objects_pk (object_pk=?)"},
		},
		{
			name: "observable sources", sql: observableSourcesSQL, args: []any{`["0101"]`},
			want: []string{"SEARCH s USING PRIMARY KEY (observable=?)",
				"SEARCH observables USING PRIMARY KEY (key=?)", "SEARCH observables_recent USING PRIMARY KEY (key=?)",
				"SEARCH g USING INTEGER PRIMARY KEY (rowid=?)"},
			sort: true, // by the keys' positions, which SQLite cannot take from json_each
		},
		{
			name: "observable ids", sql: observableIDsSQL, args: []any{`["0101"]`},
			want: []string{"SCAN j VIRTUAL TABLE", "SEARCH o USING PRIMARY KEY (key=?)",
				"SCAN j VIRTUAL TABLE", "SEARCH r USING PRIMARY KEY (key=?)"},
		},
		{
			name: "delete collection", sql: `DELETE FROM collection_objects WHERE collection = ? RETURNING object`, args: []any{1},
			want: []string{"SEARCH collection_objects USING PRIMARY KEY (collection=?)"},
		},
	}
	queries := map[string]tearline.ObjectQuery{
		"default page":   {Limit: 100, AddedAfter: after},
		"first":          {Versions: []string{tearline.VersionFirst}, Limit: 100, AddedAfter: after},
		"all":            {Versions: []string{tearline.VersionAll}, Limit: 100, AddedAfter: after},
		"first and last": {Versions: []string{tearline.VersionFirst, tearline.VersionLast}, Limit: 100, AddedAfter: after},
		"exact":          {Versions: []string{"2020-01-01T00:00:00Z"}, Limit: 100, AddedAfter: after},
		"type":           {Types: []string{"malware"}, Limit: 100, AddedAfter: after},
		"ids":            {IDs: []string{"indicator--0", "malware--1"}, Versions: []string{tearline.VersionAll}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args := tt.sql, tt.args
			if q, ok := queries[tt.name]; ok {
				sql, args = query(q)
			}
			plan := explain(t, db, sql, args...)
			rest := plan
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("plan lacks %q:\n%s", w, plan)
				}
				rest = rest[i+len(w):]
			}
			for line := range strings.Lines(plan) {
				// A scan of json_each reads the query's own parameter.
				if strings.Contains(line, "SCAN ") && !strings.Contains(line, "json_each") && !strings.Contains(line, "VIRTUAL TABLE") {
					t.Errorf("plan scans a table:\n%s", plan)
				}
			}
			if got := strings.Contains(plan, "USE TEMP B-TREE"); got != tt.sort {
				t.Errorf("plan sorts: %v, want %v:\n%s", got, tt.sort, plan)
			}
		})
	}
}

// explain returns the query plan of a statement, one step a line.
func explain(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// triggerStatement returns the one statement of the named trigger of db,
// with OLD.pk in it replaced by a subquery: like OLD.pk, and unlike a
// bound parameter, a value the planner does not know (a partial index is
// then used only where the statement's own terms imply its WHERE).
func triggerStatement(t *testing.T, db *DB, name string) string {
	t.Helper()
	var sql string
	if err := db.r.QueryRow(`SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?`, name).Scan(&sql); err != nil {
		t.Fatalf("trigger %s: %v", name, err)
	}
	_, body, ok := strings.Cut(sql, " BEGIN")
	body, _, ok2 := strings.Cut(body, "END")
	if !ok || !ok2 || strings.Count(body, ";") != 1 {
		t.Fatalf("trigger %s is not one statement: %s", name, sql)
	}
	body = strings.TrimSuffix(strings.TrimSpace(body), ";")
	return strings.ReplaceAll(body, "OLD.pk", "(SELECT max(pk) FROM objects)")
}
