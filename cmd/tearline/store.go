package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/postgres"
	"github.com/tearline/tearline/sqlite"
	"github.com/tearline/tearline/taxii"
)

// storeUsage describes --store (and the store setting of serve).
const storeUsage = "PostgreSQL database of the store, a postgres:// URL; empty: the embedded SQLite store in --data"

// storeFlag adds the --store flag to a command that opens the store. Its
// default, $TEARLINE_STORE, is read when the command runs (see openStore),
// so that --help never shows a password the variable holds.
func storeFlag(fs *pflag.FlagSet) {
	fs.String("store", "", storeUsage+" (env TEARLINE_STORE)")
}

// openStore opens the store that cmd's --store (or $TEARLINE_STORE) names,
// else the embedded store in dir, creating it if needed.
func openStore(cmd *cobra.Command, dir string) (taxii.Backend, error) {
	store, _ := cmd.Flags().GetString("store")
	if store == "" {
		store = os.Getenv("TEARLINE_STORE")
	}
	return openBackend(cmd.Context(), store, dir)
}

// openBackend opens the PostgreSQL store that storeURL names, applying its
// pending migrations, or when it is empty the embedded SQLite store in dir.
func openBackend(ctx context.Context, storeURL, dir string) (taxii.Backend, error) {
	if storeURL == "" {
		db, err := sqlite.Open(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("open data directory %s: %w", dir, err)
		}
		return db, nil
	}
	if !strings.HasPrefix(storeURL, "postgres://") && !strings.HasPrefix(storeURL, "postgresql://") {
		return nil, fmt.Errorf("store %q: want a postgres:// URL, or nothing for the embedded store", redact(storeURL))
	}
	db, err := postgres.Open(ctx, storeURL)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", redact(storeURL), err)
	}
	return db, nil
}

// redact returns a database URL with its password replaced by "xxxxx".
func redact(storeURL string) string {
	u, err := url.Parse(storeURL)
	if err != nil {
		return "(malformed URL)"
	}
	return u.Redacted()
}

// findOrCreateCollection returns the collection named key (id or alias),
// creating it with alias key when create is set.
func findOrCreateCollection(ctx context.Context, store tearline.Store, key string, create bool) (*tearline.Collection, error) {
	c, err := store.FindCollection(ctx, key)
	if err == nil || !create || tearline.ErrorCode(err) != tearline.ENOTFOUND {
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			return nil, fmt.Errorf("collection %q does not exist (use --create to create it)", key)
		}
		return c, err
	}
	c = &tearline.Collection{Alias: key, Title: key}
	if err := store.CreateCollection(ctx, c); err != nil {
		return nil, fmt.Errorf("create collection %q: %w", key, err)
	}
	return c, nil
}
