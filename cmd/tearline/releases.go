package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii"
)

func newReleaseCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "release",
		Aliases: []string{"releases"},
		Short:   "Decide requests for a wider release of originator-controlled objects",
		Long: `Decide requests for a wider release of originator-controlled objects.

An organization that receives an object marked originator-controlled (ORCON)
may not share it further itself; it asks the originator instead
(POST /api/v1/releases). An analyst of the originator's organization approves
or denies; an approval adds the object version, exactly as stored, to the
requested collection, and the request stays as the record.`,
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())

	var status, org string
	list := &cobra.Command{
		Use:   "list [--status requested|approved|denied] [--org ID]",
		Short: "List release requests, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch status {
			case "", tearline.ReleaseRequested, tearline.ReleaseApproved, tearline.ReleaseDenied:
			default:
				return fmt.Errorf("--status %q: want requested, approved or denied", status)
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				orgID := ""
				if org != "" {
					o, err := db.FindOrganization(cmd.Context(), org)
					if err != nil {
						return fmt.Errorf("--org %q: %w", org, err)
					}
					orgID = o.ID
				}
				rls, err := db.ListReleases(cmd.Context(), tearline.ReleaseFilter{OrgID: orgID, Status: status})
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATUS\tOBJECT\tVERSION\tFROM\tTO\tREQUESTER\tORIGINATOR\tJUSTIFICATION")
				for _, r := range rls {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%q\n", r.ID, r.Status, r.ObjectID, r.Version,
						r.SourceCollectionID, r.CollectionID, r.RequesterOrg, r.OriginatorOrg, r.Justification)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&status, "status", "", "only requests with this status: requested, approved or denied")
	list.Flags().StringVar(&org, "org", "", "only requests where this organization (id or name) is requester or originator")

	cmd.AddCommand(list, newReleaseDecideCmd(s, &dir, true), newReleaseDecideCmd(s, &dir, false))
	return cmd
}

// newReleaseDecideCmd returns "release approve" or "release deny": the
// operator decides on behalf of an analyst's API key of the originator's
// organization, under the rules the API applies to that key.
func newReleaseDecideCmd(s *streams, dir *string, approve bool) *cobra.Command {
	var keyID, reason string
	use, short := "deny", "Deny a release request on behalf of the originator's analyst"
	if approve {
		use, short = "approve", "Approve a release request on behalf of the originator's analyst, adding the object to the requested collection"
	}
	cmd := &cobra.Command{
		Use:   use + " ID --key-id KEYID [--reason TEXT]",
		Short: short,
		Long: short + `.
KEYID is the public id of the deciding analyst's key (tearline key list); its
organization must be the originator of the object, and its role analyst or
admin. A request is decided once; approving an approved request again only
finishes an interrupted release.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
				r, err := taxii.DecideRelease(ctx, db, args[0], &tearline.Principal{Org: org, Role: k.Role, KeyID: k.ID}, approve, reason)
				if err != nil {
					return err
				}
				if r.Status == tearline.ReleaseApproved {
					fmt.Fprintf(s.out, "release %s approved: %s version %s added to collection %s\n", r.ID, r.ObjectID, r.Version, r.CollectionID)
				} else {
					fmt.Fprintf(s.out, "release %s %s\n", r.ID, r.Status)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&keyID, "key-id", "", "public id of the deciding analyst's API key (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "a note for the requester")
	cmd.MarkFlagRequired("key-id")
	return cmd
}
