package postgres

import (
	"testing"

	"github.com/tearline/tearline/storetest"
)

func TestObservables(t *testing.T) {
	storetest.RunObservables(t, func(t *testing.T) storetest.ObservablesStore { return openTest(t) })
}

func TestCorroborations(t *testing.T) {
	storetest.RunCorroborations(t, func(t *testing.T) storetest.CorroborationsStore { return openTest(t) })
}
