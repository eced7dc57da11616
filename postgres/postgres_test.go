package postgres

import (
	"context"
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres/pgtest"
	"github.com/tearline/tearline/storetest"
)

// openTest opens a store in a new schema of the test database, closed
// (and the schema dropped) at the end of the test. It skips the test when
// TEARLINE_TEST_POSTGRES is not set.
func openTest(t testing.TB) *DB {
	t.Helper()
	return openURL(t, pgtest.URL(t))
}

// openURL opens another store on the database at url, closed at the end of
// the test.
func openURL(t testing.TB, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) tearline.Store { return openTest(t) })
}

func TestDirectory(t *testing.T) {
	storetest.RunDirectory(t, func(t *testing.T) storetest.DirectoryStore { return openTest(t) })
}

func TestStatuses(t *testing.T) {
	storetest.RunStatuses(t, func(t *testing.T) tearline.StatusStore { return openTest(t) })
}

func TestProducts(t *testing.T) {
	storetest.RunProducts(t, func(t *testing.T) tearline.Products { return openTest(t) })
}
