package main

import (
	"context"
	"fmt"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/sqlite"
)

// openStore opens (creating if needed) the embedded store in dir.
func openStore(ctx context.Context, dir string) (tearline.Store, error) {
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("open data directory %s: %w", dir, err)
	}
	return db, nil
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
