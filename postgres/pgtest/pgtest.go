// Package pgtest gives tests a fresh PostgreSQL schema of their own in the
// database that TEARLINE_TEST_POSTGRES names, so that tests of the postgres
// store, and of packages over it, run in parallel and leave nothing behind.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the environment variable that names the test database, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvURL = "TEARLINE_TEST_POSTGRES"

// URL returns the URL of the test database with its search_path set to a
// new, empty schema, which is dropped with everything in it when the test
// and its cleanups end (register closing the store after calling URL). It
// skips the test when EnvURL is not set, and fails it when the database
// cannot be reached.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skipf("%s is not set: PostgreSQL tests skipped (set it to a database URL such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvURL)
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "tearline_test_" + hex.EncodeToString(b[:])
	exec(t, base, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { exec(t, base, `DROP SCHEMA `+schema+` CASCADE`) })
	return WithParam(base, "search_path", schema)
}

// WithParam returns the database URL or key=value connection string conn
// with the parameter key (such as search_path or application_name) set to
// value, which must not need quoting.
func WithParam(conn, key, value string) string {
	if u, err := url.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(conn) + " " + key + "=" + value
}

// exec runs one statement on a connection of its own.
func exec(t testing.TB, conn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvURL, err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
