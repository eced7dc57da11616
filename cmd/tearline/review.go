package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tearline/tearline"
	"github.com/tearline/tearline/ingest"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/taxii"
)

func newReviewCmd(s *streams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "review",
		Aliases: []string{"reviews"},
		Short:   "Review objects held by a collection's PII policy",
		Long: `Review the objects that a collection with the PII policy "review" holds
(tearline collection update --pii review): they are not stored in the
collection until an analyst approves them, as submitted, redacted or edited,
or rejects them. The API does the same under /api/v1/review.`,
	}
	dataDirFlag(cmd.PersistentFlags(), &dir)
	storeFlag(cmd.PersistentFlags())

	var status, collection string
	list := &cobra.Command{
		Use:   "list [--status pending|approved|rejected] [--collection C]",
		Short: "List held objects, oldest first, with the kinds and places of their personal data",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch status {
			case "", tearline.ReviewPending, tearline.ReviewApproved, tearline.ReviewRejected:
			default:
				return fmt.Errorf("--status %q: want pending, approved or rejected", status)
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				f := tearline.ReviewFilter{Status: status}
				if collection != "" {
					c, err := db.FindCollection(cmd.Context(), collection)
					if err != nil {
						return err
					}
					f.CollectionID = c.ID
				}
				rvs, err := db.ListReviews(cmd.Context(), f)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATUS\tCOLLECTION\tOBJECT\tSUBMITTER\tHELD\tFINDINGS")
				for _, rv := range rvs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rv.ID, reviewState(rv), rv.CollectionID, rv.ObjectID,
						dash(rv.SubmitterOrg), rv.Created.Format("2006-01-02T15:04:05Z"), findingsSummary(rv.Findings))
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&status, "status", "", "only reviews with this status: pending, approved or rejected")
	list.Flags().StringVar(&collection, "collection", "", "only reviews of this collection (id or alias)")

	var showKey string
	var showLevels []string
	show := &cobra.Command{
		Use:   "show ID [--key-id KEYID]",
		Short: "Show a held object's review: its findings, and with --key-id the object as that key's organization may see it",
		Long: `Show a review as JSON: the submission, the decision, and the findings (the
JSON path of each string, byte offsets in the decoded string, and the kind).
The held object is shown only with --key-id, through the access decision for
that key's organization as a reviewer of the collection (null when its
markings withhold it); its findings are then those of what it may see.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			policy, err := newPolicy(showLevels)
			if err != nil {
				return err
			}
			return withDB(cmd, dir, func(db taxii.Backend) error {
				ctx := cmd.Context()
				rv, err := db.FindReview(ctx, args[0])
				if err != nil {
					return err
				}
				var obj json.RawMessage
				findings := rv.Findings
				access := ""
				if showKey != "" {
					p, err := principalOf(ctx, db, showKey)
					if err != nil {
						return err
					}
					if _, _, err := ingest.LoadDefinitions(ctx, db, policy.Definitions()); err != nil {
						return err
					}
					r := marking.MemberRecipient(p.Org)
					r.CollectionReader = true
					res := policy.Decide(r, rv.Raw)
					access, obj, findings = res.Decision.String(), json.RawMessage("null"), nil
					if res.Decision != marking.Withhold {
						obj = res.Raw
					}
					if res.Decision == marking.Whole {
						findings = rv.Findings
					}
				}
				out := struct {
					ID           string                `json:"id"`
					CollectionID string                `json:"collection"`
					StatusID     string                `json:"status_id,omitempty"`
					Index        int                   `json:"index"`
					ObjectID     string                `json:"object_id"`
					Version      string                `json:"version,omitempty"`
					SubmitterOrg string                `json:"submitter_org,omitempty"`
					SubmitterKey string                `json:"submitter_key,omitempty"`
					Status       string                `json:"status"`
					Decision     string                `json:"decision,omitempty"`
					Reason       string                `json:"reason,omitempty"`
					DeciderKey   string                `json:"decider_key,omitempty"`
					Created      time.Time             `json:"created"`
					Stored       bool                  `json:"stored"`
					Result       string                `json:"result,omitempty"`
					Findings     []tearline.PIIFinding `json:"findings"`
					Access       string                `json:"access,omitempty"`
					Object       json.RawMessage       `json:"object,omitempty"`
				}{rv.ID, rv.CollectionID, rv.StatusID, rv.Index, rv.ObjectID, rv.Version, rv.SubmitterOrg, rv.SubmitterKey,
					rv.Status, rv.Decision, rv.Reason, rv.DeciderKey, rv.Created, rv.Stored, rv.Result, findings, access, obj}
				if out.Findings == nil {
					out.Findings = []tearline.PIIFinding{}
				}
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			})
		},
	}
	show.Flags().StringVar(&showKey, "key-id", "", "show the object as this API key's organization may see it")
	levelsFlag(show.Flags(), &showLevels)

	cmd.AddCommand(list, show, newReviewDecideCmd(s, &dir, true), newReviewDecideCmd(s, &dir, false))
	return cmd
}

// newReviewDecideCmd returns "review approve" or "review reject": the
// operator decides on behalf of an analyst's API key, under the rules the
// API applies to that key.
func newReviewDecideCmd(s *streams, dir *string, approve bool) *cobra.Command {
	var (
		keyID, reason, objectFile string
		redact                    bool
		levels                    []string
	)
	use, short := "reject ID --key-id KEYID --reason TEXT", "Reject a held object on behalf of an analyst's API key"
	if approve {
		use, short = "approve ID --key-id KEYID [--redact | --object FILE]", "Approve a held object on behalf of an analyst's API key, storing it"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `.
KEYID is the public id of the deciding analyst's key (tearline key list); it
must not be the key that submitted the object, must have role analyst or
admin, its organization must have a write grant on the collection, and the
object's markings must let that organization see all of it. approve stores
the object as submitted, or with --redact every finding replaced by
[REDACTED:kind], or with --object the edited object in FILE (same id, valid
STIX, markings accepted for the submitter, no personal data found again).
The submission's TAXII status then shows the object as a success (reject: a
failure with the reason).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d := taxii.ReviewDecision{Approve: approve, Reason: reason, Action: tearline.ApproveAsIs}
			switch {
			case redact && objectFile != "":
				return fmt.Errorf("give --redact or --object, not both")
			case redact:
				d.Action = tearline.ApproveRedacted
			case objectFile != "":
				raw, err := os.ReadFile(objectFile)
				if err != nil {
					return err
				}
				d.Action, d.Object = tearline.ApproveEdited, raw
			}
			policy, err := newPolicy(levels)
			if err != nil {
				return err
			}
			return withDB(cmd, *dir, func(db taxii.Backend) error {
				ctx := cmd.Context()
				p, err := principalOf(ctx, db, keyID)
				if err != nil {
					return err
				}
				if _, _, err := ingest.LoadDefinitions(ctx, db, policy.Definitions()); err != nil {
					return err
				}
				rv, err := taxii.DecideReview(ctx, db, policy, args[0], p, d)
				if err != nil {
					return err
				}
				if rv.Status == tearline.ReviewApproved {
					fmt.Fprintf(s.out, "review %s approved (%s): %s\n", rv.ID, rv.Decision, dash(rv.Result))
				} else {
					fmt.Fprintf(s.out, "review %s rejected\n", rv.ID)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&keyID, "key-id", "", "public id of the deciding analyst's API key (required)")
	cmd.MarkFlagRequired("key-id")
	if approve {
		cmd.Flags().BoolVar(&redact, "redact", false, "store the object with every finding replaced by [REDACTED:kind]")
		cmd.Flags().StringVar(&objectFile, "object", "", "store this edited object (a JSON file) instead")
		cmd.Flags().StringVar(&reason, "reason", "", "a note on the approval")
	} else {
		cmd.Flags().StringVar(&reason, "reason", "", "why the object is rejected, shown in the submitter's status (required)")
		cmd.MarkFlagRequired("reason")
	}
	levelsFlag(cmd.Flags(), &levels)
	return cmd
}

// principalOf returns the principal of the valid API key keyID.
func principalOf(ctx context.Context, db taxii.Backend, keyID string) (*tearline.Principal, error) {
	k, _, err := db.FindAPIKey(ctx, keyID)
	if tearline.ErrorCode(err) == tearline.ENOTFOUND {
		return nil, fmt.Errorf("--key-id %q: no such API key", keyID)
	} else if err != nil {
		return nil, err
	}
	if !k.Revoked.IsZero() {
		return nil, fmt.Errorf("--key-id %q: the key was revoked", keyID)
	}
	org, err := db.FindOrganization(ctx, k.OrgID)
	if err != nil {
		return nil, err
	}
	return &tearline.Principal{Org: org, Role: k.Role, KeyID: k.ID}, nil
}

// reviewState is a review's status, with "unfinished" for an approval
// whose object is not stored yet.
func reviewState(rv *tearline.Review) string {
	switch {
	case rv.Status == tearline.ReviewApproved && rv.Finished.IsZero():
		return "approved (unfinished)"
	case rv.Status == tearline.ReviewApproved && !rv.Stored:
		return "approved (not stored)"
	case rv.Status == tearline.ReviewApproved:
		return "approved (" + rv.Decision + ")"
	}
	return rv.Status
}

// findingsSummary lists findings as PATH(KIND,LENGTH).
func findingsSummary(fs []tearline.PIIFinding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = ingest.PIIArg(f.Path, f.Kind, f.End-f.Start)
	}
	return strings.Join(parts, " ")
}

// dash returns s, or "-" when it is empty.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
