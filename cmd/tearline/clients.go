package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline/taxii"
)

// newOrgClientsCmd returns "org clients": which organizations are clients
// of which.
func newOrgClientsCmd(s *streams, dir *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clients",
		Short: "Manage the clients of an organization (TLP:AMBER may go to them)",
		Long: `Manage the clients of an organization. TLP:AMBER may be shared with a
recipient's clients: a client of an organization that may read a collection
may read it too, and receives what TLP:AMBER (and less restrictive markings)
allow, never TLP:AMBER+STRICT. Write access is never inherited.`,
	}
	set := func(on bool) *cobra.Command {
		use, short := "remove ORG CLIENT", "Stop CLIENT being a client of ORG"
		if on {
			use, short = "add ORG CLIENT", "Make CLIENT a client of ORG"
		}
		return &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withDB(cmd, *dir, func(db taxii.Backend) error {
					ctx := cmd.Context()
					o, err := db.FindOrganization(ctx, args[0])
					if err != nil {
						return fmt.Errorf("ORG %q: %w", args[0], err)
					}
					c, err := db.FindOrganization(ctx, args[1])
					if err != nil {
						return fmt.Errorf("CLIENT %q: %w", args[1], err)
					}
					if err := db.SetClient(ctx, o.ID, c.ID, on); err != nil {
						return err
					}
					verb := "is no longer"
					if on {
						verb = "is now"
					}
					fmt.Fprintf(s.out, "%s %s a client of %s\n", c.Name, verb, o.Name)
					return nil
				})
			},
		}
	}
	list := &cobra.Command{
		Use:   "list ORG",
		Short: "List the clients of ORG, and the organizations it is a client of",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, *dir, func(db taxii.Backend) error {
				ctx := cmd.Context()
				o, err := db.FindOrganization(ctx, args[0])
				if err != nil {
					return fmt.Errorf("ORG %q: %w", args[0], err)
				}
				clients, err := db.ClientsOf(ctx, o.ID)
				if err != nil {
					return err
				}
				of, err := db.ClientOf(ctx, o.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(s.out, "clients:     %s\nclient of:   %s\n", orNone(clients), orNone(of))
				return nil
			})
		},
	}
	cmd.AddCommand(set(true), set(false), list)
	return cmd
}

func orNone(ids []string) string {
	if len(ids) == 0 {
		return "(none)"
	}
	return strings.Join(ids, " ")
}
