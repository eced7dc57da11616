// Package ingest takes STIX submissions into a store: it validates every
// object, checks its markings, stores the valid ones and answers with a
// report that names each rejected object and why.
//
// # Markings
//
// With Options.Policy set (every TAXII submission and "tearline import"),
// each valid object goes
// through marking.Policy.Check for Options.Submitter before it is stored:
// an object that references a marking definition the server does not know
// (definitions must come before, or earlier in the same submission, than
// the objects they mark), carries contradictory markings, has a granular
// selector that does not resolve, is classified above the submitter's
// clearance, or is a marking definition that changes a known one
// (definitions are immutable) is reported invalid with the reason and not
// stored. A marking definition that passes is made known to the policy at
// once, so later objects of the same submission may reference it.
//
// "tearline import" first reads each file for its marking definitions,
// since files such as the ATT&CK bundles place their marking definition
// after the objects it marks. Without a Policy markings are not checked at
// ingest (benchmarks do this); nothing leaks by it: the read side
// (marking.Policy.Decide) withholds from everyone but the originator any
// object whose markings reference an unknown definition, and the server
// learns stored definitions when it starts (LoadDefinitions).
//
// # Personal data
//
// After the marking check, each valid object except marking definitions is
// scanned by package pii under the collection's policy (Options.PII
// overrides it): none stores it as is; redact stores a copy with every span
// replaced by [REDACTED:kind] and a WarnPIIRedacted warning naming each
// span's path, kind and length; reject makes it invalid (rule "pii") with
// the same list; review stores nothing in the collection but holds the
// object in the store's review queue (tearline.Reviews), reported with
// Outcome.Held and a WarnPIIHeld warning. Receipts list these warnings, and
// WarnDuplicate for a version the collection held already (receipt.go).
//
// # Feedback
//
// When the store keeps a record of exchanges (tearline.Exchanges) and the
// submission is attributed (Options.Source), every stored sighting,
// opinion, note and language-content object is recorded as feedback on
// the objects it references, after its batch is stored (feedback.go).
// Every path into a collection goes through here (TAXII POSTs and forms,
// review approvals, peers' pushes and pulled links, "tearline import"),
// so each records feedback the same way.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/marking"
	"github.com/tearline/tearline/score"
	"github.com/tearline/tearline/stix"
	"github.com/tearline/tearline/tracing"
)

// DefaultBatchSize is how many objects go to the store per transaction.
const DefaultBatchSize = 2000

// Options tune Bundle.
type Options struct {
	// BatchSize is the number of objects stored per transaction
	// (DefaultBatchSize when 0).
	BatchSize int
	// OnIssues, when set, is called with the issues of each object that has
	// any (errors, warnings, or a store conflict), in bundle order.
	OnIssues func(stix.Issues)
	// OnProgress, when set, is called after each stored batch with the
	// number of objects read so far.
	OnProgress func(objects int)
	// Policy, when set, checks each valid object's markings for Submitter
	// before it is stored (see the package comment); objects that fail are
	// invalid, with an issue of rule "marking". Marking definitions that
	// pass are added to Policy.Definitions.
	Policy    *marking.Policy
	Submitter *marking.Recipient
	// Observables, when set, receives the observables (package
	// observable) of every object version stored by the submission or
	// found stored already (Added or Duplicate: the same value from
	// another organization corroborates it), attributed to Source, after
	// each batch is stored.
	Observables tearline.Observables
	// Source is the submitting organization's identity id recorded with
	// the observables, the scores and the feedback references; "" when the
	// submission is unattributed.
	Source string
	// Scorer, when set, scores every object version stored or found
	// stored (package score) after its batch's observables are indexed,
	// and its warnings (warning-list hits, an indicator's low context
	// score) join the receipt. A scoring failure fails the submission as a
	// store failure does.
	Scorer *score.Engine
	// OnObject, when set, is called once for each object with what became
	// of it: invalid objects as they are read, the others after their batch
	// is stored, so calls are in input order within each kind only. An
	// object lost to a store failure gets no call.
	OnObject func(*Outcome)
	// PII, when set, is the privacy policy applied to the submission
	// instead of the collection's; nil applies the collection's, read from
	// the store when it keeps policies (tearline.PIIPolicies). See
	// privacy.go and the package comment.
	PII *tearline.PIIPolicy
	// StatusID and KeyID describe the submission to the review queue:
	// its TAXII status ("" for none) and the submitter's API key ("" for
	// none).
	StatusID, KeyID string
	// Finish, when set, is called within the transaction of the last
	// batch, once OnObject has been called for every object, so that what
	// finishes the submission (its status, its triage record) commits with
	// its objects. It is called only when the store is a
	// tearline.BatchWriter (see Observables and Scorer) and the last batch
	// stores anything; Report.Finished tells whether it was. Its error
	// fails the batch. Should the batch's commit fail after it, the
	// outcomes OnObject was given for that batch did not happen: the error
	// is returned.
	Finish func(tx tearline.BatchTx) error
}

