package main

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/tearline/tearline/marking"
)

// streams are the standard streams of one Run, so tests can capture them.
type streams struct {
	in          io.Reader
	out, errOut io.Writer
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	s := &streams{in: stdin, out: stdout, errOut: stderr}
	root := &cobra.Command{
		Use:   "tearline",
		Short: "Tearline: a STIX 2.1 / TAXII 2.1 threat intelligence sharing server",
		Long: `Tearline shares cyber threat intelligence (STIX 2.1) over TAXII 2.1, enforcing
markings for every recipient.

The data directory holds the embedded store; set it with --data or
TEARLINE_DATA (default ./tearline-data).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newVersionCmd(s),
		newValidateCmd(s),
		newImportCmd(s),
		newExportCmd(s),
		newCollectionsCmd(s),
		newOrgCmd(s),
		newKeyCmd(s),
		newServeCmd(s),
		newAuditCmd(s),
		newProductCmd(s),
		newReviewCmd(s),
		newReleaseCmd(s),
		newSubscriptionCmd(s),
		newLookupCmd(s),
		newTAXIICmd(s),
		newPeerCmd(s),
		newBackupCmd(s),
		newRestoreCmd(s),
		newMigrateCmd(s),
		newMatchCmd(s),
		newWarnlistCmd(s),
		newUserCmd(s),
		newTriageCmd(s),
		newDirectoryCmd(s),
	)
	return root
}

// dataDirFlag adds the --data flag, defaulting to $TEARLINE_DATA or
// ./tearline-data.
func dataDirFlag(fs *pflag.FlagSet, dir *string) {
	def := os.Getenv("TEARLINE_DATA")
	if def == "" {
		def = "tearline-data"
	}
	fs.StringVar(dir, "data", def, "data directory of the embedded store (env TEARLINE_DATA)")
}

// levelsFlag adds --classification-levels, the ordered classification
// levels as serve takes them, defaulting to $TEARLINE_CLASSIFICATION_LEVELS
// or marking.DefaultLevels, so that commands outside the server check
// clearances and make access decisions against the levels it uses.
func levelsFlag(fs *pflag.FlagSet, levels *[]string) {
	def := slices.Clone(marking.DefaultLevels)
	if v, ok := os.LookupEnv("TEARLINE_CLASSIFICATION_LEVELS"); ok {
		// An invalid list is refused where the levels are used.
		setOption(option{ptr: &def}, v)
	}
	fs.StringSliceVar(levels, "classification-levels", def,
		"classification levels, lowest first, comma-separated: those tearline serve uses (env TEARLINE_CLASSIFICATION_LEVELS)")
}

// newPolicy returns an access decision with no marking definitions loaded
// yet, over the classification levels given.
func newPolicy(levels []string) (*marking.Policy, error) {
	p, err := marking.NewPolicy(marking.NewDefinitions(), marking.Options{Levels: levels})
	if err != nil {
		return nil, fmt.Errorf("--classification-levels: %w", err)
	}
	return p, nil
}
