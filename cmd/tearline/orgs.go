package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/auth"
	"github.com/tearline/tearline/sqlite"
)

// withDB opens the store for a command that needs the directory too.
func withDB(cmd *cobra.Command, dir string, fn func(db *sqlite.DB) error) error {
	db, err := sqlite.Open(cmd.Context(), dir)
	if err != nil {
		return fmt.Errorf("open data directory %s: %w", dir, err)
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

	var o tearline.Organization
	add := &cobra.Command{
		Use:   "add --name NAME [--type TYPE] [--country CC] [--sector SECTOR]...",
		Short: "Add an organization and print its id (its STIX identity id)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Country = strings.ToUpper(o.Country)
			if o.Country != "" && (len(o.Country) != 2 || strings.Trim(o.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
				return fmt.Errorf("--country %q: want an ISO 3166-1 alpha-2 code such as US or DE", o.Country)
			}
			return withDB(cmd, dir, func(db *sqlite.DB) error {
				if err := db.CreateOrganization(cmd.Context(), &o); err != nil {
					return err
				}
				fmt.Fprintln(s.out, o.ID)
				return nil
			})
		},
	}
	add.Flags().StringVar(&o.Name, "name", "", "organization name (required, unique)")
	add.Flags().StringVar(&o.Type, "type", "other", "organization type, e.g. federal, sltt, private, isac, foreign-government, national-cert, academic, other")
	add.Flags().StringVar(&o.Country, "country", "", "ISO 3166-1 alpha-2 country code")
	add.Flags().StringSliceVar(&o.Sectors, "sector", nil, "industry sector (repeatable), e.g. financial-services")
	add.MarkFlagRequired("name")

	list := &cobra.Command{
		Use:   "list",
		Short: "List organizations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db *sqlite.DB) error {
				orgs, err := db.Organizations(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tID\tTYPE\tCOUNTRY\tSECTORS")
				for _, o := range orgs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Name, o.ID, o.Type, o.Country, strings.Join(o.Sectors, ","))
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
			return withDB(cmd, dir, func(db *sqlite.DB) error {
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
	cert.Flags().StringVar(&certRole, "role", string(tearline.RoleReader), "role: reader, contributor, analyst or admin")
	cert.MarkFlagRequired("org")
	cmd.AddCommand(add, list, cert)
	return cmd
}

func newKeyCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "key",
		Aliases: []string{"keys"},
		Short:   "Manage API keys",
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)

	var org, role, desc string
	create := &cobra.Command{
		Use:   "create --org NAME --role reader|contributor|analyst|admin",
		Short: "Create an API key and print its token (shown only once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r := tearline.Role(role)
			if !r.Valid() {
				return fmt.Errorf("--role %q: want reader, contributor, analyst or admin", role)
			}
			return withDB(cmd, dir, func(db *sqlite.DB) error {
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
	create.Flags().StringVar(&role, "role", "", "role: reader, contributor, analyst or admin (required)")
	create.Flags().StringVar(&desc, "description", "", "what the key is for")
	create.MarkFlagRequired("org")
	create.MarkFlagRequired("role")

	list := &cobra.Command{
		Use:   "list --org NAME",
		Short: "List an organization's API keys (ids only; secrets are never stored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db *sqlite.DB) error {
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
			return withDB(cmd, dir, func(db *sqlite.DB) error {
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
