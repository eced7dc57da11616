package ingest

import (
	"strconv"
	"strings"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/score"
)

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
