package score

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/warnlist"
)

// Options configure an Engine.
type Options struct {
	Params Params
	// Now is the clock of decay and of the records' times; nil means
	// time.Now. Tests move it forward instead of sleeping.
	Now    func() time.Time
	Logger *slog.Logger
	// Refresh is how long reliabilities and the admin warning lists read
	// from the store are used before they are read again (changes made
	// elsewhere, such as with the command line, take effect after it);
	// 0 means DefaultRefresh. Changes made through the Engine take effect
	// at once.
	Refresh time.Duration
}

// DefaultRefresh is the default of Options.Refresh.
const DefaultRefresh = 30 * time.Second

// MaxRescored bounds how many object versions carrying a value are
// rescored when another organization corroborates it: the most recently
// stored ones.
const MaxRescored = 100

// Engine keeps the scores of stored object versions up to date as objects,
// sightings, opinions and corroboration arrive, and answers them with
// decay applied. It is safe for concurrent use.
//
// The store must implement tearline.Scores. When it also implements
// tearline.Reliabilities, tearline.WarningLists and tearline.Observables,
// reliabilities, admin warning lists and the versions to rescore on
// corroboration are read from it; without them organizations have the
// default reliability, only the built-in warning lists apply, and only
// the corroborating submission's own objects are rescored.
type Engine struct {
	scores tearline.Scores
	rels   tearline.Reliabilities
	lists  tearline.WarningLists
	index  tearline.Observables
	params Params
	now    func() time.Time
	log    *slog.Logger
	ttl    time.Duration

	// mu serializes the read-compute-write of scoring, so that two
	// batches rescoring one object cannot write counts that miss each
	// other's links.
	mu sync.Mutex

	cache atomic.Pointer[cached]
	load  sync.Mutex // one reload at a time
}

// cached are the reliabilities and warning lists in use.
type cached struct {
	rels   map[string]int
	warn   *warnlist.Set
	loaded time.Time // by the wall clock
}

// New returns an engine over store. It reads reliabilities and admin
// warning lists when first needed.
func New(store tearline.Scores, opts Options) *Engine {
	e := &Engine{scores: store, params: opts.Params, now: opts.Now, log: opts.Logger, ttl: opts.Refresh}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.ttl <= 0 {
		e.ttl = DefaultRefresh
	}
	e.rels, _ = store.(tearline.Reliabilities)
	e.lists, _ = store.(tearline.WarningLists)
	e.index, _ = store.(tearline.Observables)
	return e
}

// Params returns the engine's formula constants.
func (e *Engine) Params() Params { return e.params }

// Now returns the engine's clock reading.
func (e *Engine) Now() time.Time { return e.now() }

// Reload reads the reliabilities and admin warning lists from the store
// again.
func (e *Engine) Reload(ctx context.Context) error {
	e.load.Lock()
	defer e.load.Unlock()
	return e.reload(ctx)
}

func (e *Engine) reload(ctx context.Context) error {
	c := &cached{rels: map[string]int{}, warn: warnlist.NewBuiltin(), loaded: time.Now()}
	if e.rels != nil {
		rs, err := e.rels.Reliabilities(ctx)
		if err != nil {
			return fmt.Errorf("score: read reliabilities: %w", err)
		}
		for _, r := range rs {
			c.rels[r.OrgID] = r.Value
		}
	}
	if e.lists != nil {
		entries, err := e.lists.WarningEntries(ctx, "")
		if err != nil {
			return fmt.Errorf("score: read warning lists: %w", err)
		}
		for _, en := range entries {
			if err := c.warn.Add(en.List, en.Value); err != nil {
				e.log.Warn("stored warning-list entry skipped", "list", en.List, "value", en.Value, "err", err)
			}
		}
	}
	e.cache.Store(c)
	return nil
}

// current returns the cached reliabilities and warning lists, reading
// them again when they are older than the refresh interval. When the
// store cannot be read, the last ones read stay in use (logged); the
// first read's error is returned.
func (e *Engine) current(ctx context.Context) (*cached, error) {
	c := e.cache.Load()
	if c != nil && time.Since(c.loaded) < e.ttl {
		return c, nil
	}
	e.load.Lock()
	defer e.load.Unlock()
	if c = e.cache.Load(); c != nil && time.Since(c.loaded) < e.ttl {
		return c, nil
	}
	if err := e.reload(ctx); err != nil {
		if c == nil {
			return nil, err
		}
		e.log.Warn("score: keeping reliabilities and warning lists read before", "err", err)
		return c, nil
	}
	return e.cache.Load(), nil
}

// Warnings returns the warning lists in use: the built-in ones and the
// admin lists.
func (e *Engine) Warnings(ctx context.Context) (*warnlist.Set, error) {
	c, err := e.current(ctx)
	if err != nil {
		return nil, err
	}
	return c.warn, nil
}

