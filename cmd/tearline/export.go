package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
)

func newExportCmd(s *streams) *cobra.Command {
	var (
		dir, collection, output string
		versions                []string
		types                   []string
	)
	cmd := &cobra.Command{
		Use:   "export --collection NAME [--output FILE]",
		Short: "Write a collection out as a STIX 2.1 bundle",
		Long: `Write the objects of a collection as one STIX 2.1 bundle, in the order they
were added. Each object is written byte for byte as it was submitted. By
default every version of every object is written (--versions all); use
--versions last for only the latest version of each object.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := openStore(ctx, dir)
			if err != nil {
				return err
			}
			defer store.Close()
			col, err := findOrCreateCollection(ctx, store, collection, false)
			if err != nil {
				return err
			}
			w := s.out
			if output != "" && output != "-" {
				f, err := os.Create(output)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			bw := bufio.NewWriterSize(w, 1<<20)
			n, err := exportBundle(ctx, store, tearline.ObjectQuery{CollectionID: col.ID, Versions: versions, Types: types}, bw)
			if err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			if f, ok := w.(*os.File); ok && w != s.out {
				if err := f.Close(); err != nil {
					return err
				}
			}
			fmt.Fprintf(s.errOut, "exported %d objects from %s\n", n, col.Alias)
			return nil
		},
	}
	dataDirFlag(cmd.Flags(), &dir)
	cmd.Flags().StringVarP(&collection, "collection", "c", "", "collection id or alias to export (required)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of standard output")
	cmd.Flags().StringSliceVar(&versions, "versions", []string{tearline.VersionAll}, "versions to export: all, last, first, or timestamps")
	cmd.Flags().StringSliceVar(&types, "type", nil, "export only objects of these types")
	cmd.MarkFlagRequired("collection")
	return cmd
}

// exportBundle streams the entries matching q as a bundle, page by page, and
// returns how many objects it wrote.
func exportBundle(ctx context.Context, store tearline.Store, q tearline.ObjectQuery, w io.Writer) (int, error) {
	const pageSize = 2000
	q.Limit = pageSize
	if _, err := fmt.Fprintf(w, "{\n    \"type\": \"bundle\",\n    \"id\": \"bundle--%s\",\n    \"objects\": [", uuid.New()); err != nil {
		return 0, err
	}
	n := 0
	for {
		page, err := store.QueryObjects(ctx, q)
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		for _, e := range page.Entries {
			sep := ",\n"
			if n == 0 {
				sep = "\n"
			}
			if _, err := io.WriteString(w, sep); err != nil {
				return n, err
			}
			if _, err := w.Write(e.Raw); err != nil {
				return n, err
			}
			n++
		}
		if !page.More || len(page.Entries) == 0 {
			break
		}
		q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
	}
	end := "\n    ]\n}\n"
	if n == 0 {
		end = "]\n}\n"
	}
	_, err := io.WriteString(w, end)
	return n, err
}
