package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/taxii"
)

// withDB opens the store for a command that needs the directory too.
func withDB(cmd *cobra.Command, dir string, fn func(db taxii.Backend) error) error {
	db, err := openStore(cmd, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

func newOrgCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "org",
		Aliases: []string{"orgs", "organization"},
		Short:   "Manage organizations (participants)",
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())
	var levels []string

	var o tearline.Organization
	add := &cobra.Command{
		Use:   "add --name NAME [--type TYPE] [--country CC] [--sector SECTOR]... [--clearance LEVEL] [--community NAME]... [--language TAG]...",
		Short: "Add an organization and print its id (its STIX identity id)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkClearance(o.Clearance, levels); err != nil {
				return err
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				if err := db.CreateOrganization(cmd.Context(), &o); err != nil {
					return err
				}
				fmt.Fprintln(s.out, o.ID)
				return nil
			})
		},
	}
	add.Flags().StringVar(&o.Name, "name", "", "organization name (required, unique)")
	profileFlags(add, &o)
	levelsFlag(add.Flags(), &levels)
	add.Flags().Lookup("type").DefValue = "other"
	o.Type = "other"
	add.MarkFlagRequired("name")

	var u tearline.Organization
	update := &cobra.Command{
		Use:   "update NAME [--name NEW] [--type TYPE] [--country CC] [--sector SECTOR]... [--clearance LEVEL] [--community NAME]... [--language TAG]...",
		Short: "Change an organization's profile; only the flags given change",
		Long: `Change the profile of the organization NAME (its name or id). Only the
fields whose flags are given change; a list flag replaces the whole list
(give --community "" to clear it). Readers see the effect of a new
clearance, country or community on their next request.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkClearance(u.Clearance, levels); err != nil {
				return err
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				o, err := db.FindOrganization(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				f := cmd.Flags()
				set := func(flag string, apply func()) {
					if f.Changed(flag) {
						apply()
					}
				}
				set("name", func() { o.Name = u.Name })
				set("type", func() { o.Type = u.Type })
				set("country", func() { o.Country = u.Country })
				set("sector", func() { o.Sectors = nonEmpty(u.Sectors) })
				set("clearance", func() { o.Clearance = u.Clearance })
				set("community", func() { o.Communities = nonEmpty(u.Communities) })
				set("language", func() { o.Languages = nonEmpty(u.Languages) })
				if err := db.UpdateOrganization(cmd.Context(), o); err != nil {
					return err
				}
				printProfile(s.out, o)
				return nil
			})
		},
	}
	update.Flags().StringVar(&u.Name, "name", "", "new name")
	profileFlags(update, &u)
	levelsFlag(update.Flags(), &levels)

	list := &cobra.Command{
		Use:   "list",
		Short: "List organizations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				orgs, err := db.Organizations(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tID\tTYPE\tCOUNTRY\tSECTORS\tCLEARANCE\tCOMMUNITIES\tLANGUAGES")
				for _, o := range orgs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Name, o.ID, o.Type, o.Country, strings.Join(o.Sectors, ","),
						o.Clearance, strings.Join(o.Communities, ","), strings.Join(o.Languages, ","))
				}
				return tw.Flush()
			})
		},
	}
	var certOrg, certRole string
	cert := &cobra.Command{
		Use:   "cert --org NAME --role ROLE CERT.pem",
		Short: "Bind a TLS client certificate to an organization",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pemBytes, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			c, err := auth.ParseCertificatePEM(pemBytes)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				org, err := db.FindOrganization(cmd.Context(), certOrg)
				if err != nil {
					return err
				}
				c.OrgID, c.Role = org.ID, tearline.Role(certRole)
				if err := db.AddCertificate(cmd.Context(), c); err != nil {
					return err
				}
				fmt.Fprintf(s.out, "bound certificate %s (%s) to %s as %s\n", c.Fingerprint, c.Subject, org.Name, c.Role)
				return nil
			})
		},
	}
	cert.Flags().StringVar(&certOrg, "org", "", "organization name or id (required)")
	cert.Flags().StringVar(&certRole, "role", string(tearline.RoleReader), "role: reader, contributor, translator, analyst, manager or admin")
	cert.MarkFlagRequired("org")
	cmd.AddCommand(add, update, list, cert, newOrgClientsCmd(s, &dir), newOrgReliabilityCmd(s, &dir))
	return cmd
}

// profileFlags registers the flags of an organization's profile.
func profileFlags(cmd *cobra.Command, o *tearline.Organization) {
	f := cmd.Flags()
	f.StringVar(&o.Type, "type", "", "organization type: "+strings.Join(tearline.OrganizationTypes, ", "))
	f.StringVar(&o.Country, "country", "", "ISO 3166-1 country code, alpha-2 or alpha-3 (stored as alpha-2)")
	f.StringSliceVar(&o.Sectors, "sector", nil, "industry sector from the STIX industry-sector-ov (repeatable), e.g. financial-services")
	f.StringVar(&o.Clearance, "clearance", "", "highest classification level the organization may receive, one of --classification-levels")
	f.StringSliceVar(&o.Communities, "community", nil, "sharing community named in REL TO markings (repeatable), e.g. FVEY")
	f.StringSliceVar(&o.Languages, "language", nil, "preferred language, an RFC 5646 tag (repeatable), e.g. en-US")
}

// checkClearance refuses a clearance that is not one of the classification
// levels the server uses.
func checkClearance(c string, levels []string) error {
	if c == "" {
		return nil
	}
	p, err := newPolicy(levels)
	if err != nil {
		return err
	}
	norm := strings.Join(strings.Fields(strings.ToUpper(c)), " ")
	if !slices.Contains(p.Levels(), norm) {
		return fmt.Errorf("--clearance %q: want one of %s (or set --classification-levels to the levels tearline serve uses)", c, strings.Join(p.Levels(), ", "))
	}
	return nil
}

// nonEmpty drops empty strings, so that --community "" clears a list.
func nonEmpty(list []string) []string {
	var out []string
	for _, v := range list {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return out
}

// printProfile prints an organization's profile, one field a line.
func printProfile(w io.Writer, o *tearline.Organization) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id\t%s\nname\t%s\ntype\t%s\ncountry\t%s\nsectors\t%s\nclearance\t%s\ncommunities\t%s\nlanguages\t%s\n",
		o.ID, o.Name, o.Type, o.Country, strings.Join(o.Sectors, ","), o.Clearance,
		strings.Join(o.Communities, ","), strings.Join(o.Languages, ","))
	tw.Flush()
}

func newKeyCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "key",
		Aliases: []string{"keys"},
		Short:   "Manage API keys",
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())

	var org, role, desc string
	create := &cobra.Command{
		Use:   "create --org NAME --role reader|contributor|translator|analyst|manager|admin",
		Short: "Create an API key and print its token (shown only once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r := tearline.Role(role)
			if !r.Valid() {
				return fmt.Errorf("--role %q: want reader, contributor, translator, analyst, manager or admin", role)
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				o, err := db.FindOrganization(cmd.Context(), org)
				if err != nil {
					return err
				}
				tok, err := auth.NewToken()
				if err != nil {
					return err
				}
				k := &tearline.APIKey{ID: tok.KeyID, OrgID: o.ID, Role: r, Description: desc}
				if err := db.CreateAPIKey(cmd.Context(), k, tok.Hash()); err != nil {
					return err
				}
				fmt.Fprintln(s.out, tok.String())
				return nil
			})
		},
	}
	create.Flags().StringVar(&org, "org", "", "organization name or id (required)")
	create.Flags().StringVar(&role, "role", "", "role: reader, contributor, translator, analyst, manager or admin (required)")
	create.Flags().StringVar(&desc, "description", "", "what the key is for")
	create.MarkFlagRequired("org")
	create.MarkFlagRequired("role")

	list := &cobra.Command{
		Use:   "list --org NAME",
		Short: "List an organization's API keys (ids only; secrets are never stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				o, err := db.FindOrganization(cmd.Context(), org)
				if err != nil {
					return err
				}
				keys, err := db.APIKeys(cmd.Context(), o.ID)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tROLE\tCREATED\tREVOKED\tDESCRIPTION")
				for _, k := range keys {
					revoked := "-"
					if !k.Revoked.IsZero() {
						revoked = k.Revoked.UTC().Format("2006-01-02T15:04:05Z")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, k.Created.UTC().Format("2006-01-02T15:04:05Z"), revoked, k.Description)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&org, "org", "", "organization name or id (required)")
	list.MarkFlagRequired("org")

	revoke := &cobra.Command{
		Use:   "revoke KEY-ID",
		Short: "Revoke an API key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				id := args[0]
				if t, err := auth.ParseToken(id); err == nil {
					id = t.KeyID
				}
				if err := db.RevokeAPIKey(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(s.out, "revoked key %s\n", id)
				return nil
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
