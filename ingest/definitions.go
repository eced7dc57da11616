package ingest

import (
	"context"
	"fmt"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
)

// LoadDefinitions makes every marking definition stored in any collection
// (every version) known to defs, so that the access decision can read the
// markings of stored objects. A stored definition defs refuses (one that
// changes a definition already loaded, stored before such changes were
// refused at ingest, or one the marking package cannot read) is skipped:
// the first one loaded stands. It returns how many definitions it added or
// found known, the refusals, and a store error.
func LoadDefinitions(ctx context.Context, store tearline.Store, defs *marking.Definitions) (loaded int, refused []error, err error) {
	cols, err := store.Collections(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("load marking definitions: %w", err)
	}
	for _, c := range cols {
		q := tearline.ObjectQuery{
			CollectionID: c.ID,
			Types:        []string{"marking-definition"},
			Versions:     []string{tearline.VersionAll},
			Limit:        1000,
		}
		for {
			page, err := store.QueryObjects(ctx, q)
			if tearline.ErrorCode(err) == tearline.ENOTFOUND {
				break // deleted meanwhile
			} else if err != nil {
				return loaded, refused, fmt.Errorf("load marking definitions of collection %s: %w", c.ID, err)
			}
			for _, e := range page.Entries {
				if err := defs.Add(e.Raw); err != nil {
					refused = append(refused, fmt.Errorf("collection %s: %s: %w", c.ID, e.ID, err))
					continue
				}
				loaded++
			}
			if !page.More || len(page.Entries) == 0 {
				break
			}
			q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
		}
	}
	return loaded, refused, nil
}
