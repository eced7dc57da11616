package sqlite

import (
	"testing"

	"github.com/tearline/tearline/storetest"
)

func TestScores(t *testing.T) {
	storetest.RunScores(t, func(t *testing.T) storetest.ScoresStore { return openTest(t) })
}

func TestCorroborations(t *testing.T) {
	storetest.RunCorroborations(t, func(t *testing.T) storetest.CorroborationsStore { return openTest(t) })
}
