package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/taxii"
)

func newProductCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "product",
		Aliases: []string{"products"},
		Short:   "Review tear-line products (objects derived at a lower marking)",
		Long: `Review tear-line products: objects an analyst derived from a marked object
at a lower marking (POST /api/v1/products). A product is released into its
collection, with a derived-from relationship to its source, only when a
second analyst approves it.`,
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())

	var status, collection string
	list := &cobra.Command{
		Use:   "list [--status draft|approved|rejected] [--collection ID]",
		Short: "List products, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch status {
			case "", tearline.ProductDraft, tearline.ProductApproved, tearline.ProductRejected:
			default:
				return fmt.Errorf("--status %q: want draft, approved or rejected", status)
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				colID := ""
				if collection != "" {
					c, err := db.FindCollection(cmd.Context(), collection)
					if err != nil {
						return err
					}
					colID = c.ID
				}
				ps, err := db.Products(cmd.Context(), colID, status)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATUS\tSOURCE\tCOLLECTION\tAUTHOR KEY\tAPPROVER KEY\tRELATIONSHIP")
				for _, p := range ps {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Status, p.SourceID, p.CollectionID,
						p.AuthorKey, p.ApproverKey, p.RelationshipID)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&status, "status", "", "only products with this status: draft, approved or rejected")
	list.Flags().StringVar(&collection, "collection", "", "only products of this collection (id or alias)")

	cmd.AddCommand(list, newDecideCmd(s, &dir, true), newDecideCmd(s, &dir, false))
	return cmd
}

// newDecideCmd returns "product approve" or "product reject": the operator
// decides on behalf of an analyst's API key, under the rules the API
// applies to that key (a second analyst, with a write grant on the
// product's collection).
func newDecideCmd(s *streams, dir *string, approve bool) *cobra.Command {
	var keyID string
	var levels []string
	use, short := "reject", "Reject a draft product on behalf of an analyst's API key"
	if approve {
		use, short = "approve", "Approve a draft product on behalf of an analyst's API key, releasing it"
	}
	cmd := &cobra.Command{
		Use:   use + " ID --key-id KEYID",
		Short: short,
		Long: short + `.
KEYID is the public id of the deciding analyst's key (tearline key list); it
must not be the key that drafted the product, must have role analyst or
admin, and its organization must have a write grant on the product's
collection. Approval stores the derived object and a derived-from
relationship in that collection.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			policy, err := newPolicy(levels)
			if err != nil {
				return err
			}
			return withDB(cmd, *dir, func(db taxii.Backend) error {
				ctx := cmd.Context()
				k, _, err := db.FindAPIKey(ctx, keyID)
				if tearline.ErrorCode(err) == tearline.ENOTFOUND {
					return fmt.Errorf("--key-id %q: no such API key", keyID)
				} else if err != nil {
					return err
				}
				if !k.Revoked.IsZero() {
					return fmt.Errorf("--key-id %q: the key was revoked", keyID)
				}
				org, err := db.FindOrganization(ctx, k.OrgID)
				if err != nil {
					return err
				}
				if approve {
					if _, _, err := ingest.LoadDefinitions(ctx, db, policy.Definitions()); err != nil {
						return err
					}
				}
				p, err := taxii.DecideProduct(ctx, db, policy, args[0], &tearline.Principal{Org: org, Role: k.Role, KeyID: k.ID}, approve)
				if err != nil {
					return err
				}
				if p.RelationshipID != "" {
					fmt.Fprintf(s.out, "product %s %s: released into collection %s with relationship %s\n", p.ID, p.Status, p.CollectionID, p.RelationshipID)
				} else {
					fmt.Fprintf(s.out, "product %s %s\n", p.ID, p.Status)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&keyID, "key-id", "", "public id of the deciding analyst's API key (required)")
	cmd.MarkFlagRequired("key-id")
	levelsFlag(cmd.Flags(), &levels)
	return cmd
}
