package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/score"
)

// stored is what storing a batch gave: what the store did with each
// object, the values of each stored object (nil for the others, and for
// all when no index received them) and the receipt warnings of scoring
// (nil without a scorer).
type stored struct {
	added  []tearline.AddResult
	obs    [][]observable.Observable
	scored [][]Warning
}

// storeBatch stores a batch, indexes the observables of its stored
// objects (opts.Observables), scores them (opts.Scorer) and records the
// feedback references of its stored sightings and opinions (feedback.go).
// When the store is a tearline.BatchWriter that also keeps the index and
// the scores, all of it is one transaction, with the parsing it needs done
// before the store's writer is taken, and finish, when not nil, is called
// last within it. Otherwise each is a transaction of its own, finish is
// not called, and once the objects are stored, their observables, scores
// and feedback are recorded whatever becomes of ctx, so that the index and
// the store agree and a stored batch is never reported as failed.
func storeBatch(ctx context.Context, store tearline.Store, collectionID string, batch []*tearline.Object, opts *Options,
	finish func(tearline.BatchTx, *stored) error) (*stored, error) {
	if bw, ok := batchWriter(store, opts); ok {
		return writeBatch(ctx, bw, collectionID, batch, opts, finish)
	}
	st := &stored{}
	err := step(ctx, "ingest.store", func(ctx context.Context) (err error) {
		st.added, err = store.AddObjects(ctx, collectionID, batch)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: store %d objects: %w", len(batch), err)
	}
	if opts.Observables != nil {
		err := step(context.WithoutCancel(ctx), "ingest.observables", func(ctx context.Context) error {
			refs, obs := observableRefs(opts.Source, batch, st.added, extract(batch))
			st.obs = obs
			return recordObservables(func() error { return opts.Observables.RecordObservables(ctx, refs) }, refs)
		})
		if err != nil {
			return nil, err
		}
	}
	if opts.Scorer != nil {
		err = step(context.WithoutCancel(ctx), "ingest.score", func(ctx context.Context) error {
			return st.score(batch, st.obs, func(items []score.Item) ([]score.Findings, error) {
				return opts.Scorer.ScoreBatch(ctx, opts.Source, items)
			})
		})
		if err != nil {
			return nil, err
		}
	}
	if err := recordFeedback(context.WithoutCancel(ctx), store, opts.Source, batch, st.added); err != nil {
		return nil, err
	}
	return st, nil
}

// batchWriter returns the store as a tearline.BatchWriter when it is one
// and keeps the index and the scores that opts names (or opts names
// none).
func batchWriter(store tearline.Store, opts *Options) (tearline.BatchWriter, bool) {
	bw, ok := store.(tearline.BatchWriter)
	if !ok {
		return nil, false
	}
	if opts.Observables != nil && any(opts.Observables) != any(store) {
		return nil, false
	}
	if opts.Scorer != nil && any(opts.Scorer.Store()) != any(store) {
		return nil, false
	}
	return bw, true
}

// writeBatch is storeBatch in one transaction of bw.
func writeBatch(ctx context.Context, bw tearline.BatchWriter, collectionID string, batch []*tearline.Object, opts *Options,
	finish func(tearline.BatchTx, *stored) error) (*stored, error) {
	var (
		extracted [][]observable.Observable
		pre       *score.Analyzed
	)
	if opts.Observables != nil || opts.Scorer != nil {
		extracted = extract(batch)
	}
	if opts.Scorer != nil {
		var err error
		if pre, err = opts.Scorer.Analyze(ctx, batch); err != nil {
			return nil, fmt.Errorf("ingest: score %d objects: %w", len(batch), err)
		}
	}
	// The stages within the transaction are spans of their own beside
	// ingest.store, as they are when each is a transaction.
	outer := ctx
	st := &stored{}
	err := step(ctx, "ingest.store", func(ctx context.Context) (err error) {
		_, err = bw.WriteBatch(ctx, collectionID, batch, func(tx tearline.BatchTx, added []tearline.AddResult) error {
			st.added = added
			if extracted != nil {
				refs, obs := observableRefs(opts.Source, batch, added, extracted)
				if opts.Observables != nil {
					st.obs = obs
					err := step(outer, "ingest.observables", func(context.Context) error {
						return recordObservables(func() error { return tx.RecordObservables(refs) }, refs)
					})
					if err != nil {
						return err
					}
				}
				if opts.Scorer != nil {
					err := step(outer, "ingest.score", func(context.Context) error {
						return st.score(batch, obs, func(items []score.Item) ([]score.Findings, error) {
							return opts.Scorer.ScoreTx(ctx, tx, pre, opts.Source, items)
						})
					})
					if err != nil {
						return err
					}
				}
			}
			if fs := feedbackOf(opts.Source, batch, added); len(fs) > 0 {
				if err := tx.RecordFeedback(fs); err != nil {
					return fmt.Errorf("ingest: record %d feedback references: %w", len(fs), err)
				}
			}
			if finish != nil {
				return finish(tx, st)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: store %d objects: %w", len(batch), err)
	}
	return st, nil
}

// extract returns the values of each object of batch. An object whose
// pattern does not parse has none: the validator checked it before.
func extract(batch []*tearline.Object) [][]observable.Observable {
	all := make([][]observable.Observable, len(batch))
	for i, o := range batch {
		all[i], _ = observable.FromObject(o.Raw)
	}
	return all
}

// observableRefs returns the index entries of the values of the stored
// (added or duplicate) objects of a batch, and those values per object
// (nil for objects not stored); extracted holds the values of every
// object of the batch.
func observableRefs(source string, batch []*tearline.Object, added []tearline.AddResult,
	extracted [][]observable.Observable) ([]tearline.ObservableRef, [][]observable.Observable) {
	now := time.Now()
	var refs []tearline.ObservableRef
	all := make([][]observable.Observable, len(batch))
	for i, o := range batch {
		if s := added[i].Status; s != tearline.Added && s != tearline.Duplicate {
			continue
		}
		all[i] = extracted[i]
		for _, v := range extracted[i] {
			refs = append(refs, tearline.ObservableRef{Kind: v.Kind.String(), Value: v.Value,
				ObjectID: o.ID, Version: o.Version, Source: source, Time: now})
		}
	}
	return refs, all
}

// recordObservables runs record, which adds refs to the index, unless
// there are none.
func recordObservables(record func() error, refs []tearline.ObservableRef) error {
	if len(refs) == 0 {
		return nil
	}
	if err := record(); err != nil {
		return fmt.Errorf("ingest: index %d observables: %w", len(refs), err)
	}
	return nil
}

// score scores the stored objects of batch, whose values are obs (nil
// when not extracted), with scoreItems, which returns the findings of
// each item, and keeps their receipt warnings.
func (st *stored) score(batch []*tearline.Object, obs [][]observable.Observable, scoreItems func([]score.Item) ([]score.Findings, error)) error {
	items, at := itemsToScore(batch, st.added, obs)
	if len(items) == 0 {
		return nil
	}
	found, err := scoreItems(items)
	if err != nil {
		return fmt.Errorf("ingest: score %d objects: %w", len(items), err)
	}
	st.scored = scoreWarnings(found, at, len(batch))
	return nil
}

// itemsToScore returns the items to score of a batch, its stored (added or
// duplicate) objects, with the values the index received (obs, indexed
// like batch; nil when not extracted), and the index in batch of each.
func itemsToScore(batch []*tearline.Object, added []tearline.AddResult, obs [][]observable.Observable) ([]score.Item, []int) {
	items := make([]score.Item, 0, len(batch))
	at := make([]int, 0, len(batch))
	for i, o := range batch {
		st := added[i].Status
		if st != tearline.Added && st != tearline.Duplicate {
			continue
		}
		it := score.Item{Object: o, Status: st}
		if obs != nil {
			it.Observables, it.Extracted = obs[i], true
		}
		items = append(items, it)
		at = append(at, i)
	}
	return items, at
}

// scoreWarnings returns the receipt warnings of each of n objects of a
// batch from the findings of the items scored, at[j] being the index of
// item j in the batch.
func scoreWarnings(found []score.Findings, at []int, n int) [][]Warning {
	out := make([][]Warning, n)
	for j := range found {
		out[at[j]] = ScoreWarnings(&found[j])
	}
	return out
}
