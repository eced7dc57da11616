package sqlite

import (
	"testing"

	"github.com/tearline/tearline/storetest"
)

func TestFeed(t *testing.T) {
	storetest.RunFeed(t, func(t *testing.T) storetest.FeedStore { return openTest(t) })
}
