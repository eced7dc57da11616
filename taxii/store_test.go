package taxii

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/tearline/tearline/postgres"
	"github.com/tearline/tearline/postgres/pgtest"
	"github.com/tearline/tearline/sqlite"
)

// testStores maps the data directory of a test server to the URL of its
// PostgreSQL schema, so that a restart reopens the same data.
var testStores sync.Map

// openTestStore opens the store of a test server: SQLite in dir, or, when
// TEARLINE_TEST_STORE=postgres, a PostgreSQL schema of its own in the
// database TEARLINE_TEST_POSTGRES names (the test skips when it is unset),
// the same schema again for the same dir.
func openTestStore(t testing.TB, dir string) (Backend, error) {
	ctx := context.Background()
	if os.Getenv("TEARLINE_TEST_STORE") != "postgres" {
		db, err := sqlite.Open(ctx, dir)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	url, ok := testStores.Load(dir)
	if !ok {
		url, _ = testStores.LoadOrStore(dir, pgtest.URL(t))
	}
	db, err := postgres.Open(ctx, url.(string))
	if err != nil {
		return nil, err
	}
	return db, nil
}
