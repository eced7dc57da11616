package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline/stix"
)

func newValidateCmd(s *streams) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Validate STIX 2.1 bundles (or single objects)",
		Long: `Validate STIX 2.1 bundles, or files holding a single STIX object, against the
specification.

Each problem is printed as FILE: JSON-PATH: message [rule]. Errors break a MUST
rule of STIX 2.1; warnings break a SHOULD rule and do not fail validation.
The exit status is 0 when every file is valid, 1 otherwise.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var bad int
			for _, f := range files {
				sum, err := validateFile(s, f, quiet)
				if err != nil {
					bad++
					fmt.Fprintf(s.out, "%s: %v\n", f, err)
					continue
				}
				if sum.errors > 0 {
					bad++
				}
				fmt.Fprintf(s.out, "%s: %d objects, %d invalid, %d errors, %d warnings\n", f, sum.objects, sum.invalid, sum.errors, sum.warnings)
			}
			if bad > 0 {
				return invalidInput("%d of %d files invalid", bad, len(files))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "do not print warnings")
	return cmd
}

type validateSummary struct {
	objects, invalid, errors, warnings int
}

// validateFile validates one bundle file and prints its issues.
func validateFile(s *streams, name string, quiet bool) (validateSummary, error) {
	var sum validateSummary
	f, err := os.Open(name)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	report := func(issues stix.Issues) {
		for _, is := range issues {
			if is.Warning {
				sum.warnings++
				if quiet {
					continue
				}
			} else {
				sum.errors++
			}
			fmt.Fprintf(s.out, "%s: %s\n", name, is)
		}
	}
	bundleIssues, err := stix.ReadDocument(f, func(r *stix.Result) error {
		sum.objects++
		if r.Object == nil {
			sum.invalid++
		}
		report(r.Issues)
		return nil
	})
	report(bundleIssues)
	if err != nil {
		sum.errors++
		return sum, err
	}
	return sum, nil
}
