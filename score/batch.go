package score

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/observable"
)

// batch is one scoring pass over a submission's objects (or, for reads,
// over versions without records).
type batch struct {
	e      *Engine
	c      *cached
	now    time.Time
	source string
	items  []Item
	facts  []*Facts
	scored []int // items that get records
	// links are what the batch's sightings, opinions and relationships
	// say; targets their targets.
	links   []tearline.ScoreLink
	targets map[string]bool

	byTarget map[string][]tearline.ScoreLink
	sources  map[observable.Observable][]tearline.ObservableSource
	existing map[versionKey]*tearline.ScoreRecord // of duplicates and targets
	built    map[versionKey]bool
	recItem  []int // item index of each record build returns
}

// newBatch analyzes the items' objects, but for those pre (when not nil)
// analyzed already.
func (e *Engine) newBatch(c *cached, source string, items []Item, pre *Analyzed) *batch {
	b := &batch{e: e, c: c, now: e.now(), source: source, items: items,
		facts: make([]*Facts, len(items)), targets: map[string]bool{}}
	for i := range items {
		it := &items[i]
		var (
			f   *Facts
			err error
		)
		if a, ok := pre.analysis(it.Object); ok {
			f, err = a.f, a.err
		} else {
			f, err = Analyze(it.Object.Raw)
		}
		if err != nil {
			e.log.Warn("score: object not scored", "id", it.Object.ID, "err", err)
			continue
		}
		b.facts[i] = f
		for _, l := range f.Links {
			b.links = append(b.links, l)
			b.targets[l.Target] = true
		}
		if !Scored(f.Type) {
			continue
		}
		b.scored = append(b.scored, i)
		if !it.Extracted {
			// A pattern that does not parse has no values: the validator
			// checked it before it was stored.
			it.Observables, _ = observable.FromObject(it.Object.Raw)
			it.Extracted = true
		}
	}
	return b
}

// analysis returns what Analyze found of o, if it analyzed it.
func (a *Analyzed) analysis(o *tearline.Object) (analysis, bool) {
	if a == nil {
		return analysis{}, false
	}
	r, ok := a.facts[o]
	return r, ok
}

// gather reads what scoring needs: the links of the scored objects and of
// the link targets, the sources of the values, and (when rescoring, for
// writes) the records of duplicates and targets.
func (b *batch) gather(r reads, write bool) error {
	ids := make([]string, 0, len(b.scored)+len(b.targets))
	var recIDs []string
	for _, i := range b.scored {
		o := b.items[i].Object
		ids = append(ids, o.ID)
		if write && b.items[i].Status != tearline.Added {
			recIDs = append(recIDs, o.ID)
		}
	}
	if write {
		for t := range b.targets {
			ids = append(ids, t)
			recIDs = append(recIDs, t)
		}
	}
	ids = sortedSet(ids)
	b.byTarget = map[string][]tearline.ScoreLink{}
	if len(ids) > 0 {
		links, err := r.ScoreLinks(ids)
		if err != nil {
			return fmt.Errorf("score: read links: %w", err)
		}
		for _, l := range links {
			b.byTarget[l.Target] = append(b.byTarget[l.Target], l)
		}
	}
	b.existing = map[versionKey]*tearline.ScoreRecord{}
	if recIDs = sortedSet(recIDs); len(recIDs) > 0 {
		recs, err := r.FindScores(recIDs)
		if err != nil {
			return fmt.Errorf("score: read scores: %w", err)
		}
		for _, r := range recs {
			b.existing[keyOf(r.ID, r.Version)] = r
		}
	}
	b.sources = map[observable.Observable][]tearline.ObservableSource{}
	var values []tearline.ObservableValue
	seen := map[observable.Observable]bool{}
	for _, i := range b.scored {
		for _, v := range b.items[i].Observables {
			if !seen[v] {
				seen[v] = true
				values = append(values, tearline.ObservableValue{Kind: v.Kind.String(), Value: v.Value})
			}
		}
	}
	if len(values) == 0 {
		return nil
	}
	srcs, err := r.ObservableSources(values)
	if err != nil {
		return fmt.Errorf("score: read corroboration of %d values: %w", len(values), err)
	}
	for i, v := range values {
		k, _ := observable.ParseKind(v.Kind)
		b.sources[observable.Observable{Kind: k, Value: v.Value}] = srcs[i]
	}
	return nil
}

