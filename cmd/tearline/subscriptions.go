package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/dissem"
	"github.com/tearline/tearline/taxii"
)

// subscriptionsOf returns the subscription store of a backend.
func subscriptionsOf(db taxii.Backend) (tearline.Subscriptions, error) {
	s, ok := db.(tearline.Subscriptions)
	if !ok {
		return nil, fmt.Errorf("this store keeps no subscriptions")
	}
	return s, nil
}

func newSubscriptionCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "subscription",
		Aliases: []string{"subscriptions", "sub"},
		Short:   "Manage subscriptions: tailored feeds, webhooks, dead letters",
		Long: `Manage subscriptions: what an organization receives from the change feed,
and the webhook it is pushed to.

A filter is a JSON object; every criterion given must hold, a list holds
when one of its values does, and "any" holds when one of its filters does:

  {"types": ["indicator"], "sectors": ["energy"], "countries": ["DE"],
   "techniques": ["T1566"], "tactics": ["initial-access"],
   "malware": ["Emotet"], "threat_actors": ["APT28"],
   "observable_types": ["ipv4-addr"], "labels": ["phishing"],
   "text": ["invoice"], "collections": ["ID"], "min_confidence": 60,
   "max_tlp": "amber", "profile": true, "feedback": true, "any": [...]}

Every organization also has a sector feed without set-up: what targets its
sectors or country, and feedback on its objects. A running server picks up
changes made here within its refresh interval; dead letters are sent again
through the admin API (POST /api/v1/subscriptions/ID/dead-letters/DL/redrive).`,
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())

	var org, name, filter, hook, secret string
	add := &cobra.Command{
		Use:   "add --org ORG --filter JSON|@FILE [--name NAME] [--webhook URL [--secret S]]",
		Short: "Add a subscription; prints its id (and the webhook secret, shown once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.HasPrefix(filter, "@") {
				b, err := os.ReadFile(filter[1:])
				if err != nil {
					return fmt.Errorf("--filter: %w", err)
				}
				filter = string(b)
			}
			if _, err := dissem.Parse([]byte(filter)); err != nil {
				return fmt.Errorf("--filter: %s", tearline.ErrorMessage(err))
			}
			sub := &tearline.Subscription{Name: name, Filter: []byte(strings.TrimSpace(filter))}
			if hook != "" {
				if err := dissem.CheckWebhookURL(hook); err != nil {
					return fmt.Errorf("--webhook: %s", tearline.ErrorMessage(err))
				}
				sub.WebhookURL, sub.WebhookSecret = hook, secret
				if secret == "" {
					sub.WebhookSecret = dissem.NewSecret()
				} else if len(secret) < dissem.MinSecret {
					return fmt.Errorf("--secret: shorter than %d characters; leave it out to have one made", dissem.MinSecret)
				}
			} else if secret != "" {
				return fmt.Errorf("--secret needs --webhook")
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				subs, err := subscriptionsOf(db)
				if err != nil {
					return err
				}
				o, err := db.FindOrganization(cmd.Context(), org)
				if err != nil {
					return fmt.Errorf("--org %q: %w", org, err)
				}
				sub.OrgID = o.ID
				if err := subs.CreateSubscription(cmd.Context(), sub); err != nil {
					return err
				}
				fmt.Fprintln(s.out, sub.ID)
				if sub.WebhookURL != "" {
					fmt.Fprintf(s.errOut, "webhook secret (shown once): %s\n", sub.WebhookSecret)
				}
				return nil
			})
		},
	}
	add.Flags().StringVar(&org, "org", "", "subscribing organization (id or name)")
	add.Flags().StringVar(&name, "name", "", "a name for the subscription")
	add.Flags().StringVar(&filter, "filter", "", "the filter, JSON, or @FILE to read it from")
	add.Flags().StringVar(&hook, "webhook", "", "http or https URL to POST deliveries to")
	add.Flags().StringVar(&secret, "secret", "", "the webhook's signing secret (default: a new random one)")
	add.MarkFlagRequired("org")
	add.MarkFlagRequired("filter")

	var listOrg string
	list := &cobra.Command{
		Use:   "list [--org ORG]",
		Short: "List subscriptions, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				subs, err := subscriptionsOf(db)
				if err != nil {
					return err
				}
				orgID := ""
				if listOrg != "" {
					o, err := db.FindOrganization(cmd.Context(), listOrg)
					if err != nil {
						return fmt.Errorf("--org %q: %w", listOrg, err)
					}
					orgID = o.ID
				}
				all, err := subs.ListSubscriptions(cmd.Context(), orgID)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tORG\tNAME\tWEBHOOK\tCURSOR\tDEAD\tFILTER")
				for _, sub := range all {
					dls, err := subs.DeadLetters(cmd.Context(), sub.ID)
					if err != nil {
						return err
					}
					hook := sub.WebhookURL
					if hook == "" {
						hook = "-"
					}
					fmt.Fprintf(tw, "%s\t%s\t%q\t%s\t%d\t%d\t%s\n", sub.ID, sub.OrgID, sub.Name, hook, sub.Cursor, len(dls), sub.Filter)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&listOrg, "org", "", "only this organization's subscriptions (id or name)")

	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a subscription and its dead letters",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				subs, err := subscriptionsOf(db)
				if err != nil {
					return err
				}
				return subs.DeleteSubscription(cmd.Context(), args[0])
			})
		},
	}

	dead := &cobra.Command{
		Use:   "dead-letters ID",
		Short: "List the dead letters of a subscription: deliveries that failed every attempt",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				subs, err := subscriptionsOf(db)
				if err != nil {
					return err
				}
				dls, err := subs.DeadLetters(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEQUENCES\tOBJECTS\tATTEMPTS\tCREATED\tLAST ERROR")
				for _, d := range dls {
					fmt.Fprintf(tw, "%s\t%d-%d\t%d\t%d\t%s\t%s\n", d.ID, d.FirstSeq, d.LastSeq, d.Objects, d.Attempts,
						d.Created.Format("2006-01-02T15:04:05Z"), d.LastError)
				}
				return tw.Flush()
			})
		},
	}
	cmd.AddCommand(add, list, del, dead)
	return cmd
}
