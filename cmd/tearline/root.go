package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
