package postgres

import (
	"testing"

	"github.com/tearline/tearline/storetest"
)

func TestScores(t *testing.T) {
	storetest.RunScores(t, func(t *testing.T) storetest.ScoresStore { return openTest(t) })
}
