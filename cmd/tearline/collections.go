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
		Short:   "List, add, update and delete collections",
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
			fmt.Fprintln(tw, "ALIAS\tID\tOBJECTS\tPII\tTITLE")
			for _, c := range cols {
				n, err := store.CountObjects(ctx, c.ID)
				if err != nil {
					return err
				}
				pol, err := store.PIIPolicy(ctx, c.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", c.Alias, c.ID, n, piiText(pol), c.Title)
			}
			return tw.Flush()
		},
	}
	var (
		title, alias, description, apiRoot string
		readers, writers                   []string
	)
	var pii piiFlags
	add := &cobra.Command{
		Use:   "add --title TITLE [--alias ALIAS] [--read ORG]... [--write ORG]... [--pii none|redact|review|reject] [--pii-identifiers]",
		Short: "Create a collection, grant organizations access, and print its id",
		Long: `Create a collection and print its id. --read and --write (repeatable) give
organizations (by name or id) read or write access; --write implies read.
The alias, a short name for the CLI, defaults to the title in lower case with
hyphens. --pii sets the collection's PII policy (see "collection update").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if alias == "" {
				alias = slug(title)
			}
			if err := pii.check(); err != nil {
				return err
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
				if err := pii.apply(cmd, db, c.ID); err != nil {
					return err
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
	pii.add(add)
	add.MarkFlagRequired("title")
	var updPII piiFlags
	update := &cobra.Command{
		Use:   "update ID|ALIAS [--pii none|redact|review|reject] [--pii-identifiers[=false]]",
		Short: "Change a collection's PII policy",
		Long: `Change the PII policy of a collection: what happens to a submitted object in
whose free text (names, descriptions, notes, x_ properties, ...) package pii
finds personal data (emails of persons, phone numbers, SSNs, payment cards,
IBANs, passport numbers, street addresses):

  none    stored as submitted (the default)
  redact  stored with each span replaced by [REDACTED:kind]; the receipt lists
          the path, kind and length of each
  review  held, not stored, until an analyst approves (as is, redacted or
          edited) or rejects it: "tearline review", /api/v1/review
  reject  refused, with the path and kind of each span

--pii-identifiers also treats as personal data the identifiers of mailboxes and
accounts: the local part of email-addr values, user-account ids and logins,
and the literals of indicator patterns on them. Every submission path applies
the policy: TAXII, "tearline import" (unless --no-pii), federation and
tear-line products. Flags left out keep their value.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := updPII.check(); err != nil {
				return err
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				c, err := db.FindCollection(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := updPII.apply(cmd, db, c.ID); err != nil {
					return err
				}
				pol, err := db.PIIPolicy(cmd.Context(), c.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(s.out, "collection %s: PII policy %s\n", c.Alias, piiText(pol))
				return nil
			})
		},
	}
	updPII.add(update)
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
	cmd.AddCommand(list, add, update, del)
	return cmd
}

// piiFlags are the --pii and --pii-identifiers flags of a command.
type piiFlags struct {
	action      string
	identifiers bool
}

func (f *piiFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.action, "pii", "", "PII policy: none, redact, review or reject")
	cmd.Flags().BoolVar(&f.identifiers, "pii-identifiers", false, "also treat mailbox and account identifiers as personal data")
}

// check refuses an unknown --pii value before anything is changed.
func (f *piiFlags) check() error {
	if _, err := tearline.ParsePIIAction(f.action); err != nil {
		return fmt.Errorf("--pii: %s", tearline.ErrorMessage(err))
	}
	return nil
}

// apply sets the parts of collection id's PII policy whose flags were
// given.
func (f *piiFlags) apply(cmd *cobra.Command, db taxii.Backend, id string) error {
	setAction, setIDs := cmd.Flags().Changed("pii"), cmd.Flags().Changed("pii-identifiers")
	if !setAction && !setIDs {
		return nil
	}
	pol, err := db.PIIPolicy(cmd.Context(), id)
	if err != nil {
		return err
	}
	if setAction {
		pol.Action, _ = tearline.ParsePIIAction(f.action)
	}
	if setIDs {
		pol.FlagIdentifiers = f.identifiers
	}
	return db.SetPIIPolicy(cmd.Context(), id, pol)
}

// piiText shows a PII policy: its action, and "+identifiers" when
// identifiers are flagged.
func piiText(p tearline.PIIPolicy) string {
	if p.FlagIdentifiers {
		return string(p.Action) + "+identifiers"
	}
	return string(p.Action)
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
