package ingest

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/pii"
	"github.com/tearline/tearline/stix"
)

// privacy applies a collection's PII policy (tearline.PIIPolicy) to the
// valid objects of one submission.
type privacy struct {
	policy       tearline.PIIPolicy
	opts         pii.Options
	reviews      tearline.Reviews // nil when the store keeps no review queue
	collectionID string
	statusID     string
	submitter    string // organization
	key          string
}

// newPrivacy returns the privacy step of a submission to collectionID:
// opts.PII, else the collection's policy when the store keeps policies. It
// returns nil when the policy scans nothing.
func newPrivacy(ctx context.Context, store tearline.Store, collectionID string, opts *Options) (*privacy, error) {
	var policy tearline.PIIPolicy
	switch ps, ok := store.(tearline.PIIPolicies); {
	case opts.PII != nil:
		policy = *opts.PII
	case ok:
		var err error
		if policy, err = ps.PIIPolicy(ctx, collectionID); err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
	}
	if !policy.Active() {
		return nil, nil
	}
	p := &privacy{
		policy:       policy,
		opts:         pii.Options{FlagIdentifiers: policy.FlagIdentifiers},
		collectionID: collectionID,
		statusID:     opts.StatusID,
		submitter:    opts.Source,
		key:          opts.KeyID,
	}
	p.reviews, _ = store.(tearline.Reviews)
	return p, nil
}

// verdict is what the policy does with one object: nothing, a redaction
// (the result's object now holds the redacted copy; warnings says where),
// a refusal (issue), or a hold (held, to be stored in the review queue).
type verdict struct {
	issue    *stix.Issue
	held     *tearline.Review
	warnings []Warning
}

// check scans the valid object of res and applies the policy. Marking
// definitions are not scanned: they are policy objects, immutable, and
// already made known to the marking check.
func (p *privacy) check(res *stix.Result) verdict {
	obj := res.Object
	if obj.Type == "marking-definition" {
		return verdict{}
	}
	findings, err := pii.ScanObject(obj.Raw, p.opts)
	if err != nil {
		// The validator parsed the object; a scan error is a bug, but the
		// object must not pass unscanned.
		return verdict{issue: &stix.Issue{Path: res.Path, Rule: "pii", Message: "the object could not be scanned for personal data: " + err.Error()}}
	}
	if len(findings) == 0 {
		return verdict{}
	}
	switch p.policy.Action {
	case tearline.PIIReject:
		return verdict{issue: &stix.Issue{Path: res.Path, Rule: "pii", Message: fmt.Sprintf(
			"personal data found, which the collection's policy refuses: %s; remove it and submit the object again",
			findingsText(findings))}}
	case tearline.PIIRedact:
		return p.redact(res, findings)
	case tearline.PIIReview:
		if p.reviews == nil {
			return verdict{issue: &stix.Issue{Path: res.Path, Rule: "pii", Message: fmt.Sprintf(
				"personal data found (%s) and the collection's policy holds it for review, which this store cannot do", findingsText(findings))}}
		}
		return verdict{held: &tearline.Review{
			CollectionID: p.collectionID,
			StatusID:     p.statusID,
			Index:        res.Index,
			ObjectID:     obj.ID,
			Version:      versionString(obj.Version),
			Raw:          obj.Raw,
			Digest:       obj.Digest,
			Findings:     Findings(findings),
			SubmitterOrg: p.submitter,
			SubmitterKey: p.key,
		}}
	}
	return verdict{}
}

// redact replaces the object of res by its redacted copy.
func (p *privacy) redact(res *stix.Result, findings []pii.Finding) verdict {
	redacted, records, err := pii.Redact(res.Object.Raw, findings)
	if err != nil {
		return verdict{issue: &stix.Issue{Path: res.Path, Rule: "pii", Message: fmt.Sprintf(
			"personal data found (%s) could not be redacted: %s; remove it and submit the object again",
			findingsText(findings), tearline.ErrorMessage(err))}}
	}
	obj, issues := stix.ValidateObject(redacted, res.Path)
	if obj == nil {
		// Redact checks the copy already; this keeps the digest honest.
		msg := "the redacted copy is not valid STIX"
		if errs := issues.Errors(); len(errs) > 0 {
			msg += ": " + errs[0].String()
		}
		return verdict{issue: &stix.Issue{Path: res.Path, Rule: "pii", Message: msg}}
	}
	res.Object, res.Raw = obj, redacted
	return verdict{warnings: []Warning{RedactionWarning(records)}}
}

// RedactionWarning is the WarnPIIRedacted warning of redaction records.
func RedactionWarning(records []pii.Redaction) Warning {
	w := Warning{Code: WarnPIIRedacted}
	for i, r := range records {
		if i == MaxSpanArgs {
			w.Args = append(w.Args, "+"+strconv.Itoa(len(records)-i))
			break
		}
		w.Args = append(w.Args, PIIArg(r.Path, r.Kind.String(), r.Length))
	}
	return w
}

// HeldWarning is the WarnPIIHeld warning of a held object.
func HeldWarning(r *tearline.Review) Warning {
	return FindingsWarning(WarnPIIHeld, []string{"review=" + r.ID}, r.Findings)
}

// FindingsWarning is the warning code with the arguments args, then one
// PIIArg per finding (at most MaxSpanArgs, then +N for the N more).
func FindingsWarning(code string, args []string, fs []tearline.PIIFinding) Warning {
	w := Warning{Code: code, Args: args}
	for i, f := range fs {
		if i == MaxSpanArgs {
			w.Args = append(w.Args, "+"+strconv.Itoa(len(fs)-i))
			break
		}
		w.Args = append(w.Args, PIIArg(f.Path, f.Kind, f.End-f.Start))
	}
	return w
}

// Findings converts the findings of package pii to their stored form.
func Findings(fs []pii.Finding) []tearline.PIIFinding {
	out := make([]tearline.PIIFinding, len(fs))
	for i, f := range fs {
		out[i] = tearline.PIIFinding{Path: f.Path, Start: f.Start, End: f.End, Kind: f.Kind.String()}
	}
	return out
}

// PIIFindings converts stored findings back, for pii.Redact. It fails on
// a kind package pii does not know.
func PIIFindings(fs []tearline.PIIFinding) ([]pii.Finding, error) {
	out := make([]pii.Finding, len(fs))
	for i, f := range fs {
		k, err := pii.ParseKind(f.Kind)
		if err != nil {
			return nil, err
		}
		out[i] = pii.Finding{Path: f.Path, Start: f.Start, End: f.End, Kind: k}
	}
	return out, nil
}

// findingsText lists findings as PATH(KIND,LENGTH), comma-separated,
// without the text they cover.
func findingsText(fs []pii.Finding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 20 {
			fmt.Fprintf(&b, "and %d more", len(fs)-i)
			break
		}
		b.WriteString(PIIArg(f.Path, f.Kind.String(), f.End-f.Start))
	}
	return b.String()
}

// hold stores the held objects of a batch in the review queue; each is
// filled with its review (an earlier one when held already).
func (p *privacy) hold(ctx context.Context, rs []*tearline.Review) error {
	if len(rs) == 0 {
		return nil
	}
	if err := p.reviews.HoldForReview(ctx, rs); err != nil {
		return fmt.Errorf("ingest: hold %d objects for review: %w", len(rs), err)
	}
	return nil
}
