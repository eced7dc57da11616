package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline/ledger"
)

func newAuditCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Check the disclosure ledger and list who received an object",
		Long: `The disclosure ledger (DATA/ledger) records every access decision put into
effect: which organization received which object version, whole or redacted,
or had it withheld, on which path, and when. Its records are hash-chained.`,
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)

	var anchor string
	verify := &cobra.Command{
		Use:   "verify [--anchor HASH]",
		Short: "Prove the ledger's hash chain unbroken",
		Long: `Check every record of the ledger: sequence numbers without gaps, each record
naming the hash of the one before, each hash matching its record. Exits 0 and
prints the head hash when the chain is unbroken, 1 naming the first broken
record otherwise.

A hash chain cannot show by itself that its last records were cut off: keep
the head hash printed here somewhere else, and pass it later as --anchor to
check that the ledger still contains it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := ledger.Verify(filepath.Join(dir, ledger.DirName), ledger.VerifyOptions{Anchor: anchor})
			var be *ledger.BrokenError
			if errors.As(err, &be) {
				fmt.Fprintf(s.out, "ledger BROKEN: %d records verified before %s\n", rep.Records, be)
				return invalidInput("%v", be)
			} else if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "ledger verified: %d records in %d segments, head hash %s\n", rep.Records, rep.Segments, rep.Head)
			fmt.Fprintf(s.out, "%d disclosures; head record %d\n", rep.Disclosures, rep.HeadSeq)
			if rep.Torn > 0 {
				fmt.Fprintf(s.out, "note: the last segment ends with %d bytes of an incomplete record (a write in progress, or cut by a crash and truncated at the next start)\n", rep.Torn)
			}
			return nil
		},
	}
	verify.Flags().StringVar(&anchor, "anchor", "", "head hash noted earlier that the chain must still contain")

	var object string
	who := &cobra.Command{
		Use:   "who --object ID",
		Short: "List who received an object (every version), and what was withheld",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			entries, err := ledger.Who(filepath.Join(dir, ledger.DirName), object)
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				fmt.Fprintf(s.errOut, "no disclosure of %s recorded\n", object)
				return nil
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tORG\tDECISION\tPATH\tVERSION\tTLP\tKEY\tREASON")
			for _, e := range entries {
				org := e.Org
				switch {
				case org == "" && e.Key == "operator":
					org = "(operator)"
				case org == "":
					org = "(anonymous)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339Nano), org,
					e.Decision, e.Path, e.Version, orDash(e.TLP.String()), orDash(e.Key), e.Reason)
			}
			return tw.Flush()
		},
	}
	who.Flags().StringVar(&object, "object", "", "STIX id of the object (required)")
	who.MarkFlagRequired("object")

	cmd.AddCommand(verify, who)
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