// Item is an object version a submission stored, for ScoreBatch.
type Item struct {
	Object *tearline.Object
	// Observables are the object's values as the observable index
	// received them; with Extracted false ScoreBatch extracts them.
	Observables []observable.Observable
	Extracted   bool
	// Status is what the store did with the version: an Added version
	// has no record yet; a Duplicate keeps what its record says of its
	// first scoring (organization, reference time).
	Status tearline.AddStatus
}

// Findings are what scoring found about an object version for its
// receipt.
type Findings struct {
	// Hits are its values found on warning lists.
	Hits []tearline.WarningHit
	// LowContext is set for an indicator whose context score is below
	// Params.LowContextScore; Context is the score and Missing the
	// MissingTokens of what it lacks.
	LowContext bool
	Context    int
	Missing    []string
}

// Empty reports whether there is nothing to say.
func (f *Findings) Empty() bool { return len(f.Hits) == 0 && !f.LowContext }

// ScoreBatch scores the object versions a submission by organization
// source ("" when unattributed) has just stored, after their observables
// were indexed: it records what its sightings, opinions and relationships
// say about other objects and rescores those, scores its own objects, and
// rescores the objects that its values corroborate. It returns, per item,
// the findings for the receipt: warning-list hits, and a low context
// score of an indicator. Store errors are returned; nothing is half
// written within one store call.
func (e *Engine) ScoreBatch(ctx context.Context, source string, items []Item) ([]Findings, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.current(ctx)
	if err != nil {
		return nil, err
	}
	b := e.newBatch(c, source, items, nil)
	var findings []Findings
	err = e.scores.UpdateScores(ctx, func(tx tearline.ScoreTx) (err error) {
		findings, err = b.score(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return findings, nil
}

// Store returns the store that keeps the engine's scores.
func (e *Engine) Store() tearline.Scores { return e.scores }

// Analyzed are the objects of a batch analyzed for scoring (Analyze) and
// the reliabilities and warning lists that will score them, read ahead of
// the write transaction that scores them (ScoreTx).
type Analyzed struct {
	c     *cached
	facts map[*tearline.Object]analysis
}

// analysis is Analyze's answer for one object.
type analysis struct {
	f   *Facts
	err error
}

// Analyze analyzes objs for ScoreTx, outside any transaction: the part of
// scoring that needs no store.
func (e *Engine) Analyze(ctx context.Context, objs []*tearline.Object) (*Analyzed, error) {
	c, err := e.current(ctx)
	if err != nil {
		return nil, err
	}
	a := &Analyzed{c: c, facts: make(map[*tearline.Object]analysis, len(objs))}
	for _, o := range objs {
		f, err := Analyze(o.Raw)
		a.facts[o] = analysis{f, err}
	}
	return a, nil
}

// ScoreTx is ScoreBatch within tx, a transaction of the engine's store
// that also wrote the items (tearline.BatchWriter), with their objects
// analyzed ahead by Analyze (an object it did not analyze, or every
// object when pre is nil, is analyzed here). It does not take the lock
// that serializes ScoreBatch calls: the store must run tx alone among its
// write transactions until it commits, as the sqlite store's single
// writer does.
func (e *Engine) ScoreTx(ctx context.Context, tx tearline.ScoreTx, pre *Analyzed, source string, items []Item) ([]Findings, error) {
	if pre == nil {
		var err error
		if pre, err = e.Analyze(ctx, nil); err != nil {
			return nil, err
		}
	}
	return e.newBatch(pre.c, source, items, pre).score(ctx, tx)
}

// score records the batch's links, gathers what scoring needs, and saves
// the records of its objects, of the targets of its links and of the
// objects its values corroborate, returning the findings of its items.
func (b *batch) score(ctx context.Context, tx tearline.ScoreTx) ([]Findings, error) {
	if len(b.links) > 0 {
		if err := tx.SaveScoreLinks(b.links); err != nil {
			return nil, fmt.Errorf("score: save links: %w", err)
		}
	}
	if err := b.gather(tx, true); err != nil {
		return nil, err
	}
	recs, fs := b.build()
	recs = append(recs, b.rescoreTargets()...)
	more, err := b.propagate(ctx, tx)
	if err != nil {
		return nil, err
	}
	recs = append(recs, more...)
	if err := tx.SaveScores(recs); err != nil {
		return nil, fmt.Errorf("score: save %d scores: %w", len(recs), err)
	}
	return fs, nil
}

// Result is the score of an object version as the API shows it.
type Result struct {
	ID      string
	Version time.Time
	// Confidence is the confidence now, decay applied; Base before decay.
	Confidence, Base int
	Context          int
	// Own and Related are the context features of the object's own
	// properties and of its relationships.
	Own, Related Features
	// Missing names what the object lacks for a full context score.
	Missing  []string
	Evidence Evidence
	Timing   Timing
	Warnings []tearline.WarningHit
	// Computed is when the record was last computed; zero when the
	// version had none and the score was computed for this answer.
	Computed time.Time
}

// Scores returns the scores of object versions (with their bytes), one
// per object in order: from their records, with the current
// reliabilities and clock, or computed afresh (not stored) for versions
// that have none. Objects of types that are not scored get nil.
func (e *Engine) Scores(ctx context.Context, objs []*tearline.Object) ([]*Result, error) {
	c, err := e.current(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(objs))
	for _, o := range objs {
		if Scored(o.Type) {
			ids = append(ids, o.ID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	recs, err := e.scores.FindScores(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("score: read scores: %w", err)
	}
	byKey := make(map[versionKey]*tearline.ScoreRecord, len(recs))
	for _, r := range recs {
		byKey[keyOf(r.ID, r.Version)] = r
	}
	out := make([]*Result, len(objs))
	var missing []Item
	var missingAt []int
	for i, o := range objs {
		if !Scored(o.Type) {
			continue
		}
		if r := byKey[keyOf(o.ID, o.Version)]; r != nil {
			out[i] = e.result(c, r)
			continue
		}
		missing = append(missing, Item{Object: o})
		missingAt = append(missingAt, i)
	}
	if len(missing) > 0 {
		b := e.newBatch(c, "", missing, nil)
		if err := b.gather(storeReads{ctx, e}, false); err != nil {
			return nil, err
		}
		fresh, _ := b.build()
		for j, r := range fresh {
			res := e.result(c, r)
			res.Computed = time.Time{}
			out[missingAt[b.recItem[j]]] = res
		}
	}
	return out, nil
}

// Score returns the score of one object version (see Scores); nil for a
// type that is not scored.
func (e *Engine) Score(ctx context.Context, o *tearline.Object) (*Result, error) {
	rs, err := e.Scores(ctx, []*tearline.Object{o})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// result turns a record into a result at the current time.
func (e *Engine) result(c *cached, r *tearline.ScoreRecord) *Result {
	ev := evidenceOf(c, r)
	tm := Timing{HalfLife: r.HalfLife, Reference: r.Reference, ValidUntil: r.ValidUntil, Revoked: r.Revoked}
	f := Features(r.Features) | Features(r.Related)
	return &Result{
		ID: r.ID, Version: r.Version,
		Confidence: e.params.Confidence(ev, tm, e.now()),
		Base:       round(e.params.Base(ev)),
		Context:    Context(f),
		Own:        Features(r.Features),
		Related:    Features(r.Related),
		Missing:    Missing(f),
		Evidence:   ev,
		Timing:     tm,
		Warnings:   r.Warnings,
		Computed:   r.Computed,
	}
}

// evidenceOf returns the evidence of a record with the current
// reliability of its organization.
func evidenceOf(c *cached, r *tearline.ScoreRecord) Evidence {
	rel, ok := c.rels[r.Org]
	if !ok || r.Org == "" {
		rel = -1
	}
	return Evidence{
		Stated: r.Stated, Reliability: rel, Sources: r.Sources,
		Sightings: r.Sightings, FalsePositives: r.FalsePositives, Warned: len(r.Warnings) > 0,
	}
}

// reads is what scoring reads: a write transaction's view when it
// rescores, the store's otherwise.
type reads interface {
	FindScores(ids []string) ([]*tearline.ScoreRecord, error)
	ScoreLinks(targets []string) ([]tearline.ScoreLink, error)
	ObservableSources(values []tearline.ObservableValue) ([][]tearline.ObservableSource, error)
}

// storeReads reads from the store outside a transaction, the sources of
// values one lookup each (scores computed on demand are few).
type storeReads struct {
	ctx context.Context
	e   *Engine
}

func (r storeReads) FindScores(ids []string) ([]*tearline.ScoreRecord, error) {
	return r.e.scores.FindScores(r.ctx, ids)
}

func (r storeReads) ScoreLinks(targets []string) ([]tearline.ScoreLink, error) {
	return r.e.scores.ScoreLinks(r.ctx, targets)
}

func (r storeReads) ObservableSources(values []tearline.ObservableValue) ([][]tearline.ObservableSource, error) {
	out := make([][]tearline.ObservableSource, len(values))
	if r.e.index == nil {
		return out, nil
	}
	for i, v := range values {
		entry, err := r.e.index.LookupObservable(r.ctx, v.Kind, v.Value, 1)
		if tearline.ErrorCode(err) == tearline.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		out[i] = entry.Sources
	}
	return out, nil
}

// versionKey names an object version.
type versionKey struct {
	id      string
	version int64 // Unix nanoseconds; 0 for the zero time
}

func keyOf(id string, v time.Time) versionKey {
	if v.IsZero() {
		return versionKey{id: id}
	}
	return versionKey{id, v.UnixNano()}
}
