package ingest

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/observable"
	"github.com/tearline/tearline/score"
)

// scoreBatch scores the stored objects of a batch with sc (nothing when
// nil), reusing their observables when the index received them (obs,
// indexed like batch; nil when not extracted). It returns the receipt
// warnings of each object of the batch.
func scoreBatch(ctx context.Context, sc *score.Engine, source string, batch []*tearline.Object,
	added []tearline.AddResult, obs [][]observable.Observable) ([][]Warning, error) {
	if sc == nil {
		return nil, nil
	}
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
	if len(items) == 0 {
		return nil, nil
	}
	found, err := sc.ScoreBatch(ctx, source, items)
	if err != nil {
		return nil, fmt.Errorf("ingest: score %d objects: %w", len(items), err)
	}
	out := make([][]Warning, len(batch))
	for j := range found {
		out[at[j]] = ScoreWarnings(&found[j])
	}
	return out, nil
}

// ScoreWarnings returns the receipt warnings of scoring findings:
// WarnWarningList with one VALUE(LIST) argument per hit, and
// WarnLowContext with the score and missing=F1,F2,... .
func ScoreWarnings(f *score.Findings) []Warning {
	var ws []Warning
	if len(f.Hits) > 0 {
		w := Warning{Code: WarnWarningList}
		for _, h := range f.Hits {
			w.Args = append(w.Args, WarningListArg(h))
		}
		ws = append(ws, w)
	}
	if f.LowContext {
		ws = append(ws, Warning{Code: WarnLowContext,
			Args: []string{strconv.Itoa(f.Context), "missing=" + strings.Join(f.Missing, ",")}})
	}
	return ws
}

// WarningListArg is the argument naming one warning-list hit:
// VALUE(LIST), with the value escaped by EscapeArg.
func WarningListArg(h tearline.WarningHit) string {
	return EscapeArg(h.Value) + "(" + h.List + ")"
}
