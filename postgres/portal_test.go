package postgres

import (
	"testing"

	"github.com/tearline/tearline/storetest"
)

func TestPortal(t *testing.T) {
	storetest.RunPortal(t, func(t *testing.T) storetest.PortalStore { return openTest(t) })
}
