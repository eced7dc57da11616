package sqlite

import (
	"testing"

	"github.com/tearline/tearline"
	"github.com/tearline/tearline/storetest"
)

func TestProducts(t *testing.T) {
	storetest.RunProducts(t, func(t *testing.T) tearline.Products { return openTest(t) })
}

func TestReleases(t *testing.T) {
	storetest.RunReleases(t, func(t *testing.T) tearline.Releases { return openTest(t) })
}
