package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/score"
	"github.com/tearline/tearline/stix"
	"golang.org/x/term"
)

func newImportCmd(s *streams) *cobra.Command {
	var (
		dir, collection  string
		source           string
		create, warnings bool
		noPII            bool
		levels           []string
	)
	cmd := &cobra.Command{
		Use:   "import --collection NAME FILE...",
		Short: "Validate STIX 2.1 bundles and store their objects in a collection",
		Long: `Import STIX 2.1 bundles into a collection of the embedded store.

Every object is validated; valid objects are stored, invalid ones are reported
as FILE: JSON-PATH: message [rule] and skipped. Importing the same file again
changes nothing (objects are identified by id and modified). Use "-" to read
standard input. The exit status is 1 when any object was rejected.

Markings are checked as for a TAXII submission by a submitter cleared to the
highest level: an object that references a marking definition neither stored
nor in the same file, or carries contradictory markings, is rejected. A file
may define its markings after the objects that use them (ATT&CK does): each
file is read once for its marking definitions first.

The observables of the stored objects (see "tearline lookup") are added to
the observable index with the organization given by --source as their
source; without it they are unattributed: they show in lookups and their
first/last seen times, but count as no source.

The collection's PII policy applies as to a TAXII submission (see "tearline
collection update"): objects with personal data are redacted, rejected (and
counted as rejected), or held for review ("tearline review list"), each
reported on its own line. --no-pii sets the policy aside for this import:
the operator takes responsibility for what is loaded.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			ctx := cmd.Context()
			store, err := openStore(cmd, dir)
			if err != nil {
				return err
			}
			defer store.Close()
			col, err := findOrCreateCollection(ctx, store, collection, create)
			if err != nil {
				return err
			}
			policy, err := newPolicy(levels)
			if err != nil {
				return err
			}
			if _, _, err := ingest.LoadDefinitions(ctx, store, policy.Definitions()); err != nil {
				return err
			}
			sourceID := ""
			if source != "" {
				o, err := store.FindOrganization(ctx, source)
				if err != nil {
					return fmt.Errorf("--source %q: %w", source, err)
				}
				sourceID = o.ID
			}
			index, _ := store.(tearline.Observables)
			var scorer *score.Engine
			if st, ok := store.(tearline.Scores); ok {
				scorer = score.New(st, score.Options{})
			}
			all := policy.Levels()
			operator := &marking.Recipient{Clearance: all[len(all)-1]}
			var rejected int
			for _, name := range files {
				if name == "-" {
					// Standard input is read twice, so it is held in memory.
					data, err := io.ReadAll(s.in)
					if err != nil {
						return fmt.Errorf("read standard input: %w", err)
					}
					s.in = bytes.NewReader(data)
					preloadDefinitions(bytes.NewReader(data), policy.Definitions())
					s.in = bytes.NewReader(data)
				} else if err := preloadFile(name, policy.Definitions()); err != nil {
					return err
				}
				rep, err := importFile(s, name, func(r io.Reader, opts ingest.Options) (*ingest.Report, error) {
					opts.Policy, opts.Submitter = policy, operator
					opts.Observables, opts.Source = index, sourceID
					opts.Scorer = scorer
					if noPII {
						opts.PII = &tearline.PIIPolicy{Action: tearline.PIINone}
					}
					return ingest.Bundle(ctx, store, col.ID, r, opts)
				}, warnings)
				if rep != nil {
					rejected += rep.Invalid + rep.Conflicts
				}
				if err != nil {
					if _, syntax := err.(*stix.SyntaxError); !syntax {
						return fmt.Errorf("%s: %w", name, err)
					}
					rejected++
					fmt.Fprintf(s.out, "%s: %v\n", name, err)
				}
			}
			if rejected > 0 {
				return invalidInput("%d objects or files rejected", rejected)
			}
			return nil
		},
	}
	dataDirFlag(cmd.Flags(), &dir)
	storeFlag(cmd.Flags())
	cmd.Flags().StringVarP(&collection, "collection", "c", "", "collection id or alias to import into (required)")
	cmd.Flags().BoolVar(&create, "create", false, "create the collection (alias NAME) if it does not exist")
	cmd.Flags().StringVar(&source, "source", "", "organization (name or id) recorded as the source of the imported observables")
	cmd.Flags().BoolVar(&warnings, "warnings", false, "print warnings (SHOULD-rule findings), not only their count")
	cmd.Flags().BoolVar(&noPII, "no-pii", false, "do not apply the collection's PII policy to this import")
	levelsFlag(cmd.Flags(), &levels)
	cmd.MarkFlagRequired("collection")
	return cmd
}

// preloadFile adds the valid marking definitions of the bundle file name to
// defs, so that objects before their definition in the file pass the
// marking check.
func preloadFile(name string, defs *marking.Definitions) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	preloadDefinitions(f, defs)
	return nil
}

// preloadDefinitions adds the valid marking definitions of the bundle in r
// to defs. It only frames the other objects; problems of any kind are left
// for the import itself to report.
func preloadDefinitions(r io.Reader, defs *marking.Definitions) {
	br := stix.NewBundleReader(r)
	typ := []byte(`"marking-definition"`)
	for {
		raw, _, err := br.Next()
		if err != nil {
			return
		}
		if raw == nil || !bytes.Contains(raw, typ) {
			continue
		}
		if obj, _ := stix.ValidateObject(raw, ""); obj != nil && obj.Type == "marking-definition" {
			defs.Add(raw) // a changed definition is reported when its turn comes
		}
	}
}

// importFile ingests one file with a progress bar on a terminal and plain
// progress lines otherwise, then prints the file's summary.
func importFile(s *streams, name string, run func(io.Reader, ingest.Options) (*ingest.Report, error), warnings bool) (*ingest.Report, error) {
	var r io.Reader = s.in
	var size int64 = -1
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		r = f
	}
	start := time.Now()
	opts := ingest.Options{OnIssues: func(issues stix.Issues) {
		for _, is := range issues {
			if is.Warning && !warnings {
				continue
			}
			fmt.Fprintf(s.out, "%s: %s\n", name, is)
		}
	}, OnObject: func(o *ingest.Outcome) {
		// Held and refused objects have issues; redacted ones only this.
		for _, w := range o.Warnings {
			if w.Code == ingest.WarnPIIRedacted && o.Stored() {
				fmt.Fprintf(s.out, "%s: objects[%d]: %s stored redacted: %s\n", name, o.Index, o.ID, ingest.FormatWarnings([]ingest.Warning{w}))
			}
		}
	}}
	if f, ok := s.errOut.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(s.errOut),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		pr := progressbar.NewReader(r, bar)
		r = &pr
		defer bar.Finish()
	} else {
		last := time.Now()
		opts.OnProgress = func(n int) {
			if time.Since(last) >= time.Second {
				last = time.Now()
				fmt.Fprintf(s.errOut, "%s: %d objects read\n", name, n)
			}
		}
	}
	rep, err := run(r, opts)
	if rep != nil {
		pii := ""
		if rep.Redacted > 0 || rep.Held > 0 {
			pii = fmt.Sprintf(", %d redacted, %d held for review", rep.Redacted, rep.Held)
		}
		fmt.Fprintf(s.out, "%s: %d objects: %d added, %d unchanged, %d invalid, %d conflicts, %d warnings%s (%.2fs)\n",
			name, rep.Objects, rep.Added, rep.Duplicates, rep.Invalid, rep.Conflicts, rep.Warnings, pii, time.Since(start).Seconds())
	}
	return rep, err
}
