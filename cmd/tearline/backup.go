package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/backup"
)

func newBackupCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "backup [--data DIR] OUT",
		Short: "Back up the data directory, also while the server runs",
		Long: `Write a consistent backup of the data directory (the embedded store and the
disclosure ledger) into the directory OUT, which must not exist or be empty.
The server may keep running and writing: the database is copied as one
snapshot (SQLite VACUUM INTO), and the ledger up to its last complete record,
before the snapshot. OUT/MANIFEST.json, written last, records the row counts,
content hashes and ledger head that tearline restore checks.

With --store postgres://... the objects are in PostgreSQL: back them up with
pg_dump; this command covers the embedded store only.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, skipped, err := backup.Create(cmd.Context(), dir, args[0], backup.Options{Version: tearline.Version})
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "backup of %s written to %s\n", dir, args[0])
			printManifest(s.out, m)
			for _, f := range skipped {
				fmt.Fprintf(s.errOut, "warning: %s in the data directory is not part of the backup\n", f)
			}
			return nil
		},
	}
	dataDirFlag(cmd.Flags(), &dir)
	return cmd
}

func newRestoreCmd(s *streams) *cobra.Command {
	var dir string
	var verifyOnly bool
	cmd := &cobra.Command{
		Use:   "restore BACKUP [--data DIR]",
		Short: "Restore a backup into an empty data directory",
		Long: `Restore the backup in directory BACKUP (written by tearline backup) into the
data directory, which must not exist or be empty: restore never writes over a
store. The copies are checked against the backup's manifest: file hashes, the
database's integrity check, row counts per table and objects per collection,
content hashes, and the ledger's hash chain up to the head recorded at backup
time. On any difference nothing is left behind and the exit status is 1.

--verify-only checks the backup itself the same way and restores nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if verifyOnly {
				m, err := backup.Verify(cmd.Context(), args[0])
				if err != nil {
					return invalidInput("%v", err)
				}
				fmt.Fprintf(s.out, "backup %s verified\n", args[0])
				printManifest(s.out, m)
				return nil
			}
			m, err := backup.Restore(cmd.Context(), args[0], dir)
			if err != nil {
				return invalidInput("%v", err)
			}
			fmt.Fprintf(s.out, "backup %s restored into %s and verified\n", args[0], dir)
			printManifest(s.out, m)
			return nil
		},
	}
	dataDirFlag(cmd.Flags(), &dir)
	cmd.Flags().BoolVar(&verifyOnly, "verify-only", false, "check the backup against its manifest without restoring it")
	return cmd
}

// printManifest prints what a backup holds.
func printManifest(w io.Writer, m *backup.Manifest) {
	fmt.Fprintf(w, "taken %s by tearline %s\n", m.Created.Format("2006-01-02T15:04:05Z"), m.Tearline)
	fmt.Fprintf(w, "database: %d object versions in %d collections, %d bytes, sha256 %s\n",
		m.Database.Tables["objects"], len(m.Database.Collections), m.Database.Size, m.Database.SHA256)
	fmt.Fprintf(w, "content sha256 %s\n", m.Database.Content)
	if m.Ledger == nil {
		fmt.Fprintln(w, "ledger: none")
		return
	}
	fmt.Fprintf(w, "ledger: %d records, %d disclosures, head record %d hash %s\n",
		m.Ledger.Records, m.Ledger.Disclosures, m.Ledger.HeadSeq, m.Ledger.Head)
}
