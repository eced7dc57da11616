// Package ingest takes STIX submissions into a store: it validates every
// object, stores the valid ones and answers with a report that names each
// rejected object and why.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/stix"
)

// DefaultBatchSize is how many objects go to the store per transaction.
const DefaultBatchSize = 2000

// Options tune Bundle.
type Options struct {
	// BatchSize is the number of objects stored per transaction
	// (DefaultBatchSize when 0).
	BatchSize int
	// OnIssues, when set, is called with the issues of each object that has
	// any (errors, warnings, or a store conflict), in bundle order.
	OnIssues func(stix.Issues)
	// OnProgress, when set, is called after each stored batch with the
	// number of objects read so far.
	OnProgress func(objects int)
}

// Report summarizes one bundle's ingest.
type Report struct {
	Objects    int // objects in the bundle
	Added      int // versions new to the collection
	Duplicates int // versions the collection already held, unchanged
	Conflicts  int // same id and version as a stored object, different content
	Invalid    int // objects that failed validation
	Warnings   int // SHOULD-rule findings
	Errors     int // MUST-rule findings, conflicts and bundle-level errors
}

// Bundle reads a STIX bundle from r and adds its valid objects to the
// collection in batches. Invalid objects are reported and skipped; the rest
// are stored. A JSON syntax error stops the read: objects before it are
// stored and the error (a *stix.SyntaxError) is returned with the report.
// Store failures are returned as errors; re-ingesting the same bundle
// changes nothing.
func Bundle(ctx context.Context, store tearline.Store, collectionID string, r io.Reader, opts Options) (*Report, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	rep := &Report{}
	var (
		batch  []*tearline.Object
		paths  []string
		issues = opts.OnIssues
	)
	count := func(is stix.Issues) {
		for _, i := range is {
			if i.Warning {
				rep.Warnings++
			} else {
				rep.Errors++
			}
		}
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		results, err := store.AddObjects(ctx, collectionID, batch)
		if err != nil {
			return fmt.Errorf("ingest: store %d objects: %w", len(batch), err)
		}
		for i, res := range results {
			switch res.Status {
			case tearline.Added:
				rep.Added++
			case tearline.Duplicate:
				rep.Duplicates++
			case tearline.Conflict:
				rep.Conflicts++
				is := stix.Issues{{Path: paths[i], Rule: "conflict", Message: fmt.Sprintf(
					"object %s version %s is already stored with different content; a changed object needs a new modified timestamp",
					batch[i].ID, batch[i].VersionKey())}}
				count(is)
				if issues != nil {
					issues(is)
				}
			}
		}
		batch, paths = batch[:0], paths[:0]
		if opts.OnProgress != nil {
			opts.OnProgress(rep.Objects)
		}
		return nil
	}
	bundleIssues, err := stix.ReadBundle(r, func(res *stix.Result) error {
		rep.Objects++
		if len(res.Issues) > 0 {
			count(res.Issues)
			if issues != nil {
				issues(res.Issues)
			}
		}
		if res.Object == nil {
			rep.Invalid++
			return nil
		}
		batch = append(batch, res.Object)
		paths = append(paths, res.Path)
		if len(batch) >= opts.BatchSize {
			return flush()
		}
		return ctx.Err()
	})
	if len(bundleIssues) > 0 {
		count(bundleIssues)
		if issues != nil {
			issues(bundleIssues)
		}
	}
	var syntax *stix.SyntaxError
	if err == nil || errors.As(err, &syntax) {
		// Objects read before a syntax error are complete and valid.
		if ferr := flush(); ferr != nil {
			return rep, ferr
		}
	}
	return rep, err
}