// Outcome is what became of one object of a submission.
type Outcome struct {
	Index int    // position in the "objects" list
	ID    string // the object's id; "" when it has none that can be read
	// Version is the object's modified (else created) timestamp, with 3, 6
	// or 9 fractional digits; "" when it has neither.
	Version string
	// Status is Added, Duplicate or Conflict for an object given to the
	// store, and 0 for an invalid one, which was not stored.
	Status    tearline.AddStatus
	DateAdded time.Time   // of the stored version; zero unless Added or Duplicate
	Issues    stix.Issues // errors and warnings, including a store conflict
	// Held is the review of an object the PII policy holds (Status 0: not
	// stored); nil otherwise.
	Held *tearline.Review
	// Warnings are the receipt's notes on a stored or held object
	// (FormatWarnings writes them in a status message).
	Warnings []Warning
}

// Stored reports whether the collection holds the object: it was added, or
// was already there with the same content.
func (o *Outcome) Stored() bool { return o.Status == tearline.Added || o.Status == tearline.Duplicate }

// Report summarizes one bundle's ingest.
type Report struct {
	Objects    int // objects in the bundle
	Added      int // versions new to the collection
	Duplicates int // versions the collection already held, unchanged
	Conflicts  int // same id and version as a stored object, different content
	Invalid    int // objects that failed validation (or the PII policy)
	Redacted   int // objects stored with personal data redacted
	Held       int // objects held for review by the PII policy
	Warnings   int // SHOULD-rule findings
	Errors     int // MUST-rule findings, conflicts and bundle-level errors
	// Finished is whether Options.Finish was called in a transaction
	// that committed.
	Finished bool
}

// Bundle reads a STIX bundle (or a single STIX object) from r and adds its valid objects to the
// collection in batches. Invalid objects are reported and skipped; the rest
// are stored. A JSON syntax error stops the read: objects before it are
// stored and the error (a *stix.SyntaxError) is returned with the report.
// Store failures are returned as errors; re-ingesting the same bundle
// changes nothing.
func Bundle(ctx context.Context, store tearline.Store, collectionID string, r io.Reader, opts Options) (*Report, error) {
	return run(ctx, store, collectionID, r, opts, stix.ReadDocument)
}

// Envelope is Bundle for a TAXII envelope ({"objects": [...]}), the body of
// a TAXII POST. Envelope-level issues (such as a bundle sent instead) are
// counted and reported like bundle-level ones; callers that must refuse
// such a body check it first with stix.NewEnvelopeReader.
func Envelope(ctx context.Context, store tearline.Store, collectionID string, r io.Reader, opts Options) (*Report, error) {
	return run(ctx, store, collectionID, r, opts, stix.ReadEnvelope)
}

