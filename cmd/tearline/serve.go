package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newServeCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Tearline server on the embedded store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := openStore(cmd.Context(), dir)
			if err != nil {
				return err
			}
			defer store.Close()
			fmt.Fprintf(s.out, "data directory %s initialised\nTAXII server not built yet\n", dir)
			return nil
		},
	}
	dataDirFlag(cmd.Flags(), &dir)
	return cmd
}
