package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
)

func newCollectionsCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "collections",
		Aliases: []string{"collection"},
		Short:   "List, create and delete collections",
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)

	list := &cobra.Command{
		Use:   "list",
		Short: "List collections with their object counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := openStore(ctx, dir)
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
	var title, description string
	create := &cobra.Command{
		Use:   "create ALIAS",
		Short: "Create a collection",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := openStore(ctx, dir)
			if err != nil {
				return err
			}
			defer store.Close()
			if title == "" {
				title = args[0]
			}
			c := &tearline.Collection{Alias: args[0], Title: title, Description: description}
			if err := store.CreateCollection(ctx, c); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "created collection %s (%s)\n", c.Alias, c.ID)
			return nil
		},
	}
	create.Flags().StringVar(&title, "title", "", "human-readable title (default: the alias)")
	create.Flags().StringVar(&description, "description", "", "description")
	del := &cobra.Command{
		Use:   "delete ID|ALIAS",
		Short: "Delete a collection and the object versions only it holds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := openStore(ctx, dir)
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
	cmd.AddCommand(list, create, del)
	return cmd
}
