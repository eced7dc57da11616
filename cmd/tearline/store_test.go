package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tearline/tearline/postgres/pgtest"
)

// TestServePostgres sets up organizations, a key and a collection with the
// CLI on a PostgreSQL store, serves it, and reads the collection over TAXII.
// It skips unless TEARLINE_TEST_POSTGRES names a database.
func TestServePostgres(t *testing.T) {
	t.Parallel()
	store := pgtest.URL(t)
	data := t.TempDir() // the ledger's
	cli(t, "org", "add", "--store", store, "--name", "acme")
	token := cli(t, "key", "create", "--store", store, "--org", "acme", "--role", "contributor")
	colID := cli(t, "collection", "add", "--store", store, "--title", "Shared Intel", "--write", "acme")

	cfg := defaultServeConfig()
	cfg.Data, cfg.Store, cfg.Listen = data, store, "127.0.0.1:0"
	srv := boot(t, cfg)
	code, body := do(t, http.DefaultClient, "GET", srv.URL()+"/taxii2/default/collections/"+colID+"/", token, nil)
	if code != 200 || !strings.Contains(string(body), "Shared Intel") {
		t.Fatalf("GET collection: %d %s", code, body)
	}
	if out := cli(t, "collections", "list", "--store", store); !strings.Contains(out, "shared-intel") {
		t.Errorf("collections list: %s", out)
	}
	// Nothing went to the embedded store in the data directory.
	if out := cli(t, "collections", "list", "--data", data); strings.Contains(out, "shared-intel") {
		t.Errorf("collections list of the data directory: %s", out)
	}
}

func TestStoreURLErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ store, want string }{
		{"mysql://u:secret@host/db", `store "mysql://u:xxxxx@host/db": want a postgres:// URL`},
		{"postgres://u:secret@127.0.0.1:1/db?connect_timeout=5", "open store postgres://u:xxxxx@127.0.0.1:1/db"},
	} {
		code, _, errOut := run(t, "", "collections", "list", "--store", tt.store)
		if code == 0 || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "secret") {
			t.Errorf("--store %s: exit %d, %q; want an error with %q and no password", tt.store, code, errOut, tt.want)
		}
	}
}