// run ingests the objects that read delivers.
func run(ctx context.Context, store tearline.Store, collectionID string, r io.Reader, opts Options,
	read func(io.Reader, func(*stix.Result) error) (stix.Issues, error)) (rep *Report, err error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	rep = &Report{}
	ctx, span := tracing.Start(ctx, "ingest")
	defer func() { traceReport(span, collectionID, rep, err) }()
	st := newStages(ctx)
	var (
		batch   []*tearline.Object
		results []*stix.Result
		notes   [][]Warning // of batch's objects
		held    []*stix.Result
		reviews []*tearline.Review // of held's objects
	)
	priv, err := newPrivacy(ctx, store, collectionID, &opts)
	if err != nil {
		return rep, err
	}
	// report counts issues and passes them to OnIssues.
	report := func(is stix.Issues) {
		if len(is) == 0 {
			return
		}
		for _, i := range is {
			if i.Warning {
				rep.Warnings++
			} else {
				rep.Errors++
			}
		}
		if opts.OnIssues != nil {
			opts.OnIssues(is)
		}
	}
	// outcomes passes what became of each object of a stored batch to
	// OnObject.
	outcomes := func(sb *stored) {
		added, scored := sb.added, sb.scored
		for i, res := range added {
			var is stix.Issues
			ws := notes[i]
			if scored != nil {
				ws = append(ws, scored[i]...)
			}
			switch res.Status {
			case tearline.Added:
				rep.Added++
			case tearline.Duplicate:
				rep.Duplicates++
				ws = append(ws, Warning{Code: WarnDuplicate})
			case tearline.Conflict:
				rep.Conflicts++
				is = stix.Issues{{Path: results[i].Path, Rule: "conflict", Message: fmt.Sprintf(
					"object %s version %s is already stored with different content; a changed object needs a new modified timestamp",
					batch[i].ID, batch[i].VersionKey())}}
				report(is)
			}
			if opts.OnObject != nil {
				opts.OnObject(&Outcome{
					Index:     results[i].Index,
					ID:        batch[i].ID,
					Version:   versionString(batch[i].Version),
					Status:    res.Status,
					DateAdded: res.DateAdded,
					Issues:    append(results[i].Issues, is...),
					Warnings:  ws,
				})
			}
		}
	}
	// flush stores the batch and the held objects; last is whether no
	// object follows.
	flush := func(last bool) error {
		st.emit()
		defer st.resume()
		if len(held) > 0 {
			if err := step(ctx, "ingest.pii.hold", func(ctx context.Context) error { return priv.hold(ctx, reviews) }); err != nil {
				return err
			}
			for i, res := range held {
				rep.Held++
				is := stix.Issues{{Path: res.Path, Rule: "pii-review", Message: "held for review " + reviews[i].ID +
					" (personal data; the collection's policy holds it until an analyst decides)"}}
				if opts.OnIssues != nil {
					opts.OnIssues(is)
				}
				if opts.OnObject != nil {
					opts.OnObject(&Outcome{Index: res.Index, ID: res.Object.ID, Version: reviews[i].Version,
						Issues: append(res.Issues, is...), Held: reviews[i], Warnings: []Warning{HeldWarning(reviews[i])}})
				}
			}
			clear(held)
			clear(reviews)
			held, reviews = held[:0], reviews[:0]
		}
		if len(batch) == 0 {
			return nil
		}
		var finish func(tearline.BatchTx, *stored) error
		finished := false
		if last && opts.Finish != nil {
			finish = func(tx tearline.BatchTx, sb *stored) error {
				outcomes(sb)
				finished = true
				return opts.Finish(tx)
			}
		}
		sb, err := storeBatch(ctx, store, collectionID, batch, &opts, finish)
		if err != nil {
			return err
		}
		if finished {
			rep.Finished = true
		} else {
			outcomes(sb)
		}
		clear(batch)
		clear(results)
		clear(notes)
		batch, results, notes = batch[:0], results[:0], notes[:0]
		if opts.OnProgress != nil {
			opts.OnProgress(rep.Objects)
		}
		return nil
	}
	bundleIssues, err := read(r, func(res *stix.Result) error {
		// A full batch is stored once another object follows it, so that
		// the last batch is stored by the last flush (Options.Finish).
		if len(batch)+len(held) >= opts.BatchSize {
			if err := flush(false); err != nil {
				return err
			}
		}
		rep.Objects++
		st.object()
		report(res.Issues)
		if res.Object != nil && opts.Policy != nil {
			if is := checkMarkings(opts.Policy, opts.Submitter, res); is != nil {
				res.Object = nil
				res.Issues = append(res.Issues, *is)
				report(stix.Issues{*is})
			}
			st.done(stageMarkings)
		}
		var ws []Warning
		if res.Object != nil && priv != nil {
			v := priv.check(res)
			st.done(stagePII)
			switch {
			case v.issue != nil:
				res.Object = nil
				res.Issues = append(res.Issues, *v.issue)
				report(stix.Issues{*v.issue})
			case v.held != nil:
				held, reviews = append(held, res), append(reviews, v.held)
				return ctx.Err()
			case v.warnings != nil:
				rep.Redacted++
				ws = v.warnings
			}
		}
		if res.Object == nil {
			rep.Invalid++
			if opts.OnObject != nil {
				id, version := Identify(res.Raw)
				opts.OnObject(&Outcome{Index: res.Index, ID: id, Version: version, Issues: res.Issues})
			}
			return nil
		}
		batch = append(batch, res.Object)
		results = append(results, res)
		notes = append(notes, ws)
		return ctx.Err()
	})
	report(bundleIssues)
	var syntax *stix.SyntaxError
	if err == nil || errors.As(err, &syntax) {
		// Objects read before a syntax error are complete and valid.
		if ferr := flush(true); ferr != nil {
			return rep, ferr
		}
	}
	return rep, err
}

// checkMarkings runs the policy's ingest check on a valid object and, for a
// marking definition that passes, makes it known. It returns the issue
// that refuses the object, or nil.
func checkMarkings(p *marking.Policy, submitter *marking.Recipient, res *stix.Result) *stix.Issue {
	err := p.Check(submitter, res.Raw)
	if err == nil && res.Object.Type == "marking-definition" {
		err = p.Definitions().Add(res.Raw)
	}
	if err == nil {
		return nil
	}
	return &stix.Issue{Path: res.Path, Rule: "marking", Message: tearline.ErrorMessage(err)}
}

// Identify returns what can be read of the id and version of an object,
// valid or not: its "id" and its "modified" (else "created") strings as
// given, or "" for what it lacks or when raw is not a JSON object.
func Identify(raw []byte) (id, version string) {
	if raw == nil {
		return "", ""
	}
	v, err := stix.ParseValue(raw)
	if err != nil || v.Kind != stix.Object {
		return "", ""
	}
	version = v.GetString("modified")
	if version == "" {
		version = v.GetString("created")
	}
	return v.GetString("id"), version
}

// versionString formats a version timestamp with the fewest of 3, 6 or 9
// fractional digits that keep it exact; "" for the zero time.
func versionString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	switch ns := t.Nanosecond(); {
	case ns%1e6 == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case ns%1e3 == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}
