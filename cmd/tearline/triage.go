package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/taxii"
)

// exchangeConfig holds the settings of two-way exchange of `tearline
// serve` (see README.md, "Two-way exchange").
type exchangeConfig struct {
	// HostOrg is the organization hosting the server (taxii.Config.HostOrg).
	HostOrg string `toml:"host_org"`
}

func (c *exchangeConfig) options() []option {
	return []option{
		{"host-org", "the organization (name or id) that hosts this server: its analysts triage the submissions of every other organization; empty: admins triage every organization's", &c.HostOrg},
	}
}

func newTriageCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "triage",
		Short: "List partners' submissions and move their triage state",
		Long: `Every TAXII submission of a partner (any organization but the hosting one,
tearline serve --host-org) that stores an object gets a triage record:
received, acknowledged, in-analysis, answered or closed. The partner sees
the state at /api/v1/submissions; the hosting organization's analysts move
it there or with this command. The first move out of "received" is the
acknowledgement, whose delay the sharing metrics measure.`,
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())

	var state, org string
	var limit int
	list := &cobra.Command{
		Use:   "list [--state S] [--org ORG] [--limit N]",
		Short: "List submissions, newest first, with their state and measured times",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if state != "" && !tearline.ValidTriageState(state) {
				return fmt.Errorf("--state %q: want one of %s", state, strings.Join(tearline.TriageStates, ", "))
			}
			if limit < 1 {
				return fmt.Errorf("--limit %d: want at least 1", limit)
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				ex, err := exchangesOf(db)
				if err != nil {
					return err
				}
				f := tearline.SubmissionFilter{State: state, Limit: limit}
				if org != "" {
					o, err := db.FindOrganization(cmd.Context(), org)
					if err != nil {
						return fmt.Errorf("--org %q: %w", org, err)
					}
					f.OrgID = o.ID
				}
				subs, err := ex.ListSubmissions(cmd.Context(), f)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATE\tORG\tOBJECTS\tRECEIVED\tTO ACK\tTO FEEDBACK\tNOTE")
				for _, sub := range subs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", sub.ID, sub.State, sub.OrgID, len(sub.Objects),
						sub.Received.Format(time.RFC3339), since(sub.Received, sub.Acknowledged), since(sub.Received, sub.FirstFeedback), dash(sub.Note))
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&state, "state", "", "only submissions in this state: "+strings.Join(tearline.TriageStates, ", "))
	list.Flags().StringVar(&org, "org", "", "only submissions of this organization (name or id)")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many submissions")

	var note, by string
	set := &cobra.Command{
		Use:   "set SUBMISSION STATE [--note TEXT] [--by ORG]",
		Short: "Move a submission to acknowledged, in-analysis, answered or closed",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !tearline.ValidTriageState(args[1]) || args[1] == tearline.TriageReceived {
				return fmt.Errorf("state %q: want one of %s", args[1], strings.Join(tearline.TriageStates[1:], ", "))
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				ex, err := exchangesOf(db)
				if err != nil {
					return err
				}
				byID := ""
				if by != "" {
					o, err := db.FindOrganization(cmd.Context(), by)
					if err != nil {
						return fmt.Errorf("--by %q: %w", by, err)
					}
					byID = o.ID
				}
				sub, err := ex.SetTriage(cmd.Context(), args[0], tearline.TriageChange{State: args[1], By: byID, Note: note,
					At: time.Now().UTC().Truncate(time.Microsecond)})
				if err != nil {
					return err
				}
				fmt.Fprintf(s.out, "submission %s is %s (acknowledged after %s)\n", sub.ID, sub.State, since(sub.Received, sub.Acknowledged))
				return nil
			})
		},
	}
	set.Flags().StringVar(&note, "note", "", "what to tell the partner")
	set.Flags().StringVar(&by, "by", "", "the organization (name or id) on whose behalf the state moves, usually the host")
	cmd.AddCommand(list, set)
	return cmd
}

// exchangesOf returns the store's record of exchanges.
func exchangesOf(db taxii.Backend) (tearline.Exchanges, error) {
	ex, ok := db.(tearline.Exchanges)
	if !ok {
		return nil, fmt.Errorf("this store keeps no record of exchanges")
	}
	return ex, nil
}

// since returns the time from a to b, "-" when b is zero.
func since(a, b time.Time) string {
	if b.IsZero() {
		return "-"
	}
	return b.Sub(a).Round(time.Second).String()
}
