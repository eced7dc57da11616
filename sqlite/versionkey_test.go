package sqlite

import (
	"testing"
	"time"

	"github.com/tearline/tearline"
)

// FuzzVersionKey checks versionKey against time.Format for any instant and
// zone, years outside 0000-9999 included.
func FuzzVersionKey(f *testing.F) {
	f.Add(int64(0), int64(0), 0)
	f.Add(int64(1700000000), int64(123456789), 3600)
	f.Add(int64(-62135596800), int64(1), -7200)     // year 1
	f.Add(int64(253402300799), int64(999999999), 0) // 9999-12-31T23:59:59
	f.Add(int64(253402300800), int64(0), 0)         // year 10000
	f.Add(int64(-62167219201), int64(5), 0)         // year -1
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int) {
		tm := time.Unix(sec, nsec%1e9).In(time.FixedZone("z", offset%86400))
		if got, want := versionKey(tm), tm.UTC().Format(tearline.VersionLayout); got != want {
			t.Errorf("versionKey(%v) = %q, want %q", tm, got, want)
		}
	})
}
