package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline/taxii"
)

func newDirectoryCmd(s *streams) *cobra.Command {
	var (
		dir, as string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "directory [--as ORG] [--json]",
		Short: "List whom to call at each participating organization",
		Long: `List the points of contact of the organizations: name, role, email, phone,
hours, languages, PGP key and S/MIME certificate (with --json). With --as,
only what that organization may know, as GET /api/v1/directory answers it:
its own contacts and those of the organizations it shares a collection
(both hold a read or write grant) or a community with; none else.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				orgID := ""
				if as != "" {
					o, err := db.FindOrganization(cmd.Context(), as)
					if err != nil {
						return fmt.Errorf("--as %q: %w", as, err)
					}
					orgID = o.ID
				}
				entries, err := taxii.Directory(cmd.Context(), db, orgID)
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(s.out)
					enc.SetIndent("", "  ")
					return enc.Encode(entries)
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ORGANIZATION\tCOUNTRY\tCONTACT\tROLE\tEMAIL\tPHONE\tHOURS\tLANGUAGES\tKEYS")
				for _, e := range entries {
					if len(e.Contacts) == 0 {
						fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\t-\n", e.Name, dash(e.Country))
					}
					for _, c := range e.Contacts {
						var keys []string
						if c.PGPKey != "" {
							keys = append(keys, "pgp")
						}
						if c.SMIME != "" {
							keys = append(keys, "s/mime")
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, dash(e.Country), c.Name, dash(c.Role),
							dash(c.Email), dash(c.Phone), dash(c.Hours), dash(strings.Join(c.Languages, ",")), dash(strings.Join(keys, ",")))
					}
				}
				return tw.Flush()
			})
		},
	}
	dataDirFlag(cmd.Flags(), &dir)
	storeFlag(cmd.Flags())
	cmd.Flags().StringVar(&as, "as", "", "list only what this organization (name or id) may know")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, keys and certificates included")
	return cmd
}
