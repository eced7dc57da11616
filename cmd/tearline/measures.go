package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/google/uuid"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/export"
)

// exportMeasures writes the indicators matching q, passed through release
// page by page, as defensive measures in format, and returns how many
// rules, lines or objects it wrote. What the format cannot express is
// counted on errOut and, when skippedFile is set, written there.
func exportMeasures(ctx context.Context, store tearline.Store, q tearline.ObjectQuery, release *exportRelease, format string, w io.Writer, skippedFile string, errOut io.Writer) (int, error) {
	ew, err := export.NewWriter(w, format, export.Options{})
	if err != nil {
		return 0, err
	}
	if len(q.Types) == 0 {
		q.Types = []string{"indicator"}
	}
	const pageSize = 2000
	q.Limit = pageSize
	request := "export--" + uuid.NewString()
	for {
		page, err := store.QueryObjects(ctx, q)
		if err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
		raws, err := release.releasePage(page.Entries, request)
		if err != nil {
			return 0, err
		}
		for _, raw := range raws {
			if raw == nil {
				continue
			}
			if err := ew.Add(raw); err != nil {
				return 0, fmt.Errorf("export: %w", err)
			}
		}
		if !page.More || len(page.Entries) == 0 {
			break
		}
		q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
	}
	if err := ew.Close(); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	if n := len(ew.Skipped()); n > 0 {
		fmt.Fprintf(errOut, "%d indicators (or values) could not be expressed as %s; they are listed at the end", n, format)
		if skippedFile != "" {
			fmt.Fprintf(errOut, " and in %s", skippedFile)
		}
		fmt.Fprintln(errOut)
	}
	if skippedFile != "" {
		f, err := os.Create(skippedFile)
		if err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
		if err := export.WriteSkipped(f, ew.Skipped()); err != nil {
			f.Close()
			return 0, fmt.Errorf("export: %w", err)
		}
		if err := f.Close(); err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
	}
	return ew.Written(), nil
}
