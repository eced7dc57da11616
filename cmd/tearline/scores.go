package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/score"
	"github.com/tearline/tearline/taxii"
	"github.com/tearline/tearline/warnlist"
)

// reliabilitiesOf returns the store's reliabilities.
func reliabilitiesOf(db taxii.Backend) (tearline.Reliabilities, error) {
	rs, ok := db.(tearline.Reliabilities)
	if !ok {
		return nil, fmt.Errorf("this store keeps no reliabilities")
	}
	return rs, nil
}

// newOrgReliabilityCmd returns "org reliability": an organization's
// reliability as a source, which weighs the confidence scores of what it
// submits.
func newOrgReliabilityCmd(s *streams, dir *string) *cobra.Command {
	var clear bool
	cmd := &cobra.Command{
		Use:   "reliability ORG [VALUE] [--clear]",
		Short: "Show or set how reliable an organization is as a source (A-F or 0-100)",
		Long: `Show or set how reliable the organization ORG (its name or id) is as a
source. VALUE is a grade of the Admiralty scale or a number from 0 to 100:

  A  completely reliable            100
  B  usually reliable                80
  C  fairly reliable                 60
  D  not usually reliable            40
  E  unreliable                      20
  F  reliability cannot be judged    50 (also the value when none is set)

Confidence scores weigh what an organization states by its reliability
(see the README, Scores). Without VALUE the reliability set is shown;
--clear removes it. A running server uses a new value within 30 seconds
(at once when set through the admin API).`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if clear && len(args) == 2 {
				return fmt.Errorf("give either VALUE or --clear")
			}
			return withDB(cmd, *dir, func(db taxii.Backend) error {
				ctx := cmd.Context()
				rs, err := reliabilitiesOf(db)
				if err != nil {
					return err
				}
				o, err := db.FindOrganization(ctx, args[0])
				if err != nil {
					return fmt.Errorf("ORG %q: %w", args[0], err)
				}
				switch {
				case clear:
					if err := rs.ClearReliability(ctx, o.ID); err != nil {
						return err
					}
					fmt.Fprintf(s.out, "%s: no reliability set (counts as %d)\n", o.Name, score.DefaultReliability)
					return nil
				case len(args) == 2:
					r, err := score.ParseReliability(args[1])
					if err != nil {
						return err
					}
					r.OrgID = o.ID
					if err := rs.SetReliability(ctx, r); err != nil {
						return err
					}
					fmt.Fprintf(s.out, "%s: reliability %s\n", o.Name, reliabilityText(r))
					return nil
				}
				all, err := rs.Reliabilities(ctx)
				if err != nil {
					return err
				}
				for _, r := range all {
					if r.OrgID == o.ID {
						fmt.Fprintf(s.out, "%s: reliability %s, set %s\n", o.Name, reliabilityText(r), r.Updated.Format("2006-01-02 15:04:05Z07:00"))
						return nil
					}
				}
				fmt.Fprintf(s.out, "%s: no reliability set (counts as %d)\n", o.Name, score.DefaultReliability)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&clear, "clear", false, "remove the reliability set; the organization counts as the default")
	return cmd
}

// reliabilityText shows a reliability: "B (80)" or "73".
func reliabilityText(r *tearline.Reliability) string {
	if r.Grade != "" {
		return fmt.Sprintf("%s (%d)", r.Grade, r.Value)
	}
	return fmt.Sprint(r.Value)
}

// warningListsOf returns the store's warning lists.
func warningListsOf(db taxii.Backend) (tearline.WarningLists, error) {
	wl, ok := db.(tearline.WarningLists)
	if !ok {
		return nil, fmt.Errorf("this store keeps no warning lists")
	}
	return wl, nil
}

// newWarnlistCmd returns "warnlist": the warning lists of values that are
// almost never malicious.
func newWarnlistCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "warnlist",
		Short: "Manage the warning lists (values that are almost never malicious)",
		Long: `Manage the warning lists: values that are almost never malicious. A
submitted indicator or cyber-observable carrying one is flagged on its receipt
("warning-list VALUE(LIST)") and its confidence score is quartered.

Built-in lists (private, loopback, link-local, multicast, documentation,
benchmarking and reserved address ranges, public DNS resolvers, reserved and
popular domains, the empty file's hashes) cannot be changed; administrators
add lists of their own, or entries under a built-in list's name. An entry is
an IP address or CIDR block, *.domain (the domain and every name under it),
or an exact domain, URL, e-mail address, MAC address or file hash. A running
server uses changes made here within 30 seconds (at once through the admin
API, /api/v1/warninglists).`,
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())

	var comment string
	add := &cobra.Command{
		Use:   "add LIST VALUE... [--comment TEXT]",
		Short: "Add entries to a warning list (created when new)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !tearline.ValidListName(args[0]) {
				return fmt.Errorf("list name %q: use 1-64 lower-case letters, digits, '-' or '_'", args[0])
			}
			var entries []tearline.WarningEntry
			for _, v := range args[1:] {
				e, err := warnlist.Parse(v)
				if err != nil {
					return err
				}
				entries = append(entries, tearline.WarningEntry{List: args[0], Value: e.String(), Comment: comment})
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				wl, err := warningListsOf(db)
				if err != nil {
					return err
				}
				n, err := wl.AddWarningEntries(cmd.Context(), entries)
				if err != nil {
					return err
				}
				for _, e := range entries {
					fmt.Fprintf(s.out, "%s\t%s\n", e.List, e.Value)
				}
				fmt.Fprintf(s.errOut, "%d new, %d already listed\n", n, len(entries)-n)
				return nil
			})
		},
	}
	add.Flags().StringVar(&comment, "comment", "", "why the entries are listed")

	remove := &cobra.Command{
		Use:   "remove LIST VALUE...",
		Short: "Remove entries from a warning list (built-in entries cannot be removed)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var values []string
			for _, v := range args[1:] {
				e, err := warnlist.Parse(v)
				if err != nil {
					return err
				}
				values = append(values, e.String())
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				wl, err := warningListsOf(db)
				if err != nil {
					return err
				}
				n, err := wl.RemoveWarningEntries(cmd.Context(), args[0], values)
				if err != nil {
					return err
				}
				fmt.Fprintf(s.out, "removed %d of %d\n", n, len(values))
				if n == 0 {
					return fmt.Errorf("no such entry added to list %s", args[0])
				}
				return nil
			})
		},
	}

	list := &cobra.Command{
		Use:   "list [LIST]",
		Short: "List the warning lists, or the entries of one",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withDB(cmd, dir, func(db taxii.Backend) error {
				wl, err := warningListsOf(db)
				if err != nil {
					return err
				}
				only := ""
				if len(args) == 1 {
					only = args[0]
				}
				stored, err := wl.WarningEntries(cmd.Context(), only)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				if only == "" {
					counts := map[string]int{}
					var names []string
					for _, e := range stored {
						if counts[e.List] == 0 && !warnlist.IsBuiltin(e.List) {
							names = append(names, e.List)
						}
						counts[e.List]++
					}
					fmt.Fprintln(tw, "LIST\tBUILT-IN\tADDED\tDESCRIPTION")
					for _, l := range warnlist.Builtin {
						fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", l.Name, len(l.Entries), counts[l.Name], l.Description)
					}
					for _, n := range names {
						fmt.Fprintf(tw, "%s\t0\t%d\t\n", n, counts[n])
					}
					return tw.Flush()
				}
				found := false
				fmt.Fprintln(tw, "VALUE\tADDED\tCOMMENT")
				for _, l := range warnlist.Builtin {
					if l.Name == only {
						found = true
						for _, v := range l.Entries {
							fmt.Fprintf(tw, "%s\t(built in)\t%s\n", v, l.Description)
						}
					}
				}
				for _, e := range stored {
					found = true
					fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Value, e.Added.Format("2006-01-02"), e.Comment)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if !found {
					return fmt.Errorf("no warning list %q", only)
				}
				return nil
			})
		},
	}
	cmd.AddCommand(add, remove, list)
	return cmd
}
