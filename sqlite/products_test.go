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

func TestClients(t *testing.T) {
	storetest.RunClients(t, func(t *testing.T) storetest.ClientStore { return openTest(t) })
}