// sortedSet sorts ids and drops repeats.
func sortedSet(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// build computes the records of the scored items and their receipt
// findings (indexed like the items).
func (b *batch) build() ([]*tearline.ScoreRecord, []Findings) {
	findings := make([]Findings, len(b.items))
	recs := make([]*tearline.ScoreRecord, 0, len(b.scored))
	b.built = make(map[versionKey]bool, len(b.scored))
	b.recItem = b.recItem[:0]
	for _, i := range b.scored {
		it, f := &b.items[i], b.facts[i]
		o := it.Object
		key := keyOf(o.ID, o.Version)
		rec := &tearline.ScoreRecord{
			ID: o.ID, Version: o.Version, Org: b.source, Stated: f.Stated,
			Features: uint32(f.Features), ValidUntil: f.ValidUntil, Revoked: f.Revoked || o.Revoked,
			HalfLife: b.halfLife(f.Type, it.Observables), Computed: b.now,
		}
		if rec.Org == "" {
			rec.Org = f.CreatedBy
		}
		ref := o.Version
		if old := b.existing[key]; old != nil {
			// The first submitter stays the source whose reliability
			// counts; an identical copy from another corroborates it.
			if old.Org != "" {
				rec.Org = old.Org
			}
			if ref.IsZero() {
				ref = old.Reference
			}
		}
		if ref.IsZero() {
			ref = b.now
		}
		for _, v := range it.Observables {
			n := 0
			for _, s := range b.sources[v] {
				if s.Org == "" || s.Org == rec.Org {
					continue
				}
				n++
				ref = later(ref, s.Last, b.now)
			}
			rec.Sources = max(rec.Sources, n)
			for _, h := range b.c.warn.Match(v) {
				if !slices.Contains(rec.Warnings, h) {
					rec.Warnings = append(rec.Warnings, h)
				}
			}
		}
		rec.Reference = b.applyLinks(rec, ref)
		b.finish(rec)
		recs = append(recs, rec)
		b.recItem = append(b.recItem, i)
		b.built[key] = true
		findings[i] = b.findings(f.Type, rec)
	}
	return recs, findings
}

// applyLinks counts the links of rec's object and returns the reference
// time moved to its latest positive sighting.
func (b *batch) applyLinks(rec *tearline.ScoreRecord, ref time.Time) time.Time {
	rec.Sightings, rec.FalsePositives, rec.Related = 0, 0, 0
	for _, l := range b.byTarget[rec.ID] {
		switch l.Kind {
		case tearline.LinkSighting:
			rec.Sightings++
			ref = later(ref, l.Time, b.now)
		case tearline.LinkFalsePositive:
			rec.FalsePositives++
		case tearline.LinkRelated:
			rec.Related |= uint32(RelatedFeature(l.Related))
		}
	}
	return ref
}

// later returns the later of ref and t, where t counts only up to now.
func later(ref, t, now time.Time) time.Time {
	if t.After(now) {
		t = now
	}
	if t.After(ref) {
		return t
	}
	return ref
}

// finish computes a record's scores from its inputs.
func (b *batch) finish(rec *tearline.ScoreRecord) {
	rec.Confidence = round(b.e.params.Base(evidenceOf(b.c, rec)))
	rec.Context = Context(Features(rec.Features) | Features(rec.Related))
	rec.Computed = b.now
}

// halfLife returns the decay half-life of an object of type typ carrying
// values obs: the shortest of their kinds', the default indicator
// half-life for an indicator without known values, else none.
func (b *batch) halfLife(typ string, obs []observable.Observable) time.Duration {
	var hl time.Duration
	for _, v := range obs {
		if d := b.e.params.HalfLife(v.Kind); d > 0 && (hl == 0 || d < hl) {
			hl = d
		}
	}
	if hl == 0 && typ == "indicator" {
		hl = b.e.params.IndicatorHalfLife()
	}
	return hl
}

// findings returns the receipt findings of a record: its warning-list
// hits and, for an indicator, a low context score.
func (b *batch) findings(typ string, rec *tearline.ScoreRecord) Findings {
	fs := Findings{Hits: rec.Warnings, Context: rec.Context}
	if typ == "indicator" && rec.Context < b.e.params.LowContextScore() {
		fs.LowContext = true
		fs.Missing = MissingTokens(Features(rec.Features) | Features(rec.Related))
	}
	return fs
}

// rescoreTargets recomputes the records of the link targets that the
// batch did not score itself.
func (b *batch) rescoreTargets() []*tearline.ScoreRecord {
	var out []*tearline.ScoreRecord
	for key, old := range b.existing {
		if !b.targets[old.ID] || b.built[key] {
			continue
		}
		rec := *old
		rec.Reference = b.applyLinks(&rec, old.Reference)
		b.finish(&rec)
		out = append(out, &rec)
		b.built[key] = true
	}
	return out
}

// propagate rescores the stored versions (up to MaxRescored per value)
// carrying the batch's values that this submission corroborates: values
// that the submitting organization and at least one other have
// submitted.
func (b *batch) propagate(ctx context.Context, tx tearline.ScoreTx) ([]*tearline.ScoreRecord, error) {
	if b.source == "" || b.e.index == nil {
		return nil, nil
	}
	wanted := map[versionKey][]observable.Observable{}
	var ids []string
	for v, srcs := range b.sources {
		orgs, ours := 0, false
		for _, s := range srcs {
			if s.Org != "" {
				orgs++
				ours = ours || s.Org == b.source
			}
		}
		if orgs < 2 || !ours {
			continue
		}
		entry, err := b.e.index.LookupObservable(ctx, v.Kind.String(), v.Value, MaxRescored)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("score: look up %s: %w", v, err)
		}
		for _, o := range entry.Objects {
			key := keyOf(o.ID, o.Version)
			if b.built[key] {
				continue
			}
			wanted[key] = append(wanted[key], v)
			ids = append(ids, o.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	recs, err := tx.FindScores(sortedSet(ids))
	if err != nil {
		return nil, fmt.Errorf("score: read scores: %w", err)
	}
	var out []*tearline.ScoreRecord
	for _, old := range recs {
		key := keyOf(old.ID, old.Version)
		values := wanted[key]
		if len(values) == 0 {
			continue
		}
		rec := *old
		for _, v := range values {
			n := 0
			for _, s := range b.sources[v] {
				if s.Org != "" && s.Org != rec.Org {
					n++
					rec.Reference = later(rec.Reference, s.Last, b.now)
				}
			}
			rec.Sources = max(rec.Sources, n)
		}
		if rec.Sources == old.Sources && rec.Reference.Equal(old.Reference) {
			continue
		}
		b.finish(&rec)
		out = append(out, &rec)
		b.built[key] = true
	}
	return out, nil
}
