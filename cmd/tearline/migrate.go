package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline/storecopy"
)

func newMigrateCmd(s *streams) *cobra.Command {
	var (
		from, to string
		replace  bool
	)
	cmd := &cobra.Command{
		Use:   "migrate --from DIR|postgres://... --to postgres://...|DIR",
		Short: "Copy a whole store between a data directory and PostgreSQL",
		Long: `Copies every table of a store between the embedded SQLite store of a data
directory and a PostgreSQL database, either way: object versions byte for byte with
their date_added, collections, organizations, API keys, certificates, grants,
clients, statuses, products, releases, reviews, scores, reliabilities, warning
lists, subscriptions with their cursors and dead letters, the change feed, the
observable index, peers, links, provenance and held objects, exchanges and portal
users. Both schemas are created or migrated first. The source is read in one
snapshot and the target written in one transaction; stop the servers of both.

A target that holds data is refused unless --replace, which empties it first. A
database holding a table this version does not know is refused before anything is
written. At the end the row counts of every table and content hashes of the object
bytes and memberships are read again from both sides and compared (exit status 1
when they differ).

The disclosure ledger (DATA/ledger) is not part of the store: it is neither read
nor written; keep the data directory where tearline serve --store postgres://...
goes on writing it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" || to == "" {
				return fmt.Errorf("--from and --to are required: a data directory and a postgres:// URL")
			}
			rep, err := storecopy.Copy(cmd.Context(), from, to, storecopy.Options{Replace: replace, Progress: s.errOut})
			if rep != nil {
				tw := tabwriter.NewWriter(s.out, 0, 8, 2, ' ', 0)
				fmt.Fprintln(tw, "TABLE\tSOURCE\tTARGET")
				for _, c := range rep.Counts {
					fmt.Fprintf(tw, "%s\t%d\t%d\n", c.Table, c.Source, c.Target)
				}
				tw.Flush()
				fmt.Fprintf(s.out, "objects: %d versions, sha256 %s\nmemberships: sha256 %s\n", rep.Objects, rep.ObjectsHash, rep.MembersHash)
			}
			if err != nil {
				return fmt.Errorf("migrate %s to %s: %w", storecopy.Redact(from), storecopy.Redact(to), err)
			}
			fmt.Fprintf(s.errOut, "copied %s to %s and checked it\n", storecopy.Redact(from), storecopy.Redact(to))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source: a data directory, or a postgres:// URL")
	cmd.Flags().StringVar(&to, "to", "", "target: a postgres:// URL, or a data directory (created when absent)")
	cmd.Flags().BoolVar(&replace, "replace", false, "empty a target that holds data before copying")
	return cmd
}
