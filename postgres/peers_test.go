package postgres

import (
	"testing"

	"github.com/tearline/tearline/storetest"
)

func TestPeers(t *testing.T) {
	storetest.RunPeers(t, func(t *testing.T) storetest.PeerStore { return openTest(t) })
}
