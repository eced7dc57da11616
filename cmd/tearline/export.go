package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/ledger"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii"
)

func newExportCmd(s *streams) *cobra.Command {
	var (
		dir, collection, output, as string
		format, skippedFile         string
		versions, types, levels     []string
	)
	cmd := &cobra.Command{
		Use:   "export --collection NAME [--as ORG] [--output FILE]",
		Short: "Write a collection out as a STIX 2.1 bundle",
		Long: `Write the objects of a collection as one STIX 2.1 bundle, in the order they
were added. By default every version of every object is written (--versions
all); use --versions last for only the latest version of each object.

Without --as this is an operator export: every object, whatever its
markings, each written byte for byte as it was submitted, and each recorded
in the disclosure ledger as sent whole to the operator (no organization,
key "operator", with the object's TLP and classification). Handle the file
as the most restrictive marking it holds.

With --as ORG the export holds what that organization may receive from the
collection through TAXII, by the same access decision: objects its
profile (clearance, country, communities) and its read grant on the
collection do not allow are left out, and objects with granular markings it
does not pass are written as redacted copies. The organization needs a read
grant on the collection; give --classification-levels (or
TEARLINE_CLASSIFICATION_LEVELS) when tearline serve runs with levels other
than the defaults, so that the decision is the server's. Each decision (whole, redacted or withheld) is
recorded in the disclosure ledger (DATA/ledger, path "export", the bundle id
as request); see tearline audit who. The ledger has one writer at a time:
stop a server running on the same data directory first.

--format writes defensive measures from the indicators instead of a bundle
(latest versions unless --versions says otherwise), through the same access
decision and ledger: suricata or snort rules, blocklist-ip (addresses and
CIDR blocks), blocklist-domain, blocklist-url, blocklist-hash, csv, rpz (a
DNS response policy zone), or stix (the default: the bundle). Patterns a
format cannot express are listed with the reason at the end of the file (as
comments, where the format has them), counted on standard error, and with
--skipped FILE written there as JSON lines.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			ctx := cmd.Context()
			store, err := openStore(cmd, dir)
			if err != nil {
				return err
			}
			defer store.Close()
			col, err := store.FindCollection(ctx, collection)
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			release, err := releaseFor(ctx, store, col, as, levels)
			if err != nil {
				return err
			}
			lg, err := ledger.Open(filepath.Join(dir, ledger.DirName), ledger.Options{})
			if err != nil {
				return err
			}
			release.ledger = lg
			defer func() {
				// What was recorded must reach the disk, or the export
				// fails.
				if cerr := lg.Close(); cerr != nil && err == nil {
					err = fmt.Errorf("export: the disclosure ledger: %w", cerr)
				}
			}()
			w, tmp := s.out, (*os.File)(nil)
			if output != "" && output != "-" {
				// The bundle is written beside FILE and renamed into place
				// at the end, so a failed export leaves no partial bundle.
				name := output + "." + uuid.NewString()[:8] + ".tmp"
				if tmp, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				defer func() {
					if tmp != nil { // failed before the rename
						tmp.Close()
						os.Remove(tmp.Name())
					}
				}()
				w = tmp
			}
			bw := bufio.NewWriterSize(w, 1<<20)
			q := tearline.ObjectQuery{CollectionID: col.ID, Versions: versions, Types: types}
			var n int
			if format == "stix" {
				n, err = exportBundle(ctx, store, q, release, bw)
			} else {
				if !cmd.Flags().Changed("versions") {
					q.Versions = []string{tearline.VersionLast}
				}
				n, err = exportMeasures(ctx, store, q, release, format, bw, skippedFile, s.errOut)
			}
			if err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("export: write: %w", err)
			}
			// The decisions are on disk before the file is in place.
			if err := release.ledger.Flush(); err != nil {
				return fmt.Errorf("export: the disclosure ledger: %w", err)
			}
			if tmp != nil {
				if err := tmp.Close(); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				if err := os.Rename(tmp.Name(), output); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				tmp = nil
			}
			what := "objects"
			if format != "stix" {
				what = format + " rules or lines"
			}
			fmt.Fprintf(s.errOut, "exported %d %s from %s\n", n, what, col.Alias)
			return nil
		},
	}
	dataDirFlag(cmd.Flags(), &dir)
	storeFlag(cmd.Flags())
	cmd.Flags().StringVarP(&collection, "collection", "c", "", "collection id or alias to export (required)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of standard output (put in place only when the export succeeds)")
	cmd.Flags().StringSliceVar(&versions, "versions", []string{tearline.VersionAll}, "versions to export: all, last, first, or timestamps")
	cmd.Flags().StringSliceVar(&types, "type", nil, "export only objects of these types")
	cmd.Flags().StringVar(&as, "as", "", "export only what this organization (name or id) may receive, redacted as for it")
	cmd.Flags().StringVar(&format, "format", "stix", "stix (a bundle), suricata, snort, blocklist-ip, blocklist-domain, blocklist-url, blocklist-hash, csv or rpz")
	cmd.Flags().StringVar(&skippedFile, "skipped", "", "with --format: write the indicators not expressed, with the reasons, to FILE as JSON lines")
	levelsFlag(cmd.Flags(), &levels)
	cmd.MarkFlagRequired("collection")
	return cmd
}

// exportRelease is the access decision of export --as for one
// organization reading one collection, or the operator's export of
// everything, and the ledger that records it.
type exportRelease struct {
	policy *marking.Policy
	// recipient is the organization exported for; nil for the operator.
	recipient  *marking.Recipient
	col        string
	ledger     *ledger.Ledger
	disclosure []ledger.Disclosure // reused page by page
}

// releasePage decides what of each entry of a page goes out, records every
// decision in the ledger with one RecordBatch call, and returns the bytes
// to write, nil for a withheld entry. It fails when the ledger cannot
// record: nothing may be written unrecorded.
func (x *exportRelease) releasePage(entries []*tearline.Entry, bundleID string) ([][]byte, error) {
	raws := make([][]byte, len(entries))
	x.disclosure = x.disclosure[:0]
	for i, e := range entries {
		d := ledger.Disclosure{Collection: x.col, Path: ledger.PathExport, Request: bundleID, Object: e.ID, Version: taxii.EntryVersion(e)}
		if x.recipient == nil {
			// The operator receives everything as stored; the record
			// says what the file holds.
			raws[i] = e.Raw
			d.Key, d.Decision, d.Reason = "operator", marking.Whole, "operator export"
			d.TLP, d.Classification, _, _ = x.policy.Level(e.Raw)
		} else {
			res := x.policy.Decide(x.recipient, e.Raw)
			raws[i] = res.Raw
			d.Org, d.Decision, d.TLP, d.Classification, d.Reason = x.recipient.OrgID, res.Decision, res.TLP, res.Classification, res.Reason
		}
		x.disclosure = append(x.disclosure, d)
	}
	if err := x.ledger.RecordBatch(x.disclosure); err != nil {
		return nil, fmt.Errorf("export: the disclosure ledger cannot record; nothing more is written: %w", err)
	}
	return raws, nil
}

// releaseFor returns the access decision for organization key ("" for the
// operator) reading collection col over the classification levels given,
// without a ledger. The marking definitions stored in every collection are
// loaded first.
func releaseFor(ctx context.Context, store tearline.Store, col *tearline.Collection, key string, levels []string) (*exportRelease, error) {
	policy, err := newPolicy(levels)
	if err != nil {
		return nil, err
	}
	if _, _, err := ingest.LoadDefinitions(ctx, store, policy.Definitions()); err != nil {
		return nil, err
	}
	if key == "" {
		return &exportRelease{policy: policy, col: col.ID}, nil
	}
	dir, ok := store.(tearline.Directory)
	if !ok {
		return nil, fmt.Errorf("--as: the store keeps no organizations")
	}
	o, err := dir.FindOrganization(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("--as %q: %w", key, err)
	}
	grants, err := dir.OrgGrants(ctx, o.ID)
	if err != nil {
		return nil, fmt.Errorf("--as %q: grants: %w", key, err)
	}
	if !grants[col.ID].Read {
		return nil, fmt.Errorf("--as %q: the organization has no read grant on collection %s, so it receives nothing from it", key, col.Alias)
	}
	// The same recipient the TAXII server builds for a reader of the
	// collection.
	r := marking.MemberRecipient(o)
	r.CollectionReader = true
	return &exportRelease{policy: policy, recipient: r, col: col.ID}, nil
}

// exportBundle streams the entries matching q as a bundle, page by page, and
// returns how many objects it wrote. release decides what of each object
// goes out and records it.
func exportBundle(ctx context.Context, store tearline.Store, q tearline.ObjectQuery, release *exportRelease, w io.Writer) (int, error) {
	const pageSize = 2000
	q.Limit = pageSize
	bundleID := "bundle--" + uuid.NewString()
	if _, err := fmt.Fprintf(w, "{\n    \"type\": \"bundle\",\n    \"id\": \"%s\",\n    \"objects\": [", bundleID); err != nil {
		return 0, err
	}
	n := 0
	for {
		page, err := store.QueryObjects(ctx, q)
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		raws, err := release.releasePage(page.Entries, bundleID)
		if err != nil {
			return n, err
		}
		for _, raw := range raws {
			if raw == nil {
				continue
			}
			sep := ",\n"
			if n == 0 {
				sep = "\n"
			}
			if _, err := io.WriteString(w, sep); err != nil {
				return n, err
			}
			if _, err := w.Write(raw); err != nil {
				return n, err
			}
			n++
		}
		if !page.More || len(page.Entries) == 0 {
			break
		}
		q.AddedAfter = page.Entries[len(page.Entries)-1].DateAdded
	}
	end := "\n    ]\n}\n"
	if n == 0 {
		end = "]\n}\n"
	}
	_, err := io.WriteString(w, end)
	return n, err
}
