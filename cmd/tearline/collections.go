package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii"
)

func newCollectionsCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "collections",
		Aliases: []string{"collection"},
		Short:   "List, add and delete collections",
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())

	list := &cobra.Command{
		Use:   "list",
		Short: "List collections with their object counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := openStore(cmd, dir)
			if err != nil {
				return err
			}
			defer store.Close()
			cols, err := store.Collections(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ALIAS\tID\tOBJECTS\tTITLE")
			for _, c := range cols {
				n, err := store.CountObjects(ctx, c.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", c.Alias, c.ID, n, c.Title)
			}
			return tw.Flush()
		},
	}
	var (
		title, alias, description, apiRoot string
		readers, writers                   []string
	)
	add := &cobra.Command{
		Use:   "add --title TITLE [--alias ALIAS] [--read ORG]... [--write ORG]...",
		Short: "Create a collection, grant organizations access, and print its id",
		Long: `Create a collection and print its id. --read and --write (repeatable) give
organizations (by name or id) read or write access; --write implies read.
The alias, a short name for the CLI, defaults to the title in lower case with
hyphens.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if alias == "" {
				alias = slug(title)
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				ctx := cmd.Context()
				grants := map[string]*tearline.Grant{}
				var order []string
				for _, list := range []struct {
					orgs  []string
					write bool
				}{{readers, false}, {writers, true}} {
					for _, name := range list.orgs {
						o, err := db.FindOrganization(ctx, name)
						if err != nil {
							return fmt.Errorf("organization %q: %w", name, err)
						}
						g := grants[o.ID]
						if g == nil {
							g = &tearline.Grant{OrgID: o.ID}
							grants[o.ID] = g
							order = append(order, o.ID)
						}
						g.Read = true
						g.Write = g.Write || list.write
					}
				}
				c := &tearline.Collection{Alias: alias, Title: title, Description: description, APIRoot: apiRoot}
				if err := db.CreateCollection(ctx, c); err != nil {
					return err
				}
				for _, id := range order {
					g := grants[id]
					g.CollectionID = c.ID
					if err := db.SetGrant(ctx, *g); err != nil {
						return err
					}
				}
				fmt.Fprintln(s.out, c.ID)
				return nil
			})
		},
	}
	add.Flags().StringVar(&title, "title", "", "human-readable title (required)")
	add.Flags().StringVar(&alias, "alias", "", "short unique name (default: derived from the title)")
	add.Flags().StringVar(&description, "description", "", "description")
	add.Flags().StringVar(&apiRoot, "api-root", "", "TAXII API root serving the collection (default: the default root)")
	add.Flags().StringSliceVar(&readers, "read", nil, "organization that may read (repeatable)")
	add.Flags().StringSliceVar(&writers, "write", nil, "organization that may read and write (repeatable)")
	add.MarkFlagRequired("title")
	del := &cobra.Command{
		Use:   "delete ID|ALIAS",
		Short: "Delete a collection and the object versions only it holds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := openStore(cmd, dir)
			if err != nil {
				return err
			}
			defer store.Close()
			c, err := store.FindCollection(ctx, args[0])
			if err != nil {
				return err
			}
			if err := store.DeleteCollection(ctx, c.ID); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "deleted collection %s (%s)\n", c.Alias, c.ID)
			return nil
		},
	}
	cmd.AddCommand(list, add, del)
	return cmd
}

// slug turns a title into an alias: lower case letters and digits, other
// runs of characters replaced by one hyphen.
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	if b.Len() > 64 {
		return strings.TrimRight(b.String()[:64], "-")
	}
	return b.String()
}
