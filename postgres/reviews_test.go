package postgres

import (
	"testing"

	"github.com/tearline/tearline/storetest"
)

func TestReviews(t *testing.T) {
	storetest.RunReviews(t, func(t *testing.T) storetest.ReviewStore { return openTest(t) })
}
