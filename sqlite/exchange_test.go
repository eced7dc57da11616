package sqlite

import (
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/storetest"
)

func TestExchanges(t *testing.T) {
	storetest.RunExchanges(t, func(t *testing.T) tearline.Exchanges { return openTest(t) })
}

func TestTranslations(t *testing.T) {
	storetest.RunTranslations(t, func(t *testing.T) tearline.Translations { return openTest(t) })
}
