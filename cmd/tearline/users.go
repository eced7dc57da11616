package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii"
	"golang.org/x/term"

	"github.com/tearline/tearline/ui"
)

// portalUsers returns the store's portal users, or an error when the
// store keeps none.
func portalUsers(db taxii.Backend) (tearline.PortalUsers, error) {
	u, ok := db.(tearline.PortalUsers)
	if !ok {
		return nil, errors.New("this store keeps no portal users")
	}
	return u, nil
}

// readPassword reads a new password: prompted twice without echo on a
// terminal, else the first line of standard input.
func readPassword(s *streams) (string, error) {
	if f, ok := s.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(s.errOut, "Password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.errOut)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		fmt.Fprint(s.errOut, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.errOut)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(s.in).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("give the password on standard input (one line)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newUserCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "user",
		Aliases: []string{"users"},
		Short:   "Manage the analyst portal's users (name and password sign-in at /ui/)",
		Long: `Manage the users who sign in to the analyst portal (/ui/) with a name and a
password. A user belongs to one organization and has one role, as an API key
does, and sees in the portal what a key of that organization and role
receives from the API. Passwords (at least 12 characters) are read from the
terminal, or as the first line of standard input, and stored as argon2id
hashes. Changing a password or removing a user ends its sessions.`,
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())

	var org, role string
	add := &cobra.Command{
		Use:   "add NAME --org ORG --role reader|contributor|translator|analyst|manager|admin",
		Short: "Add a user of an organization (id or name) with a role",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := tearline.Role(role)
			if !r.Valid() {
				return fmt.Errorf("--role %q: use reader, contributor, translator, analyst, manager or admin", role)
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				us, err := portalUsers(db)
				if err != nil {
					return err
				}
				o, err := db.FindOrganization(cmd.Context(), org)
				if tearline.ErrorCode(err) == tearline.ENOTFOUND {
					return fmt.Errorf("--org: no organization %q (give its id or name)", org)
				} else if err != nil {
					return err
				}
				pw, err := readPassword(s)
				if err != nil {
					return err
				}
				h, err := ui.HashPassword(pw)
				if err != nil {
					return err
				}
				u := &tearline.User{Name: args[0], OrgID: o.ID, Role: r, PasswordHash: h}
				if err := us.CreateUser(cmd.Context(), u); err != nil {
					return err
				}
				fmt.Fprintf(s.out, "%s\t%s\t%s\n", u.Name, o.Name, u.Role)
				return nil
			})
		},
	}
	add.Flags().StringVar(&org, "org", "", "organization of the user, by id or name (required)")
	add.Flags().StringVar(&role, "role", "", "role: reader, contributor, translator, analyst, manager or admin (required)")
	add.MarkFlagRequired("org")
	add.MarkFlagRequired("role")

	passwd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password (its sessions end)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				us, err := portalUsers(db)
				if err != nil {
					return err
				}
				if _, err := us.FindUser(cmd.Context(), args[0]); err != nil {
					return err
				}
				pw, err := readPassword(s)
				if err != nil {
					return err
				}
				h, err := ui.HashPassword(pw)
				if err != nil {
					return err
				}
				return us.SetPassword(cmd.Context(), args[0], h)
			})
		},
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List the users: name, organization, role, created",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				us, err := portalUsers(db)
				if err != nil {
					return err
				}
				all, err := us.Users(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tORGANIZATION\tROLE\tCREATED")
				for _, u := range all {
					name := u.OrgID
					if o, err := db.FindOrganization(cmd.Context(), u.OrgID); err == nil {
						name = o.Name
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, name, u.Role, u.Created.Format("2006-01-02T15:04:05Z"))
				}
				return tw.Flush()
			})
		},
	}

	remove := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a user (its sessions end)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				us, err := portalUsers(db)
				if err != nil {
					return err
				}
				return us.DeleteUser(cmd.Context(), args[0])
			})
		},
	}
	cmd.AddCommand(add, passwd, list, remove)
	return cmd
}
