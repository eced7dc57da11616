package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/taxii"
)

func newLookupCmd(s *streams) *cobra.Command {
	var (
		dir, kindName string
		limit         int
	)
	cmd := &cobra.Command{
		Use:   "lookup VALUE [--kind KIND]",
		Short: "Show what the observable index holds about a value",
		Long: `Show what the observable index holds about a value: an IP address or CIDR
block, domain, URL, e-mail address, MAC address or file hash, from indicator
patterns and cyber-observable objects that were submitted or imported.

The value is normalized as the index stores it (1.2.3.4/32 is 1.2.3.4,
EXAMPLE.com. is example.com, ...); its kind is detected unless --kind gives
it (kinds: ` + kindNames() + `; SHA3 hashes need --kind).

This is the operator's view over the data directory: every source
organization and every object version carrying the value, whatever their
markings. The API (GET /api/v1/observables) shows each caller only what it
may receive. "(unattributed)" marks imports made without --source. Exit
status 1 when the index does not hold the value.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var k observable.Kind
			var ok bool
			if kindName != "" {
				if k, ok = observable.ParseKind(kindName); !ok {
					return fmt.Errorf("--kind %q: want one of %s", kindName, kindNames())
				}
			} else if k, ok = observable.Detect(args[0]); !ok {
				return fmt.Errorf("cannot tell what kind of value %q is; give --kind (one of %s)", args[0], kindNames())
			}
			o, err := observable.Normalize(k, args[0])
			if err != nil {
				return err
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				idx, ok := db.(tearline.Observables)
				if !ok {
					return fmt.Errorf("this store keeps no observable index")
				}
				e, err := idx.LookupObservable(cmd.Context(), o.Kind.String(), o.Value, limit)
				if tearline.ErrorCode(err) == tearline.ENOTFOUND {
					return invalidInput("%s %s is not in the observable index", o.Kind, o.Value)
				} else if err != nil {
					return err
				}
				name := func(id string) string {
					if id == "" {
						return "(unattributed)"
					}
					if org, err := db.FindOrganization(cmd.Context(), id); err == nil {
						return id + " (" + org.Name + ")"
					}
					return id
				}
				attributed := 0
				for _, src := range e.Sources {
					if src.Org != "" {
						attributed++
					}
				}
				fmt.Fprintf(s.out, "%s %s\nfirst seen %s, last seen %s\n", e.Kind, e.Value, stamp(e.First), stamp(e.Last))
				fmt.Fprintf(s.out, "\n%d sources:\n", attributed)
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				for _, src := range e.Sources {
					fmt.Fprintf(tw, "  %s\tfirst %s\tlast %s\n", name(src.Org), stamp(src.First), stamp(src.Last))
				}
				tw.Flush()
				more := ""
				if e.MoreObjects {
					more = fmt.Sprintf(" (the %d most recently stored; --limit shows more)", len(e.Objects))
				}
				fmt.Fprintf(s.out, "\n%d objects%s:\n", len(e.Objects), more)
				for _, ob := range e.Objects {
					var from []string
					for _, src := range ob.Sources {
						from = append(from, name(src))
					}
					fmt.Fprintf(tw, "  %s\t%s\tfrom %s\n", ob.ID, ob.Version.UTC().Format(time.RFC3339Nano), strings.Join(from, ", "))
				}
				return tw.Flush()
			})
		},
	}
	dataDirFlag(cmd.Flags(), &dir)
	storeFlag(cmd.Flags())
	cmd.Flags().StringVar(&kindName, "kind", "", "kind of the value (detected when not given)")
	cmd.Flags().IntVar(&limit, "limit", 100, "show at most this many objects, the most recently stored first (0: all)")
	return cmd
}

// kindNames lists the observable kinds.
func kindNames() string {
	names := make([]string, len(observable.Kinds))
	for i, k := range observable.Kinds {
		names[i] = k.String()
	}
	return strings.Join(names, ", ")
}

// stamp formats a first or last seen time.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
